/**
 * Predicted room ends in the room use cases (shared/app/room-ends.ts): what a create predicts,
 * records on its container and places by, under the pool settings `lifetimePlacement` /
 * `lifetimeDrain`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { lifetimePlan, MAX_ROOMS_WITH_ENDS, roomEndPredictor } from '../../../shared/app/room-ends.ts';
import { EMPTY_LIFETIME_MODEL, predictEndAt } from '../../../shared/domain/lifetime.ts';
import { releaseRoom } from '../../../shared/app/room-release.ts';
import { createRoom } from '../../../shared/app/rooms.ts';
import { parseAutoscalerConfig, poolByName } from '../../../shared/domain/config.ts';
import { makeDeps, seedReadyNode, T0, type TestDeps } from '../../support/fleet.ts';

const POOL = 'media';
const MIN = 60_000;
const config = (pool: Record<string, unknown> = {}) => ({
  defaultPool: POOL,
  pools: [{ name: POOL, containersPerNode: 1, capacityPerContainer: 10, minNodes: 1, headroomMin: 0, placementSpread: 1, ...pool }],
});
const endsOn = async (d: TestDeps, nodeId: string) => (await d.store.getNode(nodeId))?.containers[0]?.roomEnds ?? [];

describe('Function: roomEndPredictor without a lifetime store', () => {
  it('predicts from the empty model: the hint when hinted, the prior without one, never before now', async () => {
    // Prepare
    const d = makeDeps({ store: new MemoryFleetStore() });
    const prior = predictEndAt(EMPTY_LIFETIME_MODEL, { startedAt: T0 }, T0);
    const hinted = predictEndAt(EMPTY_LIFETIME_MODEL, { hintMs: 45 * MIN, startedAt: T0 }, T0);

    // Act
    const unhintedEnd = await roomEndPredictor(d, { pool: POOL, createdAt: T0 }, T0);
    const hintedEnd = await roomEndPredictor(d, { pool: POOL, createdAt: T0, expectedDurationMs: 45 * MIN }, T0);
    const overdueEnd = await roomEndPredictor(d, { pool: POOL, createdAt: T0 - 300 * MIN, expectedDurationMs: MIN }, T0);

    // Assess
    expect(unhintedEnd).toBe(prior);
    expect(Math.round((prior - T0) / MIN)).toBe(38); // the prior's mean (DEFAULT_PRIOR)
    expect(hintedEnd).toBe(hinted);
    expect(hintedEnd).toBe(T0 + 45 * MIN); // no overruns learned yet: the hint at face value
    expect(overdueEnd).toBeGreaterThan(T0); // overdue: the expected remainder, never the past
  });
});

describe('Function: lifetimePlan', () => {
  it.each([
    { name: 'predicts nothing when the pool uses no lifetime policy', pool: {}, end: undefined, scored: false },
    { name: 'predicts and scores under lifetimePlacement', pool: { lifetimePlacement: true }, end: T0 + 20 * MIN, scored: true },
    { name: 'predicts (to record) without scoring under lifetimeDrain alone', pool: { lifetimeDrain: true }, end: T0 + 20 * MIN, scored: false },
    { name: 'predicts nothing for containers too large to record ends', pool: { lifetimePlacement: true, capacityPerContainer: MAX_ROOMS_WITH_ENDS + 1 }, end: undefined, scored: false },
  ])('$name', async ({ pool, end, scored }) => {
    // Prepare
    const cfg = parseAutoscalerConfig(config(pool));
    const d = makeDeps({ store: new MemoryFleetStore(), config: config(pool) });

    // Act
    const plan = await lifetimePlan(d, poolByName(cfg, POOL), { pool: POOL, createdAt: T0, expectedDurationMs: 20 * MIN }, T0);

    // Assess
    expect(plan.expectedEndAt).toBe(end);
    expect(plan.context.expectedEnd).toBe(scored ? end : undefined);
  });

  it('uses the injected predictor', async () => {
    const cfg = parseAutoscalerConfig(config({ lifetimeDrain: true }));
    const d = makeDeps({ store: new MemoryFleetStore() });
    const plan = await lifetimePlan(d, poolByName(cfg, POOL), { pool: POOL, createdAt: T0 }, T0, async () => T0 + 7);
    expect(plan.expectedEndAt).toBe(T0 + 7);
  });
});

describe('Function: createRoom with lifetime hints', () => {
  it("records the hinted room's predicted end on its container, and the release removes it", async () => {
    // Prepare
    const store = new MemoryFleetStore();
    const d = makeDeps({ store, config: config({ lifetimeDrain: true }) });
    await seedReadyNode(store, { nodeId: 'i-a', pool: POOL, containers: 1, capacityPerContainer: 10, now: T0 });

    // Act
    const out = await createRoom(d, { roomId: 'r1', weight: 2, eventId: 'e1', eventTime: T0, kind: 'meeting', expectedDurationMs: 60 * MIN });
    const held = await endsOn(d, 'i-a');
    await releaseRoom(d, 'r1', T0 + MIN, 'e2');

    // Assess
    expect(out.kind).toBe('placed');
    expect(held).toEqual([T0 + 60 * MIN]);
    expect(await endsOn(d, 'i-a')).toEqual([]);
  });

  it('places a long room on the node that stays anyway under lifetimePlacement, best fit without it', async () => {
    // Prepare: i-full (6 used) hosts rooms ending in 10 min, i-long (2 used) one ending in 4 h
    const placeOn = async (pool: Record<string, unknown>) => {
      const store = new MemoryFleetStore();
      const d = makeDeps({ store, config: config(pool) });
      await seedReadyNode(store, { nodeId: 'i-full', pool: POOL, containers: 1, capacityPerContainer: 10, now: T0 });
      await seedReadyNode(store, { nodeId: 'i-long', pool: POOL, containers: 1, capacityPerContainer: 10, now: T0 });
      await store.claimCapacity({ nodeId: 'i-full', container: 0 }, 's', 6, T0, { expectedEndAt: T0 + 10 * MIN });
      await store.claimCapacity({ nodeId: 'i-long', container: 0 }, 'l', 2, T0, { expectedEndAt: T0 + 240 * MIN });
      const placed = await createRoom(d, { roomId: 'new', weight: 1, eventId: 'e-n', eventTime: T0, expectedDurationMs: 120 * MIN });
      return placed.kind === 'placed' ? placed.placement.nodeId : placed.kind;
    };

    // Act / Assess
    expect(await placeOn({ lifetimePlacement: true })).toBe('i-long');
    expect(await placeOn({})).toBe('i-full');
  });
});
