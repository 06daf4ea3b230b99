import { describe, expect, it } from 'vitest';
import { PoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { NodeState, NodeView } from '../../../shared/domain/model.ts';
import {
  dayOf,
  isPastMaxAge,
  peakWindowStart,
  runningHeadroom,
  scaleInChoice,
  scaleInGraceMs,
  stoppedNodesToStart,
  warmHeadroomMin,
  warmNodesToTerminate,
  warmPoolTargetSize,
  warmStartTimeMs,
} from '../../../shared/domain/warm-pool.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

/** 2 containers × 10 units = 20 units per node; warm pool bounds [0, 24] by default, max age 168 h. */
const pool = (overrides: Record<string, unknown> = {}, warmPool: Record<string, unknown> = {}): PoolConfig =>
  PoolConfigSchema.parse({ name: 'media', containersPerNode: 2, capacityPerContainer: 10, ...overrides, warmPool });

const node = (nodeId: string, state: NodeState, ageHours: number, extra: Partial<NodeView> = {}): NodeView => ({
  nodeId,
  pool: 'media',
  state,
  instanceType: 'c6i.2xlarge',
  launchedAt: NOW - ageHours * HOUR,
  hot: false,
  containers: [],
  plannedCapacity: 20,
  ...extra,
});

describe('Function: runningHeadroom', () => {
  it.each([
    { name: 'is the cold target without stopped nodes', cold: 50, warm: 20, stopped: 0, expected: 50 },
    { name: 'drops by the stopped capacity', cold: 50, warm: 20, stopped: 20, expected: 30 },
    { name: 'never below the warm-start target', cold: 50, warm: 20, stopped: 100, expected: 20 },
    { name: 'never above the cold target (negative capacity ignored)', cold: 50, warm: 20, stopped: -20, expected: 50 },
    { name: 'is the common minimum when both targets are the headroom minimum', cold: 10, warm: 10, stopped: 40, expected: 10 },
  ])('$name', ({ cold, warm, stopped, expected }) => {
    // Act / Assess
    expect(runningHeadroom(cold, warm, stopped)).toBe(expected);
  });
});

describe('Function: warmHeadroomMin', () => {
  it.each([
    { name: 'scales the floor to a warm start (10 units × 40 s / 90 s → 5)', overrides: {}, warmPool: {}, expected: 5 },
    { name: 'scales it to a resume when hibernated (10 × 25 / 90 → 3)', overrides: {}, warmPool: { state: 'hibernated' }, expected: 3 },
    { name: 'rounds up (7 × 40 / 90 = 3.1 → 4)', overrides: { headroomMin: 7 }, warmPool: {}, expected: 4 },
    { name: 'is 0 for a floor of 0', overrides: { headroomMin: 0 }, warmPool: {}, expected: 0 },
    { name: 'is the whole floor when a start is no faster than a boot', overrides: { bootTimeMs: 30_000 }, warmPool: { startTimeMs: 40_000 }, expected: 10 },
    { name: 'is headroomMin without a warm pool', overrides: {}, warmPool: { state: 'none' }, expected: 10 },
    { name: 'is headroomMin for a Spot pool', overrides: { spot: true }, warmPool: {}, expected: 10 },
  ])('$name', ({ overrides, warmPool, expected }: { overrides: Record<string, unknown>; warmPool: Record<string, unknown>; expected: number }) => {
    // Act / Assess
    expect(warmHeadroomMin(pool(overrides, warmPool))).toBe(expected);
  });
});

describe('Function: scaleInGraceMs', () => {
  it.each([
    { name: 'is the stop grace with a warm pool (default 2 min)', overrides: {}, warmPool: {}, expected: 120_000 },
    { name: 'is the stop grace set', overrides: {}, warmPool: { stopGraceMs: 30_000 }, expected: 30_000 },
    { name: 'is capped by idleGraceMs', overrides: { idleGraceMs: 60_000 }, warmPool: { stopGraceMs: 300_000 }, expected: 60_000 },
    { name: 'is idleGraceMs without a warm pool', overrides: {}, warmPool: { state: 'none', stopGraceMs: 0 }, expected: 600_000 },
    { name: 'is idleGraceMs for a Spot pool', overrides: { spot: true }, warmPool: { stopGraceMs: 0 }, expected: 600_000 },
  ])('$name', ({ overrides, warmPool, expected }: { overrides: Record<string, unknown>; warmPool: Record<string, unknown>; expected: number }) => {
    // Act / Assess
    expect(scaleInGraceMs(pool(overrides, warmPool))).toBe(expected);
  });
});

describe('Function: warmPoolTargetSize', () => {
  it.each([
    { name: 'covers a cold boot beyond the warm-start headroom, in nodes (30 units → 2)', cold: 50, warm: 20, live: 3, peak: 0, expected: 2 },
    { name: 'is 0 with no difference and no history', cold: 10, warm: 10, live: 3, peak: 0, expected: 0 },
    { name: 'is raised to the recent peak minus the live nodes', cold: 10, warm: 10, live: 3, peak: 7, expected: 4 },
    { name: 'takes the higher of forecast and history', cold: 90, warm: 10, live: 3, peak: 5, expected: 4 },
    { name: 'is clamped to maxSize', cold: 10, warm: 10, live: 1, peak: 30, warmPool: { maxSize: 8 }, expected: 8 },
    { name: 'keeps a crowd of 23 nodes over 3 live nodes stopped with the default maxSize (24)', cold: 10, warm: 10, live: 3, peak: 26, expected: 23 },
    { name: 'keeps the over-launched peak of that crowd up to the default maxSize (24)', cold: 10, warm: 10, live: 3, peak: 49, expected: 24 },
    { name: 'keeps nothing for history once the live nodes reach the peak', cold: 10, warm: 10, live: 28, peak: 28, expected: 0 },
    { name: 'is raised to minSize', cold: 10, warm: 10, live: 3, peak: 0, warmPool: { minSize: 2 }, expected: 2 },
    { name: 'is 0 when the pool has no warm pool', cold: 90, warm: 10, live: 1, peak: 9, warmPool: { state: 'none', minSize: 2 }, expected: 0 },
    { name: 'is 0 for a Spot pool', cold: 90, warm: 10, live: 1, peak: 9, spot: true, expected: 0 },
  ])('$name', ({ cold, warm, live, peak, warmPool, spot, expected }: { cold: number; warm: number; live: number; peak: number; warmPool?: Record<string, unknown>; spot?: boolean; expected: number }) => {
    // Prepare
    const p = pool(spot ? { spot } : {}, warmPool);

    // Act / Assess
    expect(warmPoolTargetSize(p, { coldTarget: cold, warmTarget: warm, liveNodes: live, peakNodes: peak })).toBe(expected);
  });
});

describe('Function: scaleInChoice', () => {
  it.each([
    { name: 'stops a young surplus node while the warm pool is below target', warm: 1, target: 2, age: 10, expected: 'stop' },
    { name: 'terminates once the warm pool is at target', warm: 2, target: 2, age: 10, expected: 'terminate' },
    { name: 'terminates a node at maxAgeHours (recycling)', warm: 0, target: 2, age: 168, expected: 'terminate' },
    { name: 'stops a node just younger than maxAgeHours', warm: 0, target: 2, age: 167.99, expected: 'stop' },
    { name: 'terminates a node drained for a fault', warm: 0, target: 2, age: 1, drainReason: 'unhealthy: wcs-1', expected: 'terminate' },
    { name: 'terminates when the pool has no warm pool', warm: 0, target: 2, age: 1, warmPool: { state: 'none' }, expected: 'terminate' },
  ])('$name', ({ warm, target, age, drainReason, warmPool, expected }: { warm: number; target: number; age: number; drainReason?: string; warmPool?: Record<string, unknown>; expected: string }) => {
    // Prepare
    const n = node('i-a', 'draining', age, { drainReason });

    // Act / Assess
    expect(scaleInChoice(pool({}, warmPool), n, warm, target, NOW)).toBe(expected);
  });
});

describe('Function: warmNodesToTerminate', () => {
  it.each([
    {
      name: 'recycles stopped nodes past maxAgeHours even below target',
      nodes: [node('i-old', 'stopped', 200), node('i-new', 'stopped', 2)],
      target: 5,
      expected: [{ nodeId: 'i-old', reason: 'max-age' }],
    },
    {
      name: 'terminates the oldest stopped nodes above target',
      nodes: [node('i-b', 'stopped', 5), node('i-a', 'stopped', 9), node('i-c', 'stopped', 1)],
      target: 1,
      expected: [
        { nodeId: 'i-a', reason: 'warm-surplus' },
        { nodeId: 'i-b', reason: 'warm-surplus' },
      ],
    },
    {
      name: 'counts stopping nodes but leaves them alone',
      nodes: [node('i-s', 'stopping', 50), node('i-a', 'stopped', 3)],
      target: 1,
      expected: [{ nodeId: 'i-a', reason: 'warm-surplus' }],
    },
    {
      name: 'counts recycled nodes out of the surplus',
      nodes: [node('i-old', 'stopped', 300), node('i-a', 'stopped', 3)],
      target: 1,
      expected: [{ nodeId: 'i-old', reason: 'max-age' }],
    },
    {
      name: 'ignores live nodes',
      nodes: [node('i-r', 'ready', 500), node('i-d', 'draining', 500)],
      target: 0,
      expected: [],
    },
  ])('$name', ({ nodes, target, expected }) => {
    // Act / Assess
    expect(warmNodesToTerminate(pool(), nodes, target, NOW)).toEqual(expected);
  });
});

describe('Function: stoppedNodesToStart', () => {
  it.each([
    { name: 'starts the youngest first', count: 2, expected: ['i-c', 'i-b'] },
    { name: 'starts no more than there are', count: 9, expected: ['i-c', 'i-b', 'i-a'] },
    { name: 'starts none for a count of 0', count: 0, expected: [] },
  ])('$name', ({ count, expected }) => {
    // Prepare
    const stopped = [
      { nodeId: 'i-a', launchedAt: NOW - 3 * HOUR },
      { nodeId: 'i-b', launchedAt: NOW - 2 * HOUR },
      { nodeId: 'i-c', launchedAt: NOW - HOUR },
    ];

    // Act / Assess
    expect(stoppedNodesToStart(stopped, count)).toEqual(expected);
  });
});

describe('Warm-pool helpers', () => {
  it('takes resumeTimeMs for a hibernated pool and startTimeMs otherwise', () => {
    // Act / Assess
    expect(warmStartTimeMs(pool({}, { state: 'hibernated', resumeTimeMs: 25_000 }))).toBe(25_000);
    expect(warmStartTimeMs(pool({}, { state: 'stopped', startTimeMs: 40_000 }))).toBe(40_000);
  });

  it('keys peaks by UTC day and looks back historyDays days including today', () => {
    // Prepare
    const day = dayOf(NOW);

    // Act / Assess
    expect(dayOf(day * 86_400_000)).toBe(day);
    expect(dayOf(day * 86_400_000 - 1)).toBe(day - 1);
    expect(peakWindowStart(pool({}, { historyDays: 7 }), NOW)).toBe(day - 6);
  });

  it('counts a node past maxAgeHours from its launch', () => {
    // Act / Assess
    expect(isPastMaxAge(pool({}, { maxAgeHours: 2 }), { launchedAt: NOW - 2 * HOUR }, NOW)).toBe(true);
    expect(isPastMaxAge(pool({}, { maxAgeHours: 2 }), { launchedAt: NOW - 2 * HOUR + 1 }, NOW)).toBe(false);
  });
});
