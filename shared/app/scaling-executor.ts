/**
 * Executing scaling decisions: undrain, launch (with idempotent client tokens), terminate.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import { isUndrainable, nodeCapacityOf, nodeUsed, SURPLUS_DRAIN, type NodeState, type NodeView } from '../domain/model.ts';
import { sumRecent } from '../domain/buckets.ts';
import { decideScaleOut, poolDemand, type PoolCapacity, type ScaleOutDecision } from '../domain/scaling.ts';
import { AutoscalerError, LaunchQuotaError, NoCapacityAvailableError } from '../errors.ts';
import { DEFAULT_PLACING_LEASE_MS, LAUNCH_RESERVATION_FOLD_MS, launchLeaseEnd, reservedCounts, type PoolSummary } from '../ports/fleet-store.ts';
import { launchableWithinAddressQuota, publicAddressingOf } from './addresses.ts';
import type { AppDeps } from './deps.ts';
import { startStoppedNodes, stoppedNodesFor, withStoppedNodes, type WarmStartOutcome } from './warm-start.ts';

/** Pool capacity as the hot path sees it: from the summary counters (exact after each sweep). */
export function capacityFromSummary(summary: PoolSummary, now: number): PoolCapacity {
  return {
    readyFree: summary.readyFree,
    pendingCapacity: summary.pendingCapacity,
    queuedWeight: Math.max(0, summary.queuedWeight),
    liveNodes: summary.liveNodes,
    launchesLastMinute: sumRecent(summary.launches, now, 60_000),
    drainingNodes: Object.entries(summary.draining).map(([nodeId, free]) => ({ nodeId, free })),
  };
}

/**
 * Nodes of the pool summary's young launch reservations (younger than
 * {@link LAUNCH_RESERVATION_FOLD_MS}: their launch may still be running) that no node record of
 * `nodes` accounts for yet — what the sweep adds to the pending capacity and live nodes it counts
 * from the records, so that its correction does not take back a launch about to be recorded.
 *
 * @param nodes - the pool's node records as the sweep read them (their `decisionId`)
 * @returns nodes and their pending capacity, capacity units
 */
export function launchesInFlight(summary: PoolSummary, nodes: readonly Pick<NodeView, 'decisionId'>[], now: number): { nodes: number; pendingCapacity: number } {
  const recorded = new Map<string, number>();
  for (const n of nodes) if (n.decisionId !== undefined) recorded.set(n.decisionId, (recorded.get(n.decisionId) ?? 0) + 1);
  let count = 0;
  let pendingCapacity = 0;
  for (const [decisionId, r] of Object.entries(summary.launchReservations ?? {})) {
    if (now - r.at >= LAUNCH_RESERVATION_FOLD_MS) continue;
    const unrecorded = Math.max(0, reservedCounts(r).nodes - (recorded.get(decisionId) ?? 0));
    count += unrecorded;
    pendingCapacity += unrecorded * r.capacityPerNode;
  }
  return { nodes: count, pendingCapacity };
}

/**
 * Decide scale-out from a pool summary and carry it out.
 *
 * @param decisionId - stable id of this decision (EC2 ClientToken source): a redelivered event
 *   yields the same id and so never launches twice
 * @param leaseUntil - the invocation's deadline, epoch ms: the lease on the launch it counts
 *   (default: now + {@link DEFAULT_PLACING_LEASE_MS}, the longest function timeout). Abandoned
 *   launches of other decisions in `summary` are taken over first ({@link takeOverAbandonedLaunches}).
 */
export async function maybeScaleOut(deps: AppDeps, pool: PoolConfig, summary: PoolSummary, decisionId: string, leaseUntil?: number): Promise<ScaleOutDecision> {
  const now = deps.clock.now();
  await takeOverAbandonedLaunches(deps, pool, summary, now, leaseUntil, decisionId);
  const demand = { ...poolDemand(summary.arrivals, now, pool.arrivalWindowMs, summary.forecastWeight), announcedWeight: summary.announcedWeight };
  const capacity = capacityFromSummary(summary, now);
  const decided = await withStoppedNodes(deps, pool, capacity, demand, decideScaleOut(pool, capacity, demand));
  const unsettled = summary.launchReservations?.[decisionId];
  // A retry of this decision whose launch was counted but never settled (the invocation failed
  // between counting it and recording its nodes): the same launch again, under the same
  // ClientToken, so the instances it may have started are recorded; deciding anew would count
  // them as the pending capacity they are and launch nothing.
  const decision: ScaleOutDecision =
    unsettled && unsettled.launched === undefined
      ? { ...replayOf(unsettled.nodes), targetHeadroom: decided.targetHeadroom, deficit: decided.deficit }
      : decided;
  await executeScaleOut(deps, pool, decision, decisionId, { leaseUntil });
  return decision;
}

/** The decision that replays a counted launch of `nodes` nodes: launch them again, nothing else. */
const replayOf = (nodes: number): ScaleOutDecision => ({ kind: 'scale-out', launch: nodes, undrain: [], start: [], targetHeadroom: 0, deficit: 0 });

/**
 * Take over and replay the launches of `summary` that an invocation counted and then died
 * before settling: unsettled, lease ended ({@link launchLeaseEnd} ≤ `now`), younger than
 * {@link LAUNCH_RESERVATION_FOLD_MS} (older ones the sweep folds). Each is taken with one
 * conditional write (`takeOverLaunch`: of concurrent takers one wins, the others leave it counted
 * as pending) and its launch replayed under its ORIGINAL decision id, so the same ClientToken
 * returns the instances the dead owner may have started instead of launching them twice; then
 * it is settled. Without such a reservation in `summary` it costs no DynamoDB call.
 *
 * @param now - epoch ms
 * @param leaseUntil - the taker's deadline, epoch ms (default as {@link maybeScaleOut})
 * @param except - the caller's own decision id (its retry replays it itself)
 * @returns ids of the decisions taken over and replayed
 * @throws {FleetStoreError} when the takeover write or recording the replayed nodes fails
 */
export async function takeOverAbandonedLaunches(
  deps: AppDeps,
  pool: PoolConfig,
  summary: PoolSummary,
  now: number,
  leaseUntil?: number,
  except?: string,
): Promise<string[]> {
  const taken: string[] = [];
  for (const [decisionId, r] of Object.entries(summary.launchReservations ?? {})) {
    if (decisionId === except || r.launched !== undefined || launchLeaseEnd(r) > now || now - r.at >= LAUNCH_RESERVATION_FOLD_MS) continue;
    const lease = leaseUntil ?? now + DEFAULT_PLACING_LEASE_MS;
    if (!(await deps.store.takeOverLaunch(pool.name, decisionId, now, lease))) continue;
    deps.logger.warn('abandoned launch taken over', { pool: pool.name, decisionId, nodes: r.nodes, leaseEnded: launchLeaseEnd(r) });
    await executeScaleOut(deps, pool, replayOf(r.nodes), decisionId, {
      leaseUntil: lease,
      takenOver: true,
    });
    taken.push(decisionId);
  }
  return taken;
}

/** Options of {@link executeScaleOut}. */
export interface ExecuteScaleOutOptions {
  /** The invocation's deadline, epoch ms: the lease on the launch it counts (default: now + {@link DEFAULT_PLACING_LEASE_MS}). */
  readonly leaseUntil?: number | undefined;
  /** The decision's launch is counted already and this caller took it over: replay it, count nothing. */
  readonly takenOver?: boolean | undefined;
}

/**
 * Carry out a scale-out decision: undrain first (instant), then start stopped warm-pool nodes
 * (`decision.start`; when the decision names none because its caller did not know the stopped
 * nodes — the hot path — up to `decision.launch` of them are looked up and started instead of
 * launched, `warm-start.ts`), then launch; every start that fails (capacity) is launched cold
 * instead and its node stays stopped. Those fallback launches stay within `maxNodes` (the
 * decision counted the starts against it) but are not held to `maxLaunchesPerMinute`. Launch failures are reported as
 * `ScalingBlocked` events, not thrown: the room that triggered the decision is already placed or
 * queued, and the sweep decides again every minute. For an `'elastic-ip'` pool the account's
 * Elastic IP quota is checked first (`launchableWithinAddressQuota`): only the nodes it has
 * room for are launched, the shortfall is a `ScalingBlocked` with limit `quota` and the reason.
 *
 * The launch is counted in the pool summary before RunInstances
 * (`FleetStore.reserveLaunch`, once per `decisionId`) and settled to the nodes launched and
 * recorded after (`settleLaunch`; a failed launch settles to 0): an invocation that dies in
 * between leaves its nodes counted as pending, so other invocations do not launch them again;
 * the sweep folds the count into the counters from the node records a minute later. The count is
 * a lease until `options.leaseUntil` (the invocation's deadline): once it has passed unsettled,
 * the next scale-out takes it over and replays it ({@link takeOverAbandonedLaunches}).
 *
 * @returns ids of the nodes launched
 * @throws {FleetStoreError} when counting the launch or recording launched nodes fails (the
 *   redelivered event's identical ClientToken then returns the same instances)
 */
export async function executeScaleOut(
  deps: AppDeps,
  pool: PoolConfig,
  decision: ScaleOutDecision,
  decisionId: string,
  options: ExecuteScaleOutOptions = {},
): Promise<string[]> {
  const now = deps.clock.now();
  if (decision.kind === 'noop') return [];
  deps.logger.info('scale-out decision', { pool: pool.name, decision, decisionId });
  if (decision.kind === 'blocked') {
    await deps.publisher.publish([
      {
        detailType: 'ScalingBlocked',
        detail: { pool: pool.name, limit: decision.limit, wanted: decision.wanted, reason: `${decision.limit} reached` },
      },
    ]);
    return [];
  }
  for (const nodeId of decision.undrain) await undrainNode(deps, nodeId);
  const start = decision.start ?? (await stoppedNodesFor(deps, pool, decision.launch));
  let warm: WarmStartOutcome | undefined;
  if (start.length > 0) warm = await startStoppedNodes(deps, pool, start);
  const coldLaunch = decision.launch - (decision.start ? 0 : start.length) + (warm?.fallback ?? 0);
  if (warm && warm.started.length + warm.failures.length > 0) {
    await deps.publisher.publish([
      { detailType: 'ScalingDecision', detail: { pool: pool.name, decision: { ...decision, decisionId, started: warm.started, startFailures: warm.failures, coldLaunch } } },
    ]);
  }
  if (coldLaunch <= 0) return [];

  const events: Parameters<AppDeps['publisher']['publish']>[0][number][] = [];
  const launched: string[] = [];
  // Only the launch itself becomes ScalingBlocked on failure; a failure recording what it
  // launched is thrown, so the redelivered event's identical ClientToken returns the same
  // instances and records them (swallowing it would leave them to the orphan sweep).
  let result: Awaited<ReturnType<AppDeps['compute']['launch']>> | undefined;
  // Nodes to launch: the decision's, fewer when the Elastic IP quota has no room for them all
  // (one address per container in 'elastic-ip' pools): the rest is ScalingBlocked (quota).
  let count = coldLaunch;
  const perNode = pool.containersPerNode * pool.capacityPerContainer;
  // Whether this call counted the launch (false: an earlier attempt of the decision did).
  let fresh = false;
  const blocked = (e: unknown) => {
    if (!(e instanceof LaunchQuotaError || e instanceof NoCapacityAvailableError || (e instanceof AutoscalerError && e.retryable))) throw e;
    deps.logger.warn('launch failed', { pool: pool.name, error: e.message, decisionId });
    events.push({
      detailType: 'ScalingBlocked',
      detail: {
        pool: pool.name,
        limit: e instanceof LaunchQuotaError ? 'quota' : e instanceof NoCapacityAvailableError ? 'capacity' : 'error',
        wanted: count,
        reason: e.message,
      },
    });
  };
  let prepared: { userData: Awaited<ReturnType<AppDeps['config']['getUserData']>>; publicAddressing: Awaited<ReturnType<typeof publicAddressingOf>> } | undefined;
  try {
    const userData = await deps.config.getUserData(pool.name);
    const publicAddressing = await publicAddressingOf(deps, pool.name);
    if (publicAddressing === 'elastic-ip') {
      const check = await launchableWithinAddressQuota(deps, pool, count, now);
      if (check.launch < count) {
        events.push({ detailType: 'ScalingBlocked', detail: { pool: pool.name, limit: 'quota', wanted: count - check.launch, reason: check.reason ?? 'Elastic IP quota' } });
        count = check.launch;
      }
    }
    prepared = { userData, publicAddressing };
  } catch (e) {
    blocked(e);
  }
  if (prepared && count > 0) {
    // Counted before RunInstances (once per decision): a crash or a failed write between the
    // launch and recording its nodes leaves them counted as pending, so the next decisions do not
    // launch them again; a failure here fails the invocation before anything is launched.
    fresh = options.takenOver ? false : await deps.store.reserveLaunch(pool.name, decisionId, count, perNode, now, options.leaseUntil ?? now + DEFAULT_PLACING_LEASE_MS);
    try {
      result = await deps.compute.launch({ pool, count, decisionId, ...prepared, now });
    } catch (e) {
      blocked(e);
      await deps.store.settleLaunch(pool.name, decisionId, 0);
    }
  }
  if (result) {
    let created = 0;
    for (const inst of result.instances) {
      const isNew = await deps.store.createNode(
        {
          nodeId: inst.instanceId,
          pool: pool.name,
          state: 'launching',
          instanceType: inst.instanceType,
          subnetId: inst.subnetId,
          launchedAt: now,
          decisionId,
          containersPerNode: pool.containersPerNode,
          capacityPerContainer: pool.capacityPerContainer,
        },
        now,
      );
      launched.push(inst.instanceId);
      if (!isNew) continue;
      created += 1;
      events.push({
        detailType: 'NodeLaunched',
        detail: { nodeId: inst.instanceId, pool: pool.name, instanceType: inst.instanceType, subnetId: inst.subnetId, decisionId },
      });
    }
    // What the reservation counts from now on: when this call counted the launch, the nodes it
    // recorded (an earlier attempt's nodes are counted already by the sweep that folded that
    // attempt's count); when it found an earlier attempt's count, every node of the decision.
    await deps.store.settleLaunch(pool.name, decisionId, fresh ? created : result.instances.length);
    events.push({
      detailType: 'ScalingDecision',
      detail: { pool: pool.name, decision: { ...decision, decisionId, launched: result.instances.length, failures: result.failures } },
    });
    if (result.instances.length < count) {
      events.push({
        detailType: 'ScalingBlocked',
        detail: {
          pool: pool.name,
          limit: 'capacity',
          wanted: count - result.instances.length,
          reason: `partial launch: ${result.failures.map((f) => `${f.instanceType}/${f.subnetId ?? '-'}: ${f.code}`).join(', ')}`,
        },
      });
    }
  }
  await deps.publisher.publish(events);
  return launched;
}

/**
 * Return a node drained for surplus to service. A node drained for a fault (Spot interruption,
 * unhealthy) is never returned; neither is a node that is not draining.
 */
export async function undrainNode(deps: AppDeps, nodeId: string): Promise<boolean> {
  const now = deps.clock.now();
  const before = await deps.store.getNode(nodeId);
  if (!before || !isUndrainable(before)) return false;
  const node = await deps.store.transitionNode(nodeId, ['draining'], 'ready', now);
  if (!node) return false;
  if (!node.hot) await deps.store.setAccepting(nodeId, true);
  const free = nodeCapacityOf(node) - nodeUsed(node);
  await deps.store.adjustSummary(node.pool, { readyFree: node.hot ? 0 : free, drainingRemove: [nodeId] }, now);
  return true;
}

/**
 * Stop placing on a node (it keeps its rooms). `reason` {@link SURPLUS_DRAIN} (scale-in) lets
 * scale-out return it to service; any other reason (a fault) does not. A node drained for
 * surplus that then faults is re-marked with the fault.
 */
export async function drainNode(deps: AppDeps, nodeId: string, reason: string): Promise<NodeView | undefined> {
  const now = deps.clock.now();
  const from: NodeState[] = reason === SURPLUS_DRAIN ? ['ready'] : ['ready', 'draining'];
  const before = reason === SURPLUS_DRAIN ? undefined : await deps.store.getNode(nodeId);
  const node = await deps.store.transitionNode(nodeId, from, 'draining', now, reason);
  if (!node) return undefined;
  await deps.store.setAccepting(nodeId, false);
  const free = nodeCapacityOf(node) - nodeUsed(node);
  const wasAccepting = (before ?? { state: 'ready', hot: node.hot }).state === 'ready' && !node.hot;
  await deps.store.adjustSummary(
    node.pool,
    {
      readyFree: wasAccepting ? -free : 0,
      ...(reason === SURPLUS_DRAIN && !node.hot ? { drainingSet: { [nodeId]: free } } : { drainingRemove: [nodeId] }),
    },
    now,
  );
  await deps.publisher.publish([{ detailType: 'NodeDraining', detail: { nodeId, pool: node.pool, reason } }]);
  return node;
}
