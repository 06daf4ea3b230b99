/**
 * The schedule store (`ScheduleStore`), the same behaviour on DynamoDB (dynalite) and in memory:
 * one announcement per room, the latest announcement wins, reads by pool in start order up to a
 * start time, removals; and on DynamoDB, the announcement lives beside the room record without
 * disturbing it, and the room store's queue never sees it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { scheduleKey } from '../../../../shared/adapters/dynamodb/schedule-store.ts';
import type { FleetStore } from '../../../../shared/ports/fleet-store.ts';
import type { ScheduledRoom, ScheduleStore } from '../../../../shared/ports/schedule-store.ts';
import { MemoryFleetStore } from '../../../../sim/adapters/memory-fleet-store.ts';
import { MemoryScheduleStore } from '../../../../sim/adapters/memory-schedule-store.ts';
import { useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();
const T = 1_800_000_000_000;
const MIN = 60_000;

const room = (roomId: string, startAt: number, extra: Partial<ScheduledRoom> = {}): ScheduledRoom => ({
  roomId,
  pool: 'media',
  weight: 1,
  startAt,
  announcedAt: T,
  ...extra,
});

const implementations: readonly { readonly name: string; make(): ScheduleStore }[] = [
  { name: 'DynamoDbScheduleStore', make: () => fleet.store.schedule },
  { name: 'MemoryScheduleStore', make: () => new MemoryScheduleStore() },
];

describe.each(implementations)('Schedule store ($name)', ({ make }) => {
  let store: ScheduleStore;
  beforeEach(() => {
    store = make();
  });

  it('lists a pool’s rooms that start by a time, soonest first, with their hints', async () => {
    // Prepare
    await store.scheduleRoom(room('b', T + 10 * MIN, { weight: 3, kind: 'webinar', expectedDurationMs: 3_600_000, tenantId: 'acme' }));
    await store.scheduleRoom(room('a', T + 5 * MIN));
    await store.scheduleRoom(room('c', T + 20 * MIN));
    await store.scheduleRoom(room('other', T + 5 * MIN, { pool: 'other' }));

    // Act
    const listed = await store.listScheduled('media', T + 10 * MIN, 100);

    // Assess
    expect(listed).toEqual([room('a', T + 5 * MIN), room('b', T + 10 * MIN, { weight: 3, kind: 'webinar', expectedDurationMs: 3_600_000, tenantId: 'acme' })]);
  });

  it('keeps one announcement per room: a later one replaces it, an older one is stale', async () => {
    // Prepare
    await store.scheduleRoom(room('a', T + 5 * MIN));

    // Act
    const later = await store.scheduleRoom(room('a', T + 30 * MIN, { announcedAt: T + MIN }));
    const older = await store.scheduleRoom(room('a', T + 2 * MIN, { announcedAt: T - MIN }));

    // Assess
    expect([later, older]).toEqual(['stored', 'stale']);
    expect(await store.listScheduled('media', T + 60 * MIN, 100)).toEqual([room('a', T + 30 * MIN, { announcedAt: T + MIN })]);
  });

  it('stores the same announcement again (a redelivery)', async () => {
    // Act
    const first = await store.scheduleRoom(room('a', T + 5 * MIN));
    const again = await store.scheduleRoom(room('a', T + 5 * MIN));

    // Assess
    expect([first, again]).toEqual(['stored', 'stored']);
    expect(await store.listScheduled('media', T + 60 * MIN, 100)).toHaveLength(1);
  });

  it('stops at the limit', async () => {
    // Prepare
    for (let i = 0; i < 5; i++) await store.scheduleRoom(room(`r${i}`, T + i * MIN));

    // Act / Assess
    expect((await store.listScheduled('media', T + 60 * MIN, 3)).map((r) => r.roomId)).toEqual(['r0', 'r1', 'r2']);
  });

  it('removes announcements, more than one batch of them, ignoring absent ids', async () => {
    // Prepare
    for (let i = 0; i < 30; i++) await store.scheduleRoom(room(`r${i}`, T + MIN));

    // Act
    await store.removeScheduled([...Array.from({ length: 29 }, (_, i) => `r${i}`), 'never-announced']);

    // Assess
    expect((await store.listScheduled('media', T + 60 * MIN, 100)).map((r) => r.roomId)).toEqual(['r29']);
  });
});

describe('DynamoDbScheduleStore beside the room records', () => {
  it('leaves the room record and the queue alone', async () => {
    // Prepare: a queued room and an announcement of it in the same partition
    const store = fleet.store;
    await store.schedule.scheduleRoom(room('a', T + 5 * MIN, { pool: 'default' }));
    await store.beginRoom({ roomId: 'a', pool: 'default', weight: 1, eventId: 'e1', eventTime: T, now: T });
    await store.markQueued({ roomId: 'a', pool: 'default', queuedAt: T }, 'e1', T);

    // Act
    const queued = await store.listQueued('default', 100);
    const rooms = await store.listRooms(['placing', 'queued', 'placed', 'released']);
    const item = await fleet.doc.send(new GetCommand({ TableName: fleet.tableName, Key: scheduleKey('a') }));

    // Assess
    expect(queued.map((r) => r.roomId)).toEqual(['a']);
    expect(rooms.map((r) => r.roomId)).toEqual(['a']);
    expect((await store.getRoom('a'))?.state).toBe('queued');
    expect(item.Item).toMatchObject({ type: 'sched', qpk: 'SCHED#default', startAt: T + 5 * MIN });
  });
});

describe.each([
  { name: 'DynamoDbFleetStore', make: (): FleetStore => fleet.store },
  { name: 'MemoryFleetStore', make: (): FleetStore => new MemoryFleetStore() },
])('The summary’s announced weight ($name)', ({ make }) => {
  const exact = { readyFree: 0, pendingCapacity: 0, queuedWeight: 0, liveNodes: 0, draining: {} };

  it('is absent until a sweep sets it, then kept until the next sets it again', async () => {
    // Prepare
    const store = make();
    const fresh = await store.getSummary('media', T);

    // Act
    await store.correctSummary('media', { ...exact, announcedWeight: 150 }, fresh, T, 10 * MIN);
    const set = await store.getSummary('media', T);
    await store.correctSummary('media', exact, set, T + MIN, 10 * MIN);
    const kept = await store.getSummary('media', T + MIN);
    await store.correctSummary('media', { ...exact, announcedWeight: 0 }, kept, T + 2 * MIN, 10 * MIN);
    const cleared = await store.getSummary('media', T + 2 * MIN);

    // Assess
    expect(fresh.announcedWeight).toBeUndefined();
    expect(set.announcedWeight).toBe(150);
    expect(kept.announcedWeight).toBe(150);
    expect(cleared.announcedWeight).toBe(0);
  });
});
