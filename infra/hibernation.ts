/**
 * Whether a pool's nodes can hibernate, checked at synth (`parseDeploymentConfig`, and again by
 * `MediaNodes` before it enables hibernation in a launch template): EC2 accepts
 * `HibernationOptions.Configured` only at launch, and refuses a later `StopInstances` with
 * `Hibernate` (`UnsupportedHibernationConfiguration`) when a prerequisite is missing — too late to
 * find out. Each refusal says which prerequisite fails and how to fix it.
 *
 * Source: Amazon EC2 User Guide, "Prerequisites for EC2 instance hibernation"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/hibernating-prerequisites.html): supported
 * instance families; no bare metal; RAM less than 150 GiB; an EBS root volume, encrypted, "large
 * enough to store the RAM contents and accommodate your expected usage, for example, OS or
 * applications"; AL2023 AMIs released 2023.09.20 or later (x86_64) / 2024.07.01 or later (arm64)
 * support hibernation — the launch template takes the current AL2023 AMI at each deploy. On-Demand
 * only here: a one-time Spot instance cannot be stopped or hibernated (a Spot pool has no warm pool,
 * `warmPoolStateOf` in shared/domain/config.ts).
 *
 * @module
 */
import type { PoolConfig } from '../shared/domain/config.ts';

/**
 * Instance families that support hibernation, as the prerequisites page lists them (general
 * purpose, compute optimized, memory optimized, storage optimized). AWS adds families over time:
 * a family missing here can be allowed with the deployment setting
 * `node.hibernationInstanceFamilies` once `aws ec2 describe-instance-types --filters
 * Name=hibernation-supported,Values=true` lists it in the Region.
 */
export const HIBERNATION_INSTANCE_FAMILIES: ReadonlySet<string> = new Set([
  // General purpose
  'm3', 'm4', 'm5', 'm5a', 'm5ad', 'm5d', 'm6i', 'm6id', 'm7i', 'm7i-flex', 't2', 't3', 't3a',
  // Compute optimized
  'c3', 'c4', 'c5', 'c5d', 'c6i', 'c6id',
  // Memory optimized
  'r3', 'r4', 'r5', 'r5a', 'r5ad', 'r5d',
  // Storage optimized
  'i3', 'i3en',
]);

/** RAM at or above which EC2 does not hibernate an instance, GiB (prerequisites page: "less than 150 GiB"). */
export const HIBERNATION_MAX_RAM_GIB = 150;

/**
 * Root volume kept for the OS and applications beside the RAM image when hibernating, GiB: the
 * 8 GiB of the Amazon Linux 2023 AMI's own root snapshot. The WCS image and logs need room too —
 * a pool's `rootVolumeGiB` (default 30) usually leaves more.
 */
export const HIBERNATION_OS_MARGIN_GIB = 8;

/** Family of an instance type: the part before the dot (`c6i.2xlarge` → `c6i`, `m7i-flex.large` → `m7i-flex`). */
export function instanceFamily(instanceType: string): string {
  return instanceType.split('.')[0]!.toLowerCase();
}

/**
 * Smallest root volume that holds a pool's RAM contents plus {@link HIBERNATION_OS_MARGIN_GIB}, GiB:
 * ceil(memoryMiB / 1024) + 8.
 *
 * @example
 * minimumHibernationRootGiB(16_384); // → 24
 */
export function minimumHibernationRootGiB(memoryMiB: number): number {
  return Math.ceil(memoryMiB / 1024) + HIBERNATION_OS_MARGIN_GIB;
}

/**
 * Why a pool's nodes cannot hibernate: one sentence per failed prerequisite (empty when they can,
 * or when the pool does not ask for hibernation).
 *
 * @param extraFamilies - families the operator verified beyond {@link HIBERNATION_INSTANCE_FAMILIES}
 * @example
 * hibernationRefusals({ ...pool, warmPool: { ...pool.warmPool, state: 'hibernated' }, rootVolumeGiB: 20 });
 * // → ['root volume 20 GiB cannot hold the 16 GiB of RAM plus 8 GiB for the OS: set rootVolumeGiB ≥ 24 …']
 */
export function hibernationRefusals(
  pool: Pick<PoolConfig, 'instanceTypes' | 'memoryMiB' | 'rootVolumeGiB' | 'spot' | 'warmPool'>,
  extraFamilies: readonly string[] = [],
): string[] {
  if (pool.warmPool.state !== 'hibernated') return [];
  const refusals: string[] = [];
  if (pool.spot) {
    refusals.push("a Spot pool cannot hibernate: its nodes are one-time Spot requests, which EC2 cannot stop or hibernate (set warmPool.state 'none', or spot false)");
  }
  const families = new Set([...HIBERNATION_INSTANCE_FAMILIES, ...extraFamilies.map((f) => f.toLowerCase())]);
  for (const type of pool.instanceTypes) {
    if (/\.metal/.test(type)) refusals.push(`${type}: bare metal instances cannot hibernate`);
    else if (!families.has(instanceFamily(type))) {
      refusals.push(
        `${type}: the ${instanceFamily(type)} family is not on the list of families that support hibernation (Amazon EC2 User Guide, "Prerequisites for EC2 instance hibernation"); ` +
          `if "aws ec2 describe-instance-types --filters Name=hibernation-supported,Values=true" lists it in your Region, add it to node.hibernationInstanceFamilies`,
      );
    }
  }
  const ramGiB = pool.memoryMiB / 1024;
  if (ramGiB >= HIBERNATION_MAX_RAM_GIB) refusals.push(`memoryMiB ${pool.memoryMiB} (${ramGiB} GiB): EC2 hibernates only instances with less than ${HIBERNATION_MAX_RAM_GIB} GiB of RAM`);
  const minimum = minimumHibernationRootGiB(pool.memoryMiB);
  if (pool.rootVolumeGiB < minimum) {
    refusals.push(
      `root volume ${pool.rootVolumeGiB} GiB cannot hold the ${Math.ceil(ramGiB)} GiB of RAM plus ${HIBERNATION_OS_MARGIN_GIB} GiB for the OS ` +
        `(AWS: the root volume must be "large enough to store the RAM contents"): set rootVolumeGiB ≥ ${minimum}`,
    );
  }
  return refusals;
}
