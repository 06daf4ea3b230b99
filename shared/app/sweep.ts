/**
 * The scheduled sweep (every minute): scale-in, giving up on launches that never became ready,
 * exact pool counters, scale-out to the target, and placing queued rooms.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import type { NodeView } from '../domain/model.ts';
import { applyFold, foldArrivals, seasonalForecast } from '../domain/predictor.ts';
import { poolGauges, type PoolGauges } from '../domain/gauges.ts';
import { bucketKey, sumRecent } from '../domain/buckets.ts';
import { headroomTarget, planSweep, poolDemand, summarizePool, type SweepAction, type SweepPlan } from '../domain/scaling.ts';
import type { InstanceDescription } from '../ports/compute-provider.ts';
import type { AppDeps } from './deps.ts';
import { reconcileAddresses } from './addresses.ts';
import { placeQueued } from './rooms.ts';
import { drainNode, executeScaleOut, launchesInFlight, takeOverAbandonedLaunches } from './scaling-executor.ts';
import { terminateNode } from './nodes.ts';
import { executeWarmAction, warmPoolPeak } from './warm-pool.ts';
import { reconcileNodes, type ReconcileResult } from './reconcile.ts';
import { shardOf, type SweepOptions } from './sweep-scope.ts';
import { expireOldRooms } from './room-expiry.ts';
import { recountTenantWeights } from './room-limits.ts';
import { discountAnnouncedArrivals, readScheduledDemand, type PoolScheduledDemand } from './schedule.ts';
import { unannouncedArrivals } from '../domain/schedule.ts';

/** Most queued rooms the sweep reads to measure the queue. */
export const SWEEP_QUEUE_READ_LIMIT = 1000;

/** What one pool's sweep did. */
export interface PoolSweepResult {
  readonly pool: string;
  readonly plan: SweepPlan;
  readonly terminated: readonly string[];
  readonly drained: readonly string[];
  /** Nodes stopped into the warm pool (docs/design.md#scaling-policy, "Warm pool"). */
  readonly stopped?: readonly string[];
  readonly launched: readonly string[];
  readonly placedQueued: number;
  /** Instances of the pool that no node record accounted for, terminated. */
  readonly orphans: readonly string[];
  /** What reconciliation repaired (lost instances, stranded rooms, leaked capacity, …). */
  readonly reconciled: ReconcileResult;
  /** The pool's gauges as the sweep read it, before its own actions (the dashboard's figures). */
  readonly gauges: PoolGauges;
  /** Announced rooms counted as demand (pre-warming, shared/app/schedule.ts). */
  readonly scheduled?: PoolScheduledDemand;
}

/**
 * Sweep one pool: reconcile it over one paged read of its nodes, plan with {@link planSweep} on
 * the nodes as reconciliation left them, then execute node actions, correct the summary counters
 * (additively: placements made meanwhile are kept), scale out and place queued rooms. With
 * `options.shards` > 1 this is shard 0's run: per-node repairs on its own shard's nodes, every
 * pool-wide step (plan, summary, scale-out, queue, orphans) over all of them; the other shards run
 * {@link sweepPoolShard}.
 *
 * @param options - shard (must be 0 here) and leak-check mode (default `spread`)
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the next sweep retries)
 * @throws {RangeError} when `options.shard` is not 0
 */
export async function sweepPool(deps: AppDeps, pool: PoolConfig, options: SweepOptions = {}): Promise<PoolSweepResult> {
  if (shardOf(options).shard !== 0) throw new RangeError(`sweepPool runs shard 0 (got ${options.shard}); use sweepPoolShard`);
  const now = deps.clock.now();
  const instances = await deps.compute.describeFleet(pool.name);
  const { reconciled, nodes } = await reconcileNodes(deps, pool, instances, options);
  const stoppedCount = nodes.filter((n) => n.state === 'stopped').length;
  const [summary, queuedOnly, stranded, storedHistory, scheduled] = await Promise.all([
    deps.store.getSummary(pool.name),
    deps.store.listQueued(pool.name, SWEEP_QUEUE_READ_LIMIT),
    // Claims whose lease ended after the repair above read them: waiting as much as the queue.
    deps.store.listPlacing(pool.name, now, SWEEP_QUEUE_READ_LIMIT),
    deps.store.getArrivalHistory(pool.name),
    // Announced rooms that start within the pool's lead count as demand (pre-warming).
    readScheduledDemand(deps, pool, now, stoppedCount),
  ]);
  const queued = [...queuedOnly, ...stranded];
  const queuedWeight = queued.reduce((s, r) => s + r.weight, 0);
  // Predictor: fold the last whole minutes into the pool's history (one conditional write), then
  // forecast the arrivals of the next boot time from the same time on earlier days.
  // Announced arrivals were provided for by the schedule: the rate and the history leave them out.
  const arrivals = unannouncedArrivals(summary.arrivals, scheduled.arrivedByMinute);
  await discountAnnouncedArrivals(deps, pool.name, scheduled.arrivedByMinute, now, Math.max(pool.arrivalWindowMs, 120_000));
  const fold = foldArrivals(arrivals, storedHistory, now, Math.max(pool.arrivalWindowMs, 120_000));
  const history = fold && (await deps.store.recordArrivalHistory(pool.name, fold)) ? applyFold(storedHistory, fold) : storedHistory;
  const forecastWeight = Math.ceil(seasonalForecast(history, now, pool.bootTimeMs, pool.bootTimeMs + 60_000));
  const demand = { ...poolDemand(arrivals, now, pool.arrivalWindowMs, forecastWeight), scheduledWeight: scheduled.weight };
  const peakNodes = await warmPoolPeak(deps, pool, nodes, now);
  const plan = planSweep(pool, nodes, queuedWeight, demand, sumRecent(summary.launches, now, 60_000), now, peakNodes);
  const gauges = poolGauges(nodes, queued, headroomTarget(pool, demand), now);
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const terminated: string[] = [];
  const drained: string[] = [];
  const stopped: string[] = [];
  for (const action of plan.actions) {
    const node = byId.get(action.nodeId);
    if (!node) continue;
    const warm = await executeWarmAction(deps, pool, action, node);
    if (warm !== undefined) {
      if (warm) (warm === 'stopped' ? stopped : terminated).push(node.nodeId);
      continue;
    }
    if (await execute(deps, action, node)) (action.kind === 'terminate' ? terminated : action.kind === 'drain' ? drained : []).push(node.nodeId);
  }
  // The figures as read, before the actions above (each adjusted the summary by its own delta):
  // the store adds `counted − summary`, so deltas written since the read are kept.
  // Launches counted but not recorded yet (their invocation may still run) stay counted.
  const counted = summarizePool(nodes, queuedWeight, 0);
  const inFlight = launchesInFlight(summary, nodes, now);
  await deps.store.correctSummary(
    pool.name,
    {
      readyFree: counted.readyFree,
      pendingCapacity: counted.pendingCapacity + inFlight.pendingCapacity,
      queuedWeight,
      liveNodes: counted.liveNodes + inFlight.nodes,
      draining: Object.fromEntries(counted.drainingNodes.map((d) => [d.nodeId, d.free])),
      forecastWeight,
      // The hot path leaves announced arrivals out of its rate (0 clears the last sweep's figure).
      announcedWeight: scheduled.arrivingWeight > 0 || (summary.announcedWeight ?? 0) > 0 ? scheduled.arrivingWeight : undefined,
    },
    summary,
    now,
    Math.max(pool.arrivalWindowMs, 120_000),
  );
  const orphans = await terminateOrphans(deps, pool, nodes, now, instances);
  // Launches whose owner died before settling them (lease ended): replayed under their own ids;
  // the plan (from the node records) did not see their nodes, so it launches that many fewer.
  const replayed = (await takeOverAbandonedLaunches(deps, pool, summary, now)).reduce((n, id) => n + (summary.launchReservations?.[id]?.nodes ?? 0), 0);
  const scaleOut = plan.scaleOut.kind === 'scale-out' && replayed > 0 ? { ...plan.scaleOut, launch: Math.max(0, plan.scaleOut.launch - replayed) } : plan.scaleOut;
  const launched = await executeScaleOut(deps, pool, scaleOut, `sweep:${pool.name}:${bucketKey(now)}`);
  const placedQueued = queued.length > 0 ? await placeQueued(deps, await deps.config.getConfig(), pool.name, `sweep:${bucketKey(now)}`) : 0;
  if (terminated.length || drained.length || stopped.length || launched.length || orphans.length) {
    deps.logger.info('sweep', { pool: pool.name, terminated, drained, stopped, launched, placedQueued, orphans });
  }
  return { pool: pool.name, plan, terminated, drained, stopped, launched, placedQueued, orphans, reconciled, gauges, scheduled };
}

/**
 * Terminate instances tagged for the pool that no live node record accounts for (a launch whose
 * record was never written, an instance that outlived its record), once they are older than the
 * pool's ready timeout — younger ones may still be on their way into the store.
 *
 * @returns the instance ids terminated
 */
export async function terminateOrphans(
  deps: AppDeps,
  pool: PoolConfig,
  nodes: readonly NodeView[],
  now: number,
  described?: readonly InstanceDescription[],
): Promise<string[]> {
  const known = new Set(nodes.filter((n) => n.state !== 'terminated').map((n) => n.nodeId));
  const instances = described ?? (await deps.compute.describeFleet(pool.name));
  const orphans = instances
    .filter((i) => !known.has(i.instanceId) && i.state !== 'shutting-down' && i.state !== 'terminated')
    .filter((i) => i.launchTime !== undefined && now - i.launchTime >= pool.readyTimeoutMs)
    .map((i) => i.instanceId);
  if (orphans.length === 0) return [];
  deps.logger.warn('terminating instances no node record accounts for', { pool: pool.name, orphans });
  await deps.compute.terminate(orphans);
  return orphans;
}

async function execute(deps: AppDeps, action: SweepAction, node: Parameters<typeof terminateNode>[1]): Promise<boolean> {
  switch (action.kind) {
    case 'mark-empty':
      await deps.store.setEmptySince(node.nodeId, deps.clock.now());
      return true;
    case 'clear-empty':
      await deps.store.setEmptySince(node.nodeId, undefined);
      return true;
    case 'drain':
      return (await drainNode(deps, node.nodeId, 'surplus')) !== undefined;
    case 'terminate':
      return terminateNode(deps, node, action.reason);
    case 'stop':
      return false; // executeWarmAction's
  }
}

/**
 * The run of a shard other than 0 on one pool: reconciliation's per-node steps (closing nodes
 * whose instance is gone, adopting young unrecorded instances, the leak check, placement flags)
 * on the nodes whose id hashes into `options.shard`; nothing pool-wide.
 *
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the next sweep retries)
 * @throws {RangeError} on a shard out of range
 */
export async function sweepPoolShard(deps: AppDeps, pool: PoolConfig, options: SweepOptions): Promise<ReconcileResult> {
  const instances = await deps.compute.describeFleet(pool.name);
  return (await reconcileNodes(deps, pool, instances, options)).reconciled;
}

/** What {@link sweepAll} did: shard 0's full results, another shard's reconciliations, the failures. */
export interface SweepAllResult {
  readonly results: PoolSweepResult[];
  /** A shard other than 0: each pool's reconciliation of its nodes. */
  readonly shardResults: { pool: string; reconciled: ReconcileResult }[];
  readonly errors: { pool: string; error: Error }[];
}

/**
 * Sweep every configured pool; a failing pool does not stop the others. Shard 0 (the default)
 * also runs the fleet-wide steps (room expiry, tenant recount, Elastic IPs); another shard only
 * its nodes' repairs ({@link sweepPoolShard}).
 *
 * @param options - this invocation's shard of `shards` and the leak-check mode (default `spread`)
 * @returns per-pool results and the errors of pools that failed
 * @throws {RangeError} on a shard out of range
 */
export async function sweepAll(deps: AppDeps, options: SweepOptions = {}): Promise<SweepAllResult> {
  const { shard } = shardOf(options);
  const config = await deps.config.getConfig();
  const results: PoolSweepResult[] = [];
  const shardResults: { pool: string; reconciled: ReconcileResult }[] = [];
  const errors: { pool: string; error: Error }[] = [];
  if (shard === 0) {
    // Before the pools: the capacity of expired rooms is free for this sweep's scale-in.
    await expireOldRooms(deps).catch((e: unknown) => deps.logger.error('room expiry failed', { error: (e as Error).message }));
    await recountTenantWeights(deps).catch((e: unknown) => deps.logger.error('tenant recount failed', { error: (e as Error).message }));
  }
  for (const pool of config.pools) {
    try {
      if (shard === 0) results.push(await sweepPool(deps, pool, options));
      else shardResults.push({ pool: pool.name, reconciled: await sweepPoolShard(deps, pool, options) });
    } catch (e) {
      deps.logger.error('sweep failed', { pool: pool.name, shard, error: (e as Error).message });
      errors.push({ pool: pool.name, error: e as Error });
    }
  }
  if (shard === 0) {
    await reconcileAddresses(deps).catch((e: unknown) => deps.logger.error('elastic IP reconciliation failed', { error: (e as Error).message }));
  }
  return { results, shardResults, errors };
}
