/**
 * Trace files: JSON Lines of `TraceEvent`s (one event per line). Reading reports every invalid
 * line with its line number and skips it; writing emits one compact JSON object per line.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateTrace } from './generator.ts';
import { TraceEventSchema, type TraceEvent } from './model.ts';
import { effectiveRooms, lowerBoundNodeHours, peakActiveWeight, static72CostUsd } from './stats.ts';

/** A trace event read from a file, with its 1-based line number. */
export type TraceFileEvent = TraceEvent & { readonly line: number };

/** An invalid line: its 1-based number and what is wrong, naming the field. */
export interface TraceLineError {
  readonly line: number;
  readonly message: string;
}

/** The valid events of a trace text (in file order) and the invalid lines. */
export interface ParsedTrace {
  readonly events: TraceFileEvent[];
  readonly errors: TraceLineError[];
}

/** Lines longer than this are reported and not parsed (a trace line is ~100 characters). */
export const MAX_TRACE_LINE_CHARS = 4096;

/**
 * Parse a JSON Lines trace. Blank lines are ignored; each other line must be a JSON object
 * matching `TraceEventSchema`. Invalid lines are skipped and reported, e.g.
 * `{ line: 3, message: 'roomId must be at most 128 characters' }` or
 * `{ line: 7, message: 'invalid JSON: Unexpected token …' }`. Never throws.
 *
 * @param text - the file's content (`\n` or `\r\n` line ends)
 * @returns valid events in file order (with `line`), and errors in line order
 * @example
 * parseTraceText('{"t":0,"type":"RoomCreated","roomId":"a"}\n{"t":1}\n');
 * // → { events: [{ t: 0, type: 'RoomCreated', roomId: 'a', line: 1 }],
 * //     errors: [{ line: 2, message: 'type is required; roomId is required' }] }
 */
export function parseTraceText(text: string): ParsedTrace {
  const events: TraceFileEvent[] = [];
  const errors: TraceLineError[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (source.trim() === '') continue;
    if (source.length > MAX_TRACE_LINE_CHARS) {
      errors.push({ line, message: `line is longer than ${MAX_TRACE_LINE_CHARS} characters` });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(source);
    } catch (error) {
      errors.push({ line, message: `invalid JSON: ${(error as Error).message}` });
      continue;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      errors.push({ line, message: 'expected a JSON object such as {"t":0,"type":"RoomCreated","roomId":"r1"}' });
      continue;
    }
    const parsed = TraceEventSchema.safeParse(json);
    if (!parsed.success) {
      const messages = parsed.error.issues.map((issue) => {
        const field = issue.path.join('.');
        return field === '' || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
      });
      errors.push({ line, message: messages.join('; ') });
      continue;
    }
    events.push({ ...withoutUndefined(parsed.data), line });
  }
  return { events, errors };
}

/**
 * Read and parse a trace file (see `parseTraceText`).
 *
 * @param path - file path
 * @throws the `fs` error (e.g. `ENOENT`) when the file cannot be read
 */
export async function readTraceFile(path: string): Promise<ParsedTrace> {
  return parseTraceText(await readFile(path, 'utf8'));
}

/**
 * Serialise events as JSON Lines (keys in the order t, type, roomId, startAt, weight, tenantId,
 * kind, expectedDurationMs, id, time; absent fields and `line` left out), ending with a newline.
 */
export function formatTraceText(events: readonly TraceEvent[]): string {
  return events.map((e) => `${JSON.stringify(toLine(e))}\n`).join('');
}

/**
 * Write events to a JSON Lines file, creating the parent directory if needed.
 *
 * @throws the `fs` error when the file cannot be written
 */
export async function writeTraceFile(path: string, events: readonly TraceEvent[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatTraceText(events), 'utf8');
}

/** Node capacity the generate summary's lower bound assumes: 2 containers × 10 units. */
export const SUMMARY_NODE_CAPACITY_UNITS = 20;

/** What `generateTraceCommand` wrote. */
export interface GenerateTraceSummary {
  readonly out: string;
  readonly seed: number;
  readonly days: number;
  /** Lines written (duplicate deliveries included). */
  readonly events: number;
  /** Of those, `RoomScheduled` announcements (0 without hints). */
  readonly scheduled: number;
  /** Distinct room ids with a `RoomCreated` (no-show bookings, only announced, are not counted). */
  readonly rooms: number;
  /** Placements after the trace rules (a reconnect counts again). */
  readonly placements: number;
  /** Highest active weight, capacity units. */
  readonly peakConcurrentWeight: number;
  /** ∫ ceil(active weight / 20) dt, node-hours. */
  readonly lowerBoundNodeHours: number;
  /** The static 72-vCPU alternative for the trace, USD (node capacity 20). */
  readonly static72CostUsd: number;
}

/**
 * Generate a trace (`generateTrace`) and write it as JSON Lines.
 *
 * @param opts - `out` file path; `seed`; `days`; `peak` = target weekday peak of concurrent
 *   meeting rooms (default 250); `hints` = lifetime hints and `RoomScheduled` lines
 *   (sim/trace/hints.ts; default true, as the CLI's `generate-trace` without `--no-hints`)
 * @returns a short summary of what was written
 * @throws {RangeError} for out-of-range options; the `fs` error when writing fails
 * @example
 * await generateTraceCommand({ out: 'samples/week.jsonl', seed: 42, days: 7 });
 */
export async function generateTraceCommand(opts: {
  out: string;
  seed: number;
  days: number;
  peak?: number;
  hints?: boolean;
}): Promise<GenerateTraceSummary> {
  const events = generateTrace({ seed: opts.seed, days: opts.days, peakConcurrent: opts.peak, hints: opts.hints ?? true });
  await writeTraceFile(opts.out, events);
  return {
    out: opts.out,
    seed: opts.seed,
    days: opts.days,
    events: events.length,
    scheduled: events.filter((e) => e.type === 'RoomScheduled').length,
    rooms: new Set(events.filter((e) => e.type === 'RoomCreated').map((e) => e.roomId)).size,
    placements: effectiveRooms(events).intervals.length,
    peakConcurrentWeight: peakActiveWeight(events),
    lowerBoundNodeHours: round(lowerBoundNodeHours(events, SUMMARY_NODE_CAPACITY_UNITS), 3),
    static72CostUsd: round(static72CostUsd(events, SUMMARY_NODE_CAPACITY_UNITS), 2),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toLine(e: TraceEvent): TraceEvent {
  const line: { -readonly [K in keyof TraceEvent]: TraceEvent[K] } = { t: e.t, type: e.type, roomId: e.roomId };
  if (e.startAt !== undefined) line.startAt = e.startAt;
  if (e.weight !== undefined) line.weight = e.weight;
  if (e.tenantId !== undefined) line.tenantId = e.tenantId;
  if (e.kind !== undefined) line.kind = e.kind;
  if (e.expectedDurationMs !== undefined) line.expectedDurationMs = e.expectedDurationMs;
  if (e.id !== undefined) line.id = e.id;
  if (e.time !== undefined) line.time = e.time;
  return line;
}
