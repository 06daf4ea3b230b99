/**
 * What the simulated fleet remembers of each instance, for the bill: when it ran, when it was
 * stopped, when it ended, and the EBS and public IPv4 it held meanwhile.
 *
 * @module
 */

/** One interval during which an instance was stopped (paid for EBS and public IPv4 only). */
export interface StoppedInterval {
  /** When EC2 reported it stopped (or began stopping), epoch ms. */
  readonly from: number;
  /** When StartInstances was accepted, epoch ms; absent while still stopped. */
  readonly to?: number | undefined;
  /**
   * Public IPv4 addresses held during this interval, when not the instance's
   * `publicIpv4Count`: 0 when the pool released them on stop (`warmPool.releaseAddressesOnStop`).
   * Absent: the instance's `publicIpv4Count`.
   */
  readonly publicIpv4Count?: number | undefined;
}

/** The life of one simulated instance, as the bill needs it. */
export interface InstanceHistory {
  readonly instanceId: string;
  readonly pool: string;
  readonly instanceType: string;
  /** Instance price while running, USD/h. */
  readonly hourlyPriceUsd: number;
  /** When RunInstances returned, epoch ms. */
  readonly launchedAt: number;
  /** When it was terminated, epoch ms; absent while it exists. */
  readonly terminatedAt?: number | undefined;
  /** Intervals it spent stopped, in order (none for a node that never entered the warm pool). */
  readonly stopped: readonly StoppedInterval[];
  /** Root EBS volume, GiB (gp3). */
  readonly rootVolumeGiB: number;
  /** Public IPv4 addresses it holds while it exists (Elastic IPs included, in use or idle). */
  readonly publicIpv4Count: number;
}
