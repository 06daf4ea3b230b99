/**
 * Scaling policy: how many nodes to launch (scale-out) and which to drain or terminate
 * (scale-in). Pure functions of `(state, config, now)`; handlers execute what they return.
 *
 * Headroom target (docs/design.md#scaling-policy): max(configured minimum, expected arrivals during one node
 * boot time), where expected arrivals = arrival rate (capacity units per ms, measured over the
 * pool's arrival window) × boot time (ms). Queued weight counts as deficit; launches are bounded
 * by `maxNodes` and the per-minute launch-rate limit.
 *
 * Where this departs from docs/design.md#scaling-policy ("queued rooms count as deficit" against all free
 * capacity): a room is queued only because no single container fits it, so free units spread
 * over containers (fragmentation) must not be counted as covering it. Queued weight is covered
 * only by pending nodes; ready free capacity covers the headroom target.
 *
 * @module
 */
import { BUCKET_MS, sumRecent, type MinuteBuckets } from './buckets.ts';
import { drainOrder, nodeExpectedEmptyAt, undrainOrder, type RepredictEnd } from './drain-order.ts';
import type { PoolConfig } from './config.ts';
import { ewmaRatePerMs } from './predictor.ts';
import { runningHeadroom, scaleInChoice, scaleInGraceMs, stoppedNodesToStart, warmHeadroomMin, warmNodesToTerminate, warmPoolTargetSize, warmStartTimeMs, type StoppedNode } from './warm-pool.ts';
import { warmPoolStateOf } from './config.ts';
import {
  containerFree,
  isLive,
  isUndrainable,
  nodeAccepts,
  nodeCapacityOf,
  nodeUsed,
  PENDING_NODE_STATES,
  WARM_NODE_STATES,
  type NodeView,
} from './model.ts';

/** Recent demand of a pool. */
export interface PoolDemand {
  /** Weight of rooms that arrived within the window, capacity units. */
  readonly arrivedWeight: number;
  /** Length of that window, ms. */
  readonly windowMs: number;
  /** Weight that arrived in the short trailing burst window, capacity units. */
  readonly burstWeight?: number | undefined;
  /** Length of the burst window, ms (the previous minute plus the current one so far). */
  readonly burstWindowMs?: number | undefined;
  /** EWMA of per-minute arrivals, capacity units per ms (predictor.ts `ewmaRatePerMs`). */
  readonly ewmaRatePerMs?: number | undefined;
  /** Arrivals the predictor expects during one boot time from the pool's history, capacity units (predictor.ts). */
  readonly forecastWeight?: number | undefined;
  /**
   * Weight of announced rooms that count now (`schedule.ts` `scheduledDemand`: they start within
   * the pool's lead and have not arrived), capacity units; covered by ready free and pending capacity.
   */
  readonly scheduledWeight?: number | undefined;
  /**
   * Weight of announced rooms expected to arrive now (the last sweep's `arrivingWeight`, read from
   * the pool summary by the hot path), capacity units: that much of the window's and the burst's
   * arrivals is taken as announced and left out of the arrival rate ({@link headroomTarget}). The
   * sweep itself takes the announced rooms that arrived out of the buckets instead (shared/app/schedule.ts).
   */
  readonly announcedWeight?: number | undefined;
}

/** What a pool has right now, as far as scaling is concerned. */
export interface PoolCapacity {
  /** Free capacity on accepting containers, capacity units. */
  readonly readyFree: number;
  /** Capacity of nodes launching or booting, capacity units. */
  readonly pendingCapacity: number;
  /** Weight of queued rooms, capacity units. */
  readonly queuedWeight: number;
  /** Nodes launching, booting, ready or draining. */
  readonly liveNodes: number;
  /** Nodes launched within the last minute. */
  readonly launchesLastMinute: number;
  /**
   * Draining (not hot) nodes that could take rooms again at once, with their free capacity and,
   * under `lifetimeDrain`, when they are expected to be empty (epoch ms; drain-order.ts).
   */
  readonly drainingNodes: readonly { readonly nodeId: string; readonly free: number; readonly expectedEmptyAt?: number | undefined }[];
  /**
   * Stopped warm-pool nodes that can be started (docs/design.md#scaling-policy, "Warm pool").
   * Undefined when the caller does not know them (the hot path's summary): the headroom target is
   * then the cold-boot one and the decision names no nodes to start.
   */
  readonly stoppedNodes?: readonly StoppedNode[] | undefined;
}

/** A scale-out decision; `launch` and `undrain` are what to do, the rest explains why. */
export type ScaleOutDecision =
  | {
      readonly kind: 'scale-out';
      /** Nodes to launch now. */
      readonly launch: number;
      /** Draining nodes to return to service (instant capacity, no boot). */
      readonly undrain: readonly string[];
      /**
       * Stopped warm-pool nodes to start before launching (a warm start instead of a cold boot);
       * set when the capacity listed the stopped nodes, else the executor looks them up.
       */
      readonly start?: readonly string[];
      readonly targetHeadroom: number;
      /** Capacity units short before this decision. */
      readonly deficit: number;
      /** Set when limits cut the launch count: what was wanted and which limit applied. */
      readonly limitedBy?: { readonly limit: 'max-nodes' | 'launch-rate'; readonly wanted: number };
      /** Scheduled weight counted in the deficit, capacity units (set when > 0). */
      readonly scheduledWeight?: number;
      /** True when the schedule caused this scale-out: without it the deficit would be ≤ 0. */
      readonly scheduleCaused?: boolean;
    }
  | {
      readonly kind: 'noop';
      readonly reason: 'enough-headroom';
      readonly targetHeadroom: number;
      readonly deficit: number;
    }
  | {
      readonly kind: 'blocked';
      readonly limit: 'max-nodes' | 'launch-rate';
      /** Nodes wanted but not launched. */
      readonly wanted: number;
      readonly targetHeadroom: number;
      readonly deficit: number;
    };

/**
 * A pool's recent demand from its per-minute arrival buckets: the arrival window, and a burst
 * window of the previous whole minute plus the current minute so far (so a flash crowd raises
 * the rate within seconds instead of being averaged over the whole window).
 *
 * @param buckets - arrived weight per minute bucket
 * @param now - epoch ms
 * @param windowMs - the pool's arrival window, ms
 */
export function poolDemand(buckets: MinuteBuckets | undefined, now: number, windowMs: number, forecastWeight?: number): PoolDemand {
  const burstWindowMs = BUCKET_MS + (now % BUCKET_MS);
  return {
    arrivedWeight: sumRecent(buckets, now, windowMs),
    windowMs,
    burstWeight: sumRecent(buckets, now, 2 * BUCKET_MS),
    burstWindowMs,
    ewmaRatePerMs: ewmaRatePerMs(buckets, now, windowMs),
    ...(forecastWeight !== undefined ? { forecastWeight } : {}),
  };
}

/**
 * Headroom target, capacity units: max(pool.headroomMin, ⌈arrival rate × boot time⌉), where the
 * arrival rate is the higher of the window's and the burst window's, each without
 * `demand.announcedWeight` (announced arrivals, provided for by the schedule).
 *
 * @example
 * // 30 units arrived in the last 10 min, boot time 90 s → 30/600 000 × 90 000 = 4.5 → 5
 * headroomTarget({ headroomMin: 2, bootTimeMs: 90_000 } as PoolConfig, { arrivedWeight: 30, windowMs: 600_000 }); // 5
 */
export function headroomTarget(pool: Pick<PoolConfig, 'headroomMin' | 'bootTimeMs'>, demand: PoolDemand): number {
  // Announced arrivals were provided for by the schedule: no sign of more to come.
  const announced = demand.announcedWeight ?? 0;
  const windowRate = demand.windowMs > 0 ? Math.max(0, demand.arrivedWeight - announced) / demand.windowMs : 0;
  const burstRate = demand.burstWindowMs ? Math.max(0, (demand.burstWeight ?? 0) - announced) / demand.burstWindowMs : 0;
  const measured = Math.max(windowRate, burstRate, demand.ewmaRatePerMs ?? 0) * pool.bootTimeMs;
  return Math.max(pool.headroomMin, Math.ceil(Math.max(measured, demand.forecastWeight ?? 0) - 1e-9));
}

/**
 * Headroom target over one warm start, capacity units: {@link headroomTarget} with the boot time
 * replaced by {@link warmStartTimeMs}, the predictor's forecast (made over one boot time) scaled
 * by warm start / boot time, and the floor `headroomMin` scaled the same way
 * (`warm-pool.ts` {@link warmHeadroomMin}: the floor stands for arrivals over one boot that the
 * measured rate misses, and a warm start lasts a fraction of one).
 */
export function warmHeadroomTarget(pool: PoolConfig, demand: PoolDemand): number {
  const startMs = Math.min(warmStartTimeMs(pool), pool.bootTimeMs);
  const forecast = demand.forecastWeight === undefined ? undefined : (demand.forecastWeight * startMs) / pool.bootTimeMs;
  return headroomTarget({ headroomMin: warmHeadroomMin(pool), bootTimeMs: startMs }, { ...demand, forecastWeight: forecast });
}

/**
 * The headroom target scale-out and scale-in work to, capacity units: the cold-boot
 * {@link headroomTarget}, lowered by what the stopped nodes can add within a warm start
 * (`warm-pool.ts` {@link runningHeadroom}: min(cold, max(warm, cold − stopped capacity))). With no
 * stopped nodes, or none known, it is the cold-boot target.
 */
export function runningHeadroomTarget(pool: PoolConfig, demand: PoolDemand, stoppedNodes?: readonly StoppedNode[]): number {
  const cold = headroomTarget(pool, demand);
  if (!stoppedNodes || stoppedNodes.length === 0) return cold;
  const perNode = pool.containersPerNode * pool.capacityPerContainer;
  return runningHeadroom(cold, warmHeadroomTarget(pool, demand), stoppedNodes.length * perNode);
}

/**
 * Decide whether to scale out: undrain draining nodes first (free, instant), then start stopped
 * warm-pool nodes (youngest first), then launch; ⌈remaining deficit / node capacity⌉ nodes in
 * all, at least enough to reach `minNodes`, bounded by `maxNodes` (started and launched nodes
 * both become live) and `maxLaunchesPerMinute` (launches only: a start is not a RunInstances).
 *
 * deficit = max(0, target headroom + scheduled weight − ready free capacity) + queued weight −
 * pending capacity, the target being {@link runningHeadroomTarget} (the cold-boot target when no
 * stopped node is known) and the scheduled weight `demand.scheduledWeight` (announced rooms that
 * start within the pool's lead, `schedule.ts`): like headroom, it is covered by ready free and
 * pending capacity.
 *
 * @param pool - the pool's configuration
 * @param capacity - the pool's capacity now
 * @param demand - recent arrivals
 * @returns the decision (never throws)
 */
export function decideScaleOut(pool: PoolConfig, capacity: PoolCapacity, demand: PoolDemand): ScaleOutDecision {
  const targetHeadroom = runningHeadroomTarget(pool, demand, capacity.stoppedNodes);
  const scheduledWeight = demand.scheduledWeight ?? 0;
  const deficitOf = (scheduled: number) => Math.max(0, targetHeadroom + scheduled - capacity.readyFree) + capacity.queuedWeight - capacity.pendingCapacity;
  const deficit = deficitOf(scheduledWeight);
  const belowMin = Math.max(0, pool.minNodes - capacity.liveNodes);
  if (deficit <= 0 && belowMin === 0) return { kind: 'noop', reason: 'enough-headroom', targetHeadroom, deficit };
  const schedule = scheduledWeight > 0 ? { scheduledWeight, scheduleCaused: deficitOf(0) <= 0 && belowMin === 0 } : {};

  const undrain: string[] = [];
  let remaining = deficit;
  // Most free first; with expected empty times, the one expected to last longest first (drain-order.ts).
  for (const n of undrainOrder(capacity.drainingNodes)) {
    if (remaining <= 0) break;
    undrain.push(n.nodeId);
    remaining -= n.free;
  }
  const perNode = pool.containersPerNode * pool.capacityPerContainer;
  const wanted = Math.max(remaining > 0 ? Math.ceil(remaining / perNode) : 0, belowMin);
  const byMax = Math.max(0, pool.maxNodes - capacity.liveNodes);
  const start = capacity.stoppedNodes ? stoppedNodesToStart(capacity.stoppedNodes, Math.min(wanted, byMax)) : undefined;
  const started = start?.length ?? 0;
  const byRate = Math.max(0, pool.maxLaunchesPerMinute - capacity.launchesLastMinute);
  const launch = Math.min(wanted - started, byMax - started, byRate);
  const limit = byMax - started <= byRate ? 'max-nodes' : 'launch-rate';
  if (launch === 0 && undrain.length === 0 && started === 0) {
    return wanted > 0
      ? { kind: 'blocked', limit, wanted, targetHeadroom, deficit }
      : { kind: 'noop', reason: 'enough-headroom', targetHeadroom, deficit };
  }
  return {
    kind: 'scale-out',
    launch,
    undrain,
    ...(start !== undefined ? { start } : {}),
    targetHeadroom,
    deficit,
    ...(launch + started < wanted ? { limitedBy: { limit, wanted } } : {}),
    ...schedule,
  };
}

/**
 * Summarize a pool's nodes into the capacity figures scaling needs.
 *
 * @param nodes - the pool's nodes (any state)
 * @param queuedWeight - weight of queued rooms, capacity units
 * @param launchesLastMinute - nodes launched in the last minute
 * @param lifetime - with it, each draining node's expected empty time (drain-order.ts `nodeExpectedEmptyAt`)
 */
export function summarizePool(
  nodes: readonly NodeView[],
  queuedWeight: number,
  launchesLastMinute: number,
  lifetime?: { readonly now: number; readonly repredict?: RepredictEnd | undefined },
): PoolCapacity {
  let readyFree = 0;
  let pendingCapacity = 0;
  let liveNodes = 0;
  const drainingNodes: { nodeId: string; free: number; expectedEmptyAt?: number }[] = [];
  for (const n of nodes) {
    if (!isLive(n.state)) continue;
    liveNodes += 1;
    if (PENDING_NODE_STATES.includes(n.state)) pendingCapacity += nodeCapacityOf(n);
    else if (nodeAccepts(n)) readyFree += n.containers.reduce((s, c) => s + containerFree(c), 0);
    else if (isUndrainable(n)) {
      const expectedEmptyAt = lifetime ? nodeExpectedEmptyAt(n, lifetime.now, lifetime.repredict) : undefined;
      drainingNodes.push({ nodeId: n.nodeId, free: nodeCapacityOf(n) - nodeUsed(n), ...(expectedEmptyAt !== undefined ? { expectedEmptyAt } : {}) });
    }
  }
  return { readyFree, pendingCapacity, queuedWeight, liveNodes, launchesLastMinute, drainingNodes };
}

/** One thing the sweep does to one node. */
export type SweepAction =
  | { readonly kind: 'terminate'; readonly nodeId: string; readonly reason: 'idle' | 'ready-timeout' | 'max-age' | 'warm-surplus' }
  /** Stop an empty drained node into the warm pool (`hibernate` when the pool hibernates). */
  | { readonly kind: 'stop'; readonly nodeId: string; readonly hibernate: boolean }
  | { readonly kind: 'drain'; readonly nodeId: string; readonly reason: 'surplus' }
  | { readonly kind: 'mark-empty'; readonly nodeId: string }
  | { readonly kind: 'clear-empty'; readonly nodeId: string };

/** What the sweep decided for a pool: node actions first, then the scale-out decision. */
export interface SweepPlan {
  readonly actions: readonly SweepAction[];
  readonly scaleOut: ScaleOutDecision;
  /** Capacity the plan assumed after its own actions. */
  readonly capacity: PoolCapacity;
  /** The warm pool's target size the plan worked to, nodes ({@link warmPoolTargetSize}). */
  readonly warmPoolTarget?: number | undefined;
}

/**
 * Plan the scheduled sweep of one pool (scale-in and repair):
 * 1. give up on nodes not ready `readyTimeoutMs` after launch (terminate; scale-out replaces);
 *    a `starting` node's start timeout is reconciliation's (`timeOutStarts`, shared/app/reconcile.ts);
 * 2. warm pool (`warm-pool.ts`): terminate stopped nodes past `maxAgeHours` or above the warm
 *    pool's target size ({@link warmPoolTargetSize}, from the cold- and warm-start headroom
 *    targets, `peakNodes` and the live nodes left after step 3);
 * 3. track `emptySince`; stop (into the warm pool, {@link scaleInChoice}) draining nodes empty
 *    for `warmPool.stopGraceMs`, terminate those the warm pool does not keep once empty for
 *    `idleGraceMs` (`warm-pool.ts` `scaleInGraceMs`), never dropping live nodes below `minNodes`;
 * 4. drain the least loaded ready nodes while the rest still cover the running headroom target
 *    ({@link runningHeadroomTarget}) + queue + scheduled weight (`demand.scheduledWeight`: capacity
 *    the schedule needs soon is not drained, and ready free capacity alone must still cover it) +
 *    `scaleInMargin` (hysteresis), keeping at least `minNodes` accepting nodes; under
 *    `lifetimeDrain`, the nodes expected to empty soonest first (drain-order.ts `drainOrder`);
 * 5. decide scale-out on what remains, starting stopped nodes before launching (under
 *    `lifetimeDrain`, undraining the node expected to last longest first).
 * Never terminates a node that hosts rooms.
 *
 * @param pool - the pool's configuration
 * @param nodes - all of the pool's nodes
 * @param queuedWeight - capacity units waiting
 * @param demand - recent arrivals
 * @param launchesLastMinute - nodes launched in the last minute
 * @param now - epoch ms
 * @param peakNodes - most live nodes of the pool on any of the last `warmPool.historyDays` days
 *   (0 without history)
 * @param repredict - under `lifetimeDrain`, re-prediction of rooms past their predicted end
 *   (default drain-order.ts `repredictOverrun`)
 */
export function planSweep(
  pool: PoolConfig,
  nodes: readonly NodeView[],
  queuedWeight: number,
  demand: PoolDemand,
  launchesLastMinute: number,
  now: number,
  peakNodes = 0,
  repredict?: RepredictEnd,
): SweepPlan {
  const actions: SweepAction[] = [];
  const gone = new Set<string>();
  const drained = new Set<string>();
  let live = nodes.filter((n) => isLive(n.state)).length;
  const coldTarget = headroomTarget(pool, demand);
  const warmTarget = warmPoolStateOf(pool) === 'none' ? coldTarget : warmHeadroomTarget(pool, demand);

  for (const n of nodes) {
    if (!isLive(n.state)) continue;
    const used = nodeUsed(n);
    // A starting node was launched long ago: its own start timeout is reconciliation's (reconcile.ts).
    if (PENDING_NODE_STATES.includes(n.state) && n.state !== 'starting' && now - n.launchedAt >= pool.readyTimeoutMs) {
      actions.push({ kind: 'terminate', nodeId: n.nodeId, reason: 'ready-timeout' });
      gone.add(n.nodeId);
      live -= 1;
      continue;
    }
    if (PENDING_NODE_STATES.includes(n.state)) continue;
    if (used === 0 && n.emptySince === undefined) actions.push({ kind: 'mark-empty', nodeId: n.nodeId });
    if (used > 0 && n.emptySince !== undefined) actions.push({ kind: 'clear-empty', nodeId: n.nodeId });
  }

  // Empty drained nodes past the grace of a stop (warm pool) or of a terminate; the loop below
  // keeps those the warm pool does not take until the terminate's grace (warm-pool.ts scaleInGraceMs).
  const grace = scaleInGraceMs(pool);
  const draining = nodes
    .filter((n) => n.state === 'draining' && !gone.has(n.nodeId) && nodeUsed(n) === 0)
    .filter((n) => n.emptySince !== undefined && now - n.emptySince >= grace)
    .sort((a, b) => (a.emptySince ?? 0) - (b.emptySince ?? 0));
  // Sized on the live nodes that stay after this scale-in: an idle node leaving is what the
  // warm pool may keep.
  const leaving = Math.min(draining.length, Math.max(0, live - pool.minNodes));
  const warmSize = warmPoolTargetSize(pool, { coldTarget, warmTarget, liveNodes: live - leaving, peakNodes });
  for (const w of warmNodesToTerminate(pool, nodes, warmSize, now)) {
    actions.push({ kind: 'terminate', nodeId: w.nodeId, reason: w.reason });
    gone.add(w.nodeId);
  }
  let warmCount = nodes.filter((n) => WARM_NODE_STATES.includes(n.state) && !gone.has(n.nodeId)).length;
  for (const n of draining) {
    if (live - 1 < pool.minNodes) break;
    if (scaleInChoice(pool, n, warmCount, warmSize, now) === 'stop') {
      actions.push({ kind: 'stop', nodeId: n.nodeId, hibernate: warmPoolStateOf(pool) === 'hibernated' });
      warmCount += 1;
    } else if (now - (n.emptySince ?? now) >= pool.idleGraceMs) {
      actions.push({ kind: 'terminate', nodeId: n.nodeId, reason: 'idle' });
    } else {
      continue; // not kept warm and within the terminate's grace: it stays, undrainable
    }
    gone.add(n.nodeId);
    live -= 1;
  }

  const remaining = nodes.filter((n) => !gone.has(n.nodeId));
  const stoppedNodes = remaining.filter((n) => n.state === 'stopped').map((n) => ({ nodeId: n.nodeId, launchedAt: n.launchedAt }));
  const before = summarizePool(remaining, queuedWeight, launchesLastMinute);
  const target = runningHeadroomTarget(pool, demand, stoppedNodes);
  const scheduled = demand.scheduledWeight ?? 0;
  // Scheduled rooms start within the lead, before capacity booting now may be ready: ready free
  // capacity they need is not drained on the strength of pending capacity.
  const readyCover = scheduled > 0 ? before.readyFree - scheduled - pool.scaleInMargin : Infinity;
  let surplus = Math.min(before.readyFree + before.pendingCapacity - target - queuedWeight - scheduled - pool.scaleInMargin, readyCover);
  const lifetime = pool.lifetimeDrain ? { now, repredict } : undefined;
  const ready = remaining.filter((n) => nodeAccepts(n));
  const accepting = lifetime ? drainOrder(ready, now, repredict) : ready.sort((a, b) => nodeUsed(a) - nodeUsed(b) || (a.nodeId < b.nodeId ? -1 : 1));
  let acceptingCount = accepting.length;
  for (const n of accepting) {
    const free = nodeCapacityOf(n) - nodeUsed(n);
    // Stops at the first node the surplus cannot spare, in either order: skipping it to drain
    // fuller nodes after it cost 80 node-hours on day 1 of the sample week (lt-policy report).
    if (acceptingCount - 1 < pool.minNodes || surplus - free < 0) break;
    actions.push({ kind: 'drain', nodeId: n.nodeId, reason: 'surplus' });
    drained.add(n.nodeId);
    surplus -= free;
    acceptingCount -= 1;
  }

  const after = remaining.map((n) =>
    drained.has(n.nodeId) ? { ...n, state: 'draining' as const, drainingSince: now } : n,
  );
  const capacity = summarizePool(after, queuedWeight, launchesLastMinute, lifetime);
  return { actions, scaleOut: decideScaleOut(pool, { ...capacity, stoppedNodes }, demand), capacity, warmPoolTarget: warmSize };
}
