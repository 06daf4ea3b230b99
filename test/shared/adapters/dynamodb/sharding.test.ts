/**
 * Sharded index keys of `DynamoDbFleetStore` (S shards per pool, `shared/domain/shards.ts`):
 * best-fit placement within and across shards, queued rooms FIFO across shards, every node
 * listed, and S = 1 writing and reading today's unsharded keys (a table written before sharding
 * keeps working, also once S grows).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../../../shared/adapters/dynamodb/fleet-store.ts';
import { freeUnits, placementFree, shardOf } from '../../../../shared/adapters/dynamodb/items.ts';
import { decidePlacement } from '../../../../shared/domain/placement.ts';
import { placementShards } from '../../../../shared/domain/shards.ts';
import { scanAll, seedReadyNode, T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();
const POOL = 'media';
const ids0 = (cs: readonly { nodeId: string; index: number }[]) => cs.map((c) => `${c.nodeId}/${c.index}`);
const NODES = Array.from({ length: 12 }, (_, i) => `i-${String(i).padStart(17, '0')}`);

/** A store on this test's table with `shards` shards for every pool. */
const storeWith = (shards: number) => new DynamoDbFleetStore({ client: fleet.db.client, tableName: fleet.tableName, shards: () => shards });

/** Seed the nodes (2 containers × 10 units) and fill container 0 of node i with i % 9 units. */
async function seedFleet(store: DynamoDbFleetStore): Promise<void> {
  for (const [i, nodeId] of NODES.entries()) {
    await seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 - i * 1000 });
    for (let r = 0; r < i % 9; r++) await store.claimCapacity({ nodeId, container: 0 }, `room-${i}-${r}`, 1, T0, { pool: POOL });
  }
}

/**
 * Global best fit from the raw items: accepting containers with ≥ weight free units, by the stored
 * `free` (free units and the container's tie-break, the `placement` index's sort key).
 */
async function bestFitOf(weight: number, tableName = fleet.tableName): Promise<string[]> {
  const items = await scanAll(fleet.doc, tableName);
  return items
    .filter((i) => i.type === 'container' && i.accepting === true && freeUnits(i) >= weight)
    .sort((a, b) => (a.free as number) - (b.free as number))
    .map((i) => `${String(i.nodeId)}/${String(i.idx)}`);
}

/** A store on `tableName` (another table of this test's dynalite) with `shards` shards. */
const storeOn = (tableName: string, shards: number) => new DynamoDbFleetStore({ client: fleet.db.client, tableName, shards: () => shards });

/**
 * A fleet where most containers tie on free capacity: 24 nodes, container 0 of node i with
 * 7 + i % 2 units used (free 3 or 2), container 1 with 5 (free 5) — so the 8 least free
 * (`candidateLimit` of the default pool) are a cut through 12 containers with free 2.
 */
async function seedTies(store: DynamoDbFleetStore): Promise<void> {
  for (let i = 0; i < 24; i++) {
    const nodeId = `i-${i.toString(16).padStart(17, '0')}`;
    // Launched a second apart, youngest first, so launch order and node-id order disagree.
    await seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 - i * 1000 });
    for (let r = 0; r < 7 + (i % 2); r++) await store.claimCapacity({ nodeId, container: 0 }, `room-${i}-0-${r}`, 1, T0, { pool: POOL });
    for (let r = 0; r < 5; r++) await store.claimCapacity({ nodeId, container: 1 }, `room-${i}-1-${r}`, 1, T0, { pool: POOL });
  }
}

describe('Class: DynamoDbFleetStore with sharded index keys', () => {
  it('derives S from the peak placement rate: ceil(peak × 4 WCU / 1,000 WCU/s)', () => {
    expect([0, 250, 251, 1_000, 2_000].map((peakPlacementsPerSecond) => placementShards({ peakPlacementsPerSecond }))).toEqual([1, 1, 2, 4, 8]);
  });

  it('writes and reads the unsharded keys with S = 1', async () => {
    // Prepare
    const store = storeWith(1);
    await seedFleet(store);
    await store.beginRoom({ roomId: 'q-1', pool: POOL, weight: 1, eventId: 'e-1', eventTime: T0, now: T0 });
    await store.markQueued({ roomId: 'q-1', pool: POOL, queuedAt: undefined }, 'e-1', T0 + 1);

    // Act
    const items = await scanAll(fleet.doc, fleet.tableName);

    // Assess
    const keys = new Set(items.flatMap((i) => [i.gpk, i.npk, i.qpk].filter((k) => k !== undefined)));
    expect([...keys].sort()).toEqual([`POOL#${POOL}`, `QUEUE#${POOL}`]);
  });

  it('still finds everything written with S = 1 once S grows to 4', async () => {
    // Prepare: a table written with today's keys
    await seedFleet(storeWith(1));

    // Act
    const grown = storeWith(4);
    const candidates = await grown.findCandidates(POOL, 1, 100);
    const nodes = await grown.listNodes(POOL);

    // Assess
    expect(candidates.map((c) => `${c.nodeId}/${c.index}`)).toEqual(await bestFitOf(1));
    expect(nodes.map((n) => n.nodeId).sort()).toEqual(NODES);
  });

  it('spreads the pool over S shards and keeps the global best fit across them', async () => {
    // Prepare
    const store = storeWith(4);
    await seedFleet(store);
    const items = await scanAll(fleet.doc, fleet.tableName);
    const shardsUsed = new Set(items.filter((i) => i.type === 'container').map((i) => i.gpk));

    // Act
    const all = await store.findCandidates(POOL, 1, 100);
    const top3 = await store.findCandidates(POOL, 1, 3);
    const heavy = await store.findCandidates(POOL, 8, 100);

    // Assess: several shards, each node's containers in its own shard, best fit as if unsharded
    expect(shardsUsed.size).toBeGreaterThan(1);
    for (const i of items.filter((x) => x.type === 'container')) {
      const shard = shardOf(String(i.nodeId), 4);
      expect(i.gpk).toBe(shard === 0 ? `POOL#${POOL}` : `POOL#${POOL}#${shard}`);
    }
    expect(all.map((c) => `${c.nodeId}/${c.index}`)).toEqual(await bestFitOf(1));
    expect(top3.map((c) => `${c.nodeId}/${c.index}`)).toEqual((await bestFitOf(1)).slice(0, 3));
    expect(heavy.map((c) => `${c.nodeId}/${c.index}`)).toEqual(await bestFitOf(8));
    expect((await store.listNodes(POOL)).map((n) => n.nodeId)).toEqual(NODES); // in node-id order, as unsharded
  });

  it('returns, among equally free containers, the oldest nodes first and the same candidates and best fit with S = 4 as with S = 1', async () => {
    // Prepare: the same fleet in an unsharded table and in a table with 4 shards
    const unshardedTable = await fleet.createTable();
    const unsharded = storeOn(unshardedTable, 1);
    const sharded = storeOn(fleet.tableName, 4);
    await seedTies(unsharded);
    await seedTies(sharded);
    const ids = (cs: readonly { nodeId: string; index: number }[]) => cs.map((c) => `${c.nodeId}/${c.index}`);

    for (const weight of [1, 3, 5]) {
      // Act
      const one = await unsharded.findCandidates(POOL, weight, 8);
      const four = await sharded.findCandidates(POOL, weight, 8);
      const pick = (cs: typeof one) => {
        const d = decidePlacement(cs, weight, 10, 1, () => 0, { containersPerNode: 2, now: T0 + 60_000 });
        return d.kind === 'place' ? ids([d.candidate, ...d.alternatives]) : d.kind;
      };

      // Assess: the 8 are a cut through more equally free containers, the same cut either way
      const fits = (await scanAll(fleet.doc, unshardedTable)).filter((i) => i.type === 'container' && freeUnits(i) >= weight);
      const level = Math.min(...fits.map(freeUnits));
      expect(fits.filter((i) => freeUnits(i) === level).length).toBeGreaterThan(8);
      expect(one.every((c) => c.capacity - c.used === level)).toBe(true);
      expect(ids(one)).toEqual((await bestFitOf(weight, unshardedTable)).slice(0, 8));
      expect(ids(four)).toEqual(ids(one));
      expect(pick(four)).toEqual(pick(one));
      // oldest node first among equally free containers: node i was launched i seconds before T0
      const ages = one.map((c) => Number.parseInt(c.nodeId.slice(2), 16));
      expect(ages).toEqual([...ages].sort((a, b) => b - a));
    }
  });

  it('keeps the tie-break through claims and releases, and free ≥ weight exact on whole units', async () => {
    // Prepare
    const store = storeWith(4);
    const nodeId = NODES[0] as string;
    await seedReadyNode(store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
    const freeOf = async () => (await scanAll(fleet.doc, fleet.tableName)).find((i) => i.type === 'container' && i.idx === 1)?.free;

    // Act
    const fresh = await freeOf();
    await store.claimCapacity({ nodeId, container: 1 }, 'big', 10, T0, { pool: POOL });
    const full = await freeOf();
    const none = await store.findCandidates(POOL, 1, 10);
    await store.releaseCapacity({ nodeId, container: 1 }, 'big', 10);

    // Assess
    expect(fresh).toBe(placementFree(10, T0, nodeId, 1));
    expect(fresh).not.toBe(placementFree(10, T0, nodeId, 0));
    expect(full).toBe(placementFree(0, T0, nodeId, 1));
    expect(ids0(none)).toEqual([`${nodeId}/0`]);
    expect(await freeOf()).toBe(placementFree(10, T0, nodeId, 1));
  });

  it('lists queued rooms oldest first across shards, at most limit', async () => {
    // Prepare: rooms whose ids hash to different shards
    const store = storeWith(4);
    const ids = Array.from({ length: 8 }, (_, i) => `room-${i}`);
    expect(new Set(ids.map((id) => shardOf(id, 4))).size).toBeGreaterThan(1);
    for (const [i, roomId] of [...ids].reverse().entries()) {
      const at = T0 + (ids.length - i) * 1_000;
      await store.beginRoom({ roomId, pool: POOL, weight: 1, eventId: `e-${roomId}`, eventTime: at, now: at });
      await store.markQueued({ roomId, pool: POOL, queuedAt: undefined }, `e-${roomId}`, at);
    }

    // Act
    const all = await store.listQueued(POOL, 100);
    const three = await store.listQueued(POOL, 3);

    // Assess
    expect(all.map((r) => r.roomId)).toEqual(ids);
    expect(three.map((r) => r.roomId)).toEqual(ids.slice(0, 3));
  });
});
