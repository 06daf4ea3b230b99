/**
 * Pre-warming from the schedule: which announced rooms (`RoomScheduled`) count as demand now, so
 * nodes are ready when the rooms start and not much earlier (every early node-minute is paid).
 * Pure: the clock is a parameter.
 *
 * A scheduled room counts from its *count time* until it arrives (its `RoomCreated`), is
 * cancelled (a `RoomReleased` before it started) or its no-show grace ends
 * ({@link NO_SHOW_GRACE_MS} after `startAt`). The count time is the latest minute at which the
 * capacity it needs can still be launched and ready by `startAt`:
 *
 *   lead = start time (cold boot `bootTimeMs`, or a warm start when stopped nodes can serve the
 *          whole schedule) + {@link SWEEP_PERIOD_MS} + {@link EARLY_START_MS}
 *
 * and, when the schedule needs more nodes than the launch-rate limit allows in one minute, the
 * launches are planned as late as possible backwards from the last start (at most
 * `maxLaunchesPerMinute` nodes per minute), so a large webinar's nodes launch over the minutes
 * before it instead of all being late.
 *
 * @module
 */
import { BUCKET_MS, type MinuteBuckets } from './buckets.ts';
import type { PoolConfig } from './config.ts';
import { warmStartTimeMs } from './warm-pool.ts';

/**
 * How long after `startAt` a scheduled room that has not arrived still counts, ms (27 min).
 * The lateness model (sim/trace/demand.ts, after the authorea meeting-lateness study): 26% of
 * meetings start late, the delay exponential with a mean of 9 min (capped at 30 min). Three means
 * cover all but e^−3 ≈ 5% of late starts, i.e. 0.26 × 0.05 ≈ 1.3% of scheduled rooms arrive after
 * the grace (they are then served like unannounced rooms: headroom, queue, a boot). A longer grace
 * would keep a no-show's capacity paid for longer than a late room's boot wait costs.
 */
export const NO_SHOW_GRACE_MS = 27 * 60_000;

/**
 * The sweep's period, ms (the EventBridge schedule of the sweep, every minute): a room's count
 * time is seen up to one period late.
 */
export const SWEEP_PERIOD_MS = 60_000;

/**
 * How early an on-time scheduled room may arrive, ms (2 min): on-time meetings start within
 * [−2, +0.5] min of their slot (sim/trace/demand.ts `scheduledMeeting`). Also covers the boot
 * time's spread around `bootTimeMs` (±15% in the simulated fleet, 13.5 s of a 90 s boot).
 */
export const EARLY_START_MS = 120_000;

/** The launch-rate window, ms (`maxLaunchesPerMinute` is per minute). */
const LAUNCH_RATE_WINDOW_MS = 60_000;

/** A scheduled room as the domain sees it: not arrived, not cancelled. */
export interface ScheduledDemandRoom {
  readonly roomId: string;
  /** Capacity units. */
  readonly weight: number;
  /** Epoch ms. */
  readonly startAt: number;
}

/** What the schedule contributes to a pool's demand now. */
export interface ScheduledDemand {
  /** Weight of the scheduled rooms that count now, capacity units. */
  readonly weight: number;
  /** How many scheduled rooms count now. */
  readonly rooms: number;
  /** Rooms whose no-show grace has ended: to forget. */
  readonly noShows: readonly string[];
  /** The soonest count time of a room that does not count yet, epoch ms (undefined: none). */
  readonly nextCountAt?: number | undefined;
  /**
   * Weight of the rooms that may arrive before the next sweep, capacity units: startAt ≤ now +
   * {@link SWEEP_PERIOD_MS} + {@link EARLY_START_MS}, not past the grace. The hot path leaves that
   * much of its measured arrivals out of the rate (`scaling.ts` `headroomTarget`), and no more, so
   * walk-ins during the lead are still seen.
   */
  readonly arrivingWeight: number;
}

/**
 * The lead before `startAt` at which a scheduled room starts counting when the launch rate is no
 * limit, ms: start time + {@link SWEEP_PERIOD_MS} + {@link EARLY_START_MS}.
 *
 * @param warm - true when stopped warm-pool nodes can serve: the start time is the warm start's
 *   (`warm-pool.ts` `warmStartTimeMs`, never above `bootTimeMs`)
 * @example
 * scheduleLeadMs({ bootTimeMs: 90_000 } as PoolConfig, false); // 270 000 (4.5 min)
 */
export function scheduleLeadMs(pool: Pick<PoolConfig, 'bootTimeMs' | 'warmPool' | 'spot'>, warm: boolean): number {
  const start = warm ? Math.min(warmStartTimeMs(pool), pool.bootTimeMs) : pool.bootTimeMs;
  return start + SWEEP_PERIOD_MS + EARLY_START_MS;
}

/**
 * How far ahead the sweep reads the schedule, ms: the cold lead plus the minutes the launch-rate
 * limit needs to launch `maxNodes` nodes (no more can run, so no earlier launch can be needed).
 */
export function scheduleHorizonMs(pool: Pick<PoolConfig, 'bootTimeMs' | 'warmPool' | 'spot' | 'maxNodes' | 'maxLaunchesPerMinute'>): number {
  return scheduleLeadMs(pool, false) + Math.ceil(pool.maxNodes / pool.maxLaunchesPerMinute) * LAUNCH_RATE_WINDOW_MS;
}

/**
 * The scheduled weight that counts as demand now.
 *
 * Rooms are packed into nodes backwards from the last start (`containersPerNode ×
 * capacityPerContainer` units each); node k's launch time is the earliest count time
 * (`startAt − lead`) of the rooms it holds, and no later than one minute before node
 * k + `maxLaunchesPerMinute`'s (the launch-rate limit, planned as late as possible). A room counts
 * when `now` has reached the launch time of the earliest node it touches, and always within
 * [startAt − lead, startAt + {@link NO_SHOW_GRACE_MS}]. The plan ignores capacity the pool already
 * has, so with a large schedule it counts rooms early rather than late; counting never launches
 * more than the counted weight minus what is free and pending (`scaling.ts` `decideScaleOut`).
 *
 * @param rooms - the pool's scheduled rooms that have not arrived nor been cancelled, any order
 * @param pool - the pool's configuration
 * @param now - epoch ms
 * @param stoppedNodes - stopped warm-pool nodes the pool has (0 when unknown)
 * @returns the counted weight and rooms, the no-shows to forget, the next count time
 * @example
 * // Boot 90 s: a room starting in 4 min counts (lead 4.5 min), one in 10 min does not yet.
 * scheduledDemand([{ roomId: 'a', weight: 1, startAt: now + 240_000 }, { roomId: 'b', weight: 1, startAt: now + 600_000 }], pool, now);
 * // → { weight: 1, rooms: 1, noShows: [], arrivingWeight: 0, nextCountAt: now + 330_000 }
 */
export function scheduledDemand(
  rooms: readonly ScheduledDemandRoom[],
  pool: Pick<PoolConfig, 'bootTimeMs' | 'warmPool' | 'spot' | 'maxLaunchesPerMinute' | 'containersPerNode' | 'capacityPerContainer'>,
  now: number,
  stoppedNodes = 0,
): ScheduledDemand {
  const noShows: string[] = [];
  const active: ScheduledDemandRoom[] = [];
  for (const r of rooms) {
    if (r.startAt < now - NO_SHOW_GRACE_MS) noShows.push(r.roomId);
    else active.push(r);
  }
  // Latest start first: nodes are numbered 1, 2, … from the last start backwards.
  active.sort((a, b) => b.startAt - a.startAt || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
  const perNode = Math.max(1, pool.containersPerNode * pool.capacityPerContainer);
  const totalNodes = Math.ceil(active.reduce((s, r) => s + r.weight, 0) / perNode);
  const lead = scheduleLeadMs(pool, stoppedNodes > 0 && stoppedNodes >= totalNodes);
  // deadline[k]: the earliest count time of node k's rooms; each room's last (earliest) node.
  const deadline: number[] = [];
  const lastNode: number[] = [];
  let cumulative = 0;
  for (const r of active) {
    const first = Math.floor(cumulative / perNode) + 1;
    cumulative += r.weight;
    const last = Math.max(first, Math.ceil(cumulative / perNode));
    for (let k = first; k <= last; k++) deadline[k] = Math.min(deadline[k] ?? Infinity, r.startAt - lead);
    lastNode.push(last);
  }
  // Launch times, as late as possible under the rate limit: node k no later than its deadline
  // and one minute before node k + rate (at most `rate` launches in any minute).
  const rate = Math.max(1, pool.maxLaunchesPerMinute);
  const launchAt: number[] = [];
  for (let k = 1; k < deadline.length; k++) {
    const own = deadline[k] ?? Infinity;
    const limited = k > rate ? (launchAt[k - rate] ?? Infinity) - LAUNCH_RATE_WINDOW_MS : Infinity;
    launchAt[k] = Math.min(own, limited);
  }
  let weight = 0;
  let counted = 0;
  let arrivingWeight = 0;
  let nextCountAt: number | undefined;
  active.forEach((r, i) => {
    if (r.startAt <= now + SWEEP_PERIOD_MS + EARLY_START_MS) arrivingWeight += r.weight;
    const countAt = launchAt[lastNode[i] ?? 1] ?? r.startAt - lead;
    if (now >= countAt) {
      weight += r.weight;
      counted += 1;
    } else {
      nextCountAt = Math.min(nextCountAt ?? Infinity, countAt);
    }
  });
  return { weight, rooms: counted, noShows, arrivingWeight, ...(nextCountAt !== undefined ? { nextCountAt } : {}) };
}

/**
 * Announced arrivals by minute bucket, capacity units: the weight of announced rooms that arrived,
 * keyed like the pool's arrival buckets (`buckets.ts`) by the minute of their first delivery.
 *
 * @param arrived - announced rooms that arrived, with their first delivery (epoch ms)
 */
export function arrivalsByMinute(arrived: readonly { readonly weight: number; readonly requestedAt: number }[]): Record<string, number> {
  const byMinute: Record<string, number> = {};
  for (const r of arrived) {
    const key = String(Math.floor(r.requestedAt / BUCKET_MS));
    byMinute[key] = (byMinute[key] ?? 0) + r.weight;
  }
  return byMinute;
}

/**
 * The pool's arrival buckets without the announced arrivals: announced rooms were provided for by
 * the schedule, so they are no sign of unannounced arrivals to come (the headroom target's arrival
 * rate, the predictor's history). Each bucket is lowered by the announced weight of its minute, never
 * below 0.
 *
 * @param buckets - arrived weight per minute (all arrivals)
 * @param announced - announced arrivals per minute ({@link arrivalsByMinute})
 * @example
 * unannouncedArrivals({ '100': 405 }, { '100': 400 }); // → { '100': 5 }
 */
export function unannouncedArrivals(buckets: MinuteBuckets, announced: Readonly<Record<string, number>>): MinuteBuckets {
  if (Object.keys(announced).length === 0) return buckets;
  const out: Record<string, number> = { ...buckets };
  for (const [minute, weight] of Object.entries(announced)) if (minute in out) out[minute] = Math.max(0, (out[minute] ?? 0) - weight);
  return out;
}
