/**
 * A seeded, deterministic generator of realistic room demand for simulations: room sessions
 * (`generateRooms`) from the demand model (`demand.ts`), turned into delivered trace events
 * (`roomsToEvents`, `generateTrace`) with a few duplicate deliveries and out-of-order pairs.
 *
 * @module
 */
import { exponential, poisson, seededRandom, uniform, type RandomSource } from '../random.ts';
import {
  AD_HOC_CALL_MEAN_MIN,
  AD_HOC_SIGMA,
  BUSINESS_DAY_FACTORS,
  BUSINESS_HOUR_PROFILE,
  callLengthSec,
  expectedPeakPerUnitRate,
  HOLIDAY_DEMAND_FACTOR,
  PERSONAL_CALL_MEAN_MIN,
  PERSONAL_DAY_FACTORS,
  PERSONAL_HOUR_PROFILE,
  PERSONAL_RATE_RATIO,
  PERSONAL_SIGMA,
  sampleRoomWeight,
  sampleScheduledLengthMin,
  SCHEDULED_SHARE,
  scheduledMeeting,
  SLOT_FACTORS,
} from './demand.ts';
import { planHints, resolveHintOptions, type RoomHint, type TraceHintOptions } from './hints.ts';
import { eventTime, sortByDelivery, TRACE_DAY_SEC, TRACE_ROOM_ID_PATTERN, type TraceEvent } from './model.ts';

// ---------------------------------------------------------------------------------------------
// Generator options
// ---------------------------------------------------------------------------------------------

/** A webinar flash crowd: many rooms joining within a minute or two. */
export interface FlashCrowdOptions {
  /** Day of the trace, 0-based (0 = the first Monday). */
  readonly day: number;
  /** When the crowd starts joining, s after that day's local midnight. */
  readonly startSecOfDay: number;
  /** Rooms that join. */
  readonly rooms: number;
  /** Window over which they join, s. @default 120 */
  readonly rampSec?: number;
  /** Webinar length, min; most rooms leave within minutes of its end. @default 60 */
  readonly durationMin?: number;
  /** Weight of each room, capacity units. @default 1 */
  readonly weight?: number;
  /** Tenant id. @default 'webinar' */
  readonly tenantId?: string;
}

/** A surveillance-style tenant: long-lived rooms (one per house) that drop and reconnect. */
export interface SurveillanceTenantOptions {
  /** Tenant id, also the room id prefix (`<tenantId>.house-<n>`). */
  readonly tenantId: string;
  /** Houses, i.e. rooms, each its own container. */
  readonly houses: number;
  /** Weight of each room, capacity units (e.g. 10 = a whole container). */
  readonly weight: number;
  /** Mean time between drops, h (exponential). @default 6 */
  readonly meanUptimeHours?: number;
  /** Mean reconnect delay after a drop, s (5 s + exponential). @default 20 */
  readonly meanReconnectSec?: number;
}

/** Options of `generateTrace`. */
export interface GenerateTraceOptions {
  /** Seed; the same options give the same trace. */
  readonly seed: number;
  /** Trace length, days; t = 0 is Monday 00:00 local time. @default 7 */
  readonly days?: number;
  /**
   * Target peak of concurrent meeting rooms on the busiest weekday (Tuesday), not counting
   * surveillance tenants and flash crowds. Realised peaks vary by weekday and by chance.
   * @default 250
   */
  readonly peakConcurrent?: number;
  /** Days (0-based) that are holidays: demand × 0.01. @default [] */
  readonly holidays?: readonly number[];
  /** Webinar flash crowds. @default DEFAULT_FLASH_CROWDS (300 rooms, Monday 15:00) */
  readonly flashCrowds?: readonly FlashCrowdOptions[];
  /** Surveillance tenants. @default DEFAULT_SURVEILLANCE_TENANTS */
  readonly surveillanceTenants?: readonly SurveillanceTenantOptions[];
  /** Share of events delivered twice (same `id`, 1–10 s later), 0–1. @default 0.005 */
  readonly duplicateRate?: number;
  /**
   * Share of meeting rooms turned into out-of-order pairs: a short room whose `RoomCreated` is
   * delivered after its `RoomReleased` (so it is stale), 0–1. @default 0.001
   */
  readonly outOfOrderRate?: number;
  /**
   * Lifetime hints (sim/trace/hints.ts): `kind` on every `RoomCreated`, `expectedDurationMs` on
   * meetings and webinars, `RoomScheduled` announcements, no-show bookings. Drawn from their own
   * random stream: the sessions and their events are the same as without hints. `true` uses the
   * default shares. @default false (the CLI's `generate-trace` turns them on; `--no-hints` off)
   */
  readonly hints?: boolean | TraceHintOptions;
}

/** One webinar of 300 rooms joining within 2 min on the first Monday at 15:00, lasting 60 min. */
export const DEFAULT_FLASH_CROWDS: readonly FlashCrowdOptions[] = [
  { day: 0, startSecOfDay: 15 * 3600, rooms: 300, rampSec: 120, durationMin: 60 },
];

/**
 * Two surveillance tenants: 3 houses that each fill a container (weight 10) and 8 houses of
 * weight 2.
 */
export const DEFAULT_SURVEILLANCE_TENANTS: readonly SurveillanceTenantOptions[] = [
  { tenantId: 'cctv-a', houses: 3, weight: 10 },
  { tenantId: 'cctv-b', houses: 8, weight: 2 },
];

/** Default target weekday peak of concurrent meeting rooms. */
export const DEFAULT_PEAK_CONCURRENT = 250;

// ---------------------------------------------------------------------------------------------
// Rooms
// ---------------------------------------------------------------------------------------------

/** What kind of demand a generated room models. */
export type GeneratedRoomKind = 'scheduled' | 'adhoc' | 'personal' | 'webinar' | 'surveillance';

/** One room session as generated, before it is turned into events. Times are s from t = 0. */
export interface GeneratedRoom {
  readonly roomId: string;
  readonly kind: GeneratedRoomKind;
  /** Capacity units. */
  readonly weight: number;
  /** When the room is created (the event's `time`), s. */
  readonly start: number;
  /** When it is released, s; at or after the trace end means no `RoomReleased` is emitted. */
  readonly end: number;
  /** Scheduled length, min (scheduled meetings: the booked length; webinars: the webinar's). */
  readonly scheduledMin?: number;
  /** Scheduled start, s (scheduled meetings: the :00 or :30 slot; webinars: the webinar's start). */
  readonly scheduledStart?: number;
  readonly tenantId?: string;
  /**
   * Set on out-of-order pairs: the `RoomCreated` is delivered this many seconds after the
   * `RoomReleased` (so it is stale and never placed).
   */
  readonly createDelayedSec?: number;
  /** Lifetime hint its `RoomCreated` carries (`kind`, `expectedDurationMs`), when hints are on. */
  readonly hint?: RoomHint;
}

/** Random stream ids, so that changing one option does not reshuffle unrelated demand. */
const STREAM = { meetings: 1, flash: 2, surveillance: 3, outOfOrder: 4, duplicates: 5, hints: 6 } as const;

/** Validate options and fill defaults. @throws {RangeError} naming the offending option. */
function resolveOptions(options: GenerateTraceOptions): Required<GenerateTraceOptions> {
  const resolved: Required<GenerateTraceOptions> = {
    seed: options.seed,
    days: options.days ?? 7,
    peakConcurrent: options.peakConcurrent ?? DEFAULT_PEAK_CONCURRENT,
    holidays: options.holidays ?? [],
    flashCrowds: options.flashCrowds ?? DEFAULT_FLASH_CROWDS,
    surveillanceTenants: options.surveillanceTenants ?? DEFAULT_SURVEILLANCE_TENANTS,
    duplicateRate: options.duplicateRate ?? 0.005,
    outOfOrderRate: options.outOfOrderRate ?? 0.001,
    hints: options.hints ?? false,
  };
  if (resolved.hints !== false) resolveHintOptions(resolved.hints === true ? {} : resolved.hints);
  const fail = (message: string): never => {
    throw new RangeError(`generateTrace: ${message}`);
  };
  if (!Number.isSafeInteger(resolved.seed)) fail('seed must be a safe integer');
  if (!Number.isInteger(resolved.days) || resolved.days < 1 || resolved.days > 366) fail('days must be an integer 1–366');
  if (!(resolved.peakConcurrent >= 0 && resolved.peakConcurrent <= 1_000_000)) fail('peakConcurrent must be 0–1000000');
  for (const rate of ['duplicateRate', 'outOfOrderRate'] as const) {
    if (!(resolved[rate] >= 0 && resolved[rate] <= 1)) fail(`${rate} must be between 0 and 1`);
  }
  for (const [i, crowd] of resolved.flashCrowds.entries()) {
    if (!Number.isInteger(crowd.day) || crowd.day < 0) fail(`flashCrowds[${i}].day must be an integer ≥ 0`);
    if (!(crowd.startSecOfDay >= 0 && crowd.startSecOfDay < TRACE_DAY_SEC)) fail(`flashCrowds[${i}].startSecOfDay must be 0–86399`);
    if (!Number.isInteger(crowd.rooms) || crowd.rooms < 0) fail(`flashCrowds[${i}].rooms must be an integer ≥ 0`);
    if (crowd.weight !== undefined && (!Number.isInteger(crowd.weight) || crowd.weight < 1)) fail(`flashCrowds[${i}].weight must be an integer ≥ 1`);
  }
  for (const [i, tenant] of resolved.surveillanceTenants.entries()) {
    if (!TRACE_ROOM_ID_PATTERN.test(`${tenant.tenantId}.house-0`)) fail(`surveillanceTenants[${i}].tenantId must be [A-Za-z0-9._:-]`);
    if (!Number.isInteger(tenant.houses) || tenant.houses < 0) fail(`surveillanceTenants[${i}].houses must be an integer ≥ 0`);
    if (!Number.isInteger(tenant.weight) || tenant.weight < 1) fail(`surveillanceTenants[${i}].weight must be an integer ≥ 1`);
  }
  return resolved;
}

/**
 * Generate the room sessions of a trace (what `generateTrace` turns into events), sorted by
 * start time. Meeting rooms (`scheduled`, `adhoc`, `personal`) are named `room-<n>` in start
 * order; `webinar` rooms `<tenantId>.d<day>-<n>`; `surveillance` rooms `<tenantId>.house-<n>`
 * (one room id, many sessions: each drop is followed by a reconnect with the same id).
 *
 * Model: business call starts follow `BUSINESS_HOUR_PROFILE × BUSINESS_DAY_FACTORS`; a share
 * `SCHEDULED_SHARE` are scheduled meetings on :00 / :30 slots (lengths from inspace.app,
 * 26% late by 9 min on average per authorea; 30% end early, 15% overrun), the rest ad-hoc calls
 * (lognormal, mean 15 min); personal calls (lognormal, mean 51 min, meetstream.ai) follow
 * `PERSONAL_HOUR_PROFILE × PERSONAL_DAY_FACTORS`. Rates are calibrated analytically so that the
 * expected peak of concurrent meeting rooms on the busiest weekday is `peakConcurrent`.
 *
 * @throws {RangeError} when an option is out of range (the message names it)
 * @example
 * const rooms = generateRooms({ seed: 1, days: 1 });
 */
export function generateRooms(options: GenerateTraceOptions): GeneratedRoom[] {
  const o = resolveOptions(options);
  const horizon = o.days * TRACE_DAY_SEC;
  const rate = o.peakConcurrent / expectedPeakPerUnitRate(); // business call starts per minute at profile 1
  const holidays = new Set(o.holidays);
  const random = seededRandom(o.seed, STREAM.meetings);
  const outOfOrder = seededRandom(o.seed, STREAM.outOfOrder);

  const meetings: Omit<GeneratedRoom, 'roomId'>[] = [];
  for (let day = 0; day < o.days; day += 1) {
    const weekday = day % 7;
    const holiday = holidays.has(day) ? HOLIDAY_DEMAND_FACTOR : 1;
    const business = (BUSINESS_DAY_FACTORS[weekday] ?? 0) * holiday;
    const personal = (PERSONAL_DAY_FACTORS[weekday] ?? 0) * holiday * PERSONAL_RATE_RATIO;
    for (let minute = 0; minute < 1440; minute += 1) {
      const hour = Math.floor(minute / 60);
      const b = rate * business * (BUSINESS_HOUR_PROFILE[hour] ?? 0);
      const p = rate * personal * (PERSONAL_HOUR_PROFILE[hour] ?? 0);
      const minuteStart = day * TRACE_DAY_SEC + minute * 60;
      if (minute % 30 === 0) {
        const slot = minute % 60 === 0 ? SLOT_FACTORS.hour : SLOT_FACTORS.halfHour;
        const n = poisson(random, b * SCHEDULED_SHARE * 30 * slot);
        for (let i = 0; i < n; i += 1) {
          const scheduledMin = sampleScheduledLengthMin(random);
          const { start, end } = scheduledMeeting(random, minuteStart, scheduledMin);
          const weight = sampleRoomWeight(random);
          meetings.push({ kind: 'scheduled', weight, start, end, scheduledMin, scheduledStart: minuteStart });
        }
      }
      const adhoc = poisson(random, b * (1 - SCHEDULED_SHARE));
      for (let i = 0; i < adhoc; i += 1) {
        const start = minuteStart + Math.floor(random() * 60);
        const end = start + callLengthSec(random, AD_HOC_CALL_MEAN_MIN, AD_HOC_SIGMA);
        meetings.push({ kind: 'adhoc', weight: sampleRoomWeight(random), start, end });
      }
      const personalCalls = poisson(random, p);
      for (let i = 0; i < personalCalls; i += 1) {
        const start = minuteStart + Math.floor(random() * 60);
        const end = start + callLengthSec(random, PERSONAL_CALL_MEAN_MIN, PERSONAL_SIGMA);
        meetings.push({ kind: 'personal', weight: sampleRoomWeight(random), start, end });
      }
    }
  }

  const rooms: GeneratedRoom[] = sortRooms(meetings.filter((m) => m.start >= 0 && m.start < horizon)).map((m, i) => {
    const room: GeneratedRoom = { ...m, roomId: `room-${i + 1}` };
    if (m.kind === 'scheduled' || outOfOrder() >= o.outOfOrderRate) return room;
    // A short room whose create is delivered late, after its release: the create is stale.
    const end = room.start + 15 + Math.floor(outOfOrder() * 76);
    return { ...room, end, createDelayedSec: 2 + Math.floor(outOfOrder() * 29) };
  });

  const flash = seededRandom(o.seed, STREAM.flash);
  for (const crowd of o.flashCrowds) {
    if (crowd.day >= o.days) continue;
    const tenantId = crowd.tenantId ?? 'webinar';
    const begin = crowd.day * TRACE_DAY_SEC + crowd.startSecOfDay;
    const ramp = crowd.rampSec ?? 120;
    const webinarEnd = begin + (crowd.durationMin ?? 60) * 60;
    for (let i = 0; i < crowd.rooms; i += 1) {
      // Joins front-loaded within the ramp; 85% leave around the end, the rest leave early.
      const start = begin + Math.floor(ramp * (1 - Math.sqrt(1 - flash())));
      const end =
        flash() < 0.85
          ? webinarEnd + Math.floor(uniform(flash, -60, 240))
          : Math.floor(uniform(flash, start + 60, Math.max(start + 61, webinarEnd)));
      rooms.push({
        roomId: `${tenantId}.d${crowd.day}-${i + 1}`,
        kind: 'webinar',
        weight: crowd.weight ?? 1,
        start,
        end,
        scheduledMin: crowd.durationMin ?? 60,
        scheduledStart: begin,
        tenantId,
      });
    }
  }

  const cctv = seededRandom(o.seed, STREAM.surveillance);
  for (const tenant of o.surveillanceTenants) {
    const uptimeSec = (tenant.meanUptimeHours ?? 6) * 3600;
    const reconnectSec = tenant.meanReconnectSec ?? 20;
    for (let house = 1; house <= tenant.houses; house += 1) {
      const roomId = `${tenant.tenantId}.house-${house}`;
      let start = Math.floor(cctv() * 120);
      while (start < horizon) {
        const end = start + Math.max(60, Math.round(exponential(cctv, uptimeSec)));
        rooms.push({ roomId, kind: 'surveillance', weight: tenant.weight, start, end, tenantId: tenant.tenantId });
        start = end + 5 + Math.round(exponential(cctv, reconnectSec));
      }
    }
  }
  return sortRooms(rooms);
}

function sortRooms<R extends { readonly start: number }>(rooms: readonly R[]): R[] {
  return rooms
    .map((room, index) => ({ room, index }))
    .sort((a, b) => a.room.start - b.room.start || a.index - b.index)
    .map((x) => x.room);
}

/**
 * Turn room sessions into delivered events: a `RoomCreated` at `start` and a `RoomReleased` at
 * `end` (only those before the horizon), out-of-order pairs as marked, every event with a unique
 * `id` (`e<n>` in delivery order), and a share `duplicateRate` of events delivered a second time
 * 1–10 s later with the same `id` and `time`. Weight 1 and `time` equal to `t` are omitted.
 *
 * @param rooms - sessions, e.g. from `generateRooms`
 * @param horizonSec - trace length, s; events at or after it are dropped
 * @param duplicateRate - 0–1
 * @param random - uniform [0, 1) source for the duplicates
 * @returns events sorted by `t` (stable)
 */
export function roomsToEvents(
  rooms: readonly GeneratedRoom[],
  horizonSec: number,
  duplicateRate: number,
  random: RandomSource,
): TraceEvent[] {
  const base: TraceEvent[] = [];
  for (const room of rooms) {
    const extra = room.tenantId === undefined ? {} : { tenantId: room.tenantId };
    const weight = room.weight === 1 ? {} : { weight: room.weight };
    const hint = room.hint ?? {};
    if (room.createDelayedSec === undefined) {
      if (room.start < horizonSec) base.push({ t: room.start, type: 'RoomCreated', roomId: room.roomId, ...weight, ...extra, ...hint });
    } else {
      const t = room.end + room.createDelayedSec;
      if (t < horizonSec) base.push({ t, type: 'RoomCreated', roomId: room.roomId, ...weight, ...extra, ...hint, time: room.start });
    }
    if (room.end < horizonSec) base.push({ t: room.end, type: 'RoomReleased', roomId: room.roomId });
  }
  const sorted = sortByDelivery(base).map((e, i) => withId(e, `e${i + 1}`));
  const duplicates: TraceEvent[] = [];
  for (const event of sorted) {
    if (random() >= duplicateRate) continue;
    const t = event.t + 1 + Math.floor(random() * 10);
    if (t < horizonSec) duplicates.push({ ...event, t, time: eventTime(event) });
  }
  return sortByDelivery([...sorted, ...duplicates]);
}

/** The event with `id` set, keeping key order t, type, roomId, weight, tenantId, (hints), id, time. */
function withId(event: TraceEvent, id: string): TraceEvent {
  const { time, ...rest } = event;
  return time === undefined ? { ...rest, id } : { ...rest, id, time };
}

/**
 * Generate a realistic, deterministic demand trace (see the module docs for the published
 * figures it follows): weekday meetings peaking around midday, low nights and weekends,
 * optional holidays (−99%), webinar flash crowds, surveillance tenants with reconnects, and a
 * few duplicate deliveries and out-of-order pairs.
 *
 * With `hints`, the `RoomCreated` lines carry `kind` / `expectedDurationMs` and the
 * `RoomScheduled` announcements and no-show cancellations (ids `s<n>`) are merged in by `t`
 * (stable: at equal `t` after the session events); `stripHints` of that trace is the trace
 * without hints, line for line.
 *
 * @param options - see `GenerateTraceOptions`; only `seed` is required
 * @returns events sorted by delivery time `t` (stable), t in [0, days × 86 400) s
 * @throws {RangeError} when an option is out of range
 * @example
 * const week = generateTrace({ seed: 42, hints: true }); // the committed samples/week.jsonl
 * const day = generateTrace({ seed: 7, days: 1, peakConcurrent: 100, flashCrowds: [] });
 */
export function generateTrace(options: GenerateTraceOptions): TraceEvent[] {
  const rooms = generateRooms(options);
  const horizonSec = (options.days ?? 7) * TRACE_DAY_SEC;
  const toEvents = (sessions: readonly GeneratedRoom[]): TraceEvent[] =>
    roomsToEvents(sessions, horizonSec, options.duplicateRate ?? 0.005, seededRandom(options.seed, STREAM.duplicates));
  if (options.hints === undefined || options.hints === false) return toEvents(rooms);
  const shares = resolveHintOptions(options.hints === true ? {} : options.hints);
  const { hints, announcements } = planHints(rooms, horizonSec, shares, seededRandom(options.seed, STREAM.hints));
  const hinted = rooms.map((room, i) => (hints[i] === undefined ? room : { ...room, hint: hints[i] }));
  return sortByDelivery([...toEvents(hinted), ...announcements]);
}
