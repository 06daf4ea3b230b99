/**
 * Operator actions on one node: drain (stop placing on it; its rooms stay until they end, then
 * the sweep terminates it once idle) and undrain (return it to service).
 *
 * @module
 */
import { nodeCapacityOf, nodeUsed } from '../domain/model.ts';
import type { AppDeps } from './deps.ts';
import { drainNode } from './scaling-executor.ts';

/** Drain reason recorded for an operator's drain (never undone by scale-out). */
export const OPERATOR_DRAIN = 'operator';

/** Outcome of an operator action. */
export type OperatorOutcome =
  | { readonly kind: 'drained' | 'undrained'; readonly nodeId: string; readonly pool: string }
  | { readonly kind: 'refused'; readonly nodeId: string; readonly reason: string };

/**
 * Drain a node by hand: it takes no new rooms (publishes `NodeDraining`); scale-out does not
 * return it to service; the sweep terminates it once empty for the pool's idle grace.
 */
export async function operatorDrain(deps: AppDeps, nodeId: string): Promise<OperatorOutcome> {
  const node = await deps.store.getNode(nodeId);
  if (!node) return { kind: 'refused', nodeId, reason: 'no such node' };
  if (node.state !== 'ready' && node.state !== 'draining') return { kind: 'refused', nodeId, reason: `node is ${node.state}` };
  const drained = await drainNode(deps, nodeId, OPERATOR_DRAIN);
  if (!drained) return { kind: 'refused', nodeId, reason: 'node changed state meanwhile' };
  return { kind: 'drained', nodeId, pool: node.pool };
}

/**
 * Return a draining node to service. A node drained for a fault (Spot interruption, rebalance,
 * unhealthy) is refused unless `force`; a hot node goes back to `ready` but accepts rooms only
 * once its alarm clears.
 */
export async function operatorUndrain(deps: AppDeps, nodeId: string, options: { readonly force?: boolean } = {}): Promise<OperatorOutcome> {
  const now = deps.clock.now();
  const before = await deps.store.getNode(nodeId);
  if (!before) return { kind: 'refused', nodeId, reason: 'no such node' };
  if (before.state !== 'draining') return { kind: 'refused', nodeId, reason: `node is ${before.state}, not draining` };
  const reason = before.drainReason ?? 'surplus';
  if (reason !== 'surplus' && reason !== OPERATOR_DRAIN && !options.force) {
    return { kind: 'refused', nodeId, reason: `drained for "${reason}" (use --force to return it anyway)` };
  }
  const node = await deps.store.transitionNode(nodeId, ['draining'], 'ready', now);
  if (!node) return { kind: 'refused', nodeId, reason: 'node changed state meanwhile' };
  if (!node.hot) await deps.store.setAccepting(nodeId, true);
  await deps.store.adjustSummary(node.pool, { readyFree: node.hot ? 0 : nodeCapacityOf(node) - nodeUsed(node), drainingRemove: [nodeId] }, now);
  return { kind: 'undrained', nodeId, pool: node.pool };
}
