/**
 * Oracle lifetime hints for a trace: every `RoomCreated` line gets `expectedDurationMs` = the
 * room's true duration (its next `RoomReleased`'s event time − the create's event time), the
 * best hint an application could send. Used to measure the lifetime-aware policy's ceiling
 * (`bench/lt-replay.ts`); the simulator itself never reads a room's true end.
 *
 * @module
 */
import type { TraceEvent } from '../sim/trace/model.ts';

/** Longest hint the event contract accepts, ms (7 days; shared/events/schemas.ts). */
const MAX_HINT_MS = 7 * 86_400_000;

/**
 * The trace with oracle hints: each `RoomCreated` whose room is released later in the trace
 * carries `expectedDurationMs` = release time − create time (ms, ≥ 1); creates never released
 * keep no hint. Duplicate deliveries of one create get the same hint; a reconnect (a create
 * after a release of the same room) is matched with the release after it.
 *
 * @param events - the trace, any order
 * @returns a new array, same order, other lines unchanged
 * @example withOracleHints([{ t: 0, type: 'RoomCreated', roomId: 'r' }, { t: 60, type: 'RoomReleased', roomId: 'r' }])[0].expectedDurationMs // 60000
 */
export function withOracleHints(events: readonly TraceEvent[]): TraceEvent[] {
  const at = (e: TraceEvent) => e.time ?? e.t;
  const releases = new Map<string, number[]>();
  for (const e of events) if (e.type === 'RoomReleased') releases.set(e.roomId, [...(releases.get(e.roomId) ?? []), at(e)]);
  for (const list of releases.values()) list.sort((a, b) => a - b);
  return events.map((e) => {
    if (e.type !== 'RoomCreated') return e;
    const end = releases.get(e.roomId)?.find((r) => r > at(e));
    if (end === undefined) return e;
    return { ...e, expectedDurationMs: Math.min(MAX_HINT_MS, Math.max(1, Math.round((end - at(e)) * 1000))) };
  });
}

/**
 * `node --import tsx bench/oracle-hints.ts <in.jsonl> <out.jsonl>`: write a trace file with
 * oracle hints ({@link withOracleHints}), e.g. for `wcs-autoscaler simulate --trace <out.jsonl>`.
 */
async function main(input: string, output: string): Promise<void> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const lines = (await readFile(input, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const hinted = withOracleHints(lines.map((l) => JSON.parse(l) as TraceEvent));
  await writeFile(output, hinted.map((e) => JSON.stringify(e)).join('\n') + '\n');
}

const [, script, input, output] = process.argv;
if (script?.endsWith('oracle-hints.ts') && input && output) await main(input, output);
