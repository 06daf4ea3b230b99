/**
 * Scale-out from the warm pool: start stopped (or hibernated) nodes before launching new ones
 * (docs/design.md#scaling-policy, "Warm pool"). Used by `scaling-executor.ts`.
 *
 * @module
 */
import { warmPoolStateOf, type PoolConfig } from '../domain/config.ts';
import { nodeCapacityOf, type NodeView } from '../domain/model.ts';
import { decideScaleOut, type PoolCapacity, type PoolDemand, type ScaleOutDecision } from '../domain/scaling.ts';
import { stoppedNodesToStart } from '../domain/warm-pool.ts';
import { AutoscalerError } from '../errors.ts';
import type { StartFailure } from '../ports/compute-provider.ts';
import type { AppDeps } from './deps.ts';

/** What {@link startStoppedNodes} did. */
export interface WarmStartOutcome {
  /** Nodes now `starting` (StartInstances accepted), counted as pending capacity. */
  readonly started: readonly string[];
  /** Nodes that could not start and are `stopped` again, kept for a later start. */
  readonly failures: readonly StartFailure[];
  /** Nodes to launch cold instead: one per failed start. */
  readonly fallback: number;
}

/**
 * The stopped nodes the hot path may start instead of launching `count` nodes (youngest first),
 * read from the store; none when the pool has no warm pool or the provider cannot start nodes.
 * Costs one `listNodes` of the pool, made only when a launch was decided.
 *
 * @throws {FleetStoreError} when the store cannot be read
 */
export async function stoppedNodesFor(deps: AppDeps, pool: PoolConfig, count: number): Promise<string[]> {
  if (count <= 0 || !deps.compute.start || warmPoolStateOf(pool) === 'none') return [];
  const nodes = await deps.store.listNodes(pool.name);
  return stoppedNodesToStart(nodes.filter((n) => n.state === 'stopped'), count);
}

/**
 * The hot path's scale-out decision once the pool's stopped nodes are known. The hot path decides
 * from the pool summary, which does not list stopped nodes, so its first decision works to the
 * cold-boot headroom target; when that decision would act (undrain, start or launch) and the pool
 * has a warm pool, the stopped nodes are read (the one `listNodes` {@link stoppedNodesFor} makes
 * for a launch anyway) and the decision is taken again with them (`scaling.ts`
 * `runningHeadroomTarget`: the running headroom a warm start needs, the rest held stopped), so
 * the hot path and the sweep work to the same target instead of the hot path starting again
 * what the sweep just let go. Unchanged (no read) without a warm pool, for a `noop`, or when the
 * decision already names its starts.
 *
 * @param capacity - the capacity the first decision was taken on
 * @param demand - the demand it was taken on
 * @param decided - the first decision
 * @throws {FleetStoreError} when the store cannot be read
 */
export async function withStoppedNodes(deps: AppDeps, pool: PoolConfig, capacity: PoolCapacity, demand: PoolDemand, decided: ScaleOutDecision): Promise<ScaleOutDecision> {
  if (decided.kind === 'noop' || (decided.kind === 'scale-out' && decided.start !== undefined)) return decided;
  if (!deps.compute.start || warmPoolStateOf(pool) === 'none') return decided;
  const stoppedNodes = (await deps.store.listNodes(pool.name)).filter((n) => n.state === 'stopped').map((n) => ({ nodeId: n.nodeId, launchedAt: n.launchedAt }));
  if (stoppedNodes.length === 0) return decided;
  return decideScaleOut(pool, { ...capacity, stoppedNodes }, demand);
}

/**
 * Start stopped nodes: each is moved `stopped → starting` in the store (a node no longer stopped
 * is skipped: another invocation, or this one's earlier delivery, already took it), then
 * StartInstances is called for the moved ones. A node EC2 does not start — per instance
 * (`InsufficientInstanceCapacity` in its Availability Zone, `IncorrectInstanceState`) or all of
 * them when the call fails — is moved back to `stopped` (kept for later) and counted in
 * `fallback`, for the caller to launch cold instead (the offering fallback of `launch`). Started
 * nodes lose their `emptySince` and are added to the pool summary as pending capacity and live
 * nodes.
 *
 * @throws {FleetStoreError} when the store fails (the nodes already moved stay `starting`; the
 *   sweep's ready timeout gives up on them)
 */
export async function startStoppedNodes(deps: AppDeps, pool: PoolConfig, nodeIds: readonly string[]): Promise<WarmStartOutcome> {
  const now = deps.clock.now();
  if (!deps.compute.start) return { started: [], failures: [], fallback: nodeIds.length };
  const moved: NodeView[] = [];
  for (const id of nodeIds) {
    const node = await deps.store.transitionNode(id, ['stopped'], 'starting', now);
    if (node) moved.push(node);
  }
  if (moved.length === 0) return { started: [], failures: [], fallback: 0 };
  let accepted: ReadonlySet<string>;
  let failures: StartFailure[];
  try {
    const result = await deps.compute.start(moved.map((n) => n.nodeId), now);
    accepted = new Set(result.started);
    failures = [...result.failures];
  } catch (e) {
    if (!(e instanceof AutoscalerError)) throw e;
    accepted = new Set();
    failures = moved.map((n) => ({ instanceId: n.nodeId, code: e.name, message: e.message }));
  }
  const started = moved.filter((n) => accepted.has(n.nodeId));
  const back = moved.filter((n) => !accepted.has(n.nodeId));
  for (const n of back) {
    await deps.store.transitionNode(n.nodeId, ['starting'], 'stopped', now);
    if (!failures.some((f) => f.instanceId === n.nodeId)) failures.push({ instanceId: n.nodeId, code: 'NotStarted', message: 'not in the provider\'s started list' });
  }
  // Its idle clock starts again when it is back (the sweep marks it empty once ready), so a
  // started node is never taken for one idle since before its stop.
  for (const n of started) if (n.emptySince !== undefined) await deps.store.setEmptySince(n.nodeId, undefined);
  if (started.length > 0) {
    const pending = started.reduce((s, n) => s + nodeCapacityOf(n), 0);
    await deps.store.adjustSummary(pool.name, { pendingCapacity: pending, liveNodes: started.length }, now);
  }
  if (back.length > 0) deps.logger.warn('warm start failed; launching cold instead', { pool: pool.name, failures });
  return { started: started.map((n) => n.nodeId), failures: failures.filter((f) => back.some((n) => n.nodeId === f.instanceId)), fallback: back.length };
}
