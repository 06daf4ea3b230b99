/**
 * What a media node costs beside its instance-hours, in one place per Region: the gp3 root
 * volume (billed while the instance exists, running or stopped) and its public IPv4 addresses
 * (billed per address-hour while allocated, in use or idle, Elastic IPs included). The instance
 * price itself stays with the pool (`PoolConfig.hourlyPriceUsd`: it depends on the instance type
 * the operator picks; the default 0.348 USD/h is an 8-vCPU c6i.2xlarge-class node in
 * eu-central-1, shared/domain/config.ts), and the bill reads it from each instance's history.
 *
 * Sources:
 * - gp3 storage: Amazon EBS pricing, https://aws.amazon.com/ebs/pricing/ ("Volume storage for
 *   General Purpose SSD (gp3) volumes is charged by the amount you provision in GB per month until
 *   you release the storage"; us-east-1: 0.08 USD per GB-month, the figure of the page's own gp3
 *   example). The baseline 3,000 IOPS and 125 MB/s of a gp3 volume are free; nodes provision no
 *   more. Volumes are sized in GiB and billed as that many GB-months (as AWS bills them).
 * - Public IPv4: Amazon VPC pricing, https://aws.amazon.com/vpc/pricing/ ("Public IPv4
 *   Addresses"), announced in the AWS News Blog of 28 July 2023, "New – AWS Public IPv4 Address
 *   Charge + Public IP Insights": 0.005 USD per IP per hour from 1 February 2024 for every public
 *   IPv4 address, in use or idle, Elastic IPs included, in every commercial Region.
 * - Hours per month: 730, AWS's own convention (AWS Pricing Calculator, "730 hours in a month").
 *
 * @module
 */

/** Hours in a month for per-month prices (AWS Pricing Calculator convention: 24 × 365 / 12). */
export const HOURS_PER_MONTH = 730;

/** One public IPv4 address, USD per address-hour, in use or idle, Elastic IPs included (since 1 Feb 2024). */
export const PUBLIC_IPV4_USD_PER_HOUR = 0.005;

/** A Region's prices of what a node holds beside its instance. */
export interface RegionPrices {
  /** The Region code, e.g. `us-east-1`. */
  readonly region: string;
  /** gp3 volume storage, USD per GB-month. */
  readonly gp3UsdPerGbMonth: number;
  /** Public IPv4 address, USD per address-hour. */
  readonly publicIpv4UsdPerHour: number;
  /**
   * Where the gp3 figure comes from. `confirmed`: read on the Amazon EBS pricing page;
   * `unconfirmed`: the page's Region table was not readable when this was written (it is filled
   * in by script in the browser) — the figure is the one widely quoted for the Region and must be
   * checked against the page before a quote is given to anyone.
   */
  readonly gp3Source: 'confirmed' | 'unconfirmed';
}

/**
 * The Regions priced. eu-central-1 is the project's default Region (the pools' default instance
 * price is its own).
 */
export const REGION_PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': { region: 'us-east-1', gp3UsdPerGbMonth: 0.08, publicIpv4UsdPerHour: PUBLIC_IPV4_USD_PER_HOUR, gp3Source: 'confirmed' },
  'eu-central-1': { region: 'eu-central-1', gp3UsdPerGbMonth: 0.0952, publicIpv4UsdPerHour: PUBLIC_IPV4_USD_PER_HOUR, gp3Source: 'unconfirmed' },
};

/** The Region the simulator and the bench bill in (the pools' default instance price is eu-central-1's). */
export const DEFAULT_PRICING_REGION = 'eu-central-1';

/**
 * A Region's prices.
 *
 * @param region - Region code
 * @throws {Error} for a Region not in {@link REGION_PRICES} (no made-up price)
 */
export function regionPrices(region: string = DEFAULT_PRICING_REGION): RegionPrices {
  const prices = REGION_PRICES[region];
  if (!prices) throw new Error(`no prices for Region ${region}: add its gp3 GB-month price (Amazon EBS pricing page) to REGION_PRICES`);
  return prices;
}

/**
 * What one node costs per hour while it exists but is stopped (a warm-pool node): its gp3 root
 * volume and its public IPv4 addresses, USD/h.
 *
 * @param rootVolumeGiB - root volume size, GiB
 * @param publicIpv4Count - public IPv4 addresses it keeps while stopped
 * @example
 * stoppedNodeUsdPerHour(30, 2, regionPrices('us-east-1')); // 30 × 0.08 / 730 + 2 × 0.005 ≈ 0.01329
 */
export function stoppedNodeUsdPerHour(rootVolumeGiB: number, publicIpv4Count: number, prices: RegionPrices = regionPrices()): number {
  return (rootVolumeGiB * prices.gp3UsdPerGbMonth) / HOURS_PER_MONTH + publicIpv4Count * prices.publicIpv4UsdPerHour;
}
