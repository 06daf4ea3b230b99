import { describe, expect, it } from 'vitest';
import { noMigrationBound, packWithoutMigration, PACKING_RULES, type Packing } from '../../bench/no-migration.ts';
import { generateTrace } from '../../sim/trace/generator.ts';
import type { TraceEvent } from '../../sim/trace/model.ts';
import { effectiveRooms, lowerBoundNodeHours, type RoomInterval } from '../../sim/trace/stats.ts';

const room = (roomId: string, weight: number, start: number, end: number): RoomInterval => ({ roomId, weight, start, end, open: false });
const twoByTen = { containersPerNode: 2, capacityPerContainer: 10 };

/** Highest use of any container at any instant, from the packing's placements. */
function peakContainerUse(intervals: readonly RoomInterval[], packing: Packing): number {
  const deltas: { t: number; key: string; w: number }[] = [];
  for (const p of packing.placements) {
    const r = intervals[p.room] as RoomInterval;
    deltas.push({ t: r.start, key: `${p.node}/${p.container}`, w: r.weight }, { t: r.end, key: `${p.node}/${p.container}`, w: -r.weight });
  }
  deltas.sort((a, b) => a.t - b.t || a.w - b.w); // ends before starts at the same instant
  const use = new Map<string, number>();
  let peak = 0;
  for (const d of deltas) {
    const u = (use.get(d.key) ?? 0) + d.w;
    use.set(d.key, u);
    peak = Math.max(peak, u);
  }
  return peak;
}

describe('packWithoutMigration', () => {
  it('puts two rooms that fit one node on it, paid from the first arrival to the last end', () => {
    // Arrange
    const rooms = [room('a', 5, 0, 3600), room('b', 5, 600, 5400)];

    for (const rule of PACKING_RULES) {
      // Act
      const packing = packWithoutMigration(rooms, twoByTen, rule);

      // Assess
      expect(packing).toMatchObject({ nodesOpened: 1, peakNodes: 1, nodeHours: 1.5 });
    }
  });

  it('sends a long room to the node that stays (least-slack), where best fit would keep a short node alive', () => {
    // Arrange: one 10-unit container per node; a (long) and b (short) cannot share; c is long and fits both
    const shape = { containersPerNode: 1, capacityPerContainer: 10 };
    const rooms = [room('a', 5, 0, 7200), room('b', 6, 0, 1800), room('c', 4, 600, 7200)];

    // Act
    const leastSlack = packWithoutMigration(rooms, shape, 'least-slack');
    const bestFit = packWithoutMigration(rooms, shape, 'best-fit');

    // Assess: on a's node c costs nothing (2 h + 0.5 h); on b's it keeps b's node 1.5 h longer
    expect(leastSlack.placements.find((p) => p.room === 2)?.node).toBe(0);
    expect(leastSlack.nodeHours).toBe(2.5);
    expect(bestFit.placements.find((p) => p.room === 2)?.node).toBe(1);
    expect(bestFit.nodeHours).toBe(4);
  });

  it('never splits a room across containers: a node with 9 units free in two containers does not take a 10-unit room', () => {
    // Arrange
    const rooms = [room('a', 5, 0, 100), room('b', 6, 0, 100), room('c', 10, 10, 50)];

    // Act
    const packing = packWithoutMigration(rooms, twoByTen, 'least-slack');

    // Assess
    expect(packing.placements.map((p) => [p.node, p.container])).toEqual([[0, 0], [0, 1], [1, 0]]);
    expect(packing.nodesOpened).toBe(2);
  });

  it('reuses capacity freed at the instant a room arrives, skips zero-length rooms and counts rooms heavier than a container', () => {
    // Arrange
    const rooms = [room('a', 10, 0, 60), room('b', 10, 0, 120), room('c', 10, 60, 120), room('z', 3, 30, 30), room('huge', 11, 0, 60)];

    // Act
    const packing = packWithoutMigration(rooms, twoByTen, 'least-slack');

    // Assess
    expect(packing).toMatchObject({ nodesOpened: 1, unplaceable: 1, nodeHours: 120 / 3600 });
    expect(packing.placements.map((p) => p.room)).toEqual([0, 1, 2]);
  });

  it('rejects a node shape that is not positive integers', () => {
    expect(() => packWithoutMigration([], { containersPerNode: 0, capacityPerContainer: 10 }, 'best-fit')).toThrow(RangeError);
  });

  it('never exceeds a container, places every room once, and costs at least the fluid lower bound on generated traces', () => {
    for (const seed of [1, 2, 3]) {
      // Arrange
      const events = generateTrace({
        seed,
        days: 1,
        peakConcurrent: 40,
        flashCrowds: [{ day: 0, startSecOfDay: 14 * 3600, rooms: 60, rampSec: 120, durationMin: 45 }],
        surveillanceTenants: [{ tenantId: 'estate', houses: 8, weight: 10 }],
      });
      const { intervals } = effectiveRooms(events);
      const lb = lowerBoundNodeHours(events, 20);

      for (const rule of PACKING_RULES) {
        // Act
        const packing = packWithoutMigration(intervals, twoByTen, rule);

        // Assess
        expect(peakContainerUse(intervals, packing)).toBeLessThanOrEqual(10);
        expect(packing.placements.length).toBe(intervals.filter((r) => r.end > r.start).length);
        expect(new Set(packing.placements.map((p) => p.room)).size).toBe(packing.placements.length);
        expect(packing.nodeHours).toBeGreaterThanOrEqual(lb - 1e-9);
      }
    }
  });
});

describe('noMigrationBound', () => {
  it('keeps the best rule, reports the fluid bound beside it, and ignores RoomScheduled lines', () => {
    // Arrange: the long-room case as a trace, plus an announcement
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomScheduled', roomId: 'no-show', startAt: 600 },
      { t: 0, type: 'RoomCreated', roomId: 'a', weight: 5 },
      { t: 0, type: 'RoomCreated', roomId: 'b', weight: 6 },
      { t: 600, type: 'RoomCreated', roomId: 'c', weight: 4 },
      { t: 1800, type: 'RoomReleased', roomId: 'b' },
      { t: 7200, type: 'RoomReleased', roomId: 'a' },
      { t: 7200, type: 'RoomReleased', roomId: 'c' },
    ];

    // Act
    const bound = noMigrationBound(events, { containersPerNode: 1, capacityPerContainer: 10 });

    // Assess: fluid bound: 2 nodes for 0–1800 s (11 and 15 units), 1 node after → 1 + 1.5 = 2.5 h: reached
    expect(bound).toMatchObject({ nodeHours: 2.5, rule: 'least-slack', lowerBoundNodeHours: 2.5, ratioToLowerBound: 1, rooms: 3 });
    expect(bound.rules.map((r) => r.nodeHours)).toEqual([...bound.rules.map((r) => r.nodeHours)].sort((a, b) => a - b));
    expect(() => noMigrationBound(events, twoByTen, [])).toThrow(RangeError);
  });

  it('pays for rooms that cannot be split where the fluid bound does not', () => {
    // Arrange: three 6-unit rooms for an hour on 10-unit nodes: 18 units = 2 nodes fluid, 3 whole
    const events: TraceEvent[] = ['a', 'b', 'c'].flatMap((roomId): TraceEvent[] => [
      { t: 0, type: 'RoomCreated', roomId, weight: 6 },
      { t: 3600, type: 'RoomReleased', roomId },
    ]);

    // Act
    const bound = noMigrationBound(events, { containersPerNode: 1, capacityPerContainer: 10 });

    // Assess
    expect(bound).toMatchObject({ nodeHours: 3, lowerBoundNodeHours: 2, ratioToLowerBound: 1.5 });
  });
});
