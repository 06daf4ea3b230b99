import { describe, expect, it } from 'vitest';
import { asgWarmPool, runBaseline } from '../../bench/baselines.ts';
import { parseAutoscalerConfig, poolByName } from '../../shared/domain/config.ts';
import { generateTrace } from '../../sim/trace/generator.ts';

const config = parseAutoscalerConfig({});
const pool = poolByName(config, config.defaultPool);
// A quiet day and a 200-room crowd at 14:00 (10 nodes' worth in 2 minutes)
const events = generateTrace({ seed: 3, days: 1, peakConcurrent: 10, flashCrowds: [{ day: 0, startSecOfDay: 14 * 3600, rooms: 200, rampSec: 120, durationMin: 30 }], surveillanceTenants: [] });

describe('Baseline: EC2 Auto Scaling target tracking with a warm pool', () => {
  it('sizes the pool as MaxGroupPreparedCapacity (the peak nodes) with the state start latency', () => {
    // Act
    const stopped = asgWarmPool(pool, 'stopped', events);
    const hibernated = asgWarmPool(pool, 'hibernated', events);

    // Assess: the crowd alone needs 10 nodes of 20 units; a stop ends billing at once, a
    // hibernation after 16 GiB at 125 MiB/s
    expect(stopped.maxGroupPreparedCapacity).toBeGreaterThanOrEqual(10);
    expect(stopped).toMatchObject({ state: 'stopped', reuseOnScaleIn: true, startMs: pool.warmPool.startTimeMs, stopBilledMs: 0 });
    expect(hibernated).toMatchObject({ startMs: pool.warmPool.resumeTimeMs, stopBilledMs: Math.round((16_384 / 125) * 1000) });
  });

  it('keeps instances stopped, pays their EBS and IPv4, and waits less than without', () => {
    // Act
    const cold = runBaseline('ec2-asg-target-tracking', events, pool, 1);
    const warm = runBaseline('ec2-asg-target-tracking', events, pool, 1, asgWarmPool(pool, 'stopped', events));

    // Assess
    expect(cold.bill.stoppedHours).toBe(0);
    expect(warm.policy).toBe('ec2-asg-target-tracking + warm pool (stopped)');
    expect(warm.bill.stoppedHours).toBeGreaterThan(0);
    expect(warm.bill.ebsUsd + warm.bill.publicIpv4Usd).toBeGreaterThan(cold.bill.ebsUsd + cold.bill.publicIpv4Usd);
    expect(warm.bill.totalUsd).toBeCloseTo(warm.bill.instanceUsd + warm.bill.ebsUsd + warm.bill.publicIpv4Usd, 9);
    expect(warm.nodeHours).toBeCloseTo(warm.bill.runningHours, 9);
    expect(warm.waitP99Ms).toBeLessThan(cold.waitP99Ms);
    expect(warm.placements).toBe(cold.placements);
    expect(warm.days.reduce((n, d) => n + d.placements, 0)).toBe(warm.placements);
  });
});
