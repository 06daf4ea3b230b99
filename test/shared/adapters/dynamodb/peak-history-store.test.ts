/**
 * The warm pool's peak history (`PeakHistoryStore`), the same behaviour on DynamoDB (dynalite)
 * and in memory: a day's peak only rises, a read takes the highest peak since a day, old days are
 * dropped, and the DynamoDB item stays under 1 KB.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { peakKey } from '../../../../shared/adapters/dynamodb/peak-history-store.ts';
import { PEAK_HISTORY_DAYS, type FleetStore } from '../../../../shared/ports/fleet-store.ts';
import { MemoryFleetStore } from '../../../../sim/adapters/memory-fleet-store.ts';
import { useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();
const DAY = 20_000;

const implementations: readonly { readonly name: string; make(): FleetStore }[] = [
  { name: 'DynamoDbFleetStore', make: () => fleet.store },
  { name: 'MemoryFleetStore', make: () => new MemoryFleetStore() },
];

describe.each(implementations)('Peak history ($name)', ({ make }) => {
  let store: { recordPeakNodes(pool: string, day: number, nodes: number): Promise<void>; recentPeakNodes(pool: string, sinceDay: number): Promise<number> };
  let full: FleetStore;
  beforeEach(() => {
    const s = make();
    full = s;
    if (!s.recordPeakNodes || !s.peakNodesByDay) throw new Error('no peak history');
    const byDay = s.peakNodesByDay.bind(s);
    // The highest peak since a day, as the sweep reads it.
    store = { recordPeakNodes: s.recordPeakNodes.bind(s), recentPeakNodes: async (pool, since) => Math.max(0, ...(await byDay(pool, since)).values()) };
  });

  it.each([
    { name: 'is 0 for a pool never recorded', writes: [], since: DAY - 6, expected: 0 },
    { name: 'keeps the highest value of a day', writes: [[DAY, 3], [DAY, 7], [DAY, 5]], since: DAY, expected: 7 },
    { name: 'takes the highest day of the window', writes: [[DAY - 3, 9], [DAY - 1, 4], [DAY, 2]], since: DAY - 6, expected: 9 },
    { name: 'leaves out days before the window', writes: [[DAY - 7, 9], [DAY, 2]], since: DAY - 6, expected: 2 },
    { name: 'drops days older than it keeps on a later write', writes: [[DAY - PEAK_HISTORY_DAYS, 9], [DAY, 2]], since: 0, expected: 2 },
  ] as { name: string; writes: [number, number][]; since: number; expected: number }[])('$name', async ({ writes, since, expected }) => {
    // Prepare / Act
    for (const [day, nodes] of writes) await store.recordPeakNodes('media', day, nodes);

    // Assess
    expect(await store.recentPeakNodes('media', since)).toBe(expected);
  });

  it('returns the peaks by day since the day asked', async () => {
    // Act
    await full.recordPeakNodes?.('media', DAY - 2, 3);
    await full.recordPeakNodes?.('media', DAY - 1, 4);
    await full.recordPeakNodes?.('media', DAY, 6);

    // Assess
    expect(await full.peakNodesByDay?.('media', DAY - 1)).toEqual(new Map([[DAY - 1, 4], [DAY, 6]]));
  });

  it('keeps pools apart', async () => {
    // Act
    await store.recordPeakNodes('a', DAY, 5);
    await store.recordPeakNodes('b', DAY, 2);

    // Assess
    expect(await store.recentPeakNodes('a', DAY)).toBe(5);
    expect(await store.recentPeakNodes('b', DAY)).toBe(2);
  });
});

describe('Peak history item on DynamoDB', () => {
  it('stays under 1 KB with every kept day at a large count', async () => {
    // Prepare / Act
    for (let d = 0; d < PEAK_HISTORY_DAYS; d++) await fleet.store.recordPeakNodes('a-pool-name-of-sixty-four-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxx', DAY - d, 199);
    const out = await fleet.doc.send(new GetCommand({ TableName: fleet.tableName, Key: peakKey('a-pool-name-of-sixty-four-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxx') }));

    // Assess: attribute names + values as DynamoDB sizes them (UTF-8 name length + ~21 bytes per number, upper bound)
    const item = out.Item ?? {};
    const bytes = Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + (typeof v === 'number' ? 21 : Buffer.byteLength(String(v))), 0);
    expect(Object.keys(item).filter((k) => k.startsWith('d_'))).toHaveLength(PEAK_HISTORY_DAYS);
    expect(bytes).toBeLessThan(1024);
  });
});
