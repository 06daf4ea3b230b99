/**
 * DynamoDB-only checks of `DynamoDbFleetStore`: round trips per placement and the raw item
 * layout. The behaviour every store shares is in fleet-store-contract.test.ts, run against this
 * store and `MemoryFleetStore`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../../../shared/adapters/dynamodb/fleet-store.ts';
import { createRoom } from '../../../../shared/app/rooms.ts';
import { FakeClock, makeDeps, scanAll, seedReadyNode, T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'media';

/** A ready node `nodeId` with 2 containers × 10 units in pool `media`. */
const seed = (nodeId: string, pool = POOL) =>
  seedReadyNode(fleet.store, { nodeId, pool, containers: 2, capacityPerContainer: 10, now: T0 });

describe('Class: DynamoDbFleetStore', () => {
  describe('Round trips', () => {
    it('places a room with the same number of DynamoDB calls on 5 and on 50 ready nodes', async () => {
      // Prepare: two fleets, each on its own table, measured through a counting client
      const config = { defaultPool: POOL, pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 1 }] };
      const counting = fleet.newClient();
      let count = 0;
      counting.middlewareStack.add(
        (next) => async (args) => {
          count++;
          return next(args);
        },
        { step: 'initialize', name: 'countCalls' },
      );
      const callsFor = async (nodes: number): Promise<number> => {
        const tableName = await fleet.createTable();
        const seedStore = new DynamoDbFleetStore({ client: fleet.db.client, tableName });
        await Promise.all(
          Array.from({ length: nodes }, (_, i) =>
            seedReadyNode(seedStore, { nodeId: `i-${String(i).padStart(4, '0')}`, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 }),
          ),
        );
        const deps = makeDeps({ store: new DynamoDbFleetStore({ client: counting, tableName }), config, clock: new FakeClock(T0 + 1_000) });
        count = 0;
        const outcome = await createRoom(deps, { roomId: 'room-1', weight: 1, eventId: 'ev-1', eventTime: T0 + 1_000 });
        expect(outcome.kind).toBe('placed');
        return count;
      };

      // Act
      const small = await callsFor(5);
      const large = await callsFor(50);

      // Assess
      expect(large).toBe(small);
      // findCandidates, beginRoom, the hold put, claimCapacity, confirmPlaced; adjustSummary: 2 ADDs,
      // then S + 1 = 5 Queries (S = 4 summary shards), each group in parallel; then one Query for
      // claims stranded by crashed owners, which a create that found capacity takes over
      expect(small).toBeLessThanOrEqual(13);
    });
  });

  it('reads raw items through a scan (test helper sanity)', async () => {
    // Prepare
    await seed('i-a');

    // Act
    const items = await scanAll(fleet.doc, fleet.tableName);

    // Assess: one node, two containers, one counter shard (the summary's)
    expect(items.map((i) => i.sk).sort()).toEqual(['C#00', 'C#01', 'NODE', 'TOTALS']);
  });
});
