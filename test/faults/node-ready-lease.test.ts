/**
 * The lease on the queued rooms a `NodeReady` claims ends with that invocation's deadline (the
 * node-events function's timeout), as for room-events: a crash after the claim strands the room
 * only until then, and the next drain takes it over. Before, the drain took the sweep's longer
 * default lease (60 s), so the room waited up to a minute more.
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/node-events/index.ts';
import { createRoom, placeQueued } from '../../shared/app/rooms.ts';
import { NODE_SOURCE } from '../../shared/events/schemas.ts';
import type { FleetStore } from '../../shared/ports/index.ts';
import { InjectedFaultError } from '../../sim/adapters/fault-injection.ts';
import { localLambdaContext } from '../../sim/adapters/local-lambda-context.ts';
import { MemoryFleetStore } from '../../sim/adapters/memory-fleet-store.ts';
import { envelope, FixedClock, makeDeps, seedLaunchingNode, T0, testPool } from '../support/handlers.ts';

const NODE = 'i-abcd1111';
const CONTAINERS = [
  { index: 0, privateIp: '10.0.3.21', publicIp: '203.0.113.21', cpuset: '0-3' },
  { index: 1, privateIp: '10.0.3.22', publicIp: '203.0.113.22', cpuset: '4-7' },
];
/** The remaining time of the invocation: the node-events function's budget. */
const REMAINING_MS = 20_000;

/** The store, dying (as a process does: nothing after it runs) right after its first `claimQueued`. */
function dyingAfterClaim(store: FleetStore): FleetStore {
  let died = false;
  return new Proxy(store, {
    get: (target, prop, receiver) => {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== 'claimQueued' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const out: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (!died) {
          died = true;
          throw new InjectedFaultError('store.claimQueued', 1);
        }
        return out;
      };
    },
  });
}

describe('Lease: a NodeReady drain that crashes after claiming a queued room', () => {
  it("leases the room until the invocation's deadline, then the next drain places it", async () => {
    // Prepare: r1 queued (no capacity), a node launching
    const clock = new FixedClock(T0);
    const store = new MemoryFleetStore();
    const d = makeDeps({ store, clock, config: { pools: [testPool({ maxNodes: 1 })] } });
    await createRoom(d, { roomId: 'r1', weight: 4, eventId: 'ev-r1', eventTime: T0, leaseUntil: T0 + 30_000 });
    expect((await store.getRoom('r1'))?.state).toBe('queued');
    await seedLaunchingNode(d, NODE);
    clock.advance(90_000);
    const context: Context = { ...localLambdaContext('node-events', 'req-1'), getRemainingTimeInMillis: () => REMAINING_MS };
    const ready = envelope(NODE_SOURCE, 'NodeReady', { instanceId: NODE, containers: CONTAINERS }, { id: 'evt-ready-1', time: clock.now() });

    // Act: the NodeReady drain dies right after claiming r1
    await expect(makeHandler({ ...d, store: dyingAfterClaim(store) })(ready, context)).rejects.toThrow(InjectedFaultError);
    const stranded = await store.getRoom('r1');
    clock.advance(REMAINING_MS);
    const placed = await placeQueued(d, d.autoscalerConfig, 'default', 'release-1');

    // Assess: leased to the deadline, not the 60 s default; taken over once it passed
    expect(stranded).toMatchObject({ state: 'placing', leaseUntil: T0 + 90_000 + REMAINING_MS });
    expect(placed).toBe(1);
    expect((await store.getRoom('r1'))?.state).toBe('placed');
    expect(d.publisher.ofType('RoomPlaced').map((p) => p.roomId)).toEqual(['r1']);
  });
});
