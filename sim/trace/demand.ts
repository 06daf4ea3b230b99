/**
 * The demand model of the trace generator: published figures on video calls and meetings, the
 * assumptions that fill the gaps, and the samplers and calibration built on them.
 *
 * Published figures the generator is built on (docs/design.md#realistic-demand):
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
import { exponential, lognormal, pick, uniform, type RandomSource } from '../random.ts';

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
export const AD_HOC_SIGMA = 1.0;
/** Lognormal shape σ of personal call lengths (assumption: median ≈ 37 min). */
export const PERSONAL_SIGMA = 0.8;
/** No call lasts longer than this, min. */
export const MAX_CALL_MIN = 360;

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
export const PERSONAL_RATE_RATIO = 0.06;

/** Multiplier of scheduled starts at :00 and at :30 (more meetings start on the hour). */
export const SLOT_FACTORS = { hour: 1.4, halfHour: 0.6 } as const;

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

let cachedPeakPerUnitRate: number | undefined;

/**
 * Expected concurrent meeting rooms over a busiest weekday (business day factor 1, previous day
 * alike) per unit of business start rate (1 call start per minute at profile 1); its maximum
 * calibrates the rate to the requested peak. Computed once, then cached.
 */
export function expectedPeakPerUnitRate(): number {
  cachedPeakPerUnitRate ??= computePeakPerUnitRate();
  return cachedPeakPerUnitRate;
}

function computePeakPerUnitRate(): number {
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

/** A scheduled meeting's actual start and end, s, for a slot at `slotSec` of `lengthMin`. */
export function scheduledMeeting(random: RandomSource, slotSec: number, lengthMin: number): { start: number; end: number } {
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

/** A call length, s: lognormal of mean `meanMin` and shape `sigma`, clamped to 1 min–6 h. */
export function callLengthSec(random: RandomSource, meanMin: number, sigma: number): number {
  return Math.round(Math.min(Math.max(lognormal(random, meanMin, sigma), 1), MAX_CALL_MIN) * 60);
}
