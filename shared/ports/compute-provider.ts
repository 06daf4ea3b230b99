/**
 * Port: the compute the autoscaler launches and terminates (EC2, or the simulated fleet).
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';

/** A request to launch nodes for a pool. */
export interface LaunchRequest {
  readonly pool: PoolConfig;
  /** Nodes to launch (≥ 1). */
  readonly count: number;
  /**
   * Id of the scaling decision; the provider derives the EC2 `ClientToken` from it (per
   * offering tried) so a retried decision never launches twice.
   */
  readonly decisionId: string;
  /** Rendered user-data (plain text; the provider base64-encodes it). */
  readonly userData?: string | undefined;
  /** Epoch ms, for marking offerings unavailable. */
  readonly now: number;
  /**
   * How the pool's containers get public IPv4 (node settings `publicAddressing`). EC2 takes it
   * from the rendered user-data and ignores this field; the simulated fleet reports no public IP
   * in `NodeReady` for `'none'`. @default 'elastic-ip'
   */
  readonly publicAddressing?: PublicAddressing | undefined;
}

/**
 * How a pool's containers get public IPv4: `'elastic-ip'` (one Elastic IP per container's
 * secondary private IP) or `'none'` (private only). Same values as node settings
 * `publicAddressing` (`shared/bootstrap/parameters.ts`; a type test keeps the two equal).
 */
export type PublicAddressing = 'elastic-ip' | 'none';

/** An instance the provider launched. */
export interface LaunchedInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly subnetId?: string | undefined;
  readonly availabilityZone?: string | undefined;
}

/** Outcome of one offering (instance type × subnet) that failed during a launch. */
export interface LaunchFailure {
  readonly instanceType: string;
  readonly subnetId?: string | undefined;
  /** EC2 error code, e.g. `InsufficientInstanceCapacity`. */
  readonly code: string;
  readonly message: string;
}

/** What a launch achieved: possibly fewer instances than asked for (partial success). */
export interface LaunchResult {
  readonly instances: readonly LaunchedInstance[];
  /** Offerings that failed for capacity reasons before one (or none) succeeded. */
  readonly failures: readonly LaunchFailure[];
}

/** One instance a start could not start, and why. */
export interface StartFailure {
  readonly instanceId: string;
  /** EC2 error code, e.g. `InsufficientInstanceCapacity`, `IncorrectInstanceState`. */
  readonly code: string;
  readonly message: string;
}

/** What a start achieved: instances may fail one by one (capacity); the rest are starting. */
export interface StartResult {
  /** Instances EC2 accepted to start (now `pending`). */
  readonly started: readonly string[];
  /** Instances that did not start; a capacity failure leaves the node stopped for later. */
  readonly failures: readonly StartFailure[];
}

/** How to stop warm-pool nodes. */
export interface StopRequest {
  readonly instanceIds: readonly string[];
  /** Hibernate (save RAM to the encrypted root volume) instead of a plain stop. */
  readonly hibernate: boolean;
}

/** What {@link ComputeProvider.releaseStoppedAddresses} did. */
export interface StoppedAddressRelease {
  /** Whether the node's Elastic IPs were released (fleet-owned) or disassociated (operator pool). */
  readonly released: boolean;
  /** EC2 state of the instance when checked (`'unknown'` when EC2 does not know it). */
  readonly state: string;
}

/** An instance as the provider describes it (found by the fleet's tags). */
export interface InstanceDescription {
  readonly instanceId: string;
  readonly pool: string;
  /** EC2 state name: pending | running | shutting-down | terminated | stopping | stopped. */
  readonly state: string;
  readonly instanceType: string;
  /** When EC2 launched it, epoch ms. */
  readonly launchTime?: number | undefined;
  /**
   * Whether a secondary private IP of its primary ENI has no public IP associated (DescribeInstances'
   * `Association`); undefined when EC2 shows no secondary private IP yet or the provider does not say.
   * The sweep associates a booting node's missing Elastic IPs from it (shared/app/reconcile-addresses.ts).
   */
  readonly missingPublicIps?: boolean | undefined;
}

/** One Elastic IP associated with a secondary private IP of a node's primary ENI. */
export interface AddressAssociation {
  readonly privateIp: string;
  readonly publicIp: string;
  /** `eipalloc-…` when this call associated it (DescribeInstances does not report it for existing ones). */
  readonly allocationId?: string | undefined;
}

/**
 * The addresses EC2 gave a node, as EC2 (or the simulated fleet) reports them — never as the
 * node reports them: the secondary private IPs of its primary network interface (one per WCS
 * container, in interface order) and the public IP associated with each.
 */
export interface NodeAddresses {
  /** Secondary private IPv4 addresses of the primary network interface, in interface order. */
  readonly privateIps: readonly string[];
  /** Public IPv4 (Elastic IP) associated with a secondary private IP, by private IP. */
  readonly publicIps: ReadonlyMap<string, string>;
}

/** An Elastic IP the fleet owns (tagged with the fleet tag) or borrows from the operator's pool. */
export interface FleetAddress {
  readonly allocationId: string;
  readonly publicIp: string;
  /** Whether it is associated with anything now. */
  readonly associated: boolean;
  /** Instance it was allocated for (`wcs-autoscaler:node` tag), or is associated with. */
  readonly instanceId?: string | undefined;
  /** True for the fleet's own allocations (released when unused); false for the operator's pool (only disassociated). */
  readonly owned: boolean;
}

/**
 * The account's Elastic IP quota in the provider's Region and what already uses it: the input of
 * the pre-launch check (`shared/app/addresses.ts` `launchableWithinAddressQuota`).
 */
export interface AddressQuota {
  /**
   * Most Elastic IPs the account may hold in the Region (EC2 quota "EC2-VPC Elastic IPs",
   * code `L-0263D0A3`; 5 by default), or undefined when no source could be read (`warning` says
   * why); `Infinity` for a simulated fleet without a modelled quota.
   */
  readonly limit: number | undefined;
  /** Where `limit` came from. */
  readonly source: 'service-quotas' | 'account-attributes' | 'simulated' | 'unknown';
  /** Elastic IPs allocated in the account and Region now, by anyone (they all count against the quota). */
  readonly allocated: number;
  /** The fleet's own and the operator pool's addresses, as {@link ComputeProvider.describeAddresses} returns them. */
  readonly fleet: readonly FleetAddress[];
  /** Why a source failed (access denied, throttled, …), for the caller's log. */
  readonly warning?: string | undefined;
}

/**
 * Launch and terminate media nodes.
 *
 * Errors: `launch` throws {@link LaunchQuotaError} when an account limit blocks every launch,
 * {@link NoCapacityAvailableError} when every offering lacked capacity, and
 * {@link AutoscalerError} (retryable) for other failures; a partial success returns normally.
 * `terminate` is idempotent (already terminated ids are not an error).
 */
export interface ComputeProvider {
  launch(request: LaunchRequest): Promise<LaunchResult>;
  terminate(instanceIds: readonly string[]): Promise<void>;
  /**
   * Start stopped (or hibernated) warm-pool nodes (`StartInstances`). Optional: a provider
   * without it has no warm pool. Already running or pending ids count as started.
   *
   * @throws {AutoscalerError} when EC2 fails as a whole (retryable when transient); per-instance
   *   capacity failures are returned in {@link StartResult.failures}
   */
  start?(instanceIds: readonly string[], now: number): Promise<StartResult>;
  /**
   * Stop (or hibernate) empty nodes into the warm pool (`StopInstances`). Idempotent: already
   * stopping or stopped ids are not an error.
   *
   * @throws {AutoscalerError} when EC2 fails (retryable when transient); a refused hibernation
   *   (`UnsupportedHibernationConfiguration`) is not retried as a plain stop by the provider
   */
  stop?(request: StopRequest): Promise<void>;
  /** Instances tagged for this fleet (optionally one pool), not yet terminated. */
  describeFleet(pool?: string): Promise<readonly InstanceDescription[]>;
  /*
   * Elastic IPs (optional so simulated providers may leave them out; the EC2 and local
   * providers implement them). Each WCS container's `ip` setting is the Elastic IP of its
   * secondary private IP; the node waits for the associations in IMDS (docs/design.md#node-bootstrap-and-configuration).
   */
  /**
   * Associate one Elastic IP with each secondary private IP of the instance's primary ENI,
   * allocating (tagged for the fleet, pool and node) or taking from the operator's pool.
   * Idempotent: IPs that already have one keep it, so a redelivered event changes nothing.
   *
   * @returns one association per secondary private IP, in ENI order
   * @throws {LaunchQuotaError} (`AddressLimitExceeded`) when the account's Elastic IP quota is used up
   * @throws {AutoscalerError} when EC2 fails (retryable when transient or the instance is not yet visible)
   */
  associateAddresses?(instanceId: string): Promise<readonly AddressAssociation[]>;
  /**
   * Release the fleet's Elastic IPs allocated for a terminated instance; operator-pool addresses
   * are only disassociated. Idempotent.
   */
  releaseAddresses?(instanceId: string): Promise<void>;
  /**
   * The addresses the provider gave an instance (`DescribeInstances` on EC2), to check what the
   * node reports in `NodeReady` against. Optional: without it node-events can check only the
   * container count.
   *
   * @returns undefined when the provider does not know the instance
   * @throws {AutoscalerError} when EC2 fails (retryable when transient)
   */
  nodeAddresses?(instanceId: string): Promise<NodeAddresses | undefined>;
  /**
   * On a warm-pool node's EC2 `stopped` event, for a pool with `warmPool.releaseAddressesOnStop`:
   * release its fleet-owned Elastic IPs and disassociate operator-pool ones (as
   * {@link releaseAddresses}), so a stopped node pays for no public IPv4; `associateAddresses`
   * gives it new ones when it runs again. Releases only while the provider still reports the
   * instance `stopping` or `stopped`: a late or redelivered event for a node started again
   * releases nothing. Idempotent.
   *
   * @throws {AutoscalerError} when EC2 fails (retryable when transient)
   */
  releaseStoppedAddresses?(instanceId: string): Promise<StoppedAddressRelease>;
  /** The fleet's Elastic IPs and the operator pool's, for the sweep's reconciliation. */
  describeAddresses?(): Promise<readonly FleetAddress[]>;
  /** Release one fleet-owned Elastic IP (already released is not an error). */
  releaseAddress?(allocationId: string): Promise<void>;
  /**
   * The account's Elastic IP quota and usage, for the check before launching nodes of an
   * `'elastic-ip'` pool. The limit is cached by the provider for a few minutes from `now`; the
   * usage is read on every call.
   *
   * @param now - epoch ms (cache expiry)
   * @throws {AutoscalerError} when the addresses cannot be listed (retryable when transient);
   *   an unreadable *limit* is not an error (`limit` undefined, `warning` set)
   */
  addressQuota?(now: number): Promise<AddressQuota>;
}
