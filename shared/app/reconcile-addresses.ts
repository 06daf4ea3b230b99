/**
 * Reconciliation step 1a (shared/app/reconcile.ts): the Elastic IPs of a node whose EC2
 * `running` event was not handled. A node's boot unit waits for its Elastic IPs in IMDS before it
 * starts WCS and puts `NodeReady` (infra/bootstrap/wcs-node.sh.tpl), and node-events associates
 * them on `running`; when that event is late, lost, or its invocation fails before the
 * association, the sweep does it.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import type { NodeView } from '../domain/model.ts';
import type { InstanceDescription } from '../ports/compute-provider.ts';
import { bucketKey } from '../domain/buckets.ts';
import { publicAddressingOf } from './addresses.ts';
import type { AppDeps } from './deps.ts';
import { onInstanceState } from './nodes.ts';

/**
 * How long a node may be `launching` (from its launch) or `booting` / `starting` (from that
 * move) before the sweep checks its Elastic IPs, ms: EC2 reports a new instance `running` within
 * about 15 s of RunInstances and node-events associates the addresses within a second of that
 * event, so 30 s leaves the event's own invocation time to finish (the sweep's association is
 * idempotent either way; an address a race allocated twice is released by the address
 * reconciliation).
 */
export const ADDRESS_REPAIR_GRACE_MS = 30_000;

/**
 * Step 1a: a node on its way to ready whose instance DescribeInstances shows `running`, once it
 * is {@link ADDRESS_REPAIR_GRACE_MS} old in its state:
 * - `launching` (its `running` event is late, lost or failed): the event is replayed through its
 *   own handler ({@link onInstanceState}): the move to `booting` and the Elastic IPs;
 * - `booting` or `starting` in an `'elastic-ip'` pool with a secondary private IP that EC2 shows
 *   without an Elastic IP (the event's invocation failed between the move and the association,
 *   or a start's new addresses were never associated): `running` is replayed, which associates
 *   them (idempotent).
 *
 * Without this, such a node's boot unit waits for its addresses (the bootstrap's Elastic IP wait)
 * and reports ready only after the event's Lambda retries (1 and 2 min), or never; rooms queue
 * behind it meanwhile. The missing addresses are read from the sweep's own DescribeInstances
 * (`missingPublicIps`): no EC2 call for a node that has them.
 *
 * @returns `nodeId:booting` for a replayed move, `nodeId:addressed` for an association
 * @throws {AutoscalerError} when EC2 fails (the next sweep retries) | {FleetStoreError}
 */
export async function repairAddressing(
  deps: AppDeps,
  pool: PoolConfig,
  nodes: readonly NodeView[],
  instances: readonly InstanceDescription[],
  now: number,
): Promise<string[]> {
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  const repaired: string[] = [];
  let elastic: boolean | undefined;
  for (const node of nodes) {
    if (node.state !== 'launching' && node.state !== 'booting' && node.state !== 'starting') continue;
    const instance = byId.get(node.nodeId);
    if (instance?.state !== 'running') continue;
    const since = node.state === 'launching' ? node.launchedAt : (node.stateChangedAt ?? node.launchedAt);
    if (now - since < ADDRESS_REPAIR_GRACE_MS) continue;
    const replay = () => onInstanceState(deps, { 'instance-id': node.nodeId, state: 'running' }, `sweep:${bucketKey(now)}:${node.nodeId}:running`);
    if (node.state === 'launching') {
      const kind = await replay();
      if (kind !== 'ignored') repaired.push(`${node.nodeId}:${kind}`);
      continue;
    }
    if (instance.missingPublicIps !== true || !deps.compute.associateAddresses) continue;
    elastic ??= (await publicAddressingOf(deps, pool.name)) === 'elastic-ip';
    if (!elastic) continue;
    deps.logger.warn('node running without its Elastic IPs: associating them', { nodeId: node.nodeId, pool: pool.name, state: node.state });
    const kind = await replay();
    if (kind !== 'address-quota') repaired.push(`${node.nodeId}:addressed`);
  }
  return repaired;
}
