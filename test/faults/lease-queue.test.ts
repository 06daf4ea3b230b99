/**
 * Placement claims as leases, and the fair queue (issue: every room placed within one retry).
 *
 * A `placing` claim ends with its owner's deadline; after it, any drain (a release, NodeReady,
 * the sweep, the create's own retry) takes the room over — a crash no longer strands a room for
 * a retry interval or the sweep's old 180 s repair grace. The queue is first come, first served
 * by first delivery (`requestedAt`), whatever retry or repair queues a room again.
 *
 * Runs on the in-memory store (same semantics as DynamoDB: the contract suite pins them).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { createRoom, placeQueued, type CreateRoomCommand } from '../../shared/app/rooms.ts';
import { sweepPool } from '../../shared/app/sweep.ts';
import { poolByName, parseAutoscalerConfig } from '../../shared/domain/config.ts';
import { FaultInjector, InjectedFaultError } from '../../sim/adapters/fault-injection.ts';
import { MemoryFleetStore } from '../../sim/adapters/memory-fleet-store.ts';
import { FakeClock, makeDeps, seedReadyNode, T0, type TestDeps } from '../support/fleet.ts';

const POOL = 'default';
const rawConfig = {
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, maxNodes: 1, headroomMin: 0, scaleInMargin: 0 }],
};
const config = parseAutoscalerConfig(rawConfig);
const pool = poolByName(config, POOL);
/** The function timeout of room-events: the lease an invocation takes. */
const LEASE_MS = 30_000;

function setup(): { d: TestDeps; store: MemoryFleetStore; faults: FaultInjector; crashing: TestDeps } {
  const store = new MemoryFleetStore();
  const faults = new FaultInjector();
  const d = makeDeps({ store, config: rawConfig, clock: new FakeClock(T0) });
  return { d, store, faults, crashing: { ...d, store: faults.wrap(store, 'store') } };
}

const cmd = (d: TestDeps, roomId: string, weight = 4): CreateRoomCommand => ({
  roomId,
  weight,
  eventId: `ev-${roomId}`,
  eventTime: d.clock.now(),
  leaseUntil: d.clock.now() + LEASE_MS,
});

const node = (d: TestDeps, nodeId: string) => seedReadyNode(d.store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: d.clock.now() });
const placedOrder = (d: TestDeps) => d.publisher.ofType('RoomPlaced').map((p) => p.roomId);

describe('Lease: a crashed create is taken over by the next drain once its owner is gone', () => {
  it('leaves the room alone while the lease runs, then places it in its place by first delivery', async () => {
    // Arrange: no capacity; r1 queued, r2's create crashes right after claiming the room id, r3 queued
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1'));
    d.clock.advance(1_000);
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, cmd(d, 'r2'))).rejects.toThrow(InjectedFaultError);
    d.clock.advance(1_000);
    await createRoom(d, cmd(d, 'r3'));
    await node(d, 'i-a');

    // Act 1: a drain while r2's owner may still be running
    d.clock.advance(5_000);
    const early = await placeQueued(d, config, POOL, 'drain-1');
    // Assert 1: r1 placed, r2 untouched (still its owner's), r3 placed behind it
    expect(early).toBe(2);
    expect((await store.getRoom('r2'))?.state).toBe('placing');
    expect((await store.getRoom('r2'))?.eventId).toBe('ev-r2');

    // Act 2: the next drain after the lease ended (well before the create's 60 s retry)
    d.clock.set(T0 + 1_000 + LEASE_MS + 1);
    const late = await placeQueued(d, config, POOL, 'drain-2');

    // Assert 2: taken over and placed, announced once
    expect(late).toBe(1);
    expect((await store.getRoom('r2'))?.state).toBe('placed');
    expect(placedOrder(d)).toEqual(['r1', 'r3', 'r2']);
  });

  it('finishes a placement whose capacity claim succeeded before the crash, without a second hold', async () => {
    // Arrange: r1's create crashes right after claiming capacity on its target
    const { d, store, faults, crashing } = setup();
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 2 });
    await expect(createRoom(crashing, cmd(d, 'r1', 6))).rejects.toThrow(InjectedFaultError);
    const stranded = await store.getRoom('r1');
    expect(stranded?.state).toBe('placing');

    // Act: a drain after the lease ended
    d.clock.advance(LEASE_MS + 1);
    const placed = await placeQueued(d, config, POOL, 'drain');

    // Assert: placed where its target holds it; the container holds it once, with its weight
    expect(placed).toBe(1);
    const room = await store.getRoom('r1');
    expect(room?.state).toBe('placed');
    expect(room?.placement).toEqual(stranded?.target);
    const containers = (await store.getNode('i-a'))?.containers ?? [];
    expect(containers.reduce((s, c) => s + c.used, 0)).toBe(6);
    expect(d.publisher.ofType('RoomPlaced').map((p) => p.roomId)).toEqual(['r1']);
  });

  it('takes over a crashed claim of a queue drain (not just the sweep after 180 s)', async () => {
    // Arrange: r1 queued; the NodeReady drain crashes right after claiming it from the queue
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1'));
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(placeQueued(crashing, config, POOL, 'node-ready', 50, d.clock.now() + LEASE_MS)).rejects.toThrow(InjectedFaultError);
    expect((await store.getRoom('r1'))?.state).toBe('placing');

    // Act: the next drain once that invocation's deadline has passed
    d.clock.advance(LEASE_MS + 1);
    const placed = await placeQueued(d, config, POOL, 'release');

    // Assert
    expect(placed).toBe(1);
    expect((await store.getRoom('r1'))?.state).toBe('placed');
  });

  it("the create's own retry renews the lease, so no drain takes the room from under it", async () => {
    // Arrange: r1's create crashes after claiming the room id; its lease ends
    const { d, store, faults, crashing } = setup();
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, cmd(d, 'r1'))).rejects.toThrow(InjectedFaultError);
    d.clock.advance(LEASE_MS + 1);

    // Act: the retry (same event id) claims it again with a fresh lease
    const retried = await store.beginRoom({ roomId: 'r1', pool: POOL, weight: 4, eventId: 'ev-r1', eventTime: T0, now: d.clock.now(), leaseUntil: d.clock.now() + LEASE_MS });

    // Assert: still the retry's; a drain now cannot take it over
    expect(retried.kind).toBe('claimed');
    expect(await store.takeOverPlacing('r1', 'drain', d.clock.now() + 1, d.clock.now() + LEASE_MS)).toBeUndefined();
  });
});

describe('Fair queue: first come, first served by first delivery', () => {
  it('keeps a crashed-then-retried room ahead of the rooms delivered after it', async () => {
    // Arrange: r1 at T0, r2 at T0 + 1 s crashes after claiming its id, r3 at T0 + 2 s
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1'));
    d.clock.advance(1_000);
    const r2 = cmd(d, 'r2');
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, r2)).rejects.toThrow(InjectedFaultError);
    d.clock.advance(1_000);
    await createRoom(d, cmd(d, 'r3'));

    // Act: Lambda's retry of r2, a minute later, queues it
    d.clock.advance(60_000);
    const outcome = await createRoom(d, { ...r2, leaseUntil: d.clock.now() + LEASE_MS });

    // Assert: queued in its place by first delivery
    expect(outcome.kind).toBe('queued');
    expect((await store.listQueued(POOL, 10)).map((r) => r.roomId)).toEqual(['r1', 'r2', 'r3']);
  });

  it('the sweep counts a stranded room in the queue and queues it again in its place', async () => {
    // Arrange: r1 queued, r2 stranded (crash after claiming its id), r3 queued
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1', 3));
    d.clock.advance(1_000);
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, cmd(d, 'r2', 5))).rejects.toThrow(InjectedFaultError);
    d.clock.advance(1_000);
    await createRoom(d, cmd(d, 'r3', 2));

    // Act: the sweep after r2's lease ended
    d.clock.advance(LEASE_MS);
    const result = await sweepPool(d, pool);

    // Assert: requeued by the repair, in order, and its weight in the queue figures
    expect(result.reconciled.placingRequeued).toEqual(['r2']);
    expect((await store.listQueued(POOL, 10)).map((r) => r.roomId)).toEqual(['r1', 'r2', 'r3']);
    expect((await store.getSummary(POOL)).queuedWeight).toBe(10);
    expect(d.publisher.ofType('RoomQueued').map((q) => q.roomId)).toContain('r2');
  });
});
