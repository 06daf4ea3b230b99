/**
 * The sweep's summary correction under concurrency, on both stores: a placement whose summary
 * delta lands between the sweep's read of the summary and its correction is never lost (the
 * sweep ADDs the difference between what it counted and what it read; it used to overwrite).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { createRoom } from '../../../shared/app/rooms.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { parseAutoscalerConfig, type PoolConfig } from '../../../shared/domain/config.ts';
import { containerFree, nodeAccepts } from '../../../shared/domain/model.ts';
import type { FleetStore } from '../../../shared/ports/fleet-store.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { FakeComputeProvider, makeDeps, seedReadyNode, T0, useFleetTable } from '../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'media';
const config = {
  defaultPool: POOL,
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 2, headroomMin: 10, placementSpread: 1, arrivalWindowMs: 600_000 }],
};

/**
 * `inner`, except that `correctSummary` first runs `meanwhile` (what concurrent invocations do
 * while the sweep works), so the order is: the sweep reads, `meanwhile` writes, the sweep corrects.
 */
function interleaved(inner: FleetStore, meanwhile: () => Promise<void>): FleetStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'correctSummary') {
        return async (...args: Parameters<FleetStore['correctSummary']>) => {
          await meanwhile();
          return target.correctSummary(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const stores: readonly { readonly name: string; make(): FleetStore }[] = [
  { name: 'DynamoDbFleetStore', make: () => fleet.store },
  { name: 'MemoryFleetStore', make: () => new MemoryFleetStore() },
];

describe.each(stores)('Function: sweepPool summary correction ($name)', ({ make }) => {
  it('keeps a placement made between the sweep\'s read and its correction', async () => {
    // Prepare: two ready nodes (40 units), one room placed before the sweep
    const store = make();
    for (const nodeId of ['i-a', 'i-b']) await seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
    const plain = makeDeps({ store, config, compute: new FakeComputeProvider('launch-nothing') });
    const pool = parseAutoscalerConfig(config).pools[0] as PoolConfig;
    expect((await createRoom(plain, { roomId: 'before', weight: 2, eventId: 'ev-before', eventTime: T0 })).kind).toBe('placed');
    let late: string | undefined;
    const d = makeDeps({
      store: interleaved(store, async () => {
        late = (await createRoom(plain, { roomId: 'late', weight: 3, eventId: 'ev-late', eventTime: T0 })).kind;
      }),
      config,
      compute: new FakeComputeProvider('launch-nothing'),
    });

    // Act
    await sweepPool(d, pool);

    // Assess: the summary's free capacity is the fleet's, the late room's 3 units included
    expect(late).toBe('placed');
    const nodes = await store.listNodes(POOL);
    const free = nodes.filter(nodeAccepts).reduce((s, n) => s + n.containers.reduce((t, c) => t + containerFree(c), 0), 0);
    expect(free).toBe(40 - 2 - 3);
    const summary = await store.getSummary(POOL);
    expect(summary).toMatchObject({ readyFree: free, liveNodes: 2, pendingCapacity: 0, queuedWeight: 0 });
  });
});
