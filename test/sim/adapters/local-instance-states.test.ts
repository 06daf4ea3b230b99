/**
 * The simulated fleet's warm pool: stop, hibernate and start with their own latencies, capacity
 * failures on start, stopped instances in describeFleet, Elastic IPs released on stop, and the
 * instance histories the bill reads.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { warmFleetOf } from '../../../cli/simulate-command.ts';
import { LocalComputeProvider, type LocalComputeOptions } from '../../../sim/adapters/local-compute-provider.ts';
import { DEFAULT_HIBERNATE_WRITE_MIBPS, DEFAULT_STOP_AFTER_MS } from '../../../sim/adapters/local-instance-states.ts';
import { busEvent, LocalEventBus, type BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import { TRACE_EPOCH_MS, VirtualTimeLoop } from '../../../sim/runtime/event-loop.ts';
import { PoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { RandomSource } from '../../../shared/domain/placement.ts';
import { AutoscalerError, StopRefusedError } from '../../../shared/errors.ts';
import { parseNodeEvent } from '../../../shared/events/parse.ts';
import { matchesPattern, routeRules } from '../../../shared/events/routing.ts';
import type { NodeReadyDetail } from '../../../shared/events/schemas.ts';
import { FixedClock, isoTime, T0 } from '../../support/handlers.ts';

const HOUR = 3_600_000;
const RUNNING_AFTER_MS = 15_000;

function pool(overrides: Record<string, unknown> = {}): PoolConfig {
  return PoolConfigSchema.parse({ name: 'warm', instanceTypes: ['c6i.2xlarge'], memoryMiB: 16_384, containersPerNode: 2, hourlyPriceUsd: 0.348, ...overrides });
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

/** A fleet whose random source is 0.5 (no boot jitter) unless told otherwise, with one node launched. */
async function fleetWithNode(p: PoolConfig, options: Partial<LocalComputeOptions> = {}) {
  const emitted: Emitted[] = [];
  const clock = new FixedClock(T0);
  const compute = new LocalComputeProvider({ clock, random: () => 0.5, emit: (event, delayMs) => emitted.push({ event, delayMs }), runningAfterMs: RUNNING_AFTER_MS, ...options });
  const { instances } = await compute.launch({ pool: p, count: 1, decisionId: 'd-1', now: T0 });
  const id = instances[0]?.instanceId as string;
  const firstReady = emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.event.detail as NodeReadyDetail;
  clock.advance(HOUR);
  emitted.length = 0;
  return { compute, emitted, clock, id, firstReady };
}

/** What was emitted: [detail-type or EC2 state, delay ms]. */
function timeline(emitted: readonly Emitted[]): [string, number][] {
  return emitted.map(({ event, delayMs }) => [(event.detail as { state?: string }).state ?? event['detail-type'], delayMs]);
}

async function stateOf(compute: LocalComputeProvider, id: string): Promise<string | undefined> {
  return (await compute.describeFleet()).find((i) => i.instanceId === id)?.state;
}

describe('Class: LocalComputeProvider (warm pool)', () => {
  describe('Method: stop', () => {
    it('emits stopping at once and stopped after the stop latency; describeFleet follows', async () => {
      // Prepare
      const { compute, emitted, clock, id } = await fleetWithNode(pool());

      // Act
      await compute.stop({ instanceIds: [id], hibernate: false });
      const during = await stateOf(compute, id);
      clock.advance(DEFAULT_STOP_AFTER_MS);
      const after = await stateOf(compute, id);

      // Assess
      expect(timeline(emitted)).toEqual([
        ['stopping', 0],
        ['stopped', DEFAULT_STOP_AFTER_MS],
      ]);
      expect(emitted[1]?.event.time).toBe(isoTime(T0 + HOUR + DEFAULT_STOP_AFTER_MS));
      expect([during, after]).toEqual(['stopping', 'stopped']);
      expect(await compute.describeFleet('warm')).toEqual([expect.objectContaining({ instanceId: id, pool: 'warm', state: 'stopped' })]);
      expect([compute.running, compute.stopped]).toEqual([0, 1]);
    });

    it('emits EC2 state changes the node-events function parses and the routing rules send to it', async () => {
      // Prepare
      const { compute, emitted, clock, id } = await fleetWithNode(pool());
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(DEFAULT_STOP_AFTER_MS);

      // Act
      await compute.start([id], clock.now());

      // Assess
      expect(emitted).toHaveLength(5);
      for (const { event } of emitted) {
        expect(() => parseNodeEvent(event)).not.toThrow();
        const targets = routeRules('app.rooms').filter((r) => matchesPattern(r.pattern, event as unknown as Record<string, unknown>)).map((r) => r.target);
        expect(targets).toEqual(['node-events']);
      }
    });

    it('takes the configured stop latency, and is idempotent while stopping or stopped', async () => {
      // Prepare
      const { compute, emitted, clock, id } = await fleetWithNode(pool(), { stopAfterMs: 20_000 });

      // Act
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(5_000);
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(60_000);
      await compute.stop({ instanceIds: [id], hibernate: false });

      // Assess
      expect(timeline(emitted)).toEqual([
        ['stopping', 0],
        ['stopped', 20_000],
      ]);
      expect(compute.warmCounts().warmStops).toBe(1);
    });

    it('hibernates in the stop latency plus the RAM written at the gp3 baseline throughput', async () => {
      // Prepare
      const { compute, emitted, id } = await fleetWithNode(pool({ warmPool: { state: 'hibernated' } }));

      // Act
      await compute.stop({ instanceIds: [id], hibernate: true });

      // Assess: 16 GiB at 125 MiB/s = 131.072 s
      const after = DEFAULT_STOP_AFTER_MS + Math.round((16_384 / DEFAULT_HIBERNATE_WRITE_MIBPS) * 1000);
      expect(after).toBe(191_072);
      expect(timeline(emitted)).toEqual([
        ['stopping', 0],
        ['stopped', after],
      ]);
    });

    it.each([
      { name: 'hibernating a node launched without hibernation', p: { warmPool: { state: 'stopped' } }, hibernate: true, code: 'UnsupportedHibernationConfiguration' },
      { name: 'stopping a Spot node', p: { spot: true }, hibernate: false, code: 'UnsupportedOperation' },
    ])('refuses $name ($code), leaving it running', async ({ p, hibernate, code }) => {
      // Prepare
      const { compute, emitted, id } = await fleetWithNode(pool(p));

      // Act
      const error = await compute.stop({ instanceIds: [id], hibernate }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StopRefusedError);
      expect((error as StopRefusedError).refused).toEqual([expect.objectContaining({ instanceId: id, code })]);
      expect((error as StopRefusedError).retryable).toBe(false);
      expect(emitted).toEqual([]);
      expect(await stateOf(compute, id)).toBe('running');
    });

    it('stops the stoppable nodes of a batch and names the refused ones (pending, unknown)', async () => {
      // Prepare
      const { compute, emitted, id } = await fleetWithNode(pool());
      const { instances } = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-2', now: T0 + HOUR });
      const pending = instances[0]?.instanceId as string;
      emitted.length = 0;

      // Act
      const error = (await compute.stop({ instanceIds: [id, pending, 'i-404'], hibernate: false }).catch((e: unknown) => e)) as StopRefusedError;

      // Assess
      expect(error).toBeInstanceOf(StopRefusedError);
      expect(error.stopped).toEqual([id]);
      expect(error.refused.map((r) => [r.instanceId, r.code])).toEqual([
        [pending, 'IncorrectInstanceState'],
        ['i-404', 'InvalidInstanceID.NotFound'],
      ]);
      expect(timeline(emitted)).toEqual([
        ['stopping', 0],
        ['stopped', DEFAULT_STOP_AFTER_MS],
      ]);
    });
  });

  describe('Method: start', () => {
    it('emits pending, running, then NodeReady after warmPool.startTimeMs with the same containers', async () => {
      // Prepare
      const { compute, emitted, clock, id, firstReady } = await fleetWithNode(pool({ warmPool: { startTimeMs: 35_000 } }));
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(DEFAULT_STOP_AFTER_MS + HOUR);
      emitted.length = 0;

      // Act
      const result = await compute.start([id], clock.now());

      // Assess
      expect(result).toEqual({ started: [id], failures: [] });
      expect(timeline(emitted)).toEqual([
        ['pending', 0],
        ['running', RUNNING_AFTER_MS],
        ['NodeReady', 35_000],
      ]);
      expect(emitted[2]?.event.detail).toEqual(firstReady);
      expect(await stateOf(compute, id)).toBe('pending');
      clock.advance(RUNNING_AFTER_MS);
      expect(await stateOf(compute, id)).toBe('running');
      expect(compute.warmCounts()).toEqual({ warmStops: 1, warmStarts: 1, startFailures: 0 });
    });

    it('resumes a hibernated node after warmPool.resumeTimeMs, and a later plain stop starts in startTimeMs', async () => {
      // Prepare
      const p = pool({ warmPool: { state: 'hibernated', startTimeMs: 40_000, resumeTimeMs: 22_000 } });
      const { compute, emitted, clock, id } = await fleetWithNode(p);
      await compute.stop({ instanceIds: [id], hibernate: true });
      clock.advance(HOUR);
      emitted.length = 0;

      // Act
      await compute.start([id], clock.now());
      const resumed = emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.delayMs;
      clock.advance(HOUR);
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(HOUR);
      emitted.length = 0;
      await compute.start([id], clock.now());
      const started = emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.delayMs;

      // Assess
      expect([resumed, started]).toEqual([22_000, 40_000]);
    });

    it('spreads the ready time by the boot jitter', async () => {
      // Prepare: the launch draws its offering's capacity and its jitter (0.5 each); the start's jitter draws 0
      const { compute, emitted, clock, id } = await fleetWithNode(pool(), { random: scripted([0.5, 0.5, 0]), bootJitter: 0.15 });
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(HOUR);
      emitted.length = 0;

      // Act
      await compute.start([id], clock.now());

      // Assess: 40 s × 0.85
      expect(emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.delayMs).toBe(34_000);
    });

    it('reports InsufficientInstanceCapacity per instance; the failed node stays stopped and emits nothing', async () => {
      // Prepare: each launch draws its offering's capacity and its jitter (0.5 each); the two starts
      // draw 0.1 (< 0.5: no capacity) and 0.9 (starts), then the started one's jitter (0.5)
      const { compute, emitted, clock, id } = await fleetWithNode(pool(), { startFailureRate: 0.5, random: scripted([0.5, 0.5, 0.5, 0.5, 0.1, 0.9]) });
      const { instances } = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-2', now: clock.now() });
      const other = instances[0]?.instanceId as string;
      clock.advance(HOUR);
      await compute.stop({ instanceIds: [id, other], hibernate: false });
      clock.advance(HOUR);
      emitted.length = 0;

      // Act
      const result = await compute.start([id, other], clock.now());

      // Assess
      expect(result.started).toEqual([other]);
      expect(result.failures).toEqual([{ instanceId: id, code: 'InsufficientInstanceCapacity', message: expect.stringContaining('c6i.2xlarge') }]);
      expect(emitted.filter((e) => (e.event.detail as { instanceId?: string; 'instance-id'?: string })['instance-id'] === id)).toEqual([]);
      expect(await stateOf(compute, id)).toBe('stopped');
      expect(compute.warmCounts()).toEqual({ warmStops: 2, warmStarts: 1, startFailures: 1 });
    });

    it('counts pending or running nodes as started and refuses a stopping one, as EC2 does', async () => {
      // Prepare
      const { compute, emitted, clock, id } = await fleetWithNode(pool());
      const { instances } = await compute.launch({ pool: pool(), count: 1, decisionId: 'd-2', now: clock.now() });
      const running = instances[0]?.instanceId as string;
      clock.advance(RUNNING_AFTER_MS);
      await compute.stop({ instanceIds: [id], hibernate: false });
      emitted.length = 0;

      // Act
      const result = await compute.start([id, running, running, 'i-404'], clock.now());

      // Assess
      expect(result.started).toEqual([running]);
      expect(result.failures.map((f) => [f.instanceId, f.code])).toEqual([
        [id, 'IncorrectInstanceState'],
        ['i-404', 'InvalidInstanceID.NotFound'],
      ]);
      expect(emitted).toEqual([]);
    });

    it('fails a throttled StartInstances or StopInstances as a whole, retryable, changing nothing', async () => {
      // Prepare: the launch's throttle draw passes (0.9), then capacity and jitter (0.5); stop and start draw 0.1 (< 0.5: throttled)
      const { compute, emitted, id } = await fleetWithNode(pool(), { throttleRate: 0.5, random: scripted([0.9, 0.5, 0.5, 0.1, 0.1]) });

      // Act
      const stop = await compute.stop({ instanceIds: [id], hibernate: false }).catch((e: unknown) => e);
      const start = await compute.start([id], T0).catch((e: unknown) => e);

      // Assess
      for (const e of [stop, start]) {
        expect(e).toBeInstanceOf(AutoscalerError);
        expect((e as AutoscalerError).retryable).toBe(true);
      }
      expect(emitted).toEqual([]);
      expect(await stateOf(compute, id)).toBe('running');
    });
  });

  describe('Elastic IPs of a stopped node', () => {
    it('keeps the same public IPs by default: the started node reports them and stays associated', async () => {
      // Prepare
      const { compute, emitted, clock, id, firstReady } = await fleetWithNode(pool());
      await compute.associateAddresses(id);
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(HOUR);
      emitted.length = 0;

      // Act
      await compute.start([id], clock.now());

      // Assess
      const ready = emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.event.detail as NodeReadyDetail;
      expect(ready.containers.map((c) => c.publicIp)).toEqual(firstReady.containers.map((c) => c.publicIp));
      expect([...((await compute.nodeAddresses(id))?.publicIps.values() ?? [])]).toEqual(firstReady.containers.map((c) => c.publicIp));
      expect(compute.instanceHistories()[0]?.stopped).toEqual([{ from: T0 + HOUR, to: T0 + 2 * HOUR }]);
    });

    it('releases them only while stopping or stopped; a node started again gets new ones, same private IPs', async () => {
      // Prepare
      const { compute, emitted, clock, id, firstReady } = await fleetWithNode(pool({ warmPool: { releaseAddressesOnStop: true } }));
      await compute.associateAddresses(id);
      const whileRunning = await compute.releaseStoppedAddresses(id);
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.advance(DEFAULT_STOP_AFTER_MS);

      // Act
      const released = await compute.releaseStoppedAddresses(id);
      const addressesWhileStopped = await compute.describeAddresses();
      clock.advance(HOUR);
      emitted.length = 0;
      await compute.start([id], clock.now());
      const beforeAssociation = await compute.nodeAddresses(id);
      await compute.associateAddresses(id);
      const afterAssociation = await compute.nodeAddresses(id);

      // Assess
      expect(whileRunning).toEqual({ released: false, state: 'running' });
      expect(released).toEqual({ released: true, state: 'stopped' });
      expect(await compute.releaseStoppedAddresses('i-404')).toEqual({ released: false, state: 'unknown' });
      expect(addressesWhileStopped).toEqual([]);
      const ready = emitted.find((e) => e.event['detail-type'] === 'NodeReady')?.event.detail as NodeReadyDetail;
      expect(ready.containers.map((c) => c.privateIp)).toEqual(firstReady.containers.map((c) => c.privateIp));
      expect(ready.containers.map((c) => c.cpuset)).toEqual(firstReady.containers.map((c) => c.cpuset));
      const oldIps = new Set(firstReady.containers.map((c) => c.publicIp));
      expect(ready.containers.every((c) => c.publicIp !== undefined && !oldIps.has(c.publicIp))).toBe(true);
      expect(beforeAssociation?.publicIps.size).toBe(0);
      expect([...(afterAssociation?.publicIps.values() ?? [])]).toEqual(ready.containers.map((c) => c.publicIp));
      expect(compute.instanceHistories()[0]?.stopped).toEqual([{ from: T0 + HOUR, to: T0 + 2 * HOUR + DEFAULT_STOP_AFTER_MS, publicIpv4Count: 0 }]);
    });
  });

  describe('Method: instanceHistories', () => {
    it('records stopped intervals from stop to start, the termination, root volume, IPv4 and price; node-hours leave stopped time out', async () => {
      // Prepare: launched at T0; stopped at +1 h, started at +3 h, stopped at +4 h, terminated at +5 h
      const { compute, clock, id } = await fleetWithNode(pool({ rootVolumeGiB: 40, containersPerNode: 3 }));
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.set(T0 + 3 * HOUR);
      await compute.start([id], clock.now());
      clock.set(T0 + 4 * HOUR);
      await compute.stop({ instanceIds: [id], hibernate: false });
      clock.set(T0 + 5 * HOUR);
      await compute.terminate([id]);

      // Act
      const histories = compute.instanceHistories();

      // Assess
      expect(histories).toEqual([
        {
          instanceId: id,
          pool: 'warm',
          instanceType: 'c6i.2xlarge',
          hourlyPriceUsd: 0.348,
          launchedAt: T0,
          terminatedAt: T0 + 5 * HOUR,
          stopped: [
            { from: T0 + HOUR, to: T0 + 3 * HOUR },
            { from: T0 + 4 * HOUR, to: T0 + 5 * HOUR },
          ],
          rootVolumeGiB: 40,
          publicIpv4Count: 3,
        },
      ]);
      expect(compute.nodeHours(T0 + 6 * HOUR)).toBeCloseTo(2, 9);
      expect(compute.costUsd(T0 + 6 * HOUR)).toBeCloseTo(2 * 0.348, 9);
    });

    it('bills a hibernating node until it is stopped, and counts no IPv4 for a private-only node', async () => {
      // Prepare
      const emitted: Emitted[] = [];
      const clock = new FixedClock(T0);
      const compute = new LocalComputeProvider({ clock, random: () => 0.5, emit: (event, delayMs) => emitted.push({ event, delayMs }) });
      const { instances } = await compute.launch({ pool: pool({ warmPool: { state: 'hibernated' } }), count: 1, decisionId: 'd-1', now: T0, publicAddressing: 'none' });
      const id = instances[0]?.instanceId as string;
      clock.set(T0 + HOUR);

      // Act
      await compute.stop({ instanceIds: [id], hibernate: true });
      const stoppedAt = T0 + HOUR + 191_072;
      clock.set(T0 + 2 * HOUR);

      // Assess
      expect(compute.instanceHistories()).toEqual([expect.objectContaining({ stopped: [{ from: stoppedAt }], publicIpv4Count: 0, terminatedAt: undefined })]);
      expect(compute.nodeHours(T0 + 2 * HOUR)).toBeCloseTo((stoppedAt - T0) / HOUR, 9);
      expect(compute.running).toBe(0);
    });
  });
});

describe('Function: warmFleetOf', () => {
  it('reads --stop-after-ms and --hibernate-write-mibps as commander names them', () => {
    // Prepare: the same option definitions as `simulate` (cli/main.ts)
    const command = new Command().option('--stop-after-ms <ms>', '', Number).option('--hibernate-write-mibps <n>', '', Number).exitOverride();

    // Act
    command.parse(['--stop-after-ms', '20000', '--hibernate-write-mibps', '250'], { from: 'user' });
    const options = warmFleetOf({ ...command.opts<{ stopAfterMs?: number; hibernateWriteMibps?: number }>(), trace: 't', seed: 1, launchFailureRate: 0 });

    // Assess
    expect(options).toEqual({ stopAfterMs: 20_000, hibernateWriteMiBps: 250 });
    expect(warmFleetOf({ trace: 't', seed: 1, launchFailureRate: 0 })).toEqual({ stopAfterMs: undefined, hibernateWriteMiBps: undefined });
  });
});

describe('Warm pool in virtual time', () => {
  it('delivers the stop and start events to node-events at their virtual times, like a launch', async () => {
    // Prepare: the simulator's loop and bus (sim/runtime/event-loop.ts), the fleet emitting into it
    const loop = new VirtualTimeLoop();
    const bus = new LocalEventBus({ appSource: 'app.rooms', clock: loop.clock, keepPublished: false, deliver: loop.deliver });
    const compute = new LocalComputeProvider({ clock: loop.clock, random: () => 0.5, emit: loop.emit });
    const p = pool({ warmPool: { startTimeMs: 30_000 } });
    const seen: [string, string, number][] = [];
    const at = (ms: number) => loop.put(busEvent('app.rooms', 'RoomReleased', { roomId: `tick-${ms}` }, TRACE_EPOCH_MS + ms), TRACE_EPOCH_MS + ms);
    let id = '';
    at(0);
    at(HOUR);
    at(2 * HOUR);

    // Act: launch at 0, stop at 1 h, start at 2 h (each when its tick reaches room-events)
    await loop.run(bus, TRACE_EPOCH_MS + 3 * HOUR, async (inv) => {
      const t = loop.now - TRACE_EPOCH_MS;
      if (inv.target === 'room-events' && t === 0) id = (await compute.launch({ pool: p, count: 1, decisionId: 'd', now: loop.now })).instances[0]?.instanceId ?? '';
      else if (inv.target === 'room-events' && t === HOUR) await compute.stop({ instanceIds: [id], hibernate: false });
      else if (inv.target === 'room-events' && t === 2 * HOUR) await compute.start([id], loop.now);
      else if (inv.target === 'node-events') seen.push([inv.event['detail-type'], (inv.event.detail as { state?: string }).state ?? '', t]);
    });

    // Assess
    expect(seen).toEqual([
      ['EC2 Instance State-change Notification', 'pending', 0],
      ['EC2 Instance State-change Notification', 'running', 15_000],
      ['NodeReady', '', 90_000],
      ['EC2 Instance State-change Notification', 'stopping', HOUR],
      ['EC2 Instance State-change Notification', 'stopped', HOUR + DEFAULT_STOP_AFTER_MS],
      ['EC2 Instance State-change Notification', 'pending', 2 * HOUR],
      ['EC2 Instance State-change Notification', 'running', 2 * HOUR + 15_000],
      ['NodeReady', '', 2 * HOUR + 30_000],
    ]);
  });
});
