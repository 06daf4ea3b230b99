/**
 * The warm pool executed (docs/design.md#scaling-policy, "Warm pool"): starts before launches
 * with the cold fallback on capacity failures, stops instead of terminations at scale-in
 * (terminating when EC2 refuses), recycling of old stopped nodes and the peak history — through
 * the real use cases on the in-memory fleet store with a fake EC2 that can stop and start.
 */
import { describe, expect, it } from 'vitest';
import { createRoom } from '../../../shared/app/rooms.ts';
import { executeScaleOut } from '../../../shared/app/scaling-executor.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { stopNode } from '../../../shared/app/warm-pool.ts';
import { parseAutoscalerConfig, type PoolConfig } from '../../../shared/domain/config.ts';
import type { ScaleOutDecision } from '../../../shared/domain/scaling.ts';
import { dayOf } from '../../../shared/domain/warm-pool.ts';
import { AutoscalerError, StopRefusedError } from '../../../shared/errors.ts';
import type { InstanceDescription, LaunchRequest, LaunchResult, StartResult, StopRequest } from '../../../shared/ports/compute-provider.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { FakeComputeProvider, makeDeps, seedReadyNode, T0, type TestDeps } from '../../support/fleet.ts';

const POOL = 'media';
const HOUR = 3_600_000;
const GRACE = 600_000;

/**
 * Fake EC2 that also stops and starts: per-instance start failures and stop refusals on demand.
 * It describes only the instances of the test's own store (the seeding helpers register instances
 * for the whole file).
 */
class WarmComputeProvider extends FakeComputeProvider {
  public constructor(private readonly store: MemoryFleetStore) {
    super('launch');
  }

  public readonly starts: string[][] = [];
  /** `start` and `launch` calls, in order. */
  public readonly calls: ('start' | 'launch')[] = [];
  public readonly stops: StopRequest[] = [];
  /** Instance id → EC2 error code its next start fails with. */
  public readonly startFailures = new Map<string, string>();
  /** Throw this from the next `start` call (the whole call fails). */
  public startError: Error | undefined;
  /** EC2 error code every stop is refused with. */
  public stopRefusal: string | undefined;
  private readonly states = new Map<string, string>();

  public async start(instanceIds: readonly string[]): Promise<StartResult> {
    this.starts.push([...instanceIds]);
    this.calls.push('start');
    if (this.startError) throw this.startError;
    const failures = instanceIds.filter((id) => this.startFailures.has(id)).map((id) => ({ instanceId: id, code: this.startFailures.get(id) ?? '', message: 'no capacity' }));
    const started = instanceIds.filter((id) => !this.startFailures.has(id));
    for (const id of started) this.states.set(id, 'pending');
    return { started, failures };
  }

  public override async launch(request: LaunchRequest): Promise<LaunchResult> {
    this.calls.push('launch');
    return super.launch(request);
  }

  public async stop(request: StopRequest): Promise<void> {
    this.stops.push(request);
    if (this.stopRefusal) {
      throw new StopRefusedError(request.hibernate ? 'hibernate' : 'stop', request.instanceIds.map((instanceId) => ({ instanceId, code: this.stopRefusal ?? '', message: 'refused' })), []);
    }
    for (const id of request.instanceIds) this.states.set(id, 'stopping');
  }

  public override async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    const own: InstanceDescription[] = [];
    for (const i of await super.describeFleet(pool)) {
      const node = await this.store.getNode(i.instanceId);
      // A node seeded as stopped is stopped in EC2 too (reconciliation compares the two).
      if (node) own.push({ ...i, state: this.states.get(i.instanceId) ?? (node.state === 'stopped' ? 'stopped' : i.state) });
    }
    return own;
  }
}

const setup = (warmPool: Record<string, unknown> = {}) => {
  const store = new MemoryFleetStore();
  const compute = new WarmComputeProvider(store);
  const config = {
    defaultPool: POOL,
    pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 1, headroomMin: 10, idleGraceMs: GRACE, warmPool }],
  };
  const d = makeDeps({ store, config, compute }) as TestDeps & { compute: WarmComputeProvider };
  const pool = parseAutoscalerConfig(config).pools[0] as PoolConfig;
  return { d, store, compute, pool };
};

/** A node launched `ageHours` ago, ready, then drained, stopped by EC2. */
const seedStopped = async (store: MemoryFleetStore, nodeId: string, ageHours: number) => {
  await seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 - ageHours * HOUR, recordInSummary: false });
  await store.setEmptySince(nodeId, T0 - HOUR);
  await store.transitionNode(nodeId, ['ready'], 'draining', T0, 'surplus');
  await store.setAccepting(nodeId, false);
  await store.transitionNode(nodeId, ['draining'], 'stopping', T0);
  await store.transitionNode(nodeId, ['stopping'], 'stopped', T0);
};
const seedReady = (store: MemoryFleetStore, nodeId: string) => seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
const stateOf = async (store: MemoryFleetStore, nodeId: string) => (await store.getNode(nodeId))?.state;
const scaleOut = (launch: number, start?: string[]): ScaleOutDecision => ({ kind: 'scale-out', launch, undrain: [], ...(start ? { start } : {}), targetHeadroom: 0, deficit: 0 });

describe('Function: executeScaleOut with a warm pool', () => {
  it('starts the stopped nodes it is given; a capacity failure keeps its node stopped and launches one cold instead', async () => {
    // Prepare
    const { d, store, compute, pool } = setup();
    await seedStopped(store, 'i-s1', 2);
    await seedStopped(store, 'i-s2', 1);
    compute.startFailures.set('i-s2', 'InsufficientInstanceCapacity');

    // Act
    const launched = await executeScaleOut(d, pool, scaleOut(0, ['i-s1', 'i-s2']), 'd-1');

    // Assess
    expect(compute.starts).toEqual([['i-s1', 'i-s2']]);
    expect(await stateOf(store, 'i-s1')).toBe('starting');
    expect((await store.getNode('i-s1'))?.emptySince).toBeUndefined();
    expect(await stateOf(store, 'i-s2')).toBe('stopped');
    expect(compute.launches.map((l) => l.count)).toEqual([1]);
    expect(launched).toHaveLength(1);
    expect(await store.getSummary(POOL)).toMatchObject({ pendingCapacity: 40, liveNodes: 2 });
    expect(d.publisher.ofType('ScalingDecision')[0]?.decision).toMatchObject({ started: ['i-s1'], startFailures: [{ instanceId: 'i-s2', code: 'InsufficientInstanceCapacity' }], coldLaunch: 1 });
  });

  it('on the hot path (no start list) starts the youngest stopped nodes instead of launching, and launches the rest', async () => {
    // Prepare
    const { d, store, compute, pool } = setup();
    await seedStopped(store, 'i-old', 5);
    await seedStopped(store, 'i-young', 1);

    // Act
    await executeScaleOut(d, pool, scaleOut(3), 'd-2');

    // Assess
    expect(compute.starts).toEqual([['i-young', 'i-old']]);
    expect(compute.launches.map((l) => l.count)).toEqual([1]);
    expect(await store.getSummary(POOL)).toMatchObject({ pendingCapacity: 60, liveNodes: 3 });
  });

  it('launches cold for every node when the whole start call fails, keeping them stopped', async () => {
    // Prepare
    const { d, store, compute, pool } = setup();
    await seedStopped(store, 'i-s1', 1);
    compute.startError = new AutoscalerError('RequestLimitExceeded', { retryable: true });

    // Act
    await executeScaleOut(d, pool, scaleOut(0, ['i-s1']), 'd-3');

    // Assess
    expect(await stateOf(store, 'i-s1')).toBe('stopped');
    expect(compute.launches.map((l) => l.count)).toEqual([1]);
  });

  it('skips a node that is no longer stopped (a redelivery already started it) without launching for it', async () => {
    // Prepare
    const { d, store, compute, pool } = setup();
    await seedStopped(store, 'i-s1', 1);
    await store.transitionNode('i-s1', ['stopped'], 'starting', T0);

    // Act
    await executeScaleOut(d, pool, scaleOut(0, ['i-s1']), 'd-4');

    // Assess
    expect(compute.starts).toEqual([]);
    expect(compute.launches).toEqual([]);
  });

  it('launches cold in a pool without a warm pool, even with stopped nodes', async () => {
    // Prepare
    const { d, store, compute, pool } = setup({ state: 'none' });
    await seedStopped(store, 'i-s1', 1);

    // Act
    await executeScaleOut(d, pool, scaleOut(1), 'd-5');

    // Assess
    expect(compute.starts).toEqual([]);
    expect(compute.launches.map((l) => l.count)).toEqual([1]);
  });
});

describe('Function: sweepPool with a warm pool', () => {
  /** One busy ready node and one idle drained node past the idle grace; a peak of 4 nodes two days ago. */
  const idlePool = async (warmPool: Record<string, unknown> = {}) => {
    const ctx = setup(warmPool);
    await seedReady(ctx.store, 'i-a');
    await seedReady(ctx.store, 'i-b');
    await ctx.store.transitionNode('i-b', ['ready'], 'draining', T0, 'surplus');
    await ctx.store.setAccepting('i-b', false);
    await ctx.store.adjustSummary(POOL, { readyFree: -20, drainingSet: { 'i-b': 20 } }, T0);
    await ctx.store.recordPeakNodes(POOL, dayOf(T0) - 2, 4);
    await ctx.store.setEmptySince('i-b', T0);
    ctx.d.clock.advance(GRACE);
    return ctx;
  };

  it('stops an idle drained node into the warm pool while the recent peak needs it', async () => {
    // Prepare
    const { d, store, compute, pool } = await idlePool();

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.stopped).toEqual(['i-b']);
    expect(result.terminated).toEqual([]);
    expect(compute.stops).toEqual([{ instanceIds: ['i-b'], hibernate: false }]);
    expect(compute.terminated).toEqual([]);
    expect(await stateOf(store, 'i-b')).toBe('stopping');
    expect((await store.getSummary(POOL)).liveNodes).toBe(1);
  });

  it('hibernates it in a hibernated pool', async () => {
    // Prepare
    const { d, compute, pool } = await idlePool({ state: 'hibernated' });

    // Act
    await sweepPool(d, pool);

    // Assess
    expect(compute.stops).toEqual([{ instanceIds: ['i-b'], hibernate: true }]);
  });

  it('terminates it instead when EC2 refuses the stop', async () => {
    // Prepare
    const { d, store, compute, pool } = await idlePool({ state: 'hibernated' });
    compute.stopRefusal = 'UnsupportedHibernationConfiguration';

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.terminated).toEqual(['i-b']);
    expect(result.stopped).toEqual([]);
    expect(compute.terminated).toEqual(['i-b']);
    expect(await stateOf(store, 'i-b')).toBe('terminating');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: 'i-b', pool: POOL, reason: 'stop-refused: UnsupportedHibernationConfiguration' }]);
  });

  it('terminates it when the warm pool is off', async () => {
    // Prepare
    const { d, compute, pool } = await idlePool({ state: 'none' });

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.terminated).toEqual(['i-b']);
    expect(compute.stops).toEqual([]);
  });

  it('recycles a stopped node past maxAgeHours (terminated, not started) and keeps the younger idle node stopped instead', async () => {
    // Prepare
    const { d, store, compute, pool } = await idlePool({ maxAgeHours: 24 });
    await seedStopped(store, 'i-old', 30);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.terminated).toEqual(['i-old']);
    expect(result.stopped).toEqual(['i-b']);
    expect(compute.starts).toEqual([]);
    expect(await stateOf(store, 'i-old')).toBe('terminating');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: 'i-old', pool: POOL, reason: 'max-age' }]);
  });

  it("records the day's peak of live nodes, which only rises", async () => {
    // Prepare
    const { d, store, pool } = setup();
    await seedReady(store, 'i-a');
    await seedReady(store, 'i-b');

    // Act
    await sweepPool(d, pool);
    await store.recordPeakNodes(POOL, dayOf(T0), 1);

    // Assess
    expect(await store.peakNodesByDay(POOL, dayOf(T0))).toEqual(new Map([[dayOf(T0), 2]]));
    expect(await store.peakNodesByDay(POOL, dayOf(T0) + 1)).toEqual(new Map());
  });
});

describe('Function: stopNode', () => {
  const drainedNode = async (store: MemoryFleetStore, nodeId: string) => {
    await seedReady(store, nodeId);
    return store.transitionNode(nodeId, ['ready'], 'draining', T0, 'surplus');
  };

  it('gives the node back (draining) when the stop fails transiently, for the next sweep to decide again', async () => {
    // Prepare
    const { d, store, compute, pool } = setup();
    const node = await drainedNode(store, 'i-b');
    compute.stop = async () => {
      throw new AutoscalerError('RequestLimitExceeded', { retryable: true });
    };

    // Act
    const outcome = await stopNode(d, pool, node!, false);

    // Assess
    expect(outcome).toBe('skipped');
    expect(await stateOf(store, 'i-b')).toBe('draining');
    expect(compute.terminated).toEqual([]);
  });

  it('gives the node back without stopping it when a room landed after the sweep read it', async () => {
    // Prepare: the sweep saw it empty; a room is on it now
    const { d, store, compute, pool } = setup();
    const seen = await drainedNode(store, 'i-b');
    await store.setAccepting('i-b', true);
    expect(await store.claimCapacity({ nodeId: 'i-b', container: 0 }, 'room-1', 1, T0)).toMatchObject({ kind: 'claimed' });

    // Act
    const outcome = await stopNode(d, pool, seen!, false);

    // Assess
    expect(outcome).toBe('skipped');
    expect(compute.stops).toEqual([]);
    expect(await stateOf(store, 'i-b')).toBe('draining');
  });

  it('terminates instead when the provider cannot stop nodes', async () => {
    // Prepare: the shared fake has no stop
    const store = new MemoryFleetStore();
    const d = makeDeps({ store, config: { defaultPool: POOL, pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10 }] }, compute: new FakeComputeProvider('launch') });
    const pool = parseAutoscalerConfig({ defaultPool: POOL, pools: [{ name: POOL }] }).pools[0] as PoolConfig;
    const node = await drainedNode(store, 'i-b');

    // Act
    const outcome = await stopNode(d, pool, node!, false);

    // Assess
    expect(outcome).toBe('terminated');
    expect(d.compute.terminated).toEqual(['i-b']);
  });
});

describe('A crowd the pool met before starts warm', () => {
  // 12 and 24 nodes are above the former default maxSize (8), under which most of such a crowd
  // was terminated at scale-in and launched cold again.
  it.each([
    { name: 'a peak of 4 nodes', peak: 4 },
    { name: 'a peak of 12 nodes', peak: 12 },
    { name: 'a peak of 24 nodes (the default maxSize: a 480-room crowd)', peak: 24 },
  ])('keeps $name stopped through the quiet hours with the default warm pool and starts them, not launches, when rooms come again', async ({ peak }) => {
    // Prepare: a peak of `peak` ready nodes, then no rooms
    const { d, store, compute, pool } = setup();
    for (let i = 0; i < peak; i++) await seedReady(store, `i-${String(i).padStart(2, '0')}`);

    // Act: sweeps every minute for half an hour; EC2 reports each stop done
    for (let minute = 0; minute < 30; minute++) {
      await sweepPool(d, pool);
      for (const n of await store.listNodes(POOL)) if (n.state === 'stopping') await store.transitionNode(n.nodeId, ['stopping'], 'stopped', d.clock.now());
      d.clock.advance(60_000);
    }
    const quiet = await store.listNodes(POOL);
    const stopped = quiet.filter((n) => n.state === 'stopped').map((n) => n.nodeId).sort();

    // Assess: the surplus went into the warm pool, none was terminated
    expect(stopped.length).toBeGreaterThan(0);
    expect(compute.terminated).toEqual([]);
    expect(stopped.length + quiet.filter((n) => n.state === 'ready').length).toBe(peak);

    // Act: rooms ask for more than the running and stopped nodes hold (24 units per node of the peak)
    const launchesBefore = compute.launches.length;
    for (let i = 0; i < peak * 12; i++) await createRoom(d, { roomId: `room-${i}`, weight: 2, eventId: `ev-${i}`, eventTime: d.clock.now() });

    // Assess: every stopped node was started before the first cold launch
    expect(compute.starts.flat().sort()).toEqual(stopped);
    expect(compute.calls.indexOf('launch')).toBeGreaterThan(compute.calls.lastIndexOf('start'));
    expect(compute.launches.length).toBeGreaterThan(launchesBefore);
    expect((await store.listNodes(POOL)).filter((n) => n.state === 'starting').map((n) => n.nodeId).sort()).toEqual(stopped);
  });
});

describe('The hot path works to the running headroom of a warm pool', () => {
  // headroomMin 10; with a node stopped, 5 of it stay running (a warm start's share, 40 s of a
  // 90 s boot) and the stopped node holds the rest (shared/domain/warm-pool.ts warmHeadroomMin).
  it.each([
    { name: 'leaves the stopped node stopped at 5 free units', weights: [4, 4, 4, 3], warm: {}, starts: [], launches: 0 },
    { name: 'starts it below 5 free units', weights: [4, 4, 4, 3, 2], warm: {}, starts: [['i-s1']], launches: 0 },
    { name: 'keeps the whole floor running (a launch) without a warm pool', weights: [4, 4, 4, 3], warm: { state: 'none' }, starts: [], launches: 1 },
  ])('$name', async ({ weights, warm, starts, launches }: { weights: number[]; warm: Record<string, unknown>; starts: string[][]; launches: number }) => {
    // Prepare: one ready node, one stopped node
    const { d, store, compute } = setup(warm);
    await seedReady(store, 'i-r');
    await seedStopped(store, 'i-s1', 1);

    // Act: rooms arrive 5 minutes apart (a rate too low to matter); each placement decides
    // scale-out on the hot path
    for (const [i, weight] of weights.entries()) {
      d.clock.advance(5 * 60_000);
      expect(await createRoom(d, { roomId: `room-${i}`, weight, eventId: `ev-${i}`, eventTime: d.clock.now() })).toMatchObject({ kind: 'placed' });
    }

    // Assess
    expect(compute.starts).toEqual(starts);
    expect(compute.launches.reduce((s, l) => s + l.count, 0)).toBe(launches);
  });
});
