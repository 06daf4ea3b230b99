import { describe, expect, it } from 'vitest';
import { hasHints, hintCoverage, oracleHints, placementEnds, withoutHints } from '../../bench/hint-variants.ts';
import { generateTrace } from '../../sim/trace/generator.ts';
import { TraceEventSchema, type TraceEvent } from '../../sim/trace/model.ts';
import { effectiveRooms } from '../../sim/trace/stats.ts';

const hintsOf = (events: readonly TraceEvent[]) => events.map((e) => e.expectedDurationMs);

describe('withoutHints', () => {
  it('drops RoomScheduled lines and the hint fields, keeps every other field and the order', () => {
    // Arrange
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomScheduled', roomId: 'w', startAt: 600, expectedDurationMs: 3_600_000, kind: 'webinar' },
      { t: 590, type: 'RoomCreated', roomId: 'w', weight: 3, id: 'e1', tenantId: 'acme', expectedDurationMs: 3_600_000, kind: 'webinar' },
      { t: 4000, type: 'RoomReleased', roomId: 'w', id: 'e2' },
    ];

    // Act
    const stripped = withoutHints(events);

    // Assess
    expect(stripped).toEqual([
      { t: 590, type: 'RoomCreated', roomId: 'w', weight: 3, id: 'e1', tenantId: 'acme' },
      { t: 4000, type: 'RoomReleased', roomId: 'w', id: 'e2' },
    ]);
    expect(hasHints(events)).toBe(true);
    expect(hasHints(stripped)).toBe(false);
    expect(hintCoverage(events)).toEqual({ creates: 1, hintedCreates: 1, scheduled: 1 });
    expect(events[1]).toHaveProperty('kind', 'webinar'); // input untouched
  });

  it('drops the cancellation of an announced room that never started, and keeps every other release', () => {
    // Arrange: "gone" is announced and cancelled; "m" is announced, held, released, and its release delivered twice
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomScheduled', roomId: 'gone', startAt: 900 },
      { t: 0, type: 'RoomScheduled', roomId: 'm', startAt: 600 },
      { t: 300, type: 'RoomReleased', roomId: 'gone', id: 'c1' },
      { t: 600, type: 'RoomCreated', roomId: 'm', id: 'e1' },
      { t: 900, type: 'RoomReleased', roomId: 'm', id: 'e2' },
      { t: 901, type: 'RoomReleased', roomId: 'm', id: 'e2' },
      { t: 950, type: 'RoomReleased', roomId: 'never-announced' },
    ];

    // Act
    const stripped = withoutHints(events);

    // Assess
    expect(stripped.map((e) => e.id ?? e.roomId)).toEqual(['e1', 'e2', 'e2', 'never-announced']);
  });
});

describe('oracleHints', () => {
  it("gives each placement its true duration, a reconnect its own, and an unreleased room the time to the trace's end", () => {
    // Arrange: a lives 100 s, reconnects at 200 for 300 s; b is never released (trace ends at 900)
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomCreated', roomId: 'a' },
      { t: 50, type: 'RoomCreated', roomId: 'b', kind: 'camera' },
      { t: 100, type: 'RoomReleased', roomId: 'a' },
      { t: 200, type: 'RoomCreated', roomId: 'a', expectedDurationMs: 5_000 },
      { t: 500, type: 'RoomReleased', roomId: 'a' },
      { t: 900, type: 'RoomReleased', roomId: 'z' },
    ];

    // Act
    const oracle = oracleHints(events);

    // Assess: the given (wrong) hint is replaced, the kind kept
    expect(hintsOf(oracle)).toEqual([100_000, 850_000, undefined, 300_000, undefined, undefined]);
    expect(oracle[1]).toMatchObject({ kind: 'camera' });
    expect(events[3]?.expectedDurationMs).toBe(5_000);
  });

  it('pairs by delivery time whatever the line order, and keeps the input order', () => {
    // Arrange: the release line comes first in the file
    const events: TraceEvent[] = [
      { t: 70, type: 'RoomReleased', roomId: 'a' },
      { t: 10, type: 'RoomCreated', roomId: 'a' },
    ];

    // Act
    const oracle = oracleHints(events);

    // Assess
    expect(oracle.map((e) => e.type)).toEqual(['RoomReleased', 'RoomCreated']);
    expect(hintsOf(oracle)).toEqual([undefined, 60_000]);
  });

  it('gives a duplicate delivery and a repeated create what remains of the placement, and no hint to a stale create', () => {
    // Arrange: e1 delivered twice; a repeated create at 30; c released at 10, then a create that happened at 5 (stale)
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomCreated', roomId: 'a', id: 'e1' },
      { t: 20, type: 'RoomCreated', roomId: 'a', id: 'e1' },
      { t: 30, type: 'RoomCreated', roomId: 'a' },
      { t: 100, type: 'RoomReleased', roomId: 'a', id: 'e2' },
      { t: 100, type: 'RoomReleased', roomId: 'a', id: 'e2' },
      { t: 10, type: 'RoomReleased', roomId: 'c' },
      { t: 20, time: 5, type: 'RoomCreated', roomId: 'c', expectedDurationMs: 1_000 },
    ];

    // Act
    const oracle = oracleHints(events);

    // Assess
    expect(hintsOf(oracle)).toEqual([100_000, 80_000, 70_000, undefined, undefined, undefined, undefined]);
    expect(placementEnds(events).placements).toEqual([{ line: 0, roomId: 'a', start: 0, end: 100, open: false }]);
  });

  it("gives a RoomScheduled line the true duration of the room that arrives, and leaves a no-show's line as it was", () => {
    // Arrange
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomScheduled', roomId: 'm', startAt: 600, expectedDurationMs: 1_800_000 },
      { t: 0, type: 'RoomScheduled', roomId: 'gone', startAt: 600, expectedDurationMs: 1_800_000 },
      { t: 700, type: 'RoomCreated', roomId: 'm' },
      { t: 3100, type: 'RoomReleased', roomId: 'm' },
    ];

    // Act
    const oracle = oracleHints(events);

    // Assess
    expect(hintsOf(oracle)).toEqual([2_400_000, 1_800_000, 2_400_000, undefined]);
    expect(oracle[0]).toMatchObject({ startAt: 600 });
  });

  it('clamps to the contract: at least 1 ms, at most 7 days', () => {
    // Arrange
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomCreated', roomId: 'long' },
      { t: 5, type: 'RoomCreated', roomId: 'instant' },
      { t: 5, type: 'RoomReleased', roomId: 'instant' },
      { t: 8 * 86_400, type: 'RoomReleased', roomId: 'long' },
    ];

    // Act / Assess
    expect(hintsOf(oracleHints(events))).toEqual([7 * 86_400_000, 1, undefined, undefined]);
  });

  it('finds the same placements as effectiveRooms on a generated trace with duplicates, late lines and reconnects, and every line stays valid', () => {
    // Arrange
    const events = generateTrace({
      seed: 5,
      days: 1,
      peakConcurrent: 30,
      duplicateRate: 0.05,
      outOfOrderRate: 0.05,
      surveillanceTenants: [{ tenantId: 'estate', houses: 10, weight: 2, meanUptimeHours: 2 }],
    });

    // Act
    const { placements } = placementEnds(events);
    const oracle = oracleHints(events);

    // Assess: the trace has what the rules are about
    const effective = effectiveRooms(events);
    expect(effective.duplicates).toBeGreaterThan(0);
    expect(new Set(placements.map((p) => p.roomId)).size).toBeLessThan(placements.length); // reconnects
    expect(events.some((e) => e.time !== undefined && e.time < e.t)).toBe(true); // late deliveries
    const expected = effective.intervals.map(({ roomId, start, end, open }) => ({ roomId, start, end, open }));
    expect(placements.map(({ roomId, start, end, open }) => ({ roomId, start, end, open }))).toEqual(expected);
    expect(new Set(placements.map((p) => events[p.line]?.type))).toEqual(new Set(['RoomCreated']));
    for (const p of placements) expect(oracle[p.line]?.expectedDurationMs).toBe(Math.max(1, Math.round((p.end - p.start) * 1000)));
    for (const e of oracle) expect(TraceEventSchema.safeParse(e).success).toBe(true);
    // The same file with its second half first (cut where t changes): the same hints, line by line
    let cut = Math.floor(events.length / 2);
    while ((events[cut] as TraceEvent).t === (events[cut - 1] as TraceEvent).t) cut += 1;
    const rotated = oracleHints([...events.slice(cut), ...events.slice(0, cut)]);
    expect([...rotated.slice(events.length - cut), ...rotated.slice(0, events.length - cut)]).toEqual(oracle);
  });
});
