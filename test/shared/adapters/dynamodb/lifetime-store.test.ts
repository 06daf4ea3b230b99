/**
 * The lifetime store (`LifetimeStore`) on DynamoDB (dynalite) and in memory: counters only add
 * up, concurrent adds all count, cells are per pool, kind and hour band, the DynamoDB item stays
 * ≤ 1 KB at the schema's longest pool and kind; and room records keep their lifetime hints from
 * the create to the release.
 *
 * @module
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemSize } from '../../../../shared/adapters/dynamodb/item-size.ts';
import { lifetimeKey } from '../../../../shared/adapters/dynamodb/lifetime-store.ts';
import { DURATION_BUCKETS, RATIO_BUCKETS, recordLifetime, EMPTY_LIFETIME_MODEL } from '../../../../shared/domain/lifetime.ts';
import type { FleetStore } from '../../../../shared/ports/fleet-store.ts';
import type { LifetimeStore } from '../../../../shared/ports/lifetime-store.ts';
import { MemoryFleetStore } from '../../../../sim/adapters/memory-fleet-store.ts';
import { MemoryLifetimeStore } from '../../../../sim/adapters/memory-lifetime-store.ts';
import { T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();

const implementations: readonly { readonly name: string; make(): LifetimeStore }[] = [
  { name: 'DynamoDbLifetimeStore', make: () => fleet.store.lifetimes },
  { name: 'MemoryLifetimeStore', make: () => new MemoryLifetimeStore() },
];

describe.each(implementations)('Lifetime store ($name)', ({ make }) => {
  it('returns no cells for a pool that learned nothing', async () => {
    expect(await make().lifetimeCells('default')).toEqual([]);
  });

  it('adds counters per pool, kind and hour band, and keeps other pools apart', async () => {
    // Prepare
    const store = make();
    const a = recordLifetime(EMPTY_LIFETIME_MODEL, { kind: 'meeting', hintMs: 3_600_000, durationMs: 3_900_000, hourOfDay: 12 });
    const b = recordLifetime(EMPTY_LIFETIME_MODEL, { durationMs: 600_000, hourOfDay: 3 });

    // Act
    await store.addLifetime('default', a, a.add);
    await store.addLifetime('default', a, a.add);
    await store.addLifetime('default', b, b.add);
    await store.addLifetime('other', b, b.add);

    // Assess
    const cells = [...(await store.lifetimeCells('default'))].sort((x, y) => x.band - y.band);
    expect(cells).toEqual([
      { kind: '', band: 0, counts: { d7: 1, s7: 600 } },
      { kind: 'meeting', band: 2, counts: { d13: 2, s13: 7800, r9: 2, q9: 2166 } },
    ]);
    expect(await store.lifetimeCells('other')).toEqual([{ kind: '', band: 0, counts: { d7: 1, s7: 600 } }]);
  });

  it('counts every one of concurrent adds to the same cell (no read-modify-write)', async () => {
    const store = make();
    await Promise.all(Array.from({ length: 12 }, () => store.addLifetime('default', { kind: 'camera', band: 1 }, { d20: 1, s20: 86_400 })));
    expect(await store.lifetimeCells('default')).toEqual([{ kind: 'camera', band: 1, counts: { d20: 12, s20: 12 * 86_400 } }]);
  });
});

describe('Class: DynamoDbLifetimeStore', () => {
  it('ignores other items of the table and refuses counter names it does not know', async () => {
    // Prepare: a stray item in the lifetime partition that is not a cell
    await fleet.doc.send(new PutCommand({ TableName: fleet.tableName, Item: { pk: 'LIFETIME#default', sk: 'NOTE', d1: 5 } }));
    await fleet.store.lifetimes.addLifetime('default', { kind: 'x', band: 2 }, { d1: 1, s1: 70 });

    // Act / Assess
    expect(await fleet.store.lifetimes.lifetimeCells('default')).toEqual([{ kind: 'x', band: 2, counts: { d1: 1, s1: 70 } }]);
    await expect(fleet.store.lifetimes.addLifetime('default', { kind: 'x', band: 2 }, { 'pk': 1 })).rejects.toThrow(/"pk" is not a lifetime counter/);
  });

  it('keeps a cell ≤ 1 KB (one write unit) with every counter at a year of 100 000 samples a day, at the longest pool and kind', async () => {
    // Prepare: the schemas' longest pool name and kind (64 characters each)
    const pool = 'p'.repeat(64);
    const kind = 'k'.repeat(64);
    const samples = 36_500_000;
    const add: Record<string, number> = {};
    for (let i = 0; i < DURATION_BUCKETS; i++) Object.assign(add, { [`d${i}`]: samples, [`s${i}`]: samples * 3600 });
    for (let j = 0; j < RATIO_BUCKETS; j++) Object.assign(add, { [`r${j}`]: samples, [`q${j}`]: samples * 4000 });

    // Act
    await fleet.store.lifetimes.addLifetime(pool, { kind, band: 3 }, add);

    // Assess
    const item = (await fleet.doc.send(new GetCommand({ TableName: fleet.tableName, Key: lifetimeKey(pool, kind, 3) }))).Item ?? {};
    expect(Object.keys(item)).toHaveLength(2 + 2 * DURATION_BUCKETS + 2 * RATIO_BUCKETS);
    expect(itemSize(item)).toBeLessThanOrEqual(1024);
  });
});

const roomStores: readonly { readonly name: string; make(): FleetStore }[] = [
  { name: 'DynamoDbFleetStore', make: () => fleet.store },
  { name: 'MemoryFleetStore', make: () => new MemoryFleetStore() },
];

describe.each(roomStores)('Room lifetime hints ($name)', ({ make }) => {
  it('keeps kind and expectedDurationMs from the create to the release, and a later session without them drops them', async () => {
    // Prepare
    const store = make();
    const begin = (eventId: string, eventTime: number, hints: { kind?: string; expectedDurationMs?: number }) =>
      store.beginRoom({ roomId: 'r-1', pool: 'default', weight: 1, eventId, eventTime, now: eventTime, ...hints });

    // Act
    const first = await begin('e-1', T0, { kind: 'webinar', expectedDurationMs: 5_400_000 });
    const released = await store.releaseRoom('r-1', T0 + 60_000, T0 + 60_000);
    const second = await begin('e-2', T0 + 120_000, {});

    // Assess
    expect(first).toMatchObject({ kind: 'claimed', room: { kind: 'webinar', expectedDurationMs: 5_400_000 } });
    expect(released).toMatchObject({ kind: 'released', previous: { kind: 'webinar', expectedDurationMs: 5_400_000, createdAt: T0 } });
    expect(second.kind).toBe('claimed');
    const room = await store.getRoom('r-1');
    expect(room?.kind).toBeUndefined();
    expect(room?.expectedDurationMs).toBeUndefined();
  });
});
