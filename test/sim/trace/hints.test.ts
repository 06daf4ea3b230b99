import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { busEvent } from '../../../sim/adapters/local-event-bus.ts';
import { traceTimeMs } from '../../../sim/runtime/event-loop.ts';
import { traceEventDetail } from '../../../sim/runtime/trace-events.ts';
import { formatTraceText, parseTraceText } from '../../../sim/trace/file.ts';
import { generateRooms, generateTrace, type GenerateTraceOptions } from '../../../sim/trace/generator.ts';
import {
  CANCELLED_NO_SHOW_SHARE,
  NO_SHOW_ROOM_PREFIX,
  NO_SHOW_SHARE,
  sampleBookingLeadSec,
  stripHints,
  WEBINAR_LEAD_MIN,
  WRONG_HINT_SHARE,
} from '../../../sim/trace/hints.ts';
import { TRACE_DAY_SEC, TraceEventSchema, type TraceEvent } from '../../../sim/trace/model.ts';
import { effectiveRooms } from '../../../sim/trace/stats.ts';
import { seededRandom } from '../../../sim/random.ts';
import { parseRoomEvent } from '../../../shared/events/parse.ts';

/** sha256 of samples/week.jsonl as committed before hints existed (commit 18a7e9d, 43,255 lines). */
const PRE_HINT_WEEK_SHA256 = '3ae5a1fb61dabfa73664487804a5bdab0fb8766efd46aea86b663d78dd3ba784';
const SAMPLE = new URL('../../../samples/week.jsonl', import.meta.url);

// The committed sample's options (samples/README.md), generated once.
const WEEK_OPTIONS: GenerateTraceOptions = { seed: 42, days: 7 };
const WEEK_ROOMS = generateRooms(WEEK_OPTIONS);
const WEEK = generateTrace({ ...WEEK_OPTIONS, hints: true });

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const ofType = (events: readonly TraceEvent[], type: TraceEvent['type']): TraceEvent[] => events.filter((e) => e.type === type);
/** First delivery of each room's RoomCreated / RoomScheduled, by room id. */
function firstOf(events: readonly TraceEvent[], type: TraceEvent['type']): Map<string, TraceEvent> {
  const first = new Map<string, TraceEvent>();
  for (const e of ofType(events, type)) if (!first.has(e.roomId)) first.set(e.roomId, e);
  return first;
}

describe('Function: generateTrace with hints', () => {
  it('gives the pre-hint trace byte for byte when the hints are stripped or turned off', () => {
    // Act
    const stripped = sha256(formatTraceText(stripHints(WEEK)));
    const off = sha256(formatTraceText(generateTrace(WEEK_OPTIONS)));

    // Assess
    expect(stripped).toBe(PRE_HINT_WEEK_SHA256);
    expect(off).toBe(PRE_HINT_WEEK_SHA256);
  });

  it('keeps the sessions when the hint shares change (hints draw from their own stream)', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 9, days: 2, peakConcurrent: 80 };

    // Act
    const plain = formatTraceText(generateTrace(options));
    const defaults = generateTrace({ ...options, hints: true });
    const other = generateTrace({ ...options, hints: { wrongHintShare: 0.5, noShowShare: 0.2, cancelledNoShowShare: 1 } });

    // Assess
    expect(formatTraceText(stripHints(defaults))).toBe(plain);
    expect(formatTraceText(stripHints(other))).toBe(plain);
    expect(formatTraceText(other)).not.toBe(formatTraceText(defaults));
  });

  it('returns the same trace when given the same options', () => {
    // Prepare
    const options: GenerateTraceOptions = { seed: 3, days: 1, hints: true };

    // Act
    const first = formatTraceText(generateTrace(options));
    const second = formatTraceText(generateTrace(options));

    // Assess
    expect(second).toBe(first);
  });

  it('writes only lines the trace schema and the event schemas accept', () => {
    // Prepare
    const lines = formatTraceText(WEEK);

    // Act
    const parsed = parseTraceText(lines);
    const refused: string[] = [];
    for (const e of WEEK) {
      if (e.type === 'RoomReleased') continue;
      const event = busEvent('app.rooms', e.type, traceEventDetail(e), traceTimeMs(e.time ?? e.t), { id: e.id });
      try {
        parseRoomEvent(event);
      } catch (error) {
        refused.push(`${e.id}: ${(error as Error).message}`);
      }
    }

    // Assess
    expect(parsed.errors).toEqual([]);
    expect(parsed.events).toHaveLength(WEEK.length);
    expect(WEEK.every((e) => TraceEventSchema.safeParse(e).success)).toBe(true);
    expect(refused).toEqual([]);
  });

  it('labels every RoomCreated with its kind and gives durations to meetings and webinars only', () => {
    // Prepare
    const kindOf = new Map(WEEK_ROOMS.map((r) => [r.roomId, r.kind]));
    const expectedKind = { scheduled: 'meeting', webinar: 'webinar', surveillance: 'camera', adhoc: 'call', personal: 'call' } as const;

    // Act
    const creates = ofType(WEEK, 'RoomCreated');
    const wrongKind = creates.filter((e) => e.kind !== expectedKind[kindOf.get(e.roomId) ?? 'adhoc']);
    const withDuration = new Set(creates.filter((e) => e.expectedDurationMs !== undefined).map((e) => e.kind));

    // Assess
    expect(creates.length).toBeGreaterThan(20_000);
    expect(wrongKind).toEqual([]);
    expect([...withDuration].sort()).toEqual(['meeting', 'webinar']);
  });

  it(`gives about ${WRONG_HINT_SHARE * 100}% of meetings a wrong booked length and the rest the booked one`, () => {
    // Prepare
    const creates = firstOf(WEEK, 'RoomCreated');
    const meetings = WEEK_ROOMS.filter((r) => r.kind === 'scheduled');

    // Act
    const wrong = meetings.filter((r) => creates.get(r.roomId)?.expectedDurationMs !== (r.scheduledMin ?? 0) * 60_000);
    const standard = wrong.every((r) => [15, 30, 60, 90, 120].includes((creates.get(r.roomId)?.expectedDurationMs ?? 0) / 60_000));

    // Assess
    expect(meetings.length).toBeGreaterThan(4_000);
    expect(wrong.length / meetings.length).toBeGreaterThan(WRONG_HINT_SHARE - 0.015);
    expect(wrong.length / meetings.length).toBeLessThan(WRONG_HINT_SHARE + 0.015);
    expect(standard).toBe(true);
  });

  it('announces each meeting before it starts, at its slot, with the hint and weight its RoomCreated carries', () => {
    // Prepare
    const creates = firstOf(WEEK, 'RoomCreated');
    const scheduled = firstOf(WEEK, 'RoomScheduled');
    const meetings = WEEK_ROOMS.filter((r) => r.kind === 'scheduled');

    // Act
    const announced = meetings.filter((r) => scheduled.has(r.roomId));
    const mismatched = announced.filter((r) => {
      const s = scheduled.get(r.roomId) as TraceEvent;
      const c = creates.get(r.roomId) as TraceEvent;
      return !(
        s.t < c.t &&
        s.startAt === r.scheduledStart &&
        s.expectedDurationMs === c.expectedDurationMs &&
        (s.weight ?? 1) === (c.weight ?? 1) &&
        s.kind === 'meeting'
      );
    });

    // Assess: only meetings booked too close to t = 0 go unannounced.
    expect(mismatched).toEqual([]);
    expect(announced.length / meetings.length).toBeGreaterThan(0.99);
    expect(meetings.filter((r) => !scheduled.has(r.roomId)).every((r) => r.start < 3600)).toBe(true);
  });

  it('never announces a room before t = 0, after its create or more than 7 days ahead', () => {
    // Prepare
    const creates = firstOf(WEEK, 'RoomCreated');

    // Act
    const bad = ofType(WEEK, 'RoomScheduled').filter((s) => {
      const c = creates.get(s.roomId);
      const startAt = s.startAt ?? -1;
      return s.t < 0 || startAt < s.t || startAt - s.t > 7 * TRACE_DAY_SEC || (c !== undefined && c.t <= s.t);
    });

    // Assess
    expect(bad).toEqual([]);
  });

  it(`makes about ${NO_SHOW_SHARE * 100}% of bookings no-shows that are never created, ${CANCELLED_NO_SHOW_SHARE * 100}% of them cancelled before the slot`, () => {
    // Prepare
    const scheduled = firstOf(WEEK, 'RoomScheduled');
    const bookings = [...scheduled.values()].filter((s) => s.roomId.startsWith(NO_SHOW_ROOM_PREFIX));
    const meetings = [...scheduled.values()].filter((s) => s.kind === 'meeting');

    // Act
    const created = ofType(WEEK, 'RoomCreated').filter((e) => e.roomId.startsWith(NO_SHOW_ROOM_PREFIX));
    const cancels = ofType(WEEK, 'RoomReleased').filter((e) => e.roomId.startsWith(NO_SHOW_ROOM_PREFIX));
    const lateCancels = cancels.filter((e) => {
      const s = scheduled.get(e.roomId);
      return s === undefined || e.t <= s.t || e.t >= (s.startAt ?? 0);
    });

    // Assess
    expect(created).toEqual([]);
    expect(bookings.length / meetings.length).toBeGreaterThan(NO_SHOW_SHARE - 0.01);
    expect(bookings.length / meetings.length).toBeLessThan(NO_SHOW_SHARE + 0.01);
    expect(cancels.length / bookings.length).toBeGreaterThan(CANCELLED_NO_SHOW_SHARE - 0.08);
    expect(cancels.length / bookings.length).toBeLessThan(CANCELLED_NO_SHOW_SHARE + 0.08);
    expect(lateCancels).toEqual([]);
    expect(effectiveRooms(WEEK).intervals.some((i) => i.roomId.startsWith(NO_SHOW_ROOM_PREFIX))).toBe(false);
  });

  it(`announces every webinar room ${WEBINAR_LEAD_MIN.min}–${WEBINAR_LEAD_MIN.max} min before the webinar starts`, () => {
    // Prepare
    const start = 15 * 3600;

    // Act
    const webinar = ofType(WEEK, 'RoomScheduled').filter((e) => e.kind === 'webinar');
    const leadsMin = webinar.map((e) => ((e.startAt ?? 0) - e.t) / 60);

    // Assess
    expect(webinar).toHaveLength(300);
    expect(webinar.every((e) => e.startAt === start && e.expectedDurationMs === 3_600_000)).toBe(true);
    expect(Math.min(...leadsMin)).toBeGreaterThanOrEqual(WEBINAR_LEAD_MIN.min);
    expect(Math.max(...leadsMin)).toBeLessThanOrEqual(WEBINAR_LEAD_MIN.max);
  });

  it('keeps camera rooms and calls unannounced', () => {
    // Act
    const kinds = new Set(ofType(WEEK, 'RoomScheduled').map((e) => e.kind));

    // Assess
    expect([...kinds].sort()).toEqual(['meeting', 'webinar']);
  });

  it('throws a RangeError naming the share when a hint share is out of range', () => {
    // Act
    const act = (): unknown => generateTrace({ seed: 1, days: 1, hints: { noShowShare: 1 } });
    const negative = (): unknown => generateTrace({ seed: 1, days: 1, hints: { wrongHintShare: -0.1 } });

    // Assess
    expect(act).toThrow(/hints\.noShowShare/);
    expect(negative).toThrow(/hints\.wrongHintShare/);
  });
});

describe('Function: sampleBookingLeadSec', () => {
  it('books 15% minutes ahead, 45% hours ahead and 40% days ahead', () => {
    // Prepare
    const random = seededRandom(5);
    const n = 20_000;

    // Act
    const leads = Array.from({ length: n }, () => sampleBookingLeadSec(random));
    const share = (lo: number, hi: number): number => leads.filter((l) => l >= lo && l <= hi).length / n;

    // Assess
    expect(share(300, 1800)).toBeCloseTo(0.15, 1);
    expect(share(3600, 86_400)).toBeCloseTo(0.45, 1);
    expect(share(86_400, 7 * 86_400)).toBeCloseTo(0.4, 1);
    expect(Math.min(...leads)).toBeGreaterThanOrEqual(300);
    expect(Math.max(...leads)).toBeLessThanOrEqual(7 * 86_400);
  });
});

describe('File: samples/week.jsonl (hints)', () => {
  it('gives the pre-hint sample byte for byte when its hints are stripped', async () => {
    // Prepare
    const text = await readFile(SAMPLE, 'utf8');

    // Act
    const { events, errors } = parseTraceText(text);
    const stripped = formatTraceText(stripHints(events.map(({ line: _line, ...e }) => e)));

    // Assess
    expect(errors).toEqual([]);
    expect(sha256(stripped)).toBe(PRE_HINT_WEEK_SHA256);
  });
});
