/**
 * Replacement policy: how many nodes to launch at once for nodes about to be lost (Spot
 * interruption warning, rebalance recommendation, unhealthy node).
 *
 * One node per doomed node, launched before the doomed node is gone, so the rooms its
 * applications re-create find capacity without waiting for a boot. The doomed nodes do not
 * count against `maxNodes` (they are going away), so replacement may briefly exceed it by their
 * number; the launch-rate limit still applies. The count is fixed per node, so a retried or
 * repeated warning (same decision id) sends the same EC2 request and its `ClientToken` returns
 * the instance already launched.
 *
 * @module
 */
import type { PoolConfig } from './config.ts';
import type { PoolCapacity, ScaleOutDecision } from './scaling.ts';

/**
 * Decide the replacement launch for `replacing` doomed nodes of a pool.
 *
 * @param pool - the pool's configuration
 * @param capacity - the pool's capacity now (the doomed nodes still count as live)
 * @param replacing - nodes to replace (≥ 0)
 * @returns `scale-out` with `launch` ≤ `replacing`, `blocked` when the launch rate forbids
 *   any, or `noop` for nothing to replace
 * @example
 * decideReplacement(pool, { ...capacity, liveNodes: 5, launchesLastMinute: 0 }, 1);
 * // → { kind: 'scale-out', launch: 1, undrain: [], … }
 */
export function decideReplacement(pool: PoolConfig, capacity: PoolCapacity, replacing: number): ScaleOutDecision {
  const perNode = pool.containersPerNode * pool.capacityPerContainer;
  const wanted = Math.max(0, Math.floor(replacing));
  const deficit = wanted * perNode;
  if (wanted === 0) return { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 0, deficit: 0 };
  const byMax = Math.max(0, pool.maxNodes - Math.max(0, capacity.liveNodes - wanted));
  const byRate = Math.max(0, pool.maxLaunchesPerMinute - capacity.launchesLastMinute);
  const launch = Math.min(wanted, byMax, byRate);
  const limit = byMax <= byRate ? 'max-nodes' : 'launch-rate';
  if (launch === 0) return { kind: 'blocked', limit, wanted, targetHeadroom: 0, deficit };
  return { kind: 'scale-out', launch, undrain: [], targetHeadroom: 0, deficit, ...(launch < wanted ? { limitedBy: { limit, wanted } } : {}) };
}
