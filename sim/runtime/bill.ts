/**
 * The bill of a simulated fleet: instance-hours, EBS and public IPv4, from each instance's
 * history (`sim/adapters/instance-history.ts`), at the prices of `shared/domain/pricing.ts`.
 *
 * What is billed, per instance, over the part of its life inside [from, to]:
 * - the instance, at its `hourlyPriceUsd`, while it exists and is not inside a stopped interval
 *   (Amazon EC2 User Guide, "Amazon EC2 instance state changes": a `stopped` instance is not
 *   billed for usage; `stopping` is not billed for a stop but is billed while hibernating — the
 *   history's stopped interval starts where billing stops, see `LocalInstanceStates`);
 * - its gp3 root volume, `rootVolumeGiB` GB-months at the Region's price, for the whole time it
 *   exists, running or stopped (Amazon EBS pricing: storage is charged until the volume is
 *   released; a hibernated instance's RAM lives on that same root volume, so hibernation adds no
 *   separate line);
 * - its public IPv4 addresses, `publicIpv4Count` per hour while it exists (Amazon VPC pricing:
 *   in use or idle, Elastic IPs included); inside a stopped interval that says how many it held
 *   (0 once released on stop), that count instead.
 * Per-second billing, no one-minute minimum per start (not modelled).
 *
 * @module
 */
import { HOURS_PER_MONTH, regionPrices, type RegionPrices } from '../../shared/domain/pricing.ts';
import type { InstanceHistory } from '../adapters/instance-history.ts';
import type { SimulationSummary } from './types.ts';

/** A fleet's bill over an interval, USD; hours are instance-hours. */
export interface FleetBill {
  /** Instance usage while running (not stopped), USD. */
  readonly instanceUsd: number;
  /** gp3 root volumes while the instances exist, running or stopped, USD. */
  readonly ebsUsd: number;
  /** Public IPv4 address-hours while the instances exist, USD. */
  readonly publicIpv4Usd: number;
  /** instanceUsd + ebsUsd + publicIpv4Usd, USD. */
  readonly totalUsd: number;
  /** Hours billed for instance usage (the node-hours), h. */
  readonly runningHours: number;
  /** Hours instances spent stopped (warm pool), h. */
  readonly stoppedHours: number;
}

const MS_PER_HOUR = 3_600_000;

/** Length of [a, b] ∩ [c, d], ms (0 when they do not meet). */
function overlapMs(a: number, b: number, c: number, d: number): number {
  return Math.max(0, Math.min(b, d) - Math.max(a, c));
}

/**
 * Bill a fleet's instances between `from` and `to`.
 *
 * @param histories - every instance's life (launch, stopped intervals, termination)
 * @param from - start of the billed interval, epoch ms
 * @param to - end of the billed interval, epoch ms (an instance still alive is billed up to it)
 * @param prices - the Region's prices (default: `DEFAULT_PRICING_REGION`'s)
 * @returns the bill, USD, with the running and stopped hours
 * @example
 * // One instance, 10 h alive, 4 h of them stopped, 30 GiB, 2 addresses, 0.348 USD/h, us-east-1:
 * // instance 6 h × 0.348 = 2.088; EBS 30 × 0.08 × 10 / 730 ≈ 0.0329; IPv4 2 × 10 × 0.005 = 0.10
 */
export function computeBill(histories: readonly InstanceHistory[], from: number, to: number, prices: RegionPrices = regionPrices()): FleetBill {
  let runningMs = 0;
  let stoppedMs = 0;
  let instanceUsd = 0;
  let gibMs = 0;
  let addressMs = 0;
  for (const h of histories) {
    const start = Math.max(from, h.launchedAt);
    const end = Math.min(to, h.terminatedAt ?? to);
    if (end <= start) continue;
    const aliveMs = end - start;
    let stopped = 0;
    let addresses = aliveMs * h.publicIpv4Count;
    for (const s of h.stopped) {
      const ms = overlapMs(s.from, s.to ?? end, start, end);
      stopped += ms;
      if (s.publicIpv4Count !== undefined) addresses += ms * (s.publicIpv4Count - h.publicIpv4Count);
    }
    stopped = Math.min(stopped, aliveMs);
    runningMs += aliveMs - stopped;
    stoppedMs += stopped;
    instanceUsd += ((aliveMs - stopped) / MS_PER_HOUR) * h.hourlyPriceUsd;
    gibMs += aliveMs * h.rootVolumeGiB;
    addressMs += Math.max(0, addresses);
  }
  const ebsUsd = (gibMs / MS_PER_HOUR / HOURS_PER_MONTH) * prices.gp3UsdPerGbMonth;
  const publicIpv4Usd = (addressMs / MS_PER_HOUR) * prices.publicIpv4UsdPerHour;
  return {
    instanceUsd,
    ebsUsd,
    publicIpv4Usd,
    totalUsd: instanceUsd + ebsUsd + publicIpv4Usd,
    runningHours: runningMs / MS_PER_HOUR,
    stoppedHours: stoppedMs / MS_PER_HOUR,
  };
}

/**
 * The cost fields of `simulate`'s summary: the full bill, the instance-only figure and the lines.
 *
 * @param histories - every instance's life
 * @param from - start of the run, epoch ms
 * @param to - end of the run, epoch ms
 * @param prices - the Region's prices (default: `DEFAULT_PRICING_REGION`'s)
 */
export function costFigures(
  histories: readonly InstanceHistory[],
  from: number,
  to: number,
  prices: RegionPrices = regionPrices(),
): Pick<SimulationSummary, 'costUsd' | 'instanceCostUsd' | 'costBreakdown'> {
  const bill = computeBill(histories, from, to, prices);
  return {
    costUsd: bill.totalUsd,
    instanceCostUsd: bill.instanceUsd,
    costBreakdown: { instanceUsd: bill.instanceUsd, ebsUsd: bill.ebsUsd, publicIpv4Usd: bill.publicIpv4Usd, region: prices.region, stoppedHours: bill.stoppedHours },
  };
}
