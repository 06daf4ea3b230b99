/**
 * Item sizes by DynamoDB's rules (shared/adapters/dynamodb/item-size.ts) and the store's
 * container-side writes at the schema's limits: 128-character room ids (the longest the event
 * schema accepts), a 64-character pool name, a container full of weight-1 rooms, each with a
 * predicted end.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { itemSize, numberSize, readUnits, valueSize, writeUnits } from '../../../../shared/adapters/dynamodb/item-size.ts';
import { MAX_ROOMS_WITH_ENDS } from '../../../../shared/app/room-ends.ts';
import { scanAll, seedReadyNode, T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();

const POOL = 'p'.repeat(64);
const longId = (i: number) => `${String(i).padStart(4, '0')}-${'r'.repeat(123)}`;

describe('Module: item-size', () => {
  it('sizes values as the DynamoDB developer guide does', () => {
    expect(valueSize('abc')).toBe(3);
    expect(valueSize('é')).toBe(2);
    expect(numberSize(1)).toBe(2);
    expect(numberSize(1_767_571_225_000)).toBe(6); // 10 significant digits (trailing zeros trimmed): 5 bytes, +1
    expect(valueSize(true)).toBe(1);
    expect(valueSize({ a: 1 })).toBe(3 + 1 + 1 + 2);
    expect(valueSize([1, 'x'])).toBe(3 + (1 + 2) + (1 + 1));
    expect(itemSize({ pk: 'NODE#a', n: 10, skipped: undefined })).toBe(2 + 6 + 1 + 2);
    expect([writeUnits(0), writeUnits(1024), writeUnits(1025)]).toEqual([1, 1, 2]);
    expect([readUnits(4096, true), readUnits(4097, false)]).toEqual([1, 1]);
  });
});

describe('Class: DynamoDbFleetStore item sizes', () => {
  it.each([
    { capacity: 10, ends: true },
    { capacity: MAX_ROOMS_WITH_ENDS, ends: true },
    { capacity: 40, ends: false },
  ])('keeps every container-side item ≤ 1 KB with $capacity rooms of 128-character ids on one container (predicted ends: $ends)', async ({ capacity, ends }) => {
    // Prepare: a node of the longest pool name, one container filled with weight-1 rooms
    await seedReadyNode(fleet.store, { nodeId: 'i-0123456789abcdef0', pool: POOL, containers: 2, capacityPerContainer: capacity, now: T0 });
    const ref = { nodeId: 'i-0123456789abcdef0', container: 1 };

    // Act
    // With predicted ends (up to 7 days ahead, the longest hint) up to MAX_ROOMS_WITH_ENDS rooms a container.
    for (let i = 0; i < capacity; i++) {
      const expectedEndAt = ends ? T0 + 7 * 86_400_000 - i * 997 : undefined;
      expect((await fleet.store.claimCapacity(ref, longId(i), 1, T0 + i, { pool: POOL, expectedEndAt })).kind).toBe('claimed');
    }

    // Assess: the largest container and hold items as stored, and the store still lists every room
    const items = await scanAll(fleet.doc, fleet.tableName);
    const container = items.find((i) => i.type === 'container' && i.idx === 1) as Record<string, unknown>;
    const holds = items.filter((i) => i.type === 'hold');
    expect(container.used).toBe(capacity);
    expect(Object.keys(container.re as object)).toHaveLength(ends ? capacity : 0);
    expect(itemSize(container)).toBeLessThanOrEqual(1024);
    expect(holds).toHaveLength(capacity);
    for (const h of holds) expect(itemSize(h)).toBeLessThanOrEqual(1024);
    expect((await fleet.store.roomsOnNode(ref.nodeId)).get(1)?.length).toBe(capacity);
    // The full-id map this layout replaced would not have fitted: > 1 KB already at 10 rooms.
    expect(valueSize(Object.fromEntries(Array.from({ length: capacity }, (_, i) => [longId(i), 1])))).toBeGreaterThan(1024);
  });
});
