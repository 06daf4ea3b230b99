import { describe, expect, it } from 'vitest';
import { computeBill } from '../../sim/runtime/bill.ts';
import { HOURS_PER_MONTH, regionPrices, stoppedNodeUsdPerHour } from '../../shared/domain/pricing.ts';
import type { InstanceHistory } from '../../sim/adapters/instance-history.ts';

const H = 3_600_000;
const US = regionPrices('us-east-1');

function node(over: Partial<InstanceHistory> = {}): InstanceHistory {
  return { instanceId: 'i-1', pool: 'default', instanceType: 'c6i.2xlarge', hourlyPriceUsd: 0.348, launchedAt: 0, stopped: [], rootVolumeGiB: 30, publicIpv4Count: 2, ...over };
}

describe('Function: computeBill', () => {
  it('bills a node running the whole interval for its instance, its volume and its addresses', () => {
    // Act: 10 h running, us-east-1
    const bill = computeBill([node({ terminatedAt: 10 * H })], 0, 10 * H, US);

    // Assess: 10 × 0.348 = 3.48; 30 GB × 0.08 × 10 / 730 = 0.0328767…; 2 × 10 × 0.005 = 0.10
    expect(bill.instanceUsd).toBeCloseTo(3.48, 10);
    expect(bill.ebsUsd).toBeCloseTo(24 / 730, 10);
    expect(bill.publicIpv4Usd).toBeCloseTo(0.1, 10);
    expect(bill.totalUsd).toBeCloseTo(3.48 + 24 / 730 + 0.1, 10);
    expect(bill.runningHours).toBeCloseTo(10, 10);
    expect(bill.stoppedHours).toBe(0);
  });

  it('bills a stopped interval for EBS and IPv4 only', () => {
    // Act: 10 h alive, stopped from 2 h to 6 h
    const bill = computeBill([node({ terminatedAt: 10 * H, stopped: [{ from: 2 * H, to: 6 * H }] })], 0, 10 * H, US);

    // Assess: instance 6 h × 0.348 = 2.088; volume and addresses all 10 h
    expect(bill.instanceUsd).toBeCloseTo(2.088, 10);
    expect(bill.ebsUsd).toBeCloseTo(24 / 730, 10);
    expect(bill.publicIpv4Usd).toBeCloseTo(0.1, 10);
    expect(bill.runningHours).toBeCloseTo(6, 10);
    expect(bill.stoppedHours).toBeCloseTo(4, 10);
  });

  it('bills a hibernated node like a stopped one: its RAM is on the same root volume', () => {
    // Prepare: hibernated from 1 h, still hibernated at the end (open interval); a 64 GiB root volume for the RAM
    const hibernated = node({ rootVolumeGiB: 64, stopped: [{ from: 1 * H }] });

    // Act: bill 0–5 h
    const bill = computeBill([hibernated], 0, 5 * H, US);

    // Assess: 1 h of instance; 64 GB × 0.08 × 5 / 730; 2 × 5 × 0.005
    expect(bill.instanceUsd).toBeCloseTo(0.348, 10);
    expect(bill.ebsUsd).toBeCloseTo((64 * 0.08 * 5) / 730, 10);
    expect(bill.publicIpv4Usd).toBeCloseTo(0.05, 10);
    expect(bill.stoppedHours).toBeCloseTo(4, 10);
  });

  it('counts each address-hour, and none for a stop that released the addresses', () => {
    // Prepare: four containers with an address each, 8 h; addresses released during a 3 h stop
    const kept = node({ instanceId: 'i-kept', publicIpv4Count: 4, terminatedAt: 8 * H });
    const released = node({ instanceId: 'i-rel', publicIpv4Count: 4, terminatedAt: 8 * H, stopped: [{ from: 4 * H, to: 7 * H, publicIpv4Count: 0 }] });
    const privateOnly = node({ instanceId: 'i-priv', publicIpv4Count: 0, terminatedAt: 8 * H });

    // Act
    const bills = [kept, released, privateOnly].map((n) => computeBill([n], 0, 8 * H, US));

    // Assess: 4 × 8 × 0.005 = 0.16; 4 × (8 − 3) × 0.005 = 0.10; 0
    expect(bills.map((b) => b.publicIpv4Usd)).toEqual([expect.closeTo(0.16, 10), expect.closeTo(0.1, 10), 0]);
  });

  it('bills only the part of each life inside [from, to]', () => {
    // Prepare: launched at 1 h, terminated at 5 h; another never terminated
    const a = node({ launchedAt: 1 * H, terminatedAt: 5 * H, publicIpv4Count: 0, rootVolumeGiB: 73 });
    const b = node({ instanceId: 'i-2', launchedAt: 3 * H, publicIpv4Count: 0, rootVolumeGiB: 73 });

    // Act: bill 2–4 h
    const bill = computeBill([a, b], 2 * H, 4 * H, US);

    // Assess: a 2 h, b 1 h → 3 instance-hours; 73 GB × 3 h / 730 × 0.08 = 0.024
    expect(bill.runningHours).toBeCloseTo(3, 10);
    expect(bill.instanceUsd).toBeCloseTo(3 * 0.348, 10);
    expect(bill.ebsUsd).toBeCloseTo(0.024, 10);
  });

  it('prices the volume at the Region given, and refuses a Region without prices', () => {
    // Act
    const us = computeBill([node({ terminatedAt: HOURS_PER_MONTH * H, publicIpv4Count: 0 })], 0, HOURS_PER_MONTH * H, US);
    const eu = computeBill([node({ terminatedAt: HOURS_PER_MONTH * H, publicIpv4Count: 0 })], 0, HOURS_PER_MONTH * H, regionPrices('eu-central-1'));

    // Assess: one month of 30 GB
    expect(us.ebsUsd).toBeCloseTo(30 * 0.08, 10);
    expect(eu.ebsUsd).toBeCloseTo(30 * 0.0952, 10);
    expect(() => regionPrices('xx-nowhere-1')).toThrow(/no prices for Region xx-nowhere-1/);
  });

  it('bills nothing for no instances or an empty interval', () => {
    expect(computeBill([], 0, H, US).totalUsd).toBe(0);
    expect(computeBill([node()], H, H, US).totalUsd).toBe(0);
  });
});

describe('Function: stoppedNodeUsdPerHour', () => {
  it('is the volume and the addresses of an idle warm node', () => {
    // 30 × 0.08 / 730 + 2 × 0.005
    expect(stoppedNodeUsdPerHour(30, 2, US)).toBeCloseTo(2.4 / 730 + 0.01, 12);
  });
});
