/**
 * Offerings: where a node can be launched (instance type × subnet), the fallback order in which
 * they are tried, and which offerings a capacity failure marks unavailable, for how long. Which
 * EC2 error codes count as a capacity failure is the EC2 adapter's (`shared/adapters/ec2/errors.ts`).
 *
 * Pure: no clock, no randomness, no SDK. Time (`now`, epoch ms) and the subnet rotation are
 * parameters; the adapter owns the map of offerings it marked unavailable.
 *
 * Source: Karpenter (aws/karpenter-provider-aws), `pkg/cache/cache.go`: `UnavailableOfferingsTTL =
 * 3 * time.Minute` — an offering that failed with insufficient capacity is skipped for 3 min.
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
 * The offerings one capacity failure marks unavailable (for {@link OFFERING_UNAVAILABLE_MS}):
 * the failed offering, or, when the whole subnet lacks capacity (e.g. no free addresses in it),
 * every one of the pool's instance types in that subnet.
 *
 * @param failed - the offering that failed
 * @param instanceTypes - the pool's instance types
 * @param scope - `'offering'`: this instance type in this subnet; `'subnet'`: the whole subnet
 * @returns {@link offeringKey}s to mark
 * @example
 * offeringsMarkedUnavailable({ instanceType: 'c6i.2xlarge', subnetId: 'subnet-a' }, ['c6i.2xlarge', 'c5.2xlarge'], 'subnet');
 * // → ['c6i.2xlarge/subnet-a', 'c5.2xlarge/subnet-a']
 */
export function offeringsMarkedUnavailable(
  failed: Pick<Offering, 'instanceType' | 'subnetId'>,
  instanceTypes: readonly string[],
  scope: 'offering' | 'subnet',
): string[] {
  const types = scope === 'subnet' ? unique(instanceTypes) : [failed.instanceType];
  return types.map((type) => offeringKey(type, failed.subnetId));
}
