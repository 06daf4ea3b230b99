/**
 * Scale-in into the warm pool (docs/design.md#scaling-policy, "Warm pool"): stop an empty
 * drained node instead of terminating it, terminate warm nodes the policy no longer keeps, and
 * keep the per-day peak of live nodes the policy sizes the warm pool from. The sweep calls
 * {@link executeWarmAction} for the actions `planSweep` returns and {@link warmPoolPeak} before
 * planning.
 *
 * @module
 */
import { warmPoolStateOf, type PoolConfig } from '../domain/config.ts';
import { isLive, nodeUsed, type NodeView } from '../domain/model.ts';
import type { SweepAction } from '../domain/scaling.ts';
import { dayOf, peakWindowStart } from '../domain/warm-pool.ts';
import { AutoscalerError, StopRefusedError } from '../errors.ts';
import type { AppDeps } from './deps.ts';
import { removalDelta, removeNodeAlarms, terminateNode } from './nodes.ts';

/** What {@link stopNode} did. */
export type StopOutcome = 'stopped' | 'terminated' | 'skipped';

/**
 * Stop an empty drained node into the warm pool: `draining → stopping` in the store (conditional,
 * so a concurrent undrain wins), the containers read again (a node that got a room meanwhile is
 * given back, `draining`), then StopInstances (`Hibernate` when asked); the node leaves the live
 * counters of the pool summary. The EC2 `stopped` event (node-events) completes `stopping → stopped`.
 *
 * - a provider without `stop`, or EC2 refusing the stop ({@link StopRefusedError}, e.g.
 *   `UnsupportedHibernationConfiguration`): the node is terminated instead (`terminateNode`,
 *   reason `stop-refused: <code>`);
 * - any other provider failure ({@link AutoscalerError}): the node is given back (`draining`),
 *   logged, and the next sweep decides again.
 *
 * @param node - the node as the sweep read it (state `draining`, empty)
 * @throws {FleetStoreError} when the store fails; non-`AutoscalerError` provider failures
 */
export async function stopNode(deps: AppDeps, pool: PoolConfig, node: NodeView, hibernate: boolean): Promise<StopOutcome> {
  const now = deps.clock.now();
  if (!deps.compute.stop) return (await terminateNode(deps, node, 'idle')) ? 'terminated' : 'skipped';
  if (node.state !== 'draining' || nodeUsed(node) > 0) return 'skipped';
  const moved = await deps.store.transitionNode(node.nodeId, ['draining'], 'stopping', now);
  if (!moved) return 'skipped';
  const current = (await deps.store.getNode(node.nodeId)) ?? moved;
  const giveBack = () => deps.store.transitionNode(node.nodeId, ['stopping'], 'draining', now, node.drainReason);
  if (nodeUsed(current) > 0) {
    await giveBack();
    return 'skipped';
  }
  try {
    await deps.compute.stop({ instanceIds: [node.nodeId], hibernate });
  } catch (e) {
    await giveBack();
    if (e instanceof StopRefusedError) {
      const code = e.refused.find((r) => r.instanceId === node.nodeId)?.code ?? e.action;
      deps.logger.warn('stop refused; terminating instead', { pool: pool.name, nodeId: node.nodeId, error: e.message });
      return (await terminateNode(deps, { ...node, state: 'draining' }, `stop-refused: ${code}`)) ? 'terminated' : 'skipped';
    }
    if (!(e instanceof AutoscalerError)) throw e;
    deps.logger.warn('stop failed; the next sweep decides again', { pool: pool.name, nodeId: node.nodeId, error: e.message });
    return 'skipped';
  }
  await deps.store.adjustSummary(pool.name, removalDelta(node), now);
  await deps.publisher.publish([
    { detailType: 'ScalingDecision', detail: { pool: pool.name, decision: { kind: 'stop', nodeId: node.nodeId, hibernate } } },
  ]);
  return 'stopped';
}

/**
 * Terminate a warm (`stopping` or `stopped`) node: conditional move to `terminating` (so a
 * concurrent start cannot take it), TerminateInstances, its CloudWatch alarms deleted,
 * `NodeTerminated` published. A warm node is not live, so the pool summary is unchanged.
 *
 * @param reason - `max-age` (recycled onto the current launch template) or `warm-surplus`
 * @returns false when the node was no longer in the state seen
 * @throws {AutoscalerError} from the provider (the node stays `terminating`; the sweep's
 *   reconciliation finishes it) | {FleetStoreError}
 */
export async function terminateWarmNode(deps: AppDeps, node: NodeView, reason: string): Promise<boolean> {
  const now = deps.clock.now();
  if (node.state !== 'stopped' && node.state !== 'stopping') return false;
  const moved = await deps.store.transitionNode(node.nodeId, [node.state], 'terminating', now);
  if (!moved) return false;
  await deps.compute.terminate([node.nodeId]);
  await removeNodeAlarms(deps, moved);
  await deps.publisher.publish([{ detailType: 'NodeTerminated', detail: { nodeId: node.nodeId, pool: node.pool, reason } }]);
  return true;
}

/**
 * Execute one sweep action if it is a warm-pool one: `stop`, or `terminate` of a node that is
 * not live (a warm node).
 *
 * @returns what happened (`'stopped'`, `'terminated'`, or `false` when nothing changed), or
 *   undefined when the action is not a warm-pool one (the caller executes it)
 */
export async function executeWarmAction(
  deps: AppDeps,
  pool: PoolConfig,
  action: SweepAction,
  node: NodeView,
): Promise<'stopped' | 'terminated' | false | undefined> {
  if (action.kind === 'stop') {
    const outcome = await stopNode(deps, pool, node, action.hibernate);
    return outcome === 'skipped' ? false : outcome;
  }
  if (action.kind === 'terminate' && !isLive(node.state)) return (await terminateWarmNode(deps, node, action.reason)) ? 'terminated' : false;
  return undefined;
}

/**
 * The warm pool's peak history: read the peaks of the last `warmPool.historyDays` days (one
 * read), record today's live nodes as the day's peak when they pass it (a conditional max: one
 * write only when the day's peak rises), and return the highest, today's live nodes included. 0 without reading when the pool has no warm pool. A store without peak history
 * gives today's live nodes.
 *
 * @param nodes - the pool's nodes as the sweep read them
 * @returns most live nodes on any day of the window, nodes
 * @throws {FleetStoreError} when the store fails (the pool's sweep fails; the next one retries)
 */
export async function warmPoolPeak(deps: AppDeps, pool: PoolConfig, nodes: readonly NodeView[], now: number): Promise<number> {
  if (warmPoolStateOf(pool) === 'none') return 0;
  const live = nodes.filter((n) => isLive(n.state)).length;
  const days = (await deps.store.peakNodesByDay?.(pool.name, peakWindowStart(pool, now))) ?? new Map<number, number>();
  const today = dayOf(now);
  if (live > (days.get(today) ?? 0)) await deps.store.recordPeakNodes?.(pool.name, today, live);
  return Math.max(live, ...days.values());
}
