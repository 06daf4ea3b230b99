/**
 * Elastic IP use cases: associate one per secondary private IP when a node starts running,
 * release them when it is gone, and reconcile leftovers in the sweep (an allocation whose
 * association or release was cut short by a crash, or an instance that vanished).
 *
 * Providers without Elastic IP support (simulated fleets in tests) skip all of this.
 *
 * @module
 */
import type { AddressAssociation, FleetAddress } from '../ports/compute-provider.ts';
import type { AppDeps } from './deps.ts';

/**
 * Associate a running node's Elastic IPs. Idempotent (a redelivered `running` changes nothing).
 *
 * @returns the associations, or [] when the provider has no Elastic IPs
 * @throws {AutoscalerError} from the provider (retryable when transient: the event is retried)
 */
export async function associateNodeAddresses(deps: AppDeps, nodeId: string): Promise<readonly AddressAssociation[]> {
  if (!deps.compute.associateAddresses) return [];
  const associations = await deps.compute.associateAddresses(nodeId);
  deps.logger.info('elastic IPs associated', { nodeId, associations });
  return associations;
}

/** Release (or return to the operator's pool) a gone node's Elastic IPs. Idempotent. */
export async function releaseNodeAddresses(deps: AppDeps, nodeId: string): Promise<void> {
  if (!deps.compute.releaseAddresses) return;
  await deps.compute.releaseAddresses(nodeId);
}

/**
 * Which fleet-owned Elastic IPs to release: not associated, and not allocated for an instance
 * that is still live (one allocated for a live node may be between allocation and association).
 * Operator-pool addresses are never released.
 */
export function unusedAddresses(addresses: readonly FleetAddress[], liveInstanceIds: ReadonlySet<string>): FleetAddress[] {
  return addresses.filter((a) => a.owned && !a.associated && !(a.instanceId && liveInstanceIds.has(a.instanceId)));
}

/**
 * Sweep step: release unattached fleet Elastic IPs (see {@link unusedAddresses}).
 *
 * @returns the allocation ids released
 */
export async function reconcileAddresses(deps: AppDeps): Promise<string[]> {
  const { describeAddresses, releaseAddress } = deps.compute;
  if (!describeAddresses || !releaseAddress) return [];
  const [addresses, live] = await Promise.all([describeAddresses.call(deps.compute), deps.compute.describeFleet()]);
  const release = unusedAddresses(addresses, new Set(live.map((i) => i.instanceId)));
  for (const a of release) await releaseAddress.call(deps.compute, a.allocationId);
  if (release.length > 0) deps.logger.info('released unused elastic IPs', { addresses: release.map((a) => `${a.allocationId} ${a.publicIp}`) });
  return release.map((a) => a.allocationId);
}
