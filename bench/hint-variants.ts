/**
 * Hint variants of a trace for the lifetime bench (issue 15, item 7): the same demand with the
 * application's hints removed, and with perfect hints. Pure functions of the trace; the input is
 * never changed and the output keeps the input's line order.
 *
 * - {@link withoutHints}: what an autoscaler that ignores calendars and hints sees — no
 *   `RoomScheduled` lines, no `expectedDurationMs` / `kind` on `RoomCreated` lines.
 * - {@link oracleHints}: every placed `RoomCreated` carries the room's *true* duration as
 *   `expectedDurationMs`. This is for the bench only: it reads each room's release from the
 *   trace, which the simulator itself never does; a policy fed these hints shows what perfect
 *   lifetime knowledge is worth.
 *
 * Rooms are paired with their releases by the trace rules of sim/trace/model.ts, exactly as
 * `effectiveRooms` (sim/trace/stats.ts) applies them: delivery order by `t` (ties in line order),
 * duplicate deliveries by `id`, stale creates (`time` not later than an already delivered
 * release), idempotent repeated creates, and reconnects (a room id created again after its
 * release is a new placement with its own duration).
 *
 * @module
 */
import { isStaleCreate } from '../shared/domain/model.ts';
import { MAX_EXPECTED_DURATION_MS } from '../shared/events/schemas.ts';
import { stripHints } from '../sim/trace/hints.ts';
import { eventTime, type TraceEvent } from '../sim/trace/model.ts';

/** Largest hint the event contract accepts, ms (shared/events/schemas.ts: 7 days). */
export const MAX_HINT_MS = MAX_EXPECTED_DURATION_MS;

/**
 * The trace without any hint (`stripHints`, sim/trace/hints.ts): no `RoomScheduled` lines, no
 * cancellations of announced rooms, no `expectedDurationMs` / `kind`.
 */
export const withoutHints: (events: readonly TraceEvent[]) => TraceEvent[] = stripHints;

/** Whether any line of the trace carries a hint (`RoomScheduled`, `expectedDurationMs` or `kind`). */
export function hasHints(events: readonly TraceEvent[]): boolean {
  return events.some((e) => e.type === 'RoomScheduled' || e.expectedDurationMs !== undefined || e.kind !== undefined);
}

/** What a trace's hints cover. */
export interface HintCoverage {
  /** `RoomCreated` lines. */
  readonly creates: number;
  /** `RoomCreated` lines with an `expectedDurationMs`. */
  readonly hintedCreates: number;
  /** `RoomScheduled` lines. */
  readonly scheduled: number;
}

/** Count the trace's `RoomCreated` lines, those with a duration hint, and its `RoomScheduled` lines. */
export function hintCoverage(events: readonly TraceEvent[]): HintCoverage {
  let creates = 0;
  let hintedCreates = 0;
  let scheduled = 0;
  for (const e of events) {
    if (e.type === 'RoomScheduled') scheduled += 1;
    if (e.type !== 'RoomCreated') continue;
    creates += 1;
    if (e.expectedDurationMs !== undefined) hintedCreates += 1;
  }
  return { creates, hintedCreates, scheduled };
}

/** One placement found by {@link placementEnds}: the line that placed it and its true interval. */
export interface LinePlacement {
  /** Index (in the input) of the `RoomCreated` line that placed the room. */
  readonly line: number;
  readonly roomId: string;
  /** Delivery time of that create, s. */
  readonly start: number;
  /** Delivery time of the release that ended it, or the trace's last `t` when never released, s. */
  readonly end: number;
  /** Never released within the trace. */
  readonly open: boolean;
}

/** Result of {@link placementEnds}. */
export interface PlacementEnds {
  /** Every placement, in placement order (the same rooms and intervals as `effectiveRooms`). */
  readonly placements: readonly LinePlacement[];
  /**
   * For each input line, the placement its room is in at that line: the placement a create
   * started, the active placement a repeated create or a duplicate delivery refers to; undefined
   * for stale creates, releases and `RoomScheduled` lines.
   */
  readonly byLine: readonly (LinePlacement | undefined)[];
}

/**
 * Pair every placement with the release that ends it, by the trace rules (module doc).
 *
 * @param events - a trace, any order (processed by `t`, ties in input order)
 */
export function placementEnds(events: readonly TraceEvent[]): PlacementEnds {
  const order = events.map((_, i) => i).sort((a, b) => (events[a] as TraceEvent).t - (events[b] as TraceEvent).t || a - b);
  const firstLineOfId = new Map<string, number>();
  const releasedAt = new Map<string, number>();
  const active = new Map<string, { line: number; start: number; index: number }>();
  const ends: { line: number; roomId: string; start: number; end?: number }[] = [];
  const slotOfLine: (number | undefined)[] = new Array<number | undefined>(events.length);
  const duplicateOf: (number | undefined)[] = new Array<number | undefined>(events.length);
  let lastT = 0;

  for (const i of order) {
    const event = events[i] as TraceEvent;
    lastT = event.t;
    if (event.id !== undefined) {
      const first = firstLineOfId.get(event.id);
      if (first !== undefined) {
        duplicateOf[i] = first;
        continue;
      }
      firstLineOfId.set(event.id, i);
    }
    if (event.type === 'RoomScheduled') continue;
    const time = eventTime(event);
    if (event.type === 'RoomReleased') {
      releasedAt.set(event.roomId, Math.max(time, releasedAt.get(event.roomId) ?? -Infinity));
      const room = active.get(event.roomId);
      if (room === undefined) continue;
      active.delete(event.roomId);
      (ends[room.index] as { end?: number }).end = event.t;
    } else if (isStaleCreate(time, releasedAt.get(event.roomId))) {
      continue;
    } else {
      const room = active.get(event.roomId);
      if (room !== undefined) {
        slotOfLine[i] = room.index; // repeated create: refers to the active placement
        continue;
      }
      active.set(event.roomId, { line: i, start: event.t, index: ends.length });
      slotOfLine[i] = ends.length;
      ends.push({ line: i, roomId: event.roomId, start: event.t });
    }
  }

  const placements = ends.map(
    (p): LinePlacement => ({ line: p.line, roomId: p.roomId, start: p.start, end: p.end ?? lastT, open: p.end === undefined }),
  );
  const byLine = events.map((_, i) => {
    const slot = slotOfLine[duplicateOf[i] ?? i];
    return slot === undefined ? undefined : placements[slot];
  });
  return { placements, byLine };
}

/** A duration in ms as a valid hint: an integer in [1, {@link MAX_HINT_MS}]. */
function asHintMs(seconds: number): number {
  return Math.min(MAX_HINT_MS, Math.max(1, Math.round(seconds * 1000)));
}

/**
 * The trace with perfect lifetime hints (bench only; module doc).
 *
 * - A `RoomCreated` line that places a room gets `expectedDurationMs` = (delivery time of the
 *   release that ends that placement − its own delivery time) × 1000, or up to the trace's last
 *   `t` for a room never released; a repeated create of an active room and a duplicate delivery
 *   get what remains of that placement from their own `t`. The value is rounded to whole ms and
 *   clamped to the contract's range [1 ms, 7 days].
 * - A stale `RoomCreated` (never placed) is returned without `expectedDurationMs`.
 * - A `RoomScheduled` line's `expectedDurationMs` becomes the true duration of the first
 *   placement of its room delivered at or after the schedule line, if the room arrives; a
 *   no-show keeps the line unchanged. `kind`, `startAt` and every other field are kept.
 * - `RoomReleased` lines are unchanged.
 *
 * @param events - a trace, any order
 * @returns a new array, in input order
 * @example
 * oracleHints([
 *   { t: 0, type: 'RoomCreated', roomId: 'a' },
 *   { t: 90, type: 'RoomReleased', roomId: 'a' },
 * ])[0]; // → { t: 0, type: 'RoomCreated', roomId: 'a', expectedDurationMs: 90_000 }
 */
export function oracleHints(events: readonly TraceEvent[]): TraceEvent[] {
  const { placements, byLine } = placementEnds(events);
  const byRoom = new Map<string, LinePlacement[]>();
  for (const p of placements) {
    const list = byRoom.get(p.roomId);
    if (list) list.push(p);
    else byRoom.set(p.roomId, [p]);
  }
  return events.map((event, i) => {
    if (event.type === 'RoomReleased') return event;
    if (event.type === 'RoomScheduled') {
      const next = byRoom.get(event.roomId)?.find((p) => p.start >= event.t);
      return next === undefined ? event : { ...event, expectedDurationMs: asHintMs(next.end - next.start) };
    }
    const placement = byLine[i];
    if (placement === undefined) return stripDuration(event);
    return { ...event, expectedDurationMs: asHintMs(placement.end - Math.max(placement.start, event.t)) };
  });
}

function stripDuration(event: TraceEvent): TraceEvent {
  if (event.expectedDurationMs === undefined) return event;
  const { expectedDurationMs: _duration, ...rest } = event;
  return rest;
}
