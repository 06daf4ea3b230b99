import { describe, expect, it } from 'vitest';
import {
  BUSINESS_CALL_MEAN_MIN,
  LATE_START_MEAN_MIN,
  LATE_START_SHARE,
  PERSONAL_CALL_MEAN_MIN,
} from '../../../sim/trace/demand.ts';
import { generateRooms, generateTrace, type GeneratedRoom, type GenerateTraceOptions } from '../../../sim/trace/generator.ts';
import { sortByDelivery, TRACE_DAY_SEC, TraceEventSchema } from '../../../sim/trace/model.ts';
import { dailyStats, effectiveRooms } from '../../../sim/trace/stats.ts';

// One week, generated once: the committed sample's options.
const WEEK_ROOMS = generateRooms({ seed: 42 });
const WEEK = generateTrace({ seed: 42 });
const HOUR = 3600;

const meanMinutes = (rooms: readonly GeneratedRoom[]): number =>
  rooms.reduce((s, r) => s + (r.end - r.start), 0) / rooms.length / 60;
const ofKind = (...kinds: GeneratedRoom['kind'][]): GeneratedRoom[] =>
  WEEK_ROOMS.filter((r) => kinds.includes(r.kind) && r.createDelayedSec === undefined);

describe('Function: generateRooms', () => {
  it('gives about 42% of scheduled meetings a 60-minute length when generating a week', () => {
    // Prepare
    const scheduled = ofKind('scheduled');

    // Act
    const share = scheduled.filter((r) => r.scheduledMin === 60).length / scheduled.length;

    // Assess
    expect(scheduled.length).toBeGreaterThan(3_000);
    expect(share).toBeGreaterThan(0.39);
    expect(share).toBeLessThan(0.45);
  });

  it('starts scheduled meetings on :00 or :30 and about 26% of them late by 9 min on average', () => {
    // Prepare
    const scheduled = ofKind('scheduled');

    // Act
    const slotsOnGrid = scheduled.every((r) => (r.scheduledStart ?? -1) % 1800 === 0);
    const late = scheduled.filter((r) => r.start - (r.scheduledStart ?? 0) > 30);
    const lateShare = late.length / scheduled.length;
    const lateMeanMin = late.reduce((s, r) => s + r.start - (r.scheduledStart ?? 0), 0) / late.length / 60;

    // Assess
    expect(slotsOnGrid).toBe(true);
    expect(lateShare).toBeGreaterThan(LATE_START_SHARE - 0.04);
    expect(lateShare).toBeLessThan(LATE_START_SHARE + 0.02);
    expect(lateMeanMin).toBeGreaterThan(LATE_START_MEAN_MIN - 1.5);
    expect(lateMeanMin).toBeLessThan(LATE_START_MEAN_MIN + 1);
  });

  it('clusters meeting starts just around :00 and :30 when generating a week', () => {
    // Prepare
    const meetings = ofKind('scheduled', 'adhoc', 'personal');

    // Act: starts within [−2 min, +1 min) of a half hour; uniform starts would give 10%
    const nearSlot = meetings.filter((r) => (r.start + 120) % 1800 < 180).length / meetings.length;

    // Assess
    expect(nearSlot).toBeGreaterThan(0.25);
  });

  it.each([
    { kinds: ['scheduled', 'adhoc'] as const, mean: BUSINESS_CALL_MEAN_MIN, tolerance: 2 },
    { kinds: ['personal'] as const, mean: PERSONAL_CALL_MEAN_MIN, tolerance: 4 },
  ])('averages about $mean min for $kinds calls when generating a week', ({ kinds, mean, tolerance }) => {
    // Prepare
    const rooms = ofKind(...kinds);

    // Act
    const observed = meanMinutes(rooms);

    // Assess
    expect(Math.abs(observed - mean)).toBeLessThan(tolerance);
  });

  it('starts most business calls between 12:00 and 13:00 on weekdays', () => {
    // Prepare
    const perHour = new Array<number>(24).fill(0);

    // Act
    for (const r of ofKind('scheduled', 'adhoc')) {
      if (Math.floor(r.start / TRACE_DAY_SEC) % 7 < 5) perHour[Math.floor((r.start % TRACE_DAY_SEC) / HOUR)]! += 1;
    }

    // Assess
    expect(perHour.indexOf(Math.max(...perHour))).toBe(12);
    expect(perHour[3]! * 20).toBeLessThan(perHour[12]!);
  });

  it('creates far more meetings on weekdays than at weekends when generating a week', () => {
    // Prepare
    const perDay = new Array<number>(7).fill(0);

    // Act
    for (const r of ofKind('scheduled', 'adhoc', 'personal')) perDay[Math.floor(r.start / TRACE_DAY_SEC)]! += 1;

    // Assess
    const weekdayMin = Math.min(...perDay.slice(0, 5));
    const weekendMax = Math.max(...perDay.slice(5));
    expect(weekdayMin).toBeGreaterThan(3 * weekendMax);
  });

  it('drops demand by about 99% on a holiday', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 5, days: 3, holidays: [1], flashCrowds: [], surveillanceTenants: [] };

    // Act
    const rooms = generateRooms(options);
    const perDay = [0, 1, 2].map((d) => rooms.filter((r) => Math.floor(r.start / TRACE_DAY_SEC) === d).length);

    // Assess
    expect(perDay[1]!).toBeLessThan(perDay[2]! * 0.03);
    expect(perDay[2]!).toBeGreaterThan(1_000);
  });

  it('brings the webinar crowd of hundreds of rooms within two minutes on Monday afternoon by default', () => {
    // Prepare
    const webinar = ofKind('webinar');

    // Act
    const starts = webinar.map((r) => r.start);

    // Assess
    expect(webinar).toHaveLength(300);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(15 * HOUR);
    expect(Math.max(...starts)).toBeLessThanOrEqual(15 * HOUR + 120);
    expect(new Set(webinar.map((r) => r.roomId)).size).toBe(300);
  });

  it('reconnects surveillance houses with the same room id after each drop, never overlapping', () => {
    // Prepare
    const byRoom = new Map<string, GeneratedRoom[]>();
    for (const r of ofKind('surveillance')) byRoom.set(r.roomId, [...(byRoom.get(r.roomId) ?? []), r]);

    // Act
    const gaps = [...byRoom.values()].flatMap((sessions) =>
      sessions.slice(1).map((s, i) => s.start - sessions[i]!.end),
    );

    // Assess
    expect(byRoom.size).toBe(11);
    expect(gaps.length).toBeGreaterThan(50);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5);
    expect(ofKind('surveillance').filter((r) => r.roomId.startsWith('cctv-a.')).every((r) => r.weight === 10)).toBe(true);
  });

  it.each([
    { name: 'a fractional seed', options: { seed: 1.5 }, message: /seed/ },
    { name: 'zero days', options: { seed: 1, days: 0 }, message: /days/ },
    { name: 'a negative peak', options: { seed: 1, peakConcurrent: -1 }, message: /peakConcurrent/ },
    { name: 'a duplicate rate above 1', options: { seed: 1, duplicateRate: 2 }, message: /duplicateRate/ },
    { name: 'a negative out-of-order rate', options: { seed: 1, outOfOrderRate: -0.1 }, message: /outOfOrderRate/ },
    {
      name: 'a flash crowd at 25:00',
      options: { seed: 1, flashCrowds: [{ day: 0, startSecOfDay: 25 * HOUR, rooms: 10 }] },
      message: /flashCrowds\[0\]\.startSecOfDay/,
    },
    {
      name: 'a tenant id with a space',
      options: { seed: 1, surveillanceTenants: [{ tenantId: 'a b', houses: 1, weight: 1 }] },
      message: /surveillanceTenants\[0\]\.tenantId/,
    },
  ])('throws a RangeError naming the option when given $name', ({ options, message }) => {
    // Prepare (table)
    // Act
    const act = (): unknown => generateRooms(options as GenerateTraceOptions);

    // Assess
    expect(act).toThrow(RangeError);
    expect(act).toThrow(message);
  });
});

describe('Function: generateTrace', () => {
  it('returns the same trace when given the same seed', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 11, days: 2 };

    // Act
    const first = generateTrace(options);
    const second = generateTrace(options);

    // Assess
    expect(second).toEqual(first);
  });

  it('returns a different trace when given a different seed', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 11, days: 1 };

    // Act
    const a = generateTrace(options);
    const b = generateTrace({ ...options, seed: 12 });

    // Assess
    expect(b).not.toEqual(a);
  });

  it('returns valid events sorted by t within the horizon', () => {
    // Prepare
    const horizon = 7 * TRACE_DAY_SEC;

    // Act
    const invalid = WEEK.filter((e) => !TraceEventSchema.safeParse(e).success);

    // Assess
    expect(invalid).toEqual([]);
    expect(sortByDelivery(WEEK)).toEqual(WEEK);
    expect(WEEK[0]!.t).toBeGreaterThanOrEqual(0);
    expect(WEEK[WEEK.length - 1]!.t).toBeLessThan(horizon);
  });

  it('delivers a few duplicates with the same id, type, room and time a few seconds later', () => {
    // Prepare
    const byId = new Map<string, (typeof WEEK)[number][]>();
    for (const e of WEEK) byId.set(e.id!, [...(byId.get(e.id!) ?? []), e]);

    // Act
    const duplicated = [...byId.values()].filter((list) => list.length > 1);

    // Assess
    expect(WEEK.every((e) => e.id !== undefined)).toBe(true);
    expect(duplicated.length).toBeGreaterThan(50);
    expect(duplicated.length).toBeLessThan(WEEK.length * 0.01);
    for (const [first, second, ...rest] of duplicated) {
      expect(rest).toEqual([]);
      expect({ type: second!.type, roomId: second!.roomId, time: second!.time }).toEqual({
        type: first!.type,
        roomId: first!.roomId,
        time: first!.time ?? first!.t,
      });
      expect(second!.t - first!.t).toBeGreaterThanOrEqual(1);
      expect(second!.t - first!.t).toBeLessThanOrEqual(10);
    }
  });

  it('includes a few out-of-order pairs whose creates are stale', () => {
    // Prepare
    const delayedCreates = WEEK.filter((e) => e.type === 'RoomCreated' && e.time !== undefined && e.time < e.t);

    // Act
    const { staleCreates } = effectiveRooms(WEEK);

    // Assess
    expect(staleCreates).toBeGreaterThanOrEqual(3);
    expect(staleCreates).toBeLessThan(50);
    expect(delayedCreates.length).toBeGreaterThanOrEqual(staleCreates);
  });

  it.each([42, 7])('peaks at roughly 200–400 on weekdays and far lower at weekends when given seed %i', (seed) => {
    // Prepare
    const events = seed === 42 ? WEEK : generateTrace({ seed, flashCrowds: [] });

    // Act
    const days = dailyStats(events);

    // Assess
    expect(days).toHaveLength(7);
    for (const day of days.slice(1, 5)) {
      expect(day.peakWeight).toBeGreaterThan(200);
      expect(day.peakWeight).toBeLessThan(400);
    }
    for (const day of days.slice(5)) expect(day.peakWeight).toBeLessThan(days[2]!.peakWeight / 2);
  });

  it('scales the weekday peak with peakConcurrent', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 3, days: 2, flashCrowds: [], surveillanceTenants: [] };

    // Act
    const small = dailyStats(generateTrace({ ...options, peakConcurrent: 50 }))[1]!.peakWeight;
    const large = dailyStats(generateTrace({ ...options, peakConcurrent: 500 }))[1]!.peakWeight;

    // Assess
    expect(small).toBeGreaterThan(40);
    expect(small).toBeLessThan(100);
    expect(large).toBeGreaterThan(8 * small);
  });

  it('includes the Monday webinar crowd when generating one day', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 42, days: 1 };

    // Act
    const day = generateTrace(options);

    // Assess
    const webinarCreates = day.filter((e) => e.type === 'RoomCreated' && e.roomId.startsWith('webinar.'));
    expect(webinarCreates.length).toBeGreaterThanOrEqual(300);
    expect(dailyStats(day)[0]!.peakWeight).toBeGreaterThan(500);
  });

  it('emits no duplicates and no delayed events when both rates are 0', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 9, days: 1, duplicateRate: 0, outOfOrderRate: 0 };

    // Act
    const events = generateTrace(options);

    // Assess
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.filter((e) => e.time !== undefined)).toEqual([]);
    expect(effectiveRooms(events).staleCreates).toBe(0);
  });
});
