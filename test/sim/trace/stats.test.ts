import { describe, expect, it } from 'vitest';
import { STATIC_72_VCPU_PRICE_USD_PER_HOUR } from '../../../shared/domain/config.ts';
import type { TraceEvent } from '../../../sim/trace/model.ts';
import {
  activeWeightSteps,
  dailyStats,
  effectiveRooms,
  lowerBoundNodeHours,
  peakActiveWeight,
  static72CostUsd,
  type RoomInterval,
} from '../../../sim/trace/stats.ts';

const created = (t: number, roomId: string, extra: Partial<TraceEvent> = {}): TraceEvent => ({
  t,
  type: 'RoomCreated',
  roomId,
  ...extra,
});
const released = (t: number, roomId: string, extra: Partial<TraceEvent> = {}): TraceEvent => ({
  t,
  type: 'RoomReleased',
  roomId,
  ...extra,
});
const interval = (roomId: string, weight: number, start: number, end: number, open = false): RoomInterval => ({
  roomId,
  weight,
  start,
  end,
  open,
});

describe('Function: effectiveRooms', () => {
  it.each([
    {
      name: 'a room is created and released',
      events: [created(0, 'a', { weight: 2 }), released(60, 'a')],
      intervals: [interval('a', 2, 0, 60)],
      counts: {},
    },
    {
      name: 'a create is delivered twice with the same id',
      events: [created(0, 'a', { id: 'e1' }), created(5, 'a', { id: 'e1', time: 0 }), released(60, 'a', { id: 'e2' })],
      intervals: [interval('a', 1, 0, 60)],
      counts: { duplicates: 1 },
    },
    {
      name: 'a release is delivered again after the room reconnected',
      events: [
        created(0, 'a', { id: 'e1' }),
        released(100, 'a', { id: 'e2' }),
        created(105, 'a', { id: 'e3' }),
        released(108, 'a', { id: 'e2', time: 100 }),
        created(200, 'b', { id: 'e4' }),
      ],
      intervals: [interval('a', 1, 0, 100), interval('a', 1, 105, 200, true), interval('b', 1, 200, 200, true)],
      counts: { duplicates: 1 },
    },
    {
      name: 'a room is announced (RoomScheduled) before it is created, and a no-show is announced and cancelled',
      events: [
        { t: 0, type: 'RoomScheduled' as const, roomId: 'a', startAt: 60, weight: 3 },
        { t: 10, type: 'RoomScheduled' as const, roomId: 'b', startAt: 90 },
        created(60, 'a', { weight: 3 }),
        released(70, 'b'),
        released(120, 'a'),
      ],
      intervals: [interval('a', 3, 60, 120)],
      counts: { ignoredReleases: 1 },
    },
    {
      name: 'a release is delivered before its create (out of order)',
      events: [released(100, 'a'), created(110, 'a', { time: 50 })],
      intervals: [],
      counts: { staleCreates: 1, ignoredReleases: 1 },
    },
    {
      name: 'a create happened at the same instant as an already seen release',
      events: [released(100, 'a'), created(110, 'a', { time: 100 })],
      intervals: [],
      counts: { staleCreates: 1, ignoredReleases: 1 },
    },
    {
      name: 'a room reconnects after a release',
      events: [created(0, 'a', { weight: 10 }), released(100, 'a'), created(120, 'a', { weight: 10 }), released(300, 'a')],
      intervals: [interval('a', 10, 0, 100), interval('a', 10, 120, 300)],
      counts: {},
    },
    {
      name: 'an unknown room is released and later created',
      events: [released(10, 'a'), created(20, 'a'), released(30, 'a')],
      intervals: [interval('a', 1, 20, 30)],
      counts: { ignoredReleases: 1 },
    },
    {
      name: 'an active room is created again without an id',
      events: [created(0, 'a', { weight: 3 }), created(10, 'a', { weight: 4 }), released(60, 'a')],
      intervals: [interval('a', 3, 0, 60)],
      counts: { repeatedCreates: 1 },
    },
    {
      name: 'a room is still open at the end',
      events: [created(0, 'a'), created(30, 'b'), released(90, 'b')],
      intervals: [interval('a', 1, 0, 90, true), interval('b', 1, 30, 90)],
      counts: {},
    },
    {
      name: 'the events are not in delivery order',
      events: [released(60, 'a'), created(0, 'a')],
      intervals: [interval('a', 1, 0, 60)],
      counts: {},
    },
    {
      name: 'a release carries a weight',
      events: [created(0, 'a', { weight: 2 }), released(60, 'a', { weight: 9 })],
      intervals: [interval('a', 2, 0, 60)],
      counts: {},
    },
  ])('applies the trace rules when $name', ({ events, intervals, counts }) => {
    // Prepare (table)
    // Act
    const result = effectiveRooms(events);

    // Assess
    expect(result.intervals).toEqual(intervals);
    expect({
      duplicates: result.duplicates,
      staleCreates: result.staleCreates,
      repeatedCreates: result.repeatedCreates,
      ignoredReleases: result.ignoredReleases,
    }).toEqual({ duplicates: 0, staleCreates: 0, repeatedCreates: 0, ignoredReleases: 0, ...counts });
  });

  it('returns nothing and times 0 when given no events', () => {
    // Prepare
    const events: TraceEvent[] = [];

    // Act
    const result = effectiveRooms(events);

    // Assess
    expect(result).toEqual({
      intervals: [],
      duplicates: 0,
      staleCreates: 0,
      repeatedCreates: 0,
      ignoredReleases: 0,
      firstT: 0,
      lastT: 0,
    });
  });
});

describe('Function: activeWeightSteps', () => {
  it.each([
    { name: 'no intervals', intervals: [], steps: [] },
    {
      name: 'overlapping intervals',
      intervals: [interval('a', 2, 0, 60), interval('b', 3, 30, 90)],
      steps: [
        { t: 0, weight: 2 },
        { t: 30, weight: 5 },
        { t: 60, weight: 3 },
        { t: 90, weight: 0 },
      ],
    },
    {
      name: 'one room ends when another of the same weight starts',
      intervals: [interval('a', 2, 0, 60), interval('b', 2, 60, 90)],
      steps: [
        { t: 0, weight: 2 },
        { t: 90, weight: 0 },
      ],
    },
    { name: 'a zero-length interval', intervals: [interval('a', 5, 10, 10)], steps: [{ t: 10, weight: 0 }] },
  ])('returns the step function when given $name', ({ intervals, steps }) => {
    // Prepare (table)
    // Act
    const result = activeWeightSteps(intervals);

    // Assess
    expect(result).toEqual(steps);
  });
});

describe('Function: lowerBoundNodeHours', () => {
  it.each([
    { name: 'an empty trace', events: [], capacity: 20, hours: 0 },
    {
      name: 'one room heavier than a node for an hour',
      events: [created(0, 'a', { weight: 25 }), released(3600, 'a')],
      capacity: 20,
      hours: 2,
    },
    {
      // 0–1800 s: 15 → 1 node; 1800–3600 s: 25 → 2 nodes; 3600–5400 s: 10 → 1 node
      name: 'two overlapping rooms',
      events: [created(0, 'a', { weight: 15 }), created(1800, 'b', { weight: 10 }), released(3600, 'a'), released(5400, 'b')],
      capacity: 20,
      hours: 0.5 + 1 + 0.5,
    },
    {
      name: 'a room left open until the last event',
      events: [created(0, 'a', { weight: 5 }), created(7200, 'b')],
      capacity: 20,
      hours: 2,
    },
    {
      name: 'a duplicate create and a stale create',
      events: [
        created(0, 'a', { id: 'e1', weight: 20 }),
        created(10, 'a', { id: 'e1', weight: 20, time: 0 }),
        released(1800, 'b'),
        created(1810, 'b', { time: 1700, weight: 20 }),
        released(3600, 'a', { id: 'e2' }),
      ],
      capacity: 20,
      hours: 1,
    },
    {
      name: 'a gap with no rooms',
      events: [created(0, 'a'), released(1800, 'a'), created(5400, 'b'), released(7200, 'b')],
      capacity: 10,
      hours: 1,
    },
  ])('returns $hours node-hours when given $name', ({ events, capacity, hours }) => {
    // Prepare (table)
    // Act
    const result = lowerBoundNodeHours(events, capacity);

    // Assess
    expect(result).toBeCloseTo(hours, 9);
  });

  it.each([0, -5, Number.NaN])('throws a RangeError when the node capacity is %s', (capacity) => {
    // Prepare
    const events = [created(0, 'a')];

    // Act
    const act = (): number => lowerBoundNodeHours(events, capacity);

    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('Function: peakActiveWeight', () => {
  it.each([
    { name: 'an empty trace', events: [], peak: 0 },
    {
      name: 'two overlapping rooms',
      events: [created(0, 'a', { weight: 15 }), created(1800, 'b', { weight: 10 }), released(3600, 'a')],
      peak: 25,
    },
    {
      name: 'a duplicate create',
      events: [created(0, 'a', { id: 'x', weight: 4 }), created(3, 'a', { id: 'x', weight: 4, time: 0 }), released(60, 'a')],
      peak: 4,
    },
    {
      name: 'a stale create',
      events: [created(0, 'a', { weight: 4 }), released(10, 'b'), created(20, 'b', { weight: 50, time: 5 }), released(60, 'a')],
      peak: 4,
    },
    {
      name: 'a release and a create at the same instant',
      events: [created(0, 'a', { weight: 4 }), released(60, 'a'), created(60, 'b', { weight: 4 }), released(90, 'b')],
      peak: 4,
    },
  ])('returns $peak when given $name', ({ events, peak }) => {
    // Prepare (table)
    // Act
    const result = peakActiveWeight(events);

    // Assess
    expect(result).toBe(peak);
  });
});

describe('Function: static72CostUsd', () => {
  const twoHours = (peakWeight: number): TraceEvent[] => [created(0, 'a', { weight: peakWeight }), released(7200, 'a')];

  it.each([
    { name: 'a small peak (one server)', events: twoHours(25), capacity: 20, servers: 1, hours: 2 },
    { name: 'a peak of exactly one server (9 × 20)', events: twoHours(180), capacity: 20, servers: 1, hours: 2 },
    { name: 'a peak just above one server', events: twoHours(181), capacity: 20, servers: 2, hours: 2 },
    { name: 'a peak of five servers', events: twoHours(5 * 9 * 10), capacity: 10, servers: 5, hours: 2 },
    { name: 'a trace that starts later', events: [created(3600, 'a'), released(5400, 'a')], capacity: 20, servers: 1, hours: 0.5 },
    { name: 'a single event', events: [created(0, 'a')], capacity: 20, servers: 1, hours: 0 },
  ])('costs hours × 3.492 × servers when given $name', ({ events, capacity, servers, hours }) => {
    // Prepare (table)
    // Act
    const cost = static72CostUsd(events, capacity);

    // Assess
    expect(cost).toBeCloseTo(hours * STATIC_72_VCPU_PRICE_USD_PER_HOUR * servers, 9);
  });

  it('uses the given price per hour when one is passed', () => {
    // Prepare
    const events = twoHours(10);

    // Act
    const cost = static72CostUsd(events, 20, 5);

    // Assess
    expect(cost).toBeCloseTo(10, 9);
  });

  it('throws a RangeError when the node capacity is not positive', () => {
    // Prepare
    const events = twoHours(10);

    // Act
    const act = (): number => static72CostUsd(events, 0);

    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('Function: dailyStats', () => {
  it('counts events, placements and the peak per day, carrying rooms over midnight', () => {
    // Prepare
    const day = 86_400;
    const events = [
      created(100, 'a', { weight: 3, id: 'e1' }),
      created(105, 'a', { weight: 3, id: 'e1', time: 100 }),
      created(200, 'b', { weight: 2 }),
      released(300, 'b'),
      created(day + 50, 'c', { weight: 1 }),
      released(day + 60, 'c'),
      released(2 * day + 10, 'a'),
    ];

    // Act
    const stats = dailyStats(events);

    // Assess
    expect(stats).toEqual([
      { day: 0, events: 4, rooms: 2, peakWeight: 5 },
      { day: 1, events: 2, rooms: 1, peakWeight: 4 },
      { day: 2, events: 1, rooms: 0, peakWeight: 3 },
    ]);
  });

  it('returns no days when given no events', () => {
    // Prepare
    const events: TraceEvent[] = [];

    // Act
    const stats = dailyStats(events);

    // Assess
    expect(stats).toEqual([]);
  });
});
