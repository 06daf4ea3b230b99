/**
 * Statistics of a demand trace, computed from the trace alone: which rooms the autoscaler
 * actually places (after duplicates and stale creates), the active weight over time, the
 * node-hours no autoscaler can beat, and what the static 72-vCPU server it replaces would cost.
 *
 * Times are seconds from trace start (delivery time `t`); weight and capacity are capacity units.
 *
 * @module
 */
import { STATIC_72_VCPU_NODE_EQUIVALENTS, STATIC_72_VCPU_PRICE_USD_PER_HOUR } from '../../shared/domain/config.ts';
import { isStaleCreate } from '../../shared/domain/model.ts';
import { eventTime, eventWeight, sortByDelivery, TRACE_DAY_SEC, type TraceEvent } from './model.ts';

/** One placement: a room active from its `RoomCreated` delivery to its `RoomReleased` delivery. */
export interface RoomInterval {
  readonly roomId: string;
  /** Capacity units. */
  readonly weight: number;
  /** Delivery time of the `RoomCreated` that placed it, s. */
  readonly start: number;
  /** Delivery time of the `RoomReleased` that ended it, or the trace's last event time, s. */
  readonly end: number;
  /** Whether the room was still active at the end of the trace. */
  readonly open: boolean;
}

/** The rooms a trace actually places, and what was skipped on the way. */
export interface EffectiveRooms {
  /** One interval per placement, in placement order (a reconnect is a new placement). */
  readonly intervals: readonly RoomInterval[];
  /** Lines skipped because an earlier line had the same `id`. */
  readonly duplicates: number;
  /** `RoomCreated`s not placed because a `RoomReleased` at or after their `time` was seen. */
  readonly staleCreates: number;
  /** `RoomCreated`s for a room that was already active (idempotent no-ops). */
  readonly repeatedCreates: number;
  /** `RoomReleased`s for a room that was not active (they still make later stale creates). */
  readonly ignoredReleases: number;
  /** First and last delivery time, s (0 and 0 for an empty trace). */
  readonly firstT: number;
  readonly lastT: number;
}

/**
 * Apply the trace rules and return the active interval of every placement.
 *
 * Events are processed in delivery order (by `t`, ties in input order):
 * 1. a line whose `id` was already seen is a duplicate delivery and changes nothing;
 * 2. a `RoomReleased` records its `time` for the room (the latest one wins); if the room is
 *    active it ends there, otherwise it is ignored for the active set;
 * 3. a `RoomCreated` whose `time` is not later than an already seen `RoomReleased` of the same
 *    room is stale (`isStaleCreate`) and is not placed; one for an already active room changes
 *    nothing; otherwise the room is placed (a later create after a release is a reconnect).
 *
 * `RoomScheduled` lines are announcements: they place nothing and are skipped (after the
 * duplicate check). Rooms still active after the last event end at the last event's `t` (`open: true`).
 *
 * @param events - a trace, any order (sorted stably by `t` here)
 * @example
 * effectiveRooms([
 *   { t: 0, type: 'RoomCreated', roomId: 'a', weight: 2 },
 *   { t: 60, type: 'RoomReleased', roomId: 'a' },
 * ]).intervals; // → [{ roomId: 'a', weight: 2, start: 0, end: 60, open: false }]
 */
export function effectiveRooms(events: readonly TraceEvent[]): EffectiveRooms {
  const ordered = sortByDelivery(events);
  const seenIds = new Set<string>();
  const releasedAt = new Map<string, number>();
  const active = new Map<string, { weight: number; start: number; index: number }>();
  const intervals: (RoomInterval | undefined)[] = [];
  const closed: RoomInterval[] = [];
  let duplicates = 0;
  let staleCreates = 0;
  let repeatedCreates = 0;
  let ignoredReleases = 0;

  for (const event of ordered) {
    if (event.id !== undefined) {
      if (seenIds.has(event.id)) {
        duplicates += 1;
        continue;
      }
      seenIds.add(event.id);
    }
    if (event.type === 'RoomScheduled') continue; // an announcement places nothing
    const time = eventTime(event);
    if (event.type === 'RoomReleased') {
      releasedAt.set(event.roomId, Math.max(time, releasedAt.get(event.roomId) ?? -Infinity));
      const room = active.get(event.roomId);
      if (room === undefined) {
        ignoredReleases += 1;
        continue;
      }
      active.delete(event.roomId);
      const interval: RoomInterval = { roomId: event.roomId, weight: room.weight, start: room.start, end: event.t, open: false };
      intervals[room.index] = interval;
      closed.push(interval);
    } else if (isStaleCreate(time, releasedAt.get(event.roomId))) {
      staleCreates += 1;
    } else if (active.has(event.roomId)) {
      repeatedCreates += 1;
    } else {
      active.set(event.roomId, { weight: eventWeight(event), start: event.t, index: intervals.length });
      intervals.push(undefined);
    }
  }

  const firstT = ordered[0]?.t ?? 0;
  const lastT = ordered[ordered.length - 1]?.t ?? 0;
  for (const [roomId, room] of active) {
    intervals[room.index] = { roomId, weight: room.weight, start: room.start, end: lastT, open: true };
  }
  return {
    intervals: intervals.filter((i): i is RoomInterval => i !== undefined),
    duplicates,
    staleCreates,
    repeatedCreates,
    ignoredReleases,
    firstT,
    lastT,
  };
}

/** The active weight from `t` until the next step's `t`. */
export interface WeightStep {
  /** s. */
  readonly t: number;
  /** Capacity units active from `t` on. */
  readonly weight: number;
}

/**
 * The active weight as a step function: one step per instant where it changes, in time order.
 * Starts and ends at the same instant are netted (a zero-length interval adds nothing); the
 * last step has weight 0 at the latest interval end.
 *
 * @param intervals - e.g. `effectiveRooms(events).intervals`
 * @example
 * activeWeightSteps([{ roomId: 'a', weight: 2, start: 0, end: 60, open: false }]);
 * // → [{ t: 0, weight: 2 }, { t: 60, weight: 0 }]
 */
export function activeWeightSteps(intervals: readonly RoomInterval[]): WeightStep[] {
  const delta = new Map<number, number>();
  for (const i of intervals) {
    delta.set(i.start, (delta.get(i.start) ?? 0) + i.weight);
    delta.set(i.end, (delta.get(i.end) ?? 0) - i.weight);
  }
  const steps: WeightStep[] = [];
  let weight = 0;
  for (const t of [...delta.keys()].sort((a, b) => a - b)) {
    const next = weight + (delta.get(t) ?? 0);
    if (steps.length > 0 && next === weight) continue;
    weight = next;
    steps.push({ t, weight });
  }
  return steps;
}

/**
 * Node-hours no autoscaler can beat on this trace: ∫ ceil(active weight(t) / node capacity) dt,
 * in hours — every instant exactly as many nodes as the active weight needs, no boot time, no
 * headroom, rooms packed perfectly (containers are ignored). Rooms still open at the end count
 * until the trace's last event time.
 *
 * @param events - the trace
 * @param nodeCapacityUnits - capacity of one node, capacity units (> 0), e.g. 2 containers × 10
 * @returns node-hours (h)
 * @throws {RangeError} when `nodeCapacityUnits` is not positive
 * @example
 * lowerBoundNodeHours([
 *   { t: 0, type: 'RoomCreated', roomId: 'a', weight: 25 },
 *   { t: 3600, type: 'RoomReleased', roomId: 'a' },
 * ], 20); // → 2 (two nodes for one hour)
 */
export function lowerBoundNodeHours(events: readonly TraceEvent[], nodeCapacityUnits: number): number {
  assertCapacity(nodeCapacityUnits);
  const steps = activeWeightSteps(effectiveRooms(events).intervals);
  let nodeSeconds = 0;
  for (let i = 0; i + 1 < steps.length; i += 1) {
    const step = steps[i] as WeightStep;
    const next = steps[i + 1] as WeightStep;
    nodeSeconds += Math.ceil(step.weight / nodeCapacityUnits) * (next.t - step.t);
  }
  return nodeSeconds / 3600;
}

/**
 * The highest active weight of the trace, capacity units (0 for an empty trace).
 *
 * @example
 * peakActiveWeight(generateTrace({ seed: 42 })); // weekday peaks of a few hundred units
 */
export function peakActiveWeight(events: readonly TraceEvent[]): number {
  return activeWeightSteps(effectiveRooms(events).intervals).reduce((max, s) => Math.max(max, s.weight), 0);
}

/**
 * What serving the trace from static 72-vCPU servers would cost, USD: the trace's duration
 * (first to last event `t`, h) × price × servers, where servers = ceil(peak active weight /
 * (9 × node capacity)) and at least 1 — one 72-vCPU server holds the capacity of nine 8-vCPU
 * nodes (`STATIC_72_VCPU_NODE_EQUIVALENTS`). The price is the 72-core server of docs/design.md#node-sizing-and-isolation.
 *
 * @param events - the trace
 * @param nodeCapacityUnits - capacity of one 8-vCPU node, capacity units (> 0)
 * @param pricePerHour - USD/h per server; default 3.492 (`STATIC_72_VCPU_PRICE_USD_PER_HOUR`)
 * @returns USD
 * @throws {RangeError} when `nodeCapacityUnits` is not positive
 * @example
 * static72CostUsd(events, 20); // 24 h trace peaking at 300 units → 24 × 3.492 × 2 = 167.616
 */
export function static72CostUsd(
  events: readonly TraceEvent[],
  nodeCapacityUnits: number,
  pricePerHour: number = STATIC_72_VCPU_PRICE_USD_PER_HOUR,
): number {
  assertCapacity(nodeCapacityUnits);
  const { firstT, lastT } = effectiveRooms(events);
  const servers = Math.max(1, Math.ceil(peakActiveWeight(events) / (STATIC_72_VCPU_NODE_EQUIVALENTS * nodeCapacityUnits)));
  return ((lastT - firstT) / 3600) * pricePerHour * servers;
}

/** Figures of one trace day. */
export interface TraceDayStats {
  /** 0-based day (day 0 starts at t = 0, a Monday). */
  readonly day: number;
  /** Lines delivered that day (duplicates included). */
  readonly events: number;
  /** Placements that started that day (reconnects count again). */
  readonly rooms: number;
  /** Highest active weight during that day, capacity units. */
  readonly peakWeight: number;
}

/**
 * Per-day figures of a trace: events delivered, placements started and peak active weight.
 *
 * @param events - the trace
 * @param daySec - length of a day, s (default 86 400)
 * @returns one entry per day from day 0 to the day of the last event
 */
export function dailyStats(events: readonly TraceEvent[], daySec: number = TRACE_DAY_SEC): TraceDayStats[] {
  const { intervals, lastT } = effectiveRooms(events);
  const days = events.length === 0 ? 0 : Math.floor(lastT / daySec) + 1;
  const stats = Array.from({ length: days }, (_, day) => ({ day, events: 0, rooms: 0, peakWeight: 0 }));
  for (const e of events) {
    const entry = stats[Math.floor(e.t / daySec)];
    if (entry) entry.events += 1;
  }
  for (const i of intervals) {
    const entry = stats[Math.floor(i.start / daySec)];
    if (entry) entry.rooms += 1;
  }
  const steps = activeWeightSteps(intervals);
  let weight = 0;
  let s = 0;
  for (const entry of stats) {
    const dayEnd = (entry.day + 1) * daySec;
    let peak = weight; // carried over from the previous day
    while (s < steps.length && (steps[s] as WeightStep).t < dayEnd) {
      weight = (steps[s] as WeightStep).weight;
      peak = Math.max(peak, weight);
      s += 1;
    }
    entry.peakWeight = peak;
  }
  return stats;
}

function assertCapacity(nodeCapacityUnits: number): void {
  if (!(nodeCapacityUnits > 0 && Number.isFinite(nodeCapacityUnits))) {
    throw new RangeError(`nodeCapacityUnits must be a positive number, got ${nodeCapacityUnits}`);
  }
}
