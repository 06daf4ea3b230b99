/**
 * Demand traces: the `TraceEvent` shape (one line of a JSON Lines trace file) and a seeded,
 * deterministic generator of realistic room demand for simulations.
 *
 * A trace is a list of `RoomCreated` / `RoomReleased` events ordered by delivery time `t`
 * (seconds from trace start; t = 0 is Monday 00:00 local time — traces are timezone-free).
 * `time` is when the event happened (EventBridge's `time`), default `t`. Lines sharing an `id`
 * are duplicate deliveries of one event; a `RoomCreated` whose `time` is not later than an
 * already delivered `RoomReleased` of the same room is stale (see `isStaleCreate`).
 *
 * Published figures the generator is built on (DESIGN.md §8):
 * - Average video call 38 min; business calls 29 min, personal calls 51 min
 *   (meetstream.ai, video-call statistics).
 * - Scheduled meeting lengths: < 30 min 4%, 30 min 13%, 60 min 42%, 90 min 21%, 120 min 21%
 *   (inspace.app meeting-length study; the published shares add up to 101% by rounding and
 *   are normalised here).
 * - Meetings start on the hour and half hour; 26% start late, with a mean delay of 9 min
 *   (authorea meeting-lateness study).
 * - Most meetings start between 12:00 and 13:00 (Whereby usage data).
 * - Weekdays dominate; on a holiday demand drops by ~99% (Whereby: New Year's Day).
 * - Surveillance-style tenants keep long-lived connections that drop and reconnect (one house,
 *   one container); webinars bring flash crowds of hundreds of rooms within a minute or two.
 *
 * @module
 */
import * as z from 'zod';
import type { RandomSource } from './placement.ts';

// ---------------------------------------------------------------------------------------------
// The trace event
// ---------------------------------------------------------------------------------------------

/** Seconds in one trace day. */
export const TRACE_DAY_SEC = 86_400;

/** Largest `t` / `time` a trace may hold, s (~31 years; anything larger is a unit mistake). */
export const MAX_TRACE_SEC = 1_000_000_000;

/** Room id rule of the event contract (DESIGN.md §3): 1–128 chars of `[A-Za-z0-9._:-]`. */
export const TRACE_ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The two event types a trace holds. */
export type TraceEventType = 'RoomCreated' | 'RoomReleased';

/** One line of a trace file. Times are seconds from trace start; weight is capacity units. */
export interface TraceEvent {
  /** When the event is delivered to the autoscaler, s from trace start (≥ 0). */
  readonly t: number;
  readonly type: TraceEventType;
  /** 1–128 chars of `[A-Za-z0-9._:-]`. */
  readonly roomId: string;
  /** Capacity units the room needs, integer ≥ 1; default 1. Ignored on `RoomReleased`. */
  readonly weight?: number | undefined;
  /** Event id; lines sharing an id are duplicate deliveries of one event. */
  readonly id?: string | undefined;
  /** When the event happened (EventBridge `time`), s from trace start; default `t`. */
  readonly time?: number | undefined;
  /** Tenant the room belongs to (passed through as the `RoomCreated` detail's `tenantId`). */
  readonly tenantId?: string | undefined;
}

/** zod error option that tells a missing field from a mistyped one, naming the field. */
function fieldError(field: string, expected: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be ${expected}`) };
}

/**
 * zod schema of one trace line. Unknown keys are dropped; every message names its field
 * (e.g. `roomId must be at most 128 characters`, `weight must be an integer ≥ 1`).
 */
export const TraceEventSchema = z.object({
  t: z
    .number(fieldError('t', 'a number of seconds'))
    .min(0, 't must be ≥ 0')
    .max(MAX_TRACE_SEC, `t must be at most ${MAX_TRACE_SEC} s`),
  type: z.enum(['RoomCreated', 'RoomReleased'], fieldError('type', '"RoomCreated" or "RoomReleased"')),
  roomId: z
    .string(fieldError('roomId', 'a string'))
    .min(1, 'roomId must not be empty')
    .max(128, 'roomId must be at most 128 characters')
    .regex(/^[A-Za-z0-9._:-]*$/, 'roomId may contain only A-Z a-z 0-9 . _ : -'),
  weight: z
    .number(fieldError('weight', 'an integer ≥ 1'))
    .int('weight must be an integer ≥ 1')
    .min(1, 'weight must be an integer ≥ 1')
    .max(10_000, 'weight must be at most 10000')
    .optional(),
  id: z
    .string(fieldError('id', 'a string'))
    .min(1, 'id must not be empty')
    .max(256, 'id must be at most 256 characters')
    .optional(),
  time: z
    .number(fieldError('time', 'a number of seconds'))
    .min(0, 'time must be ≥ 0')
    .max(MAX_TRACE_SEC, `time must be at most ${MAX_TRACE_SEC} s`)
    .optional(),
  tenantId: z
    .string(fieldError('tenantId', 'a string'))
    .min(1, 'tenantId must not be empty')
    .max(128, 'tenantId must be at most 128 characters')
    .optional(),
}) satisfies z.ZodType<TraceEvent>;

/** When an event happened, s: its `time`, or its delivery time `t` when it has none. */
export function eventTime(event: Pick<TraceEvent, 't' | 'time'>): number {
  return event.time ?? event.t;
}

/** An event's weight, capacity units: its `weight`, default 1. */
export function eventWeight(event: Pick<TraceEvent, 'weight'>): number {
  return event.weight ?? 1;
}

/**
 * Order events by delivery time `t`; events with equal `t` keep their input order (stable).
 *
 * @returns a new array
 */
export function sortByDelivery<E extends Pick<TraceEvent, 't'>>(events: readonly E[]): E[] {
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i += 1) sorted = (events[i - 1] as E).t <= (events[i] as E).t;
  if (sorted) return events.slice();
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.t - b.event.t || a.index - b.index)
    .map((x) => x.event);
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A deterministic uniform [0, 1) source for a seed: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, PractRand-clean), its state filled by splitmix32 from the seed.
 *
 * @param seed - any finite number; its integer part (up to 2^53) selects the sequence
 * @param stream - independent sub-sequence of the same seed (default 0)
 * @example
 * const random = seededRandom(42);
 * random(); // same value on every run and platform
 */
export function seededRandom(seed: number, stream = 0): RandomSource {
  const whole = Math.trunc(Number.isFinite(seed) ? seed : 0);
  const lo = whole >>> 0;
  const hi = Math.floor(whole / 4_294_967_296) >>> 0;
  let state = mix32(lo ^ mix32(hi + 0x9e3779b9) ^ mix32(Math.imul(stream + 1, 0x632be5ab)));
  const next = (): number => {
    state = (state + 0x9e3779b9) | 0;
    return mix32(state);
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  const random = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 12; i += 1) random();
  return random;
}

function uniform(random: RandomSource, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}

function exponential(random: RandomSource, mean: number): number {
  return -mean * Math.log(1 - random());
}

function standardNormal(random: RandomSource): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal with the given mean and shape σ (of the underlying normal). */
function lognormal(random: RandomSource, mean: number, sigma: number): number {
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * standardNormal(random));
}

/** Poisson-distributed count with mean `lambda` (Knuth's method, in chunks of ≤ 50). */
function poisson(random: RandomSource, lambda: number): number {
  let remaining = lambda;
  let count = 0;
  while (remaining > 0) {
    const chunk = Math.min(remaining, 50);
    remaining -= chunk;
    const limit = Math.exp(-chunk);
    let p = random();
    while (p > limit) {
      count += 1;
      p *= random();
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Published figures
// ---------------------------------------------------------------------------------------------

/** Average video call, min (meetstream.ai). The generator's mix lands between the two below. */
export const AVERAGE_CALL_MIN = 38;
/** Average business video call, min (meetstream.ai). */
export const BUSINESS_CALL_MEAN_MIN = 29;
/** Average personal video call, min (meetstream.ai). */
export const PERSONAL_CALL_MEAN_MIN = 51;

/**
 * Scheduled meeting lengths (inspace.app meeting-length study): < 30 min 4% (represented by
 * 15 min), 30 min 13%, 60 min 42%, 90 min 21%, 120 min 21%. The shares add up to 1.01 by
 * rounding; samplers normalise them.
 */
export const SCHEDULED_LENGTHS: readonly { readonly minutes: number; readonly share: number }[] = [
  { minutes: 15, share: 0.04 },
  { minutes: 30, share: 0.13 },
  { minutes: 60, share: 0.42 },
  { minutes: 90, share: 0.21 },
  { minutes: 120, share: 0.21 },
];

/** Share of meetings that start late (authorea meeting-lateness study). */
export const LATE_START_SHARE = 0.26;
/** Mean delay of a late meeting, min (authorea meeting-lateness study). */
export const LATE_START_MEAN_MIN = 9;

/** Demand on a holiday relative to a normal day (Whereby: ~99% drop on New Year's Day). */
export const HOLIDAY_DEMAND_FACTOR = 0.01;

/**
 * Mean length of an unscheduled (ad-hoc) business call, min. Not a published figure: chosen so
 * that ad-hoc calls mixed with scheduled meetings average the published 29 min per business call.
 */
export const AD_HOC_CALL_MEAN_MIN = 15;

/** Lognormal shape σ of ad-hoc business call lengths (assumption: heavy tail, median ≈ 9 min). */
const AD_HOC_SIGMA = 1.0;
/** Lognormal shape σ of personal call lengths (assumption: median ≈ 37 min). */
const PERSONAL_SIGMA = 0.8;
/** No call lasts longer than this, min. */
const MAX_CALL_MIN = 360;

/**
 * Relative rate of business call starts by local hour 0–23 (1 = the busiest hour, 12:00–13:00,
 * where most meetings start per Whereby's data; nights near zero).
 */
export const BUSINESS_HOUR_PROFILE: readonly number[] = [
  0.01, 0.005, 0.005, 0.005, 0.01, 0.02, 0.05, 0.15, 0.45, 0.75, 0.85, 0.9,
  1.0, 0.85, 0.8, 0.75, 0.6, 0.4, 0.2, 0.12, 0.08, 0.05, 0.03, 0.02,
];

/** Relative rate of personal call starts by local hour 0–23 (evenings busiest). */
export const PERSONAL_HOUR_PROFILE: readonly number[] = [
  0.15, 0.08, 0.04, 0.02, 0.02, 0.03, 0.06, 0.12, 0.2, 0.3, 0.4, 0.45,
  0.5, 0.5, 0.5, 0.55, 0.6, 0.7, 0.85, 1.0, 1.0, 0.85, 0.6, 0.3,
];

/** Relative business demand by weekday, Monday first (weekdays dominate, weekends low). */
export const BUSINESS_DAY_FACTORS: readonly number[] = [0.95, 1.0, 1.0, 0.97, 0.85, 0.1, 0.07];

/** Relative personal demand by weekday, Monday first (a little more at weekends). */
export const PERSONAL_DAY_FACTORS: readonly number[] = [1.0, 1.0, 1.0, 1.0, 1.1, 1.4, 1.4];

/** Personal call starts per business call start at equal profile values (assumption). */
const PERSONAL_RATE_RATIO = 0.06;

/** Multiplier of scheduled starts at :00 and at :30 (more meetings start on the hour). */
const SLOT_FACTORS = { hour: 1.4, halfHour: 0.6 } as const;

/** How a scheduled meeting ends relative to its scheduled end (assumption). */
const END_EARLY_SHARE = 0.3; // ends at 60–95% of its scheduled length
const END_OVERRUN_SHARE = 0.15; // runs 0–10 min over; the rest end within ±2 min

/** Expected actual length of a scheduled meeting, min, under the model `scheduledMeeting` uses. */
function expectedScheduledActualMin(): number {
  const total = SCHEDULED_LENGTHS.reduce((s, l) => s + l.share, 0);
  const meanLength = SCHEDULED_LENGTHS.reduce((s, l) => s + l.minutes * l.share, 0) / total;
  const endShift = -END_EARLY_SHARE * 0.225 * meanLength + END_OVERRUN_SHARE * 5;
  const startShift = LATE_START_SHARE * LATE_START_MEAN_MIN + (1 - LATE_START_SHARE) * -0.75;
  return meanLength + endShift - startShift;
}

/**
 * Share of business calls that are scheduled meetings (the rest are ad-hoc), chosen so that
 * business calls average the published 29 min: p × E[scheduled] + (1 − p) × 15 = 29.
 */
export const SCHEDULED_SHARE =
  (BUSINESS_CALL_MEAN_MIN - AD_HOC_CALL_MEAN_MIN) / (expectedScheduledActualMin() - AD_HOC_CALL_MEAN_MIN);

/** Capacity units of a meeting room: mostly 1, some bigger rooms of 2–4 (assumption). */
const ROOM_WEIGHTS: readonly { readonly weight: number; readonly share: number }[] = [
  { weight: 1, share: 0.85 },
  { weight: 2, share: 0.09 },
  { weight: 3, share: 0.04 },
  { weight: 4, share: 0.02 },
];

function pick<T extends { readonly share: number }>(random: RandomSource, table: readonly T[]): T {
  const total = table.reduce((s, x) => s + x.share, 0);
  let u = random() * total;
  for (const entry of table) {
    u -= entry.share;
    if (u < 0) return entry;
  }
  return table[table.length - 1] as T;
}

/**
 * Draw a scheduled meeting length from the inspace.app distribution.
 *
 * @returns 15, 30, 60, 90 or 120 (min)
 */
export function sampleScheduledLengthMin(random: RandomSource): number {
  return pick(random, SCHEDULED_LENGTHS).minutes;
}

/**
 * Draw a meeting room's weight: 1 (85%), 2 (9%), 3 (4%) or 4 (2%) capacity units.
 */
export function sampleRoomWeight(random: RandomSource): number {
  return pick(random, ROOM_WEIGHTS).weight;
}

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
  /** Scheduled length, min (scheduled meetings only). */
  readonly scheduledMin?: number;
  /** Scheduled start (:00 or :30), s (scheduled meetings only). */
  readonly scheduledStart?: number;
  readonly tenantId?: string;
  /**
   * Set on out-of-order pairs: the `RoomCreated` is delivered this many seconds after the
   * `RoomReleased` (so it is stale and never placed).
   */
  readonly createDelayedSec?: number;
}

/** Random stream ids, so that changing one option does not reshuffle unrelated demand. */
const STREAM = { meetings: 1, flash: 2, surveillance: 3, outOfOrder: 4, duplicates: 5 } as const;

/** 0.5 × erfc(x / √2) via Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): the normal tail. */
function normalTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * z);
  const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  const erfc = poly * Math.exp(-z * z);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** P(lognormal(mean, σ) > d). */
function lognormalSurvival(d: number, mean: number, sigma: number): number {
  if (d <= 0) return 1;
  const mu = Math.log(mean) - (sigma * sigma) / 2;
  return normalTail((Math.log(d) - mu) / sigma);
}

/**
 * Expected concurrent meeting rooms over a busiest weekday (business day factor 1, previous day
 * alike) per unit of business start rate (1 call start per minute at profile 1); its maximum
 * calibrates the rate to the requested peak.
 */
function expectedPeakPerUnitRate(): number {
  const window = MAX_CALL_MIN;
  const lengthTotal = SCHEDULED_LENGTHS.reduce((s, l) => s + l.share, 0);
  const scheduledSurvival = (d: number): number =>
    SCHEDULED_LENGTHS.reduce((s, l) => s + (d < l.minutes ? l.share : 0), 0) / lengthTotal;
  const adhoc: number[] = [];
  const personal: number[] = [];
  for (let d = 0; d <= window; d += 1) {
    adhoc.push(lognormalSurvival(d + 0.5, AD_HOC_CALL_MEAN_MIN, AD_HOC_SIGMA));
    personal.push(lognormalSurvival(d + 0.5, PERSONAL_CALL_MEAN_MIN, PERSONAL_SIGMA));
  }
  const hourOf = (minute: number): number => Math.floor((((minute % 1440) + 1440) % 1440) / 60);
  let peak = 0;
  for (let t = 0; t < 1440; t += 1) {
    let c = 0;
    for (let d = 0; d <= window; d += 1) {
      const s = t - d;
      const b = BUSINESS_HOUR_PROFILE[hourOf(s)] ?? 0;
      const p = PERSONAL_HOUR_PROFILE[hourOf(s)] ?? 0;
      c += (1 - SCHEDULED_SHARE) * b * (adhoc[d] ?? 0) + PERSONAL_RATE_RATIO * p * (personal[d] ?? 0);
      if (((s % 30) + 30) % 30 === 0) {
        const slot = ((s % 60) + 60) % 60 === 0 ? SLOT_FACTORS.hour : SLOT_FACTORS.halfHour;
        c += SCHEDULED_SHARE * b * 30 * slot * scheduledSurvival(d);
      }
    }
    peak = Math.max(peak, c);
  }
  return peak;
}

let cachedPeakPerUnitRate: number | undefined;

/** A scheduled meeting's actual start and end, s, for a slot at `slotSec` of `lengthMin`. */
function scheduledMeeting(random: RandomSource, slotSec: number, lengthMin: number): { start: number; end: number } {
  const late = random() < LATE_START_SHARE;
  const startOffsetMin = late
    ? Math.min(exponential(random, LATE_START_MEAN_MIN), 30, lengthMin / 2)
    : uniform(random, -2, 0.5);
  const u = random();
  const endOffsetMin =
    u < END_EARLY_SHARE
      ? lengthMin * uniform(random, 0.6, 0.95)
      : u < END_EARLY_SHARE + END_OVERRUN_SHARE
        ? lengthMin + uniform(random, 0, 10)
        : lengthMin + uniform(random, -2, 2);
  const start = Math.round(slotSec + startOffsetMin * 60);
  const end = Math.max(start + 60, Math.round(slotSec + endOffsetMin * 60));
  return { start, end };
}

function callLengthSec(random: RandomSource, meanMin: number, sigma: number): number {
  return Math.round(Math.min(Math.max(lognormal(random, meanMin, sigma), 1), MAX_CALL_MIN) * 60);
}

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
  };
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
  cachedPeakPerUnitRate ??= expectedPeakPerUnitRate();
  const rate = o.peakConcurrent / cachedPeakPerUnitRate; // business call starts per minute at profile 1
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
    if (room.createDelayedSec === undefined) {
      if (room.start < horizonSec) base.push({ t: room.start, type: 'RoomCreated', roomId: room.roomId, ...weight, ...extra });
    } else {
      const t = room.end + room.createDelayedSec;
      if (t < horizonSec) base.push({ t, type: 'RoomCreated', roomId: room.roomId, ...weight, ...extra, time: room.start });
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

/** The event with `id` set, keeping key order t, type, roomId, weight, tenantId, id, time. */
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
 * @param options - see `GenerateTraceOptions`; only `seed` is required
 * @returns events sorted by delivery time `t` (stable), t in [0, days × 86 400) s
 * @throws {RangeError} when an option is out of range
 * @example
 * const week = generateTrace({ seed: 42 }); // the committed samples/week.jsonl
 * const day = generateTrace({ seed: 7, days: 1, peakConcurrent: 100, flashCrowds: [] });
 */
export function generateTrace(options: GenerateTraceOptions): TraceEvent[] {
  const rooms = generateRooms(options);
  const days = options.days ?? 7;
  return roomsToEvents(
    rooms,
    days * TRACE_DAY_SEC,
    options.duplicateRate ?? 0.005,
    seededRandom(options.seed, STREAM.duplicates),
  );
}
