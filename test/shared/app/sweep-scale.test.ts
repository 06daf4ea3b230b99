/**
 * The sweep at scale: one read of the pool's nodes per run (paged), the leak check spread over
 * five minutes, and a pool's nodes split across parallel sweep shards.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { sweepAll, sweepPool } from '../../../shared/app/sweep.ts';
import { isLeakCheckDue, LEAK_CHECK_SPREAD_MINUTES, nodeShard, readPoolNodes } from '../../../shared/app/sweep-scope.ts';
import { parseAutoscalerConfig, poolByName } from '../../../shared/domain/config.ts';
import type { FleetStore } from '../../../shared/ports/fleet-store.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { FakeClock, makeDeps, seedReadyNode, T0, useFleetTable, type TestDeps } from '../../support/fleet.ts';

const fleet = useFleetTable();
const POOL = 'default';
const MIN = 60_000;

const rawConfig = (nodes: number) => ({
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: nodes, headroomMin: 0, scaleInMargin: 0, maxNodes: nodes + 10 }],
});
const nodeId = (i: number) => `i-${i.toString(16).padStart(17, '0')}`;

/** The store with a log of the calls made through it (method name and first argument). */
function counting(store: FleetStore): { store: FleetStore; calls: { method: string; arg: unknown }[] } {
  const calls: { method: string; arg: unknown }[] = [];
  const proxy = new Proxy(store, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), arg: args[0] });
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** `nodes` ready nodes with one placed room of weight 1 each (`room-<i>` on node i, container 0). */
async function fleetWithRooms(nodes: number): Promise<{ d: TestDeps; store: MemoryFleetStore; rooms: Map<string, string> }> {
  const store = new MemoryFleetStore();
  const d = makeDeps({ store, config: rawConfig(nodes), clock: new FakeClock(T0) });
  for (let i = 0; i < nodes; i++) await seedReadyNode(store, { nodeId: nodeId(i), pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
  const rooms = new Map<string, string>();
  for (let i = 0; i < nodes; i++) {
    const target = { nodeId: nodeId(i), container: 0 };
    await store.beginRoom({ roomId: `room-${i}`, pool: POOL, weight: 1, eventId: `e-${i}`, eventTime: T0, now: T0, target });
    await store.claimCapacity(target, `room-${i}`, 1, T0);
    await store.confirmPlaced(`room-${i}`, `e-${i}`, target, T0);
    rooms.set(`room-${i}`, nodeId(i));
  }
  return { d, store, rooms };
}

const roomIdsRead = (calls: readonly { method: string; arg: unknown }[]) => calls.filter((c) => c.method === 'getRooms').flatMap((c) => c.arg as string[]);

describe('Function: sweepPool at scale', () => {
  it('reads the pool\'s nodes once per run, page by page', async () => {
    // Prepare: 250 nodes = 3 pages of the memory store
    const { d, store } = await fleetWithRooms(250);
    const { store: counted, calls } = counting(store);
    d.clock.set(T0 + 7 * MIN);

    // Act
    const result = await sweepPool({ ...d, store: counted }, poolByName(parseAutoscalerConfig(rawConfig(250)), POOL));

    // Assess
    expect(calls.filter((c) => c.method === 'listNodePages' || c.method === 'listNodes')).toEqual([{ method: 'listNodePages', arg: POOL }]);
    expect(result.gauges.nodes.ready).toBe(250);
    expect(result.plan.capacity.liveNodes).toBe(250);
  });

  it('checks every node\'s rooms exactly once over five consecutive minutes, and finds a leaked hold', async () => {
    // Prepare: 60 nodes with a room each, and a hold no room record accounts for on one of them
    const { d, store, rooms } = await fleetWithRooms(60);
    const leaky = nodeId(17);
    await store.claimCapacity({ nodeId: leaky, container: 1 }, 'ghost-room', 3, T0);
    const { store: counted, calls } = counting(store);
    const pool = poolByName(parseAutoscalerConfig(rawConfig(60)), POOL);
    const released: string[] = [];
    const perMinute: number[] = [];

    // Act: five sweeps, a minute apart
    for (let m = 0; m < LEAK_CHECK_SPREAD_MINUTES; m++) {
      d.clock.set(T0 + (10 + m) * MIN);
      const before = roomIdsRead(calls).length;
      const result = await sweepPool({ ...d, store: counted }, pool);
      released.push(...result.reconciled.leaksReleased);
      perMinute.push(roomIdsRead(calls).length - before);
    }

    // Assess: each room (and the ghost) read once; each minute only its share
    const read = roomIdsRead(calls);
    expect([...read].sort()).toEqual([...rooms.keys(), 'ghost-room'].sort());
    expect(Math.max(...perMinute)).toBeLessThan(read.length);
    expect(perMinute.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(released).toEqual([`${leaky}/1/ghost-room`]);
    expect((await store.getNode(leaky))?.containers[1]?.used).toBe(0);
    expect((await store.getNode(leaky))?.containers[0]?.used).toBe(1);
  });

  it('checks every node with leakCheck all', async () => {
    // Prepare
    const { d, store, rooms } = await fleetWithRooms(30);
    const { store: counted, calls } = counting(store);
    d.clock.set(T0 + 11 * MIN);

    // Act
    await sweepPool({ ...d, store: counted }, poolByName(parseAutoscalerConfig(rawConfig(30)), POOL), { leakCheck: 'all' });

    // Assess
    expect(roomIdsRead(calls).sort()).toEqual([...rooms.keys()].sort());
  });
});

describe('Function: sweepAll with shards', () => {
  it('puts each node in exactly one shard, spread over all of them', () => {
    // Act
    const ids = Array.from({ length: 3_000 }, (_, i) => nodeId(i));
    const counts = [0, 0, 0];
    for (const id of ids) counts[nodeShard(id, 3)]! += 1;

    // Assess
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3_000);
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(ids.every((id) => nodeShard(id, 1) === 0)).toBe(true);
    // the leak-check slot is another hash: one shard's nodes fall in every minute's fifth
    const slots = new Set(ids.filter((id) => nodeShard(id, 3) === 1).map((id) => [0, 1, 2, 3, 4].find((m) => isLeakCheckDue(id, m * MIN))));
    expect(slots.size).toBe(5);
  });

  it('checks each node\'s rooms in exactly one shard and runs the pool-wide steps in shard 0 only', async () => {
    // Prepare
    const { d, store, rooms } = await fleetWithRooms(45);
    d.clock.set(T0 + 12 * MIN);
    const runs: { shard: number; calls: { method: string; arg: unknown }[]; out: Awaited<ReturnType<typeof sweepAll>> }[] = [];

    // Act
    for (const shard of [0, 1, 2]) {
      const { store: counted, calls } = counting(store);
      runs.push({ shard, calls, out: await sweepAll({ ...d, store: counted }, { shard, shards: 3, leakCheck: 'all' }) });
    }

    // Assess
    expect(runs.flatMap((r) => roomIdsRead(r.calls)).sort()).toEqual([...rooms.keys()].sort());
    for (const r of runs) {
      const own = roomIdsRead(r.calls).map((id) => rooms.get(id) as string);
      expect(own.every((n) => nodeShard(n, 3) === r.shard)).toBe(true);
      expect(r.calls.filter((c) => c.method === 'listNodePages')).toHaveLength(1);
      const poolWide = r.calls.filter((c) => ['getSummary', 'replaceSummary', 'listQueued', 'listPlacing', 'getArrivalHistory'].includes(c.method));
      if (r.shard === 0) {
        expect(poolWide.length).toBeGreaterThan(0);
        expect(r.out.results.map((p) => p.pool)).toEqual([POOL]);
      } else {
        expect(poolWide).toEqual([]);
        expect(r.out.results).toEqual([]);
        expect(r.out.shardResults.map((p) => p.pool)).toEqual([POOL]);
      }
    }
  });

  it('closes a node whose instance is gone in its own shard, announcing its rooms', async () => {
    // Prepare
    const { d, store } = await fleetWithRooms(12);
    const lost = nodeId(5);
    const owner = nodeShard(lost, 2);
    d.compute.lose(lost);
    d.clock.set(T0 + 13 * MIN);

    // Act: the other shard first, then the owner
    const other = await sweepAll(d, { shard: 1 - owner, shards: 2 });
    const stateAfterOther = (await store.getNode(lost))?.state;
    const own = await sweepAll(d, { shard: owner, shards: 2 });

    // Assess
    const closedBy = (r: typeof own) => [...r.results.map((p) => p.reconciled), ...r.shardResults.map((p) => p.reconciled)].flatMap((x) => x.closedNodes);
    expect(closedBy(other)).toEqual([]);
    expect(stateAfterOther).toBe('ready');
    expect(closedBy(own)).toEqual([lost]);
    expect((await store.getNode(lost))?.state).toBe('terminated');
    expect(d.publisher.ofType('RoomInterrupted')).toEqual([expect.objectContaining({ roomId: 'room-5', nodeId: lost })]);
  });

  it('announces every room of a node whose closure crashed after releasing some of them', async () => {
    // Prepare: two rooms on a node whose instance is lost; the closure's second room release crashes once
    const { d, store } = await fleetWithRooms(3);
    const target = { nodeId: nodeId(1), container: 1 };
    await store.beginRoom({ roomId: 'room-b', pool: POOL, weight: 1, eventId: 'e-b', eventTime: T0, now: T0, target });
    await store.claimCapacity(target, 'room-b', 1, T0);
    await store.confirmPlaced('room-b', 'e-b', target, T0);
    d.compute.lose(nodeId(1));
    d.clock.set(T0 + 14 * MIN);
    let releases = 0;
    const crashing = new Proxy(store, {
      get(t, prop) {
        if (prop === 'releaseRoom') {
          return async (...a: Parameters<FleetStore['releaseRoom']>) => {
            releases += 1;
            if (releases === 2) throw new Error('crash (test)');
            return t.releaseRoom(...a);
          };
        }
        const v: unknown = Reflect.get(t, prop, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });

    // Act: the crashed sweep, then the next one
    const first = await sweepAll({ ...d, store: crashing });
    d.clock.advance(MIN);
    await sweepAll({ ...d, store: crashing });

    // Assess
    expect(first.errors).toHaveLength(1);
    expect((await store.getNode(nodeId(1)))?.state).toBe('terminated');
    expect(new Set(d.publisher.ofType('RoomInterrupted').map((e) => e.roomId))).toEqual(new Set(['room-1', 'room-b']));
  });

  it('rejects a shard out of range', async () => {
    // Prepare
    const { d } = await fleetWithRooms(1);

    // Act / Assess
    await expect(sweepAll(d, { shard: 2, shards: 2 })).rejects.toThrow(RangeError);
  });
});

describe('Function: readPoolNodes on DynamoDB', () => {
  it('yields every node whole once when pages cut through a node\'s items', async () => {
    // Prepare: 7 nodes of 3 items (node + 2 containers); 4 items a page cuts most nodes
    for (let i = 0; i < 7; i++) await seedReadyNode(fleet.store, { nodeId: nodeId(i), pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
    const pages: number[] = [];
    const paged = new Proxy(fleet.store, {
      get(target, prop) {
        if (prop === 'listNodePages') return (pool: string) => target.listNodePages(pool, 4);
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });

    // Act
    const nodes = await readPoolNodes({ store: paged }, POOL, async (page) => void pages.push(page.length));

    // Assess
    expect(nodes.map((n) => n.nodeId).sort()).toEqual(Array.from({ length: 7 }, (_, i) => nodeId(i)));
    expect(nodes.every((n) => n.containers.length === 2 && n.state === 'ready')).toBe(true);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(7);
  });
});
