/**
 * Offerings: where a node can be launched (instance type × subnet), the fallback order in which
 * they are tried, and the classification of EC2 launch error codes that drives the fallback.
 *
 * Pure: no clock, no randomness, no SDK. Time (`now`, epoch ms) and the subnet rotation are
 * parameters; the adapter owns the map of offerings it marked unavailable.
 *
 * Sources:
 * - Karpenter (aws/karpenter-provider-aws), `pkg/cache/cache.go`: `UnavailableOfferingsTTL =
 *   3 * time.Minute` — an offering that failed with insufficient capacity is skipped for 3 min.
 * - Karpenter, `pkg/errors/errors.go`: `unfulfillableCapacityErrorCodes` = InsufficientInstanceCapacity,
 *   MaxSpotInstanceCountExceeded, VcpuLimitExceeded, UnfulfillableCapacity, Unsupported,
 *   InsufficientFreeAddressesInSubnet, ReservationCapacityExceeded.
 * - Amazon EC2 API Reference, "Error codes for the Amazon EC2 API"
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 *
 * @module
 */

/**
 * How long an offering that failed for capacity reasons is skipped, ms (3 minutes).
 * Source: Karpenter `UnavailableOfferingsTTL = 3 * time.Minute` (pkg/cache/cache.go).
 */
export const OFFERING_UNAVAILABLE_MS = 180_000;

/** One place a node can be launched: an instance type in a subnet. */
export interface Offering {
  readonly instanceType: string;
  readonly subnetId: string;
  /** {@link offeringKey} of the two, the key of the unavailable-offerings map. */
  readonly key: string;
}

/**
 * The key of an offering in the unavailable-offerings map.
 *
 * @example
 * offeringKey('c6i.2xlarge', 'subnet-0a1b'); // → 'c6i.2xlarge/subnet-0a1b'
 */
export function offeringKey(instanceType: string, subnetId: string): string {
  return `${instanceType}/${subnetId}`;
}

/**
 * Whether an offering may be tried at `now`: it is not marked unavailable until a later time.
 *
 * @param unavailable - offering key → epoch ms until which it is unavailable
 * @param key - {@link offeringKey}
 * @param now - epoch ms
 */
export function isOfferingAvailable(unavailable: ReadonlyMap<string, number>, key: string, now: number): boolean {
  const until = unavailable.get(key);
  return until === undefined || until <= now;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The offerings to try for a launch, in fallback order.
 *
 * Instance types keep their configured order (the first is preferred); within each type the
 * subnets are tried in configured order rotated left by `rotation`, so different decisions start
 * in different subnets (spreading nodes across AZs) while a retried decision (same rotation)
 * tries the same offerings in the same order. Offerings marked unavailable until a time after
 * `now` are left out. Duplicate instance types or subnets are tried once.
 *
 * @param instanceTypes - the pool's ordered instance-type fallback list
 * @param subnetIds - subnets to launch into (typically one per AZ)
 * @param unavailable - offering key → epoch ms until which it is unavailable
 * @param now - epoch ms
 * @param rotation - how many subnets to rotate the start by (any integer; taken modulo the count)
 * @returns the available offerings, first to try first (empty when none is available)
 * @example
 * orderOfferings(['c6i.2xlarge', 'c5.2xlarge'], ['subnet-a', 'subnet-b'], new Map([['c6i.2xlarge/subnet-a', 2000]]), 1000);
 * // → c6i.2xlarge/subnet-b, c5.2xlarge/subnet-a, c5.2xlarge/subnet-b
 */
export function orderOfferings(
  instanceTypes: readonly string[],
  subnetIds: readonly string[],
  unavailable: ReadonlyMap<string, number>,
  now: number,
  rotation = 0,
): Offering[] {
  const types = unique(instanceTypes);
  const subnets = unique(subnetIds);
  const n = subnets.length;
  const shift = n === 0 || !Number.isFinite(rotation) ? 0 : ((Math.trunc(rotation) % n) + n) % n;
  const rotated = [...subnets.slice(shift), ...subnets.slice(0, shift)];
  const offerings: Offering[] = [];
  for (const instanceType of types) {
    for (const subnetId of rotated) {
      const key = offeringKey(instanceType, subnetId);
      if (isOfferingAvailable(unavailable, key, now)) offerings.push({ instanceType, subnetId, key });
    }
  }
  return offerings;
}

/**
 * EC2 error codes that mean "this offering (instance type × subnet/AZ) cannot be launched right
 * now; another offering may work". Karpenter's `unfulfillableCapacityErrorCodes` minus the two
 * account-wide quotas (see {@link QUOTA_CODES}), plus the other insufficient-capacity codes of the
 * EC2 API error reference.
 */
export const UNFULFILLABLE_CAPACITY_CODES: ReadonlySet<string> = new Set([
  // Karpenter pkg/errors/errors.go
  'InsufficientInstanceCapacity',
  'UnfulfillableCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'ReservationCapacityExceeded',
  // EC2 API error reference
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientReservedInstanceCapacity',
  // Spot: the price cap is below the Spot price of this type in this AZ; another may be cheaper.
  'SpotMaxPriceTooLow',
]);

/**
 * EC2 error codes for account-wide limits: every offering would fail the same way, so a launch
 * stops at once. `VcpuLimitExceeded` and `MaxSpotInstanceCountExceeded` are in Karpenter's
 * unfulfillable list because Karpenter can fall back to another capacity type (Spot ↔ On-Demand)
 * in one CreateFleet call; this provider's launch template fixes the market, and the vCPU quota
 * covers all the same-family (Standard: C, M, R, …) types a pool lists, so here they are quotas.
 * Karpenter itself reports them as `VCPULimitExceeded` / `SpotQuotaExceeded` and maps
 * `PendingVerification` to `AccountPendingVerification` (`ToReasonMessage`).
 */
export const QUOTA_CODES: ReadonlySet<string> = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'PendingVerification',
]);

/**
 * Whether an EC2 error code means the offering lacks capacity now (mark it unavailable for
 * {@link OFFERING_UNAVAILABLE_MS} and try the next one).
 *
 * @example
 * isUnfulfillableCapacityCode('InsufficientInstanceCapacity'); // → true
 * isUnfulfillableCapacityCode('VcpuLimitExceeded'); // → false (a quota)
 */
export function isUnfulfillableCapacityCode(code: string | undefined): boolean {
  return code !== undefined && UNFULFILLABLE_CAPACITY_CODES.has(code);
}

/**
 * Whether an EC2 error code is an account limit that blocks every offering (retrying elsewhere
 * will not help; raise the quota).
 *
 * @example
 * isQuotaCode('VcpuLimitExceeded'); // → true
 */
export function isQuotaCode(code: string | undefined): boolean {
  return code !== undefined && QUOTA_CODES.has(code);
}

/**
 * Whether an EC2 error code concerns the whole subnet rather than one instance type in it
 * (`InsufficientFreeAddressesInSubnet`: every type in that subnet should be marked unavailable).
 */
export function isSubnetCapacityCode(code: string | undefined): boolean {
  return code === 'InsufficientFreeAddressesInSubnet';
}
