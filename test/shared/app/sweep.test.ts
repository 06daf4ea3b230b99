import { describe, expect, it } from 'vitest';
import { releaseRoom } from '../../../shared/app/room-release.ts';
import { createRoom } from '../../../shared/app/rooms.ts';
import { drainNode, undrainNode } from '../../../shared/app/scaling-executor.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { parseAutoscalerConfig, WarmPoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { FleetStore } from '../../../shared/ports/fleet-store.ts';
import { FakeComputeProvider, makeDeps, scanContainers, seedInstance, seedReadyNode, T0, useFleetTable, type TestDeps } from '../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'media';
const GRACE = 600_000;
const READY_TIMEOUT = 600_000;
const MIN = 60_000;

const configFor = (overrides: Partial<PoolConfig> = {}) => ({
  defaultPool: POOL,
  pools: [
    {
      name: POOL,
      containersPerNode: 2,
      capacityPerContainer: 10,
      minNodes: 1,
      headroomMin: 10,
      placementSpread: 1,
      idleGraceMs: GRACE,
      readyTimeoutMs: READY_TIMEOUT,
      arrivalWindowMs: 10 * MIN,
      ...overrides,
    },
  ],
});

const setup = (overrides: Partial<PoolConfig> = {}, compute = new FakeComputeProvider('launch-nothing')) => {
  const config = configFor(overrides);
  const d = makeDeps({ store: fleet.store, config, compute });
  const pool = parseAutoscalerConfig(config).pools[0] as PoolConfig;
  return { d, pool };
};
const seed = (nodeId: string) => seedReadyNode(fleet.store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
const create = (d: TestDeps, roomId: string, weight: number) =>
  createRoom(d, { roomId, weight, eventId: `ev-${roomId}`, eventTime: d.clock.now() });
const stateOf = async (nodeId: string) => (await fleet.store.getNode(nodeId))?.state;

describe('Function: sweepPool', () => {
  it('drains a surplus empty node and terminates it after the idle grace, never below minNodes nor a node with rooms', async () => {
    // Prepare: three ready nodes, a room on i-a; no warm pool (its stop grace: test/shared/app/warm-pool.test.ts)
    const { d, pool } = setup({ minNodes: 2, warmPool: WarmPoolConfigSchema.parse({ state: 'none' }) });
    for (const id of ['i-a', 'i-b', 'i-c']) await seed(id);
    expect(await create(d, 'room-1', 2)).toMatchObject({ kind: 'placed', placement: { nodeId: 'i-a' } });

    // Act: first sweep drains one surplus node (keeping minNodes accepting)
    const first = await sweepPool(d, pool);

    // Assess
    expect(first).toMatchObject({ drained: ['i-b'], terminated: [] });
    expect(await stateOf('i-b')).toBe('draining');
    expect(d.publisher.ofType('NodeDraining')).toEqual([{ nodeId: 'i-b', pool: POOL, reason: 'surplus' }]);
    expect((await fleet.store.findCandidates(POOL, 1, 10)).map((c) => c.nodeId)).not.toContain('i-b');

    // Act: one ms short of the idle grace, then at the idle grace
    d.clock.advance(GRACE - 1);
    const early = await sweepPool(d, pool);
    d.clock.advance(1);
    const due = await sweepPool(d, pool);

    // Assess
    expect(early.terminated).toEqual([]);
    expect(due.terminated).toEqual(['i-b']);
    expect(d.compute.terminated).toEqual(['i-b']);
    expect(await stateOf('i-b')).toBe('terminating');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: 'i-b', pool: POOL, reason: 'idle' }]);

    // Act: much later, the pool is at minNodes with one empty node
    d.clock.advance(3 * GRACE);
    const later = await sweepPool(d, pool);
    const muchLater = await sweepPool(d, pool);

    // Assess: nothing more is drained or terminated; the node with the room is untouched
    expect([...later.drained, ...later.terminated, ...muchLater.drained, ...muchLater.terminated]).toEqual([]);
    expect(d.compute.terminated).toEqual(['i-b']);
    expect([await stateOf('i-a'), await stateOf('i-c')]).toEqual(['ready', 'ready']);
    expect((await fleet.store.getSummary(POOL)).liveNodes).toBe(2);
  });

  it('never terminates a draining node that still hosts rooms, even with a stale empty mark', async () => {
    // Prepare: one node with a room, drained, wrongly marked empty long ago
    const { d, pool } = setup({ minNodes: 0, headroomMin: 0 });
    await seed('i-a');
    await create(d, 'room-1', 2);
    d.clock.advance(20 * MIN); // arrivals leave the window: no headroom wanted
    await drainNode(d, 'i-a', 'test');
    await fleet.store.setEmptySince('i-a', T0);

    // Act
    const first = await sweepPool(d, pool);
    d.clock.advance(2 * GRACE);
    const second = await sweepPool(d, pool);

    // Assess
    expect([...first.terminated, ...second.terminated]).toEqual([]);
    expect(d.compute.terminated).toEqual([]);
    expect(await fleet.store.getNode('i-a')).toMatchObject({ state: 'draining', emptySince: undefined });

    // Act: once the room is gone the node goes after the idle grace
    await releaseRoom(d, 'room-1', d.clock.now(), 'ev-release');
    await sweepPool(d, pool);
    d.clock.advance(GRACE);
    const last = await sweepPool(d, pool);

    // Assess
    expect(last.terminated).toEqual(['i-a']);
  });

  it('terminates a node stuck in launching past readyTimeoutMs', async () => {
    // Prepare
    const { d, pool } = setup();
    await seed('i-a');
    await fleet.store.createNode(
      { nodeId: 'i-stuck', pool: POOL, state: 'launching', instanceType: 'c6i.2xlarge', launchedAt: T0, decisionId: 'd-1', containersPerNode: 2, capacityPerContainer: 10 },
      T0,
    );
    seedInstance('i-stuck', POOL, T0);

    // Act
    d.clock.set(T0 + READY_TIMEOUT - 1);
    const early = await sweepPool(d, pool);
    d.clock.set(T0 + READY_TIMEOUT);
    const due = await sweepPool(d, pool);

    // Assess
    expect(early.terminated).toEqual([]);
    expect(due.terminated).toEqual(['i-stuck']);
    expect(d.compute.terminated).toEqual(['i-stuck']);
    expect(await stateOf('i-stuck')).toBe('terminating');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: 'i-stuck', pool: POOL, reason: 'ready-timeout' }]);
  });

  it('rewrites the summary counters exactly after they were corrupted', async () => {
    // Prepare
    const { d, pool } = setup({ minNodes: 2 });
    await seed('i-a');
    await seed('i-b');
    await create(d, 'room-1', 3);
    const arrivals = (await fleet.store.getSummary(POOL)).arrivals;
    await fleet.store.adjustSummary(
      POOL,
      { readyFree: 500, pendingCapacity: 77, queuedWeight: 9, liveNodes: 40, drainingSet: { 'i-ghost': 10 } },
      d.clock.now(),
    );

    // Act
    await sweepPool(d, pool);

    // Assess
    expect(await fleet.store.getSummary(POOL)).toEqual({
      pool: POOL,
      arrivals,
      launches: {},
      readyFree: 37,
      pendingCapacity: 0,
      queuedWeight: 0,
      liveNodes: 2,
      draining: {},
      // The predictor's forecast, written by every sweep: no history for this time of day yet.
      forecastWeight: 0,
    });
  });

  it('counts a launching node as pending capacity and does not launch again for it', async () => {
    // Prepare: a nearly full node; the hot path launched one node for the missing headroom
    const compute = new FakeComputeProvider('launch');
    const { d, pool } = setup({ minNodes: 1 }, compute);
    await seed('i-a');
    await create(d, 'room-1', 10);
    await create(d, 'room-2', 8);
    expect(compute.launches).toHaveLength(1);
    expect((await fleet.store.getSummary(POOL)).pendingCapacity).toBe(20);

    // Act
    d.clock.advance(MIN);
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.launched).toEqual([]);
    expect(compute.launches).toHaveLength(1);
    expect((await fleet.store.getSummary(POOL)).pendingCapacity).toBe(20);
  });

  it('never terminates a node that was undrained and got a room after the sweep read the fleet', async () => {
    // Prepare: i-b drained and idle past the grace
    const { d, pool } = setup({ minNodes: 1 });
    await seed('i-a');
    await seed('i-b');
    await drainNode(d, 'i-b', 'surplus');
    await fleet.store.setEmptySince('i-b', T0);
    d.clock.advance(GRACE);
    // a concurrent invocation undrains i-b and places a room on it right after the sweep's read
    const racing: FleetStore = new Proxy(fleet.store, {
      get(target, prop) {
        const race = async () => {
          await undrainNode(d, 'i-b');
          await target.claimCapacity({ nodeId: 'i-b', container: 0 }, 'room-late', 1, d.clock.now());
        };
        if (prop === 'listNodes') {
          return async (p: string) => {
            const nodes = await target.listNodes(p);
            await race();
            return nodes;
          };
        }
        if (prop === 'listNodePages') {
          return async function* (p: string) {
            for await (const page of target.listNodePages(p)) yield page;
            await race();
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });

    // Act
    await sweepPool({ ...d, store: racing }, pool);

    // Assess
    expect(d.compute.terminated).not.toContain('i-b');
  });

  it('frees capacity a crash left held by a released room', async () => {
    // Prepare: the room record is released, then the release crashed before freeing capacity
    const { d, pool } = setup({ minNodes: 1 });
    await seed('i-a');
    await create(d, 'room-1', 4);
    d.clock.advance(1_000);
    await fleet.store.releaseRoom('room-1', d.clock.now(), d.clock.now());

    // Act: the release is redelivered, then the sweep runs
    await releaseRoom(d, 'room-1', d.clock.now(), 'ev-release');
    await sweepPool(d, pool);

    // Assess
    const used = (await scanContainers(fleet.doc, fleet.tableName)).reduce((s, c) => s + c.used, 0);
    expect(used).toBe(0);
  });
});
