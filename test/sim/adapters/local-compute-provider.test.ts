import { describe, expect, it } from 'vitest';
import { LocalComputeProvider, type LocalComputeOptions } from '../../../sim/adapters/local-compute-provider.ts';
import type { BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import { PoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { RandomSource } from '../../../shared/domain/placement.ts';
import { NoCapacityAvailableError } from '../../../shared/errors.ts';
import { parseNodeEvent } from '../../../shared/events/parse.ts';
import { matchesPattern, routeRules } from '../../../shared/events/routing.ts';
import type { NodeReadyDetail } from '../../../shared/events/schemas.ts';
import { FixedClock, isoTime, T0 } from '../../support/handlers.ts';

const HOUR = 3_600_000;

function pool(overrides: Record<string, unknown> = {}): PoolConfig {
  return PoolConfigSchema.parse({
    name: 'sim',
    instanceTypes: ['c6i.2xlarge', 'c5.2xlarge'],
    vcpus: 8,
    containersPerNode: 2,
    bootTimeMs: 90_000,
    hourlyPriceUsd: 0.25,
    ...overrides,
  });
}

/** Returns `values` in order, then `rest` forever. */
function scripted(values: readonly number[], rest = 0.5): RandomSource {
  let i = 0;
  return () => (i < values.length ? (values[i++] as number) : rest);
}

interface Emitted {
  readonly event: BusEvent;
  readonly delayMs: number;
}

function provider(options: Partial<LocalComputeOptions> = {}): { compute: LocalComputeProvider; emitted: Emitted[]; clock: FixedClock } {
  const emitted: Emitted[] = [];
  const clock = new FixedClock(T0);
  const compute = new LocalComputeProvider({
    clock,
    random: () => 0.5,
    emit: (event, delayMs) => emitted.push({ event, delayMs }),
    runningAfterMs: 15_000,
    ...options,
  });
  return { compute, emitted, clock };
}

const stateOf = (e: BusEvent) => (e.detail as { state?: string }).state;
const instanceOf = (e: BusEvent) => ((e.detail as { 'instance-id'?: string; instanceId?: string })['instance-id'] ??
  (e.detail as { instanceId?: string }).instanceId) as string;

/** Integer CPU ids of a cpuset such as `0-3` or `0,4`. */
function cpus(cpuset: string): number[] {
  return cpuset.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
  });
}

describe('Class: LocalComputeProvider', () => {
  describe('Method: launch', () => {
    it('emits pending at once, running after runningAfterMs and NodeReady after the boot time per instance', async () => {
      // Prepare
      const { compute, emitted } = provider();

      // Act
      const result = await compute.launch({ pool: pool(), count: 2, decisionId: 'd-1', now: T0 });

      // Assess
      expect(result.failures).toEqual([]);
      expect(result.instances).toHaveLength(2);
      for (const inst of result.instances) {
        expect(inst).toMatchObject({ instanceType: 'c6i.2xlarge', subnetId: 'subnet-local' });
        const mine = emitted.filter((e) => instanceOf(e.event) === inst.instanceId);
        expect(mine.map((e) => [e.event['detail-type'], stateOf(e.event) ?? null, e.delayMs])).toEqual([
          ['EC2 Instance State-change Notification', 'pending', 0],
          ['EC2 Instance State-change Notification', 'running', 15_000],
          ['NodeReady', null, 90_000],
        ]);
        for (const e of mine) expect(e.event.time).toBe(isoTime(T0 + e.delayMs));
      }
      expect(compute.launched).toBe(2);
    });

    it('emits events the node-events function parses and the routing rules send to it', async () => {
      // Prepare
      const { compute, emitted } = provider();

      // Act
      await compute.launch({ pool: pool(), count: 1, decisionId: 'd-parse', now: T0 });

      // Assess
      expect(emitted).toHaveLength(3);
      for (const { event } of emitted) {
        expect(() => parseNodeEvent(event)).not.toThrow();
        const targets = routeRules('app.rooms')
          .filter((r) => matchesPattern(r.pattern, event as unknown as Record<string, unknown>))
          .map((r) => r.target);
        expect(targets).toEqual(['node-events']);
      }
    });

    it.each([
      { random: 0, bootMs: 76_500 },
      { random: 0.5, bootMs: 90_000 },
      { random: 0.999, bootMs: 103_473 },
    ])('delays NodeReady by bootTimeMs × (1 ± jitter): random $random → $bootMs ms', async ({ random, bootMs }) => {
      // Prepare
      const { compute, emitted } = provider({ random: () => random, bootJitter: 0.15 });

      // Act
      await compute.launch({ pool: pool(), count: 1, decisionId: 'd-jitter', now: T0 });

      // Assess
      const ready = emitted.find((e) => e.event['detail-type'] === 'NodeReady');
      expect(ready?.delayMs).toBe(bootMs);
      expect(ready?.delayMs).toBeGreaterThanOrEqual(90_000 * 0.85);
      expect(ready?.delayMs).toBeLessThanOrEqual(90_000 * 1.15);
    });

    it('reports containersPerNode containers with distinct private IPs and disjoint cpusets', async () => {
      // Prepare
      const { compute, emitted } = provider();
      const p = pool({ containersPerNode: 4, vcpus: 8 });

      // Act
      await compute.launch({ pool: p, count: 3, decisionId: 'd-containers', now: T0 });

      // Assess
      const ready = emitted.filter((e) => e.event['detail-type'] === 'NodeReady').map((e) => e.event.detail as NodeReadyDetail);
      expect(ready).toHaveLength(3);
      const allIps = ready.flatMap((d) => d.containers.map((c) => c.privateIp));
      expect(new Set(allIps).size).toBe(12);
      const publicIps = ready.flatMap((d) => d.containers.map((c) => c.publicIp));
      expect(new Set(publicIps).size).toBe(12);
      for (const d of ready) {
        expect(d.containers.map((c) => c.index)).toEqual([0, 1, 2, 3]);
        const sets = d.containers.map((c) => cpus(c.cpuset));
        const flat = sets.flat();
        expect(new Set(flat).size).toBe(flat.length);
        expect(flat.every((cpu) => cpu >= 0 && cpu < p.vcpus)).toBe(true);
        expect(sets.every((s) => s.length === 2)).toBe(true);
      }
    });

    it('returns the same instances and emits nothing for a repeated decisionId', async () => {
      // Prepare
      const { compute, emitted } = provider();
      const first = await compute.launch({ pool: pool(), count: 2, decisionId: 'd-same', now: T0 });
      const emittedAfterFirst = emitted.length;

      // Act
      const second = await compute.launch({ pool: pool(), count: 2, decisionId: 'd-same', now: T0 + 5_000 });
      const other = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-other', now: T0 + 5_000 });

      // Assess
      expect(second.instances).toEqual(first.instances);
      expect(emitted.length).toBe(emittedAfterFirst + 3);
      expect(other.instances[0]?.instanceId).not.toBe(first.instances[0]?.instanceId);
      expect(compute.launched).toBe(3);
    });

    it('throws NoCapacityAvailableError naming every offering when launchFailureRate is 1', async () => {
      // Prepare
      const { compute, emitted } = provider({ launchFailureRate: 1, random: () => 0.999 });

      // Act
      const error = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-fail', now: T0 }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(NoCapacityAvailableError);
      expect((error as NoCapacityAvailableError).failures.map((f) => [f.code, f.instanceType])).toEqual([
        ['InsufficientInstanceCapacity', 'c6i.2xlarge'],
        ['InsufficientInstanceCapacity', 'c5.2xlarge'],
      ]);
      expect((error as NoCapacityAvailableError).retryable).toBe(true);
      expect(emitted).toEqual([]);
      expect(compute.launched).toBe(0);
      expect(compute.launchFailures).toBe(2);
    });

    it('falls back to the next instance type and reports the failed offering', async () => {
      // Prepare: the first offering draws 0.2 < 0.5 (no capacity), the second 0.7 (launches).
      const { compute, emitted } = provider({ launchFailureRate: 0.5, random: scripted([0.2, 0.7, 0.5]) });

      // Act
      const result = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-fallback', now: T0 });

      // Assess
      expect(result.instances).toEqual([expect.objectContaining({ instanceType: 'c5.2xlarge' })]);
      expect(result.failures).toEqual([
        { instanceType: 'c6i.2xlarge', code: 'InsufficientInstanceCapacity', message: 'simulated: no capacity' },
      ]);
      expect(compute.launchFailures).toBe(1);
      expect(emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.delayMs).toBe(90_000);
    });
  });

  describe('Method: terminate', () => {
    it('emits shutting-down at once and terminated after terminatedAfterMs, once', async () => {
      // Prepare
      const { compute, emitted, clock } = provider({ terminatedAfterMs: 30_000 });
      const { instances } = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-t', now: T0 });
      const id = instances[0]?.instanceId as string;
      emitted.length = 0;
      clock.advance(HOUR);

      // Act
      await compute.terminate([id]);
      await compute.terminate([id, 'i-00000000000000unknown']);

      // Assess
      expect(emitted.map((e) => [instanceOf(e.event), stateOf(e.event), e.delayMs])).toEqual([
        [id, 'shutting-down', 0],
        [id, 'terminated', 30_000],
      ]);
      expect(emitted[1]?.event.time).toBe(isoTime(T0 + HOUR + 30_000));
      expect(compute.terminated).toBe(1);
    });

    it('stops billing at termination: nodeHours and costUsd for a scripted timeline', async () => {
      // Prepare: two nodes at T0 (0.25 USD/h); one terminated at T0+1h, the other at T0+2h.
      const { compute, clock } = provider();
      const { instances } = await compute.launch({ pool: pool(), count: 2, decisionId: 'd-bill', now: T0 });
      const [a, b] = instances.map((i) => i.instanceId) as [string, string];

      // Act
      clock.advance(HOUR);
      await compute.terminate([a]);
      const atTwoHoursRunning = compute.nodeHours(T0 + 2 * HOUR);
      clock.advance(HOUR);
      await compute.terminate([b]);

      // Assess
      expect(compute.nodeHours(T0)).toBe(0);
      expect(compute.nodeHours(T0 + HOUR / 2)).toBe(1);
      expect(atTwoHoursRunning).toBe(3);
      expect(compute.nodeHours(T0 + 10 * HOUR)).toBe(3);
      expect(compute.costUsd(T0 + 10 * HOUR)).toBe(0.75);
      expect(compute.costUsd(T0 + HOUR / 2)).toBe(0.25);
      expect(compute.terminated).toBe(2);
      expect((await compute.describeFleet()).map((i) => i.state)).toEqual(['shutting-down']);
      clock.advance(HOUR);
      expect(await compute.describeFleet()).toEqual([]);
    });
  });

  describe('Method: describeFleet', () => {
    it('lists live instances of a pool with their type and launch time', async () => {
      // Prepare
      const { compute } = provider();
      await compute.launch({ pool: pool(), count: 1, decisionId: 'd-a', now: T0 });
      await compute.launch({ pool: pool({ name: 'other' }), count: 1, decisionId: 'd-b', now: T0 });

      // Act
      const sim = await compute.describeFleet('sim');
      const all = await compute.describeFleet();

      // Assess
      expect(sim).toEqual([expect.objectContaining({ pool: 'sim', instanceType: 'c6i.2xlarge', launchTime: T0 })]);
      expect(all).toHaveLength(2);
    });

    it('reports pending until runningAfterMs and shutting-down until terminatedAfterMs', async () => {
      // Prepare
      const { compute, clock } = provider({ terminatedAfterMs: 30_000 });
      const { instances } = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-state', now: T0 });
      const id = instances[0]?.instanceId as string;

      // Act
      const justLaunched = await compute.describeFleet();
      clock.advance(60_000);
      await compute.terminate([id]);
      const justTerminated = await compute.describeFleet();

      // Assess
      expect(justLaunched.map((i) => i.state)).toEqual(['pending']);
      expect(justTerminated.map((i) => i.state)).toEqual(['shutting-down']);
    });
  });
});
