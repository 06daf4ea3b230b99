/**
 * Room lifetimes in the use cases: predictions come from a per-process cache read once per TTL
 * (never per placement), releases of placed rooms are learned from with their kind and hint.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { LIFETIME_MODEL_TTL_MS, predictRoomEnd, recordRoomLifetime } from '../../../shared/app/lifetimes.ts';
import { releaseRoom } from '../../../shared/app/room-release.ts';
import { createRoom } from '../../../shared/app/rooms.ts';
import { DEFAULT_PRIOR } from '../../../shared/domain/lifetime.ts';
import type { RoomRecord } from '../../../shared/ports/fleet-store.ts';
import type { LifetimeStore } from '../../../shared/ports/lifetime-store.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { MemoryLifetimeStore } from '../../../sim/adapters/memory-lifetime-store.ts';
import { FakeComputeProvider, makeDeps, seedReadyNode, T0, type TestDeps } from '../../support/fleet.ts';
import { RecordingLogger } from '../../support/handlers.ts';

const MIN = 60_000;
const POOL = 'media';
const CONFIG = { defaultPool: POOL, pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, placementSpread: 1 }] };

function deps(lifetimes: LifetimeStore | undefined = new MemoryLifetimeStore()): TestDeps {
  const d = makeDeps({ store: new MemoryFleetStore(), config: CONFIG, compute: new FakeComputeProvider('launch-nothing') });
  return { ...d, lifetimes, logger: new RecordingLogger() };
}

const room = (over: Partial<RoomRecord> = {}): RoomRecord => ({
  roomId: 'r-1',
  state: 'placed',
  pool: POOL,
  weight: 1,
  eventId: 'e-1',
  createdAt: T0,
  requestedAt: T0,
  ...over,
});

describe('Function: predictRoomEnd', () => {
  it('reads the pool’s model once per TTL, not once per call', async () => {
    // Prepare
    const store = new MemoryLifetimeStore();
    const d = deps(store);
    const predict = (now: number) => predictRoomEnd(d, { pool: POOL, createdAt: now }, now);

    // Act: 50 placements within the TTL, 10 concurrent ones just after it
    for (let i = 0; i < 50; i++) await predict(T0 + i * 1000);
    const readsWithinTtl = store.calls.reads;
    await Promise.all(Array.from({ length: 10 }, () => predict(T0 + LIFETIME_MODEL_TTL_MS)));

    // Assess
    expect(readsWithinTtl).toBe(1);
    expect(store.calls.reads).toBe(2);
  });

  it('predicts from the default prior without a store, and from the hint when there is one', async () => {
    const d = deps(undefined);
    const end = await predictRoomEnd(d, { pool: POOL, createdAt: T0 }, T0);
    expect(Math.abs(end - T0 - DEFAULT_PRIOR.meanMin * MIN)).toBeLessThan(DEFAULT_PRIOR.meanMin * MIN * 0.03);
    expect(await predictRoomEnd(d, { pool: POOL, expectedDurationMs: 45 * MIN, createdAt: T0 - 15 * MIN }, T0)).toBe(T0 + 30 * MIN);
    // A hint that is not a positive number is ignored, not thrown on (the placement goes on)
    expect(await predictRoomEnd(d, { pool: POOL, expectedDurationMs: -5, createdAt: T0 }, T0)).toBe(end);
  });

  it('keeps predicting (default prior) when the store cannot be read, and logs it', async () => {
    // Prepare
    const failing: LifetimeStore = { lifetimeCells: () => Promise.reject(new Error('throttled')), addLifetime: () => Promise.resolve() };
    const d = deps(failing);

    // Act
    const end = await predictRoomEnd(d, { pool: POOL, expectedDurationMs: 20 * MIN, createdAt: T0 }, T0);

    // Assess
    expect(end).toBe(T0 + 20 * MIN);
    expect((d.logger as RecordingLogger).entries.some((e) => e.level === 'warn' && e.message.includes('lifetime model not loaded'))).toBe(true);
  });

  it('learns from the releases this process records without reading the store again', async () => {
    // Prepare: the model is cached (one read), then 100 rooms of kind `camera` lasting 2 days are released
    const store = new MemoryLifetimeStore();
    const d = deps(store);
    const before = await predictRoomEnd(d, { pool: POOL, kind: 'camera', createdAt: T0 }, T0);
    for (let i = 0; i < 100; i++) expect(await recordRoomLifetime(d, room({ roomId: `cam-${i}`, kind: 'camera' }), T0 + 2 * 1440 * MIN)).toBe(true);

    // Act
    const after = await predictRoomEnd(d, { pool: POOL, kind: 'camera', createdAt: T0 }, T0 + MIN);

    // Assess: the same process now expects about 2 days; still one read, 100 writes
    expect(before - T0).toBeLessThan(60 * MIN);
    expect(after - T0).toBeGreaterThan(1.8 * 1440 * MIN);
    expect(store.calls).toEqual({ reads: 1, writes: 100 });
  });
});

describe('Function: recordRoomLifetime', () => {
  it('records create-to-release with the kind, the hint’s overrun and the UTC hour band of the create', async () => {
    const store = new MemoryLifetimeStore();
    const createdAt = Date.UTC(2026, 0, 6, 19, 30);
    expect(await recordRoomLifetime(deps(store), room({ kind: 'meeting', expectedDurationMs: 60 * MIN, createdAt }), createdAt + 66 * MIN)).toBe(true);
    expect(await store.lifetimeCells(POOL)).toEqual([{ kind: 'meeting', band: 3, counts: { d13: 1, s13: 3960, r9: 1, q9: 1100 } }]);
  });

  it('skips a release before its create and logs (not throws) a failed write', async () => {
    const store = new MemoryLifetimeStore();
    expect(await recordRoomLifetime(deps(store), room(), T0 - 1)).toBe(false);
    expect(store.calls.writes).toBe(0);
    const failing: LifetimeStore = { lifetimeCells: () => Promise.resolve([]), addLifetime: () => Promise.reject(new Error('throttled')) };
    const d = deps(failing);
    expect(await recordRoomLifetime(d, room(), T0 + MIN)).toBe(false);
    expect((d.logger as RecordingLogger).entries.some((e) => e.level === 'warn' && e.message.includes('room lifetime not recorded'))).toBe(true);
  });
});

describe('Function: releaseRoom (lifetime hook)', () => {
  it('learns the lifetime of a placed room with the hints of its create, and not of a room released while queued', async () => {
    // Prepare: one node with room for one 10-unit room; the second room queues
    const store = new MemoryLifetimeStore();
    const d = deps(store);
    await seedReadyNode(d.store, { nodeId: 'i-a', pool: POOL, containers: 1, capacityPerContainer: 10, now: T0 });
    const placed = await createRoom(d, { roomId: 'web-1', weight: 10, eventId: 'e-1', eventTime: T0, kind: 'webinar', expectedDurationMs: 90 * MIN });
    const queued = await createRoom(d, { roomId: 'web-2', weight: 10, eventId: 'e-2', eventTime: T0, kind: 'webinar', expectedDurationMs: 90 * MIN });
    expect([placed.kind, queued.kind]).toEqual(['placed', 'queued']);

    // Act: the queued room leaves first (never placed), then the placed one after 100 min
    await releaseRoom(d, 'web-2', T0 + 10 * MIN, 'rel-2');
    d.clock.set(T0 + 100 * MIN);
    await releaseRoom(d, 'web-1', T0 + 100 * MIN, 'rel-1');

    // Assess: one sample, 100 min (bucket 14: [90.5, 128) min) against a 90-minute hint (ratio 1.111, bucket 9)
    expect(store.calls.writes).toBe(1);
    const cells = await store.lifetimeCells(POOL);
    expect(cells).toHaveLength(1);
    expect(cells[0]).toMatchObject({ kind: 'webinar', counts: { d14: 1, s14: 6000, r9: 1, q9: 1111 } });
  });
});
