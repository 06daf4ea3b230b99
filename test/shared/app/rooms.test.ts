import { describe, expect, it } from 'vitest';
import { releaseRoom } from '../../../shared/app/room-release.ts';
import { createRoom, type CreateRoomCommand } from '../../../shared/app/rooms.ts';
import { FakeComputeProvider, makeDeps, scanContainers, seedReadyNode, T0, useFleetTable, type TestDeps } from '../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'media';
/** 2 containers × 10 units per node; spread 1 makes placement plain best-fit. */
const CONFIG = {
  defaultPool: POOL,
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 1, headroomMin: 10, placementSpread: 1 }],
};

const deps = (compute = new FakeComputeProvider('launch')): TestDeps => makeDeps({ store: fleet.store, config: CONFIG, compute });
const seed = (nodeId: string) => seedReadyNode(fleet.store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
const create = (d: TestDeps, roomId: string, weight = 1, extra: Partial<CreateRoomCommand> = {}) =>
  createRoom(d, { roomId, weight, eventId: `ev-${roomId}`, eventTime: d.clock.now(), ...extra });
const usedOf = async () =>
  Object.fromEntries((await scanContainers(fleet.doc, fleet.tableName)).map((c) => [`${c.nodeId}/${c.idx}`, c.used]));

describe('Function: createRoom', () => {
  it('places the room on the best-fit container and publishes RoomPlaced with its addresses', async () => {
    // Prepare: i-b/1 is the most loaded container that still fits 3 units
    const d = deps();
    await seed('i-a');
    const b = await seed('i-b');
    await fleet.store.claimCapacity({ nodeId: 'i-b', container: 1 }, 'filler', 6, T0);
    await fleet.store.claimCapacity({ nodeId: 'i-a', container: 0 }, 'filler-2', 8, T0);

    // Act
    const outcome = await create(d, 'room-1', 3);

    // Assess
    const target = b.containers[1];
    const expected = {
      roomId: 'room-1',
      pool: POOL,
      nodeId: 'i-b',
      container: 1,
      privateIp: target?.privateIp,
      publicIp: target?.publicIp,
      wssUrl: `wss://${target?.publicIp}:8443`,
      weight: 3,
      waitedMs: 0,
    };
    expect(outcome).toEqual({ kind: 'placed', placement: expected });
    expect(d.publisher.ofType('RoomPlaced')).toEqual([expected]);
    expect(await fleet.store.getRoom('room-1')).toMatchObject({ state: 'placed', placement: { nodeId: 'i-b', container: 1 } });
    expect(await usedOf()).toEqual({ 'i-a/0': 8, 'i-a/1': 0, 'i-b/0': 0, 'i-b/1': 9 });
  });

  it('queues the room, publishes RoomQueued and launches nodes when nothing fits', async () => {
    // Prepare: fill the only node (launches off while filling)
    const compute = new FakeComputeProvider('launch-nothing');
    const d = deps(compute);
    await seed('i-a');
    await create(d, 'fill-0', 10);
    await create(d, 'fill-1', 10);
    compute.mode = 'launch';
    compute.launches.length = 0;
    d.publisher.clear();

    // Act
    const outcome = await create(d, 'room-1', 4);

    // Assess
    expect(outcome).toEqual({ kind: 'queued', pool: POOL });
    expect(d.publisher.ofType('RoomQueued')).toEqual([{ roomId: 'room-1', pool: POOL, weight: 4 }]);
    expect(compute.launches).toHaveLength(1);
    expect(compute.launches[0]).toMatchObject({ count: expect.any(Number), decisionId: 'ev-room-1:scale-out', pool: { name: POOL } });
    expect(compute.launches[0]?.count).toBeGreaterThanOrEqual(1);
    const launched = d.publisher.ofType('NodeLaunched');
    expect(launched).toHaveLength(compute.launches[0]?.count ?? 0);
    expect(launched[0]).toMatchObject({ pool: POOL, decisionId: 'ev-room-1:scale-out' });
    expect(await fleet.store.getNode(launched[0]?.nodeId ?? '')).toMatchObject({ state: 'launching', pool: POOL });
    expect((await fleet.store.listQueued(POOL, 10)).map((r) => r.roomId)).toEqual(['room-1']);
    expect(await fleet.store.getSummary(POOL)).toMatchObject({ queuedWeight: 4, pendingCapacity: 20 * (compute.launches[0]?.count ?? 0) });
  });

  it('changes nothing when the same create is delivered again', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');
    await create(d, 'room-1', 2);
    const usedBefore = await usedOf();
    const summaryBefore = await fleet.store.getSummary(POOL);
    const roomBefore = await fleet.store.getRoom('room-1');

    // Act
    d.clock.advance(5_000);
    const again = await create(d, 'room-1', 2, { eventTime: T0 });

    // Assess
    expect(again).toEqual({ kind: 'duplicate', state: 'placed' });
    expect(await usedOf()).toEqual(usedBefore);
    expect(await fleet.store.getSummary(POOL)).toEqual(summaryBefore);
    expect(await fleet.store.getRoom('room-1')).toEqual(roomBefore);
    // the retry of the same event re-publishes the same answer (at-least-once), nothing else
    const placed = d.publisher.ofType('RoomPlaced');
    expect(placed).toHaveLength(2);
    expect(placed[1]).toEqual(placed[0]);
  });

  it('publishes RoomPlaced on the retry of a create whose first publish failed', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');
    d.publisher.failNext = 1;
    await expect(create(d, 'room-1', 2)).rejects.toThrow('simulated publish failure');

    // Act
    await create(d, 'room-1', 2);

    // Assess
    expect(d.publisher.ofType('RoomPlaced').map((p) => p.roomId)).toEqual(['room-1']);
  });

  it('completes a create that crashed after claiming capacity without holding the room twice', async () => {
    // Prepare: the first delivery claimed the room id and capacity on i-a/0, then crashed
    const d = deps();
    await seed('i-a');
    await fleet.store.beginRoom({ roomId: 'room-1', pool: POOL, weight: 2, eventId: 'ev-room-1', eventTime: T0, now: T0, target: { nodeId: 'i-a', container: 0 } });
    await fleet.store.claimCapacity({ nodeId: 'i-a', container: 0 }, 'room-1', 2, T0);

    // Act: the redelivery
    const outcome = await create(d, 'room-1', 2);

    // Assess
    expect(outcome).toMatchObject({ kind: 'placed', placement: { nodeId: 'i-a', container: 0 } });
    expect(await usedOf()).toEqual({ 'i-a/0': 2, 'i-a/1': 0 });
  });

  it('rejects a room heavier than any container and publishes RoomRejected', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');

    // Act
    const outcome = await create(d, 'room-1', 11);

    // Assess
    expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('exceeds') });
    expect(d.publisher.ofType('RoomRejected')).toEqual([{ roomId: 'room-1', reason: expect.stringContaining('11') }]);
    expect(await fleet.store.getRoom('room-1')).toBeUndefined();
    expect(d.compute.launches).toEqual([]);
  });

  it('rejects a room for an unknown pool and publishes RoomRejected', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');

    // Act
    const outcome = await create(d, 'room-1', 1, { pool: 'nope' });

    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'unknown pool "nope"' });
    expect(d.publisher.ofType('RoomRejected')).toEqual([{ roomId: 'room-1', reason: 'unknown pool "nope"' }]);
    expect(await fleet.store.getRoom('room-1')).toBeUndefined();
    expect(await usedOf()).toEqual({ 'i-a/0': 0, 'i-a/1': 0 });
  });
});

describe('Function: releaseRoom', () => {
  it('frees the capacity and places the oldest queued room on it, reporting how long it waited', async () => {
    // Prepare: a full node and a queued room
    const d = deps(new FakeComputeProvider('launch-nothing'));
    await seed('i-a');
    const first = await create(d, 'room-1', 10);
    await create(d, 'room-2', 10);
    expect(await create(d, 'room-3', 5)).toMatchObject({ kind: 'queued' });
    d.publisher.clear();

    // Act
    d.clock.advance(30_000);
    const outcome = await releaseRoom(d, 'room-1', d.clock.now(), 'ev-release-1');

    // Assess
    expect(outcome).toEqual({ kind: 'released', previousState: 'placed', placedQueued: 1 });
    const where = first.kind === 'placed' ? first.placement : undefined;
    expect(d.publisher.ofType('RoomPlaced')).toEqual([
      expect.objectContaining({ roomId: 'room-3', nodeId: where?.nodeId, container: where?.container, weight: 5, waitedMs: 30_000 }),
    ]);
    expect(await fleet.store.getRoom('room-1')).toMatchObject({ state: 'released' });
    expect(await fleet.store.getRoom('room-3')).toMatchObject({ state: 'placed', placement: { nodeId: where?.nodeId, container: where?.container } });
    expect(await fleet.store.listQueued(POOL, 10)).toEqual([]);
    expect(Object.values(await usedOf()).sort()).toEqual([10, 5].sort());
  });

  it('frees the capacity of a released room that nobody waits for', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');
    await create(d, 'room-1', 4);

    // Act
    const outcome = await releaseRoom(d, 'room-1', d.clock.now() + 1, 'ev-release-1');
    const again = await releaseRoom(d, 'room-1', d.clock.now() + 2, 'ev-release-2');

    // Assess
    expect(outcome).toEqual({ kind: 'released', previousState: 'placed', placedQueued: 0 });
    expect(again).toEqual({ kind: 'ignored', reason: 'already-released' });
    expect(await usedOf()).toEqual({ 'i-a/0': 0, 'i-a/1': 0 });
  });

  it('leaves a tombstone when the release comes first, so the late create is stale and a later one is a reconnect', async () => {
    // Prepare
    const d = deps();
    await seed('i-a');

    // Act
    const released = await releaseRoom(d, 'room-1', T0 + 1_000, 'ev-release');
    const late = await create(d, 'room-1', 2, { eventId: 'ev-create', eventTime: T0 + 1_000 });
    const usedAfterLate = await usedOf();
    const reconnect = await create(d, 'room-1', 2, { eventId: 'ev-reconnect', eventTime: T0 + 2_000 });

    // Assess
    expect(released).toEqual({ kind: 'tombstoned' });
    expect(late).toEqual({ kind: 'stale', releasedAt: T0 + 1_000 });
    expect(usedAfterLate).toEqual({ 'i-a/0': 0, 'i-a/1': 0 });
    expect(d.publisher.ofType('RoomPlaced').map((p) => p.roomId)).toEqual(['room-1']);
    expect(reconnect).toMatchObject({ kind: 'placed' });
    expect(Object.values(await usedOf()).reduce((s, u) => s + u, 0)).toBe(2);
  });
});
