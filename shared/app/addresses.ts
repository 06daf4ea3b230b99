/**
 * Elastic IP use cases: associate one per secondary private IP when a node starts running,
 * release them when it is gone, reconcile leftovers in the sweep (an allocation whose
 * association or release was cut short by a crash, or an instance that vanished), and check
 * the account's Elastic IP quota before launching.
 *
 * Pools whose node settings say `publicAddressing: 'none'` get no Elastic IP at all (private-only
 * containers; `docs/public-addressing.md`). Providers without Elastic IP support (simulated
 * fleets in tests) skip all of this.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import type { AddressAssociation, AddressQuota, FleetAddress, InstanceDescription, PublicAddressing } from '../ports/compute-provider.ts';
import type { AppDeps } from './deps.ts';

/** How a pool's containers get public IPv4: its node settings, `'elastic-ip'` when the source has none. */
export async function publicAddressingOf(deps: Pick<AppDeps, 'config'>, pool: string): Promise<PublicAddressing> {
  return deps.config.getPublicAddressing ? deps.config.getPublicAddressing(pool) : 'elastic-ip';
}

/**
 * Associate a running node's Elastic IPs — none for a `'none'` pool. Idempotent (a redelivered
 * `running` changes nothing).
 *
 * @returns the associations, or [] when the pool is private-only or the provider has no Elastic IPs
 * @throws {LaunchQuotaError} (`AddressLimitExceeded`) when the account's Elastic IP quota is used up
 * @throws {AutoscalerError} from the provider (retryable when transient: the event is retried)
 */
export async function associateNodeAddresses(deps: AppDeps, node: { readonly nodeId: string; readonly pool: string }): Promise<readonly AddressAssociation[]> {
  if (!deps.compute.associateAddresses) return [];
  if ((await publicAddressingOf(deps, node.pool)) === 'none') return [];
  const associations = await deps.compute.associateAddresses(node.nodeId);
  deps.logger.info('elastic IPs associated', { nodeId: node.nodeId, associations });
  return associations;
}

/**
 * On a warm-pool node's EC2 `stopped` event: release its Elastic IPs when its pool sets
 * `warmPool.releaseAddressesOnStop` (and gives its containers Elastic IPs); otherwise keep them
 * (the default: 0.005 USD/h each while stopped, and the node returns with the same public IPs).
 * Released addresses come back as new ones through {@link associateNodeAddresses} on its next
 * `running`. Safe against a late event: the provider releases only while the instance is still
 * stopping or stopped (docs/warm-pool-ec2.md#elastic-ips-while-stopped).
 *
 * @returns whether addresses were released
 * @throws {AutoscalerError} from the provider (retryable when transient: the event is retried)
 */
export async function releaseStoppedNodeAddresses(deps: AppDeps, node: { readonly nodeId: string; readonly pool: string }): Promise<boolean> {
  const { releaseStoppedAddresses } = deps.compute;
  if (!releaseStoppedAddresses) return false;
  const pool = (await deps.config.getConfig()).pools.find((p) => p.name === node.pool);
  if (!pool?.warmPool.releaseAddressesOnStop) return false;
  if ((await publicAddressingOf(deps, node.pool)) === 'none') return false;
  const { released, state } = await releaseStoppedAddresses.call(deps.compute, node.nodeId);
  deps.logger.info(released ? 'elastic IPs of a stopped node released' : 'node no longer stopped: elastic IPs kept', { nodeId: node.nodeId, state });
  return released;
}

/** EC2 states of an instance that will still ask for its Elastic IPs (or hold them already). */
const ADDRESSED_STATES: ReadonlySet<string> = new Set(['pending', 'running']);

/** The Elastic IP budget before a launch, in addresses (see {@link addressBudget}). */
export interface AddressBudget {
  /** The account's limit in the Region. */
  readonly limit: number;
  /** Allocated in the account and Region now (every owner). */
  readonly allocated: number;
  /** Operator-pool addresses not associated: allocated already, usable by the fleet. */
  readonly freePool: number;
  /** Addresses live instances of `'elastic-ip'` pools still need (one per container minus those they hold). */
  readonly owed: number;
  /** What new nodes may use: limit − allocated + freePool − owed (may be negative). */
  readonly available: number;
}

/**
 * The Elastic IP budget for new nodes: pure arithmetic over the quota, the fleet's live
 * instances and the containers per node of each `'elastic-ip'` pool. An instance holds the
 * fleet addresses tagged for it or associated with it; pending and running instances of
 * `'elastic-ip'` pools are owed the rest of one address per container (they are between
 * RunInstances and association).
 *
 * @param containersByPool - containers per node of every `'elastic-ip'` pool (pools absent: none owed)
 * @example
 * addressBudget({ limit: 5, allocated: 2, fleet }, [{ instanceId: 'i-1', pool: 'media', state: 'pending', instanceType: 'c6i.2xlarge' }], new Map([['media', 2]]));
 * // → { limit: 5, allocated: 2, freePool: 0, owed: 2, available: 1 } (when i-1 holds none yet)
 */
export function addressBudget(
  quota: Pick<AddressQuota, 'allocated' | 'fleet'> & { readonly limit: number },
  instances: readonly InstanceDescription[],
  containersByPool: ReadonlyMap<string, number>,
): AddressBudget {
  const held = new Map<string, number>();
  for (const a of quota.fleet) if (a.instanceId) held.set(a.instanceId, (held.get(a.instanceId) ?? 0) + 1);
  let owed = 0;
  for (const i of instances) {
    const containers = containersByPool.get(i.pool);
    if (containers === undefined || !ADDRESSED_STATES.has(i.state)) continue;
    owed += Math.max(0, containers - (held.get(i.instanceId) ?? 0));
  }
  const freePool = quota.fleet.filter((a) => !a.owned && !a.associated).length;
  return { limit: quota.limit, allocated: quota.allocated, freePool, owed, available: quota.limit - quota.allocated + freePool - owed };
}

/** What {@link launchableWithinAddressQuota} allows. */
export interface AddressQuotaCheck {
  /** Nodes that may be launched (≤ wanted). */
  readonly launch: number;
  /** When fewer than wanted: why, for `ScalingBlocked`. */
  readonly reason?: string | undefined;
}

/**
 * How many of `wanted` nodes of an `'elastic-ip'` pool the account's Elastic IP quota allows:
 * floor(available / containersPerNode) of {@link addressBudget}. Advisory: when the provider has
 * no quota support, the limit cannot be read, or the addresses cannot be listed, every wanted
 * node may launch (logged as a warning) — an allocation past the quota still fails with
 * `AddressLimitExceeded`, which terminates that node with a `ScalingBlocked` (shared/app/nodes.ts).
 * Two decisions racing in parallel can both see the same room; the same fallback catches that.
 *
 * @param now - epoch ms (the provider caches the limit from it)
 */
export async function launchableWithinAddressQuota(deps: AppDeps, pool: PoolConfig, wanted: number, now: number): Promise<AddressQuotaCheck> {
  const { addressQuota } = deps.compute;
  if (!addressQuota || wanted <= 0) return { launch: wanted };
  let quota: AddressQuota;
  try {
    quota = await addressQuota.call(deps.compute, now);
  } catch (error) {
    deps.logger.warn('elastic IP quota check failed: launching unchecked', { pool: pool.name, error: (error as Error).message });
    return { launch: wanted };
  }
  if (quota.limit === undefined) {
    deps.logger.warn('elastic IP quota unknown: launching unchecked', { pool: pool.name, warning: quota.warning });
    return { launch: wanted };
  }
  if (quota.limit === Number.POSITIVE_INFINITY) return { launch: wanted };
  if (quota.warning) deps.logger.info('elastic IP quota read from a fallback source', { source: quota.source, warning: quota.warning });
  const [config, instances] = await Promise.all([deps.config.getConfig(), deps.compute.describeFleet()]);
  const containersByPool = new Map<string, number>();
  for (const p of config.pools) if ((await publicAddressingOf(deps, p.name)) === 'elastic-ip') containersByPool.set(p.name, p.containersPerNode);
  containersByPool.set(pool.name, pool.containersPerNode);
  const budget = addressBudget({ ...quota, limit: quota.limit }, instances, containersByPool);
  const launch = Math.max(0, Math.min(wanted, Math.floor(budget.available / pool.containersPerNode)));
  if (launch >= wanted) return { launch };
  const reason =
    `Elastic IP quota: ${budget.limit} per Region (${quota.source}), ${budget.allocated} allocated, ${budget.owed} owed to booting nodes, ` +
    `${budget.freePool} free in the operator pool: room for ${launch} of ${wanted} node(s) × ${pool.containersPerNode} container(s). ` +
    `Raise EC2 quota L-0263D0A3 (EC2-VPC Elastic IPs) in Service Quotas, or set the pool's publicAddressing to 'none'.`;
  deps.logger.warn('elastic IP quota limits the launch', { pool: pool.name, wanted, launch, budget });
  return { launch, reason };
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
