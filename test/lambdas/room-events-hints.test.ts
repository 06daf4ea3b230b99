/**
 * The room-events handler passes a `RoomCreated`'s lifetime hints to placement: the room's
 * predicted end lands on its container: created + `expectedDurationMs`, the hint at face value, as
 * the learned predictor (shared/app/lifetimes.ts) takes it while no room of its kind has overrun yet.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/room-events/index.ts';
import { MemoryFleetStore } from '../../sim/adapters/memory-fleet-store.ts';
import { FakeClock, makeDeps, seedReadyNode } from '../support/fleet.ts';
import { roomCreated, T0 } from '../support/handlers.ts';

describe('Handler: room-events with lifetime hints', () => {
  it("records the hinted room's predicted end on the container it is placed on", async () => {
    // Prepare: a pool with lifetime-aware drain (predicted ends recorded)
    const store = new MemoryFleetStore();
    const d = makeDeps({ store, clock: new FakeClock(T0), config: { pools: [{ name: 'default', containersPerNode: 1, lifetimeDrain: true }] } });
    await seedReadyNode(store, { nodeId: 'i-a', pool: 'default', containers: 1, capacityPerContainer: 10, now: T0 });

    // Act
    const out = await makeHandler(d)(roomCreated('e-1', { roomId: 'r1', weight: 1, kind: 'webinar', expectedDurationMs: 5_400_000 }, T0));

    // Assess
    expect(out).toMatchObject({ kind: 'placed' });
    expect((await store.getNode('i-a'))?.containers[0]?.roomEnds).toEqual([T0 + 5_400_000]);
  });
});
