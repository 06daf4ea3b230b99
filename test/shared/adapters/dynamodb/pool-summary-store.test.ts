/**
 * DynamoDB-only checks of the pool summary: item sizes by DynamoDB's rules at 1,000 draining
 * nodes, and a table holding the single summary item of earlier versions (migration). The
 * behaviour every store shares is in fleet-store-contract.test.ts.
 *
 * @module
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../../../shared/adapters/dynamodb/fleet-store.ts';
import { itemSize as itemBytes, numberSize as numberBytes, writeUnits } from '../../../../shared/adapters/dynamodb/item-size.ts';
import { bucketKey } from '../../../../shared/domain/buckets.ts';
import { scanAll, T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'media';
const MIN = 60_000;

/** The summary's raw items (anything but nodes, containers, rooms and the history). */
async function summaryItems(): Promise<Record<string, unknown>[]> {
  return (await scanAll(fleet.doc, fleet.tableName)).filter((i) => String(i.pk).startsWith('SUMMARY#') || String(i.sk).startsWith('SUMMARY'));
}

describe('Class: DynamoDbPoolSummaryStore', () => {
  describe('Item sizes', () => {
    it('counts sizes as DynamoDB does', () => {
      // Prepare / Act / Assess: strings by UTF-8 bytes, numbers by significant digits
      expect(numberBytes(0)).toBe(2);
      expect(numberBytes(12)).toBe(2);
      expect(numberBytes(123)).toBe(3);
      expect(numberBytes(1_000_000)).toBe(2); // trailing zeroes trimmed
      expect(numberBytes(-1.25)).toBe(3);
      expect(itemBytes({ pk: 'POOL#a', sk: 'SUMMARY#D#i-1', f: 12 })).toBe(2 + 6 + 2 + 13 + 1 + 2);
      expect(itemBytes({ m: { x: 1 }, l: ['ab'], b: true })).toBe(1 + (3 + 1 + 1 + 2) + 1 + (3 + 1 + 2) + 1 + 1);
      expect(writeUnits(1024)).toBe(1);
      expect(writeUnits(1025)).toBe(2);
    });

    it('keeps every summary item ≤ 1 KB with 1,000 draining nodes and a long pool name', async () => {
      // Prepare: 1,000 draining nodes, 15 minutes of buckets on the shards, a 64-character pool
      const pool = 'p'.repeat(64);
      const store = new DynamoDbFleetStore({ client: fleet.db.client, tableName: fleet.tableName });
      for (let i = 0; i < 1000; i += 50) {
        const set = Object.fromEntries(Array.from({ length: 50 }, (_, j) => [`i-${String(i + j).padStart(17, '0')}`, 96]));
        await store.adjustSummary(pool, { readyFree: -4_800, drainingSet: set }, T0);
      }
      for (let m = 0; m < 15; m++) await store.adjustSummary(pool, { arrivals: 123_456, launches: 99, readyFree: 1_000_000_007 }, T0 + m * MIN);

      // Act
      const summary = await store.adjustSummary(pool, { readyFree: -3, queuedWeight: 7, arrivals: 3, launches: 1 }, T0 + 15 * MIN);

      // Assess: the summary sees them all, and no item it is made of passes 1 KB
      expect(Object.keys(summary.draining)).toHaveLength(1000);
      const items = await summaryItems();
      expect(items.length).toBeGreaterThan(1000);
      const largest = Math.max(...items.map(itemBytes));
      expect(largest).toBeLessThanOrEqual(1024);
      expect(largest).toBeGreaterThan(60); // sanity: sizes are counted
    });
  });

  describe('Migration from the single summary item', () => {
    it('folds the legacy item into reads and trims it on correction without losing its counters', async () => {
      // Prepare: the item as earlier versions wrote it
      const store = fleet.store;
      const now = T0;
      await fleet.doc.send(
        new PutCommand({
          TableName: fleet.tableName,
          Item: {
            pk: `POOL#${POOL}`,
            sk: 'SUMMARY',
            readyFree: 40,
            pendingCapacity: 10,
            queuedWeight: 2,
            liveNodes: 5,
            forecastWeight: 3,
            [`arr_${bucketKey(now - 30 * MIN)}`]: 9,
            [`arr_${bucketKey(now)}`]: 4,
            [`lau_${bucketKey(now)}`]: 1,
            'drn_i-old': 7,
            'drn_i-kept': 3,
          },
        }),
      );

      // Act: reads, a placement, then the sweep's correction
      const read = await store.getSummary(POOL);
      const placed = await store.adjustSummary(POOL, { readyFree: -2, arrivals: 2 }, now);
      await store.correctSummary(POOL, { readyFree: 36, pendingCapacity: 10, queuedWeight: 2, liveNodes: 5, draining: { 'i-kept': 3 } }, read, now, 10 * MIN);
      const after = await store.getSummary(POOL);
      const legacy = (await scanAll(fleet.doc, fleet.tableName)).find((i) => i.sk === 'SUMMARY');

      // Assess
      expect(read).toEqual({
        pool: POOL,
        arrivals: { [bucketKey(now - 30 * MIN)]: 9, [bucketKey(now)]: 4 },
        launches: { [bucketKey(now)]: 1 },
        readyFree: 40,
        pendingCapacity: 10,
        queuedWeight: 2,
        liveNodes: 5,
        draining: { 'i-old': 7, 'i-kept': 3 },
        forecastWeight: 3,
      });
      expect(placed.readyFree).toBe(38);
      expect(placed.arrivals[bucketKey(now)]).toBe(6);
      expect(after).toEqual({
        pool: POOL,
        arrivals: { [bucketKey(now)]: 6 },
        launches: { [bucketKey(now)]: 1 },
        readyFree: 34, // counted 36, then the placement's −2
        pendingCapacity: 10,
        queuedWeight: 2,
        liveNodes: 5,
        draining: { 'i-kept': 3 },
        forecastWeight: 3,
      });
      // The legacy item keeps its counters and recent buckets; its draining entries moved out
      expect(Object.keys(legacy ?? {}).filter((k) => k.startsWith('drn_') || k.startsWith('arr_') || k.startsWith('lau_')).sort()).toEqual([
        `arr_${bucketKey(now)}`,
        `lau_${bucketKey(now)}`,
      ]);
    });
  });

  describe('Bucket trimming', () => {
    it('deletes minute buckets older than the window on every shard', async () => {
      // Prepare: buckets 30 and 2 minutes old, spread over the shards
      const store = fleet.store;
      for (let i = 0; i < 8; i++) await store.adjustSummary(POOL, { arrivals: 1 }, T0 - 30 * MIN);
      for (let i = 0; i < 8; i++) await store.adjustSummary(POOL, { arrivals: 1 }, T0 - 2 * MIN);
      const read = await store.getSummary(POOL);

      // Act
      await store.correctSummary(POOL, { readyFree: 0, pendingCapacity: 0, queuedWeight: 0, liveNodes: 0, draining: {} }, read, T0, 10 * MIN);

      // Assess
      expect((await store.getSummary(POOL)).arrivals).toEqual({ [bucketKey(T0 - 2 * MIN)]: 8 });
      const minuteItems = (await summaryItems()).filter((i) => String(i.sk).startsWith('M#'));
      expect(minuteItems.length).toBeGreaterThan(0);
      expect(minuteItems.every((i) => Number(String(i.sk).slice(2)) === Number(bucketKey(T0 - 2 * MIN)))).toBe(true);
    });
  });
});
