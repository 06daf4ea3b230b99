/**
 * A flash crowd announced ahead: the bench's flash crowd (bench/traces.ts, 400 webinar rooms
 * joining within 2 minutes at 14:00) replayed through our policy without and with a
 * `RoomScheduled` line per webinar room 15 minutes before the webinar's start — the pre-warming
 * of shared/domain/schedule.ts against the reaction to arrivals.
 *
 * @module
 */
import { parseAutoscalerConfig, type AutoscalerConfig } from '../shared/domain/config.ts';
import { sortByDelivery, type TraceEvent } from '../sim/trace/model.ts';
import { replayOurPolicy } from './policy-replay.ts';
import { flashCrowd } from './traces.ts';

/** Start of the bench flash crowd's webinar, s from trace start (day 0, 14:00; bench/traces.ts). */
export const FLASH_CROWD_START_SEC = 14 * 3600;

/** How long before its start the bench announces the webinar, s (15 min). */
export const ANNOUNCE_AHEAD_SEC = 15 * 60;

/** Options of {@link announce}. */
export interface AnnounceOptions {
  /** Which rooms the calendar knows (their first `RoomCreated` line is announced). */
  readonly match: (e: TraceEvent) => boolean;
  /** The booked start, s from trace start. */
  readonly startAtSec: number;
  /** How long before `startAtSec` the announcement is delivered, s. */
  readonly aheadSec: number;
  /** The label the announcement carries (default `webinar`). */
  readonly kind?: string;
}

/**
 * A trace with a `RoomScheduled` line for each matching room (weight and tenant as its first
 * `RoomCreated`), delivered `aheadSec` before `startAtSec`, announcing `startAtSec`.
 *
 * @returns the trace with the announcements, in delivery order
 * @example
 * announce(events, { match: (e) => e.tenantId === 'webinar', startAtSec: 50_400, aheadSec: 900 });
 */
export function announce(events: readonly TraceEvent[], options: AnnounceOptions): TraceEvent[] {
  const seen = new Set<string>();
  const lines: TraceEvent[] = [];
  for (const e of events) {
    if (e.type !== 'RoomCreated' || seen.has(e.roomId) || !options.match(e)) continue;
    seen.add(e.roomId);
    lines.push({
      t: Math.max(0, options.startAtSec - options.aheadSec),
      type: 'RoomScheduled',
      roomId: e.roomId,
      ...(e.weight !== undefined ? { weight: e.weight } : {}),
      ...(e.tenantId !== undefined ? { tenantId: e.tenantId } : {}),
      id: `sched-${e.roomId}`,
      kind: options.kind ?? 'webinar',
      startAt: options.startAtSec,
    });
  }
  return sortByDelivery([...events, ...lines]);
}

/**
 * A lone webinar: `rooms` rooms of weight 1 joining evenly within 2 minutes of `startSec` and
 * leaving 30 minutes later, on an otherwise empty pool (the pre-warming test and the simulate
 * check of the report use it).
 *
 * @returns the trace, in delivery order (announce it with {@link announce})
 */
export function webinarTrace(rooms = 150, startSec = 3600): TraceEvent[] {
  const events = Array.from({ length: rooms }, (_, i) => [
    { t: startSec + Math.floor((i * 120) / rooms), type: 'RoomCreated' as const, roomId: `web-${i}`, tenantId: 'webinar' },
    { t: startSec + 1800 + i, type: 'RoomReleased' as const, roomId: `web-${i}` },
  ]).flat();
  return sortByDelivery(events);
}

/** One side of the comparison. */
export interface ScheduledCrowdRow {
  readonly placements: number;
  readonly waited: number;
  readonly waitP99Ms: number;
  readonly waitMaxMs: number;
  readonly nodeHours: number;
  readonly launches: number;
  readonly overbooked: number;
  readonly leakedCapacity: number;
}

/**
 * Replay the bench flash crowd without and with its webinar announced
 * {@link ANNOUNCE_AHEAD_SEC} ahead, through the handlers over the memory store (bench/policy-replay.ts).
 *
 * @param config - deployment configuration (default: the defaults)
 * @param seed - the replay's seed (placement spread, boot jitter)
 */
export async function measureScheduledCrowd(
  config: AutoscalerConfig = parseAutoscalerConfig({}),
  seed = 1,
): Promise<{ readonly unannounced: ScheduledCrowdRow; readonly announced: ScheduledCrowdRow; readonly announcedRooms: number }> {
  const trace = flashCrowd().events;
  const withSchedule = announce(trace, { match: (e) => e.tenantId === 'webinar', startAtSec: FLASH_CROWD_START_SEC, aheadSec: ANNOUNCE_AHEAD_SEC });
  const row = async (events: readonly TraceEvent[]): Promise<ScheduledCrowdRow> => {
    const r = await replayOurPolicy(events, config, seed);
    return {
      placements: r.run.placements,
      waited: r.run.waited,
      waitP99Ms: r.run.waitP99Ms,
      waitMaxMs: r.run.waitMaxMs,
      nodeHours: r.run.nodeHours,
      launches: r.run.launches,
      overbooked: r.overbooked,
      leakedCapacity: r.leakedCapacity,
    };
  };
  return {
    unannounced: await row(trace),
    announced: await row(withSchedule),
    announcedRooms: withSchedule.length - trace.length,
  };
}

// `node --import tsx bench/scheduled-crowd.ts [seed]`: print the comparison as JSON.
// `… --write-webinar <dir>`: write the lone 150-room webinar, plain and announced 15 min ahead,
// as trace files for `wcs-autoscaler simulate --trace`.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === '--write-webinar') {
    const { writeFileSync } = await import('node:fs');
    const dir = process.argv[3] ?? '.';
    const plain = webinarTrace();
    const lines = (events: readonly TraceEvent[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    writeFileSync(`${dir}/webinar-plain.jsonl`, lines(plain));
    writeFileSync(`${dir}/webinar-announced.jsonl`, lines(announce(plain, { match: (e) => e.tenantId === 'webinar', startAtSec: 3600, aheadSec: ANNOUNCE_AHEAD_SEC })));
  } else {
    const seed = Number(process.argv[2] ?? 1);
    console.log(JSON.stringify(await measureScheduledCrowd(parseAutoscalerConfig({}), seed), null, 2));
  }
}
