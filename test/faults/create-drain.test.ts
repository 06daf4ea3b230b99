/**
 * A create that placed its own room drains who waited before it (issue 16: every room placed
 * within one retry, and the flash crowd's wait under faults).
 *
 * Capacity was free, so rooms stranded by a crashed owner (lease ended) and rooms left queued
 * (a NodeReady drain that crashed after making its node ready) are placed by the next create,
 * first delivered first, rather than waiting for the next release, NodeReady, sweep or Lambda's
 * retry a minute later.
 *
 * Runs on the in-memory store (same semantics as DynamoDB: the contract suite pins them).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { releaseRoom } from '../../shared/app/room-release.ts';
import { createRoom, placeQueued, type CreateRoomCommand } from '../../shared/app/rooms.ts';
import { parseAutoscalerConfig } from '../../shared/domain/config.ts';
import { FaultInjector, InjectedFaultError } from '../../sim/adapters/fault-injection.ts';
import { MemoryFleetStore } from '../../sim/adapters/memory-fleet-store.ts';
import { FakeClock, makeDeps, seedReadyNode, T0, type TestDeps } from '../support/fleet.ts';

const POOL = 'default';
const rawConfig = {
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, maxNodes: 1, headroomMin: 0, scaleInMargin: 0 }],
};
const config = parseAutoscalerConfig(rawConfig);
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

describe('A create that placed its room drains the rooms waiting before it', () => {
  it('takes over a claim stranded by a crashed create once its lease ended, before any retry or sweep', async () => {
    // Arrange: capacity; r1's create crashes right after claiming the room id
    const { d, store, faults, crashing } = setup();
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, cmd(d, 'r1'))).rejects.toThrow(InjectedFaultError);
    expect((await store.getRoom('r1'))?.state).toBe('placing');

    // Act: the next create, after r1's lease ended (well before its retry a minute later)
    d.clock.advance(LEASE_MS + 1_000);
    const outcome = await createRoom(d, cmd(d, 'r2'));

    // Assert: r2 placed, and r1 taken over and placed by r2's invocation, announced once each
    expect(outcome.kind).toBe('placed');
    expect((await store.getRoom('r1'))?.state).toBe('placed');
    expect(placedOrder(d)).toEqual(['r2', 'r1']);
    const used = ((await store.getNode('i-a'))?.containers ?? []).reduce((s, c) => s + c.used, 0);
    expect(used).toBe(8);
  });

  it('leaves a claim alone while its owner may still run', async () => {
    // Arrange: r1's create crashes after claiming its capacity
    const { d, store, faults, crashing } = setup();
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 2 });
    await expect(createRoom(crashing, cmd(d, 'r1'))).rejects.toThrow(InjectedFaultError);

    // Act: a create within r1's lease
    d.clock.advance(5_000);
    await createRoom(d, cmd(d, 'r2'));

    // Assert: r1 still its owner's
    const r1 = await store.getRoom('r1');
    expect(r1?.state).toBe('placing');
    expect(r1?.eventId).toBe('ev-r1');
    expect(placedOrder(d)).toEqual(['r2']);
  });

  it('places queued rooms a crashed NodeReady drain left behind, first delivered first', async () => {
    // Arrange: no capacity; r1 and r2 queued; the node becomes ready but the drain that should
    // place them crashes at its first write (nothing placed)
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1', 6));
    d.clock.advance(1_000);
    await createRoom(d, cmd(d, 'r2', 6));
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(placeQueued(crashing, config, POOL, 'node-ready', 50, d.clock.now() + LEASE_MS)).rejects.toThrow(InjectedFaultError);
    const claimed = await store.getRoom('r1');
    expect(claimed?.state).toBe('placing');

    // Act: a small create fits and is placed; then, past the crashed drain's lease, another
    d.clock.advance(1_000);
    await createRoom(d, cmd(d, 'r3', 2));
    const r2 = await store.getRoom('r2');
    d.clock.advance(LEASE_MS);
    await createRoom(d, cmd(d, 'r4', 2));

    // Assert: r2 (queued) placed by r3's create at once; r1 (the crashed drain's claim) by r4's
    expect(r2?.state).toBe('placed');
    expect((await store.getRoom('r1'))?.state).toBe('placed');
    expect(placedOrder(d)).toEqual(['r3', 'r2', 'r4', 'r1']);
    expect(await store.listQueued(POOL, 10)).toEqual([]);
  });
});

describe('Every drain takes over a claim whose lease ended: a release, a create\'s redelivery', () => {
  it('a release that frees capacity takes over a stranded claim even when no room is queued', async () => {
    // Arrange: r1 placed; r2's create crashes right after claiming its room id (nothing queued)
    const { d, store, faults, crashing } = setup();
    await node(d, 'i-a');
    await createRoom(d, cmd(d, 'r1'));
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(createRoom(crashing, cmd(d, 'r2'))).rejects.toThrow(InjectedFaultError);
    expect((await store.getSummary(POOL)).queuedWeight).toBe(0);

    // Act: r1 is released after r2's lease ended
    d.clock.advance(LEASE_MS + 1_000);
    const released = await releaseRoom(d, 'r1', d.clock.now(), 'ev-release-r1', d.clock.now() + LEASE_MS);

    // Assert: the release placed r2
    expect(released).toMatchObject({ kind: 'released', placedQueued: 1 });
    expect((await store.getRoom('r2'))?.state).toBe('placed');
    expect(placedOrder(d)).toEqual(['r1', 'r2']);
  });

  /** No capacity; r1 queued; a node becomes ready and the drain that claims r1 crashes. */
  async function strandedByDrain(): Promise<{ d: TestDeps; store: MemoryFleetStore }> {
    const { d, store, faults, crashing } = setup();
    await createRoom(d, cmd(d, 'r1'));
    await node(d, 'i-a');
    faults.arm({ kind: 'crash-after-write', write: 1 });
    await expect(placeQueued(crashing, config, POOL, 'node-ready', 50, d.clock.now() + LEASE_MS)).rejects.toThrow(InjectedFaultError);
    return { d, store };
  }

  it('a redelivered create whose room another drain took over, then crashed, takes it over again', async () => {
    // Arrange
    const { d, store } = await strandedByDrain();
    expect((await store.getRoom('r1'))).toMatchObject({ state: 'placing', eventId: 'node-ready:r1' });

    // Act: r1's create is delivered again after the drain's lease ended
    d.clock.advance(LEASE_MS + 1_000);
    const outcome = await createRoom(d, cmd(d, 'r1'));

    // Assert: a duplicate for the create, and r1 placed by it, announced once
    expect(outcome).toMatchObject({ kind: 'duplicate' });
    expect((await store.getRoom('r1'))?.state).toBe('placed');
    expect(placedOrder(d)).toEqual(['r1']);
  });

  it('a redelivered create leaves the room to another drain still within its lease', async () => {
    // Arrange: as above, the redelivery comes while the drain's lease runs
    const { d, store } = await strandedByDrain();

    // Act
    d.clock.advance(5_000);
    await createRoom(d, cmd(d, 'r1'));

    // Assert
    expect((await store.getRoom('r1'))).toMatchObject({ state: 'placing', eventId: 'node-ready:r1' });
    expect(placedOrder(d)).toEqual([]);
  });
});
