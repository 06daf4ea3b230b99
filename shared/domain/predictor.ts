/**
 * Headroom predictor: how much room weight to expect during the next node boot, from recent
 * arrivals (an exponentially weighted moving average of per-minute arrivals) and from the pool's
 * own history (the same time of day on earlier days and a week earlier), so nodes are warm
 * before a daily ramp (09:00) and released after it. Pure: history and time are inputs.
 *
 * History layout (stored by the sweep, one item per pool): per 15-minute slot `s =
 * floor(epochMs / 900 000)`, `a<s>` = weight arrived in the slot and `p<s>` = the busiest minute's
 * arrivals in the slot, capacity units; {@link HISTORY_DAYS} days are kept. Hourly counts are too
 * coarse for meetings that start on the hour and half hour (the trace generator's slot factors,
 * docs/design.md#realistic-demand): the busiest minute of a slot is what a warm fleet must absorb.
 *
 * Forecast for `now` (capacity units during one boot time):
 * 1. reference days: the same weekday one week earlier, and the latest up to 3 of the previous 6
 *    days that are of the same kind (weekday or weekend, by UTC day);
 * 2. seasonal busiest minute = median over the reference days of the highest `p` among the
 *    slots that overlap `[now, now + lead]` (lead = boot time + one sweep interval: a node
 *    launched at the next sweep must be ready by then); the median keeps a one-off webinar of
 *    one day from warming nodes every day after;
 * 3. level: today's arrivals over the last hour against the reference days' same hour,
 *    (today + k) / (reference + k) with k = 10 units, clamped to [0, 2] — a holiday (−99%) or a
 *    slow day scales the forecast down, a busy one up;
 * 4. forecast = seasonal busiest minute × level × boot time / 1 min.
 * The scale-out decision takes the highest of this forecast, the EWMA rate and the measured
 * window and burst rates (scaling.ts), and stays bounded by `maxNodes` and the launch-rate limit.
 *
 * @module
 */
import { BUCKET_MS, type MinuteBuckets } from './buckets.ts';

/** Length of one history slot, ms (15 min). */
export const SLOT_MS = 900_000;
/** Days of history kept (8: the same weekday a week earlier plus the day before it). */
export const HISTORY_DAYS = 8;
/** One day, ms. */
export const DAY_MS = 86_400_000;
/** EWMA smoothing per minute (weight of the newest minute). */
export const EWMA_ALPHA = 0.5;
/** Level-ratio smoothing constant, capacity units. */
export const LEVEL_K = 10;

/** A pool's stored arrival history (see the module doc). */
export interface HistorySlots {
  readonly slots: Readonly<Record<string, number>>;
  readonly throughMinute?: number | undefined;
}

/** One fold of whole minutes into the history. */
export interface HistoryFold {
  readonly expectedThroughMinute: number | undefined;
  readonly throughMinute: number;
  readonly add: Record<string, number>;
  readonly set: Record<string, number>;
  readonly remove: string[];
}

const slotOfMinute = (minute: number) => Math.floor((minute * BUCKET_MS) / SLOT_MS);

/**
 * Fold the whole minutes since the last fold (those still in the minute buckets) into the
 * history: add each minute to its slot's sum, raise its slot's busiest minute, drop slots older
 * than {@link HISTORY_DAYS}. Undefined when there is no new whole minute.
 *
 * @param buckets - arrived weight per minute bucket (the pool summary's)
 * @param history - the stored history
 * @param now - epoch ms
 * @param windowMs - how far back the buckets reach, ms (older minutes are gone: counted as 0)
 */
export function foldArrivals(buckets: MinuteBuckets, history: HistorySlots, now: number, windowMs: number): HistoryFold | undefined {
  const current = Math.floor(now / BUCKET_MS);
  const last = current - 1;
  const first = Math.max((history.throughMinute ?? last - 1) + 1, Math.floor((now - windowMs) / BUCKET_MS) + 1);
  if (history.throughMinute !== undefined && history.throughMinute >= last) return undefined;
  const add: Record<string, number> = {};
  const set: Record<string, number> = {};
  for (let m = first; m <= last; m++) {
    const w = buckets[String(m)] ?? 0;
    const s = slotOfMinute(m);
    add[`a${s}`] = (add[`a${s}`] ?? 0) + w;
    const peak = Math.max(set[`p${s}`] ?? history.slots[`p${s}`] ?? 0, w);
    if (peak > (history.slots[`p${s}`] ?? -1)) set[`p${s}`] = peak;
  }
  const oldest = Math.floor((now - HISTORY_DAYS * DAY_MS) / SLOT_MS);
  const remove = Object.keys(history.slots).filter((k) => Number(k.slice(1)) < oldest);
  return { expectedThroughMinute: history.throughMinute, throughMinute: last, add, set, remove };
}

/** Apply a fold to a history (what the store does), for callers that go on with the result. */
export function applyFold(history: HistorySlots, fold: HistoryFold): HistorySlots {
  const slots: Record<string, number> = { ...history.slots };
  for (const [k, v] of Object.entries(fold.add)) slots[k] = (slots[k] ?? 0) + v;
  Object.assign(slots, fold.set);
  for (const k of fold.remove) delete slots[k];
  return { slots, throughMinute: fold.throughMinute };
}

/**
 * EWMA of per-minute arrivals over the whole minutes of the window (oldest first), as a rate,
 * capacity units per ms.
 */
export function ewmaRatePerMs(buckets: MinuteBuckets | undefined, now: number, windowMs: number, alpha = EWMA_ALPHA): number {
  if (!buckets) return 0;
  const last = Math.floor(now / BUCKET_MS) - 1;
  const first = Math.floor((now - windowMs) / BUCKET_MS) + 1;
  let ewma = 0;
  for (let m = first; m <= last; m++) ewma = alpha * (buckets[String(m)] ?? 0) + (1 - alpha) * ewma;
  return ewma / BUCKET_MS;
}

const isWeekend = (ms: number) => {
  const dow = (Math.floor(ms / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  return dow === 0 || dow === 6;
};

/** Whether the history covers the slot (a fold reached it). */
const covered = (h: HistorySlots, slot: number) => `a${slot}` in h.slots;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Expected arrivals during one boot time, capacity units, from the history (see the module doc);
 * 0 without history for the time of day.
 *
 * @param history - the pool's history
 * @param now - epoch ms
 * @param bootTimeMs - the pool's boot time, ms
 * @param leadMs - how far ahead capacity must be ready, ms (boot time + sweep interval)
 * @example
 * // A week of history with 30 rooms in the busiest minute of every weekday's 09:00 slot:
 * seasonalForecast(history, monday0858, 90_000, 150_000); // ≈ 45 (30 / min × 1.5 min)
 */
export function seasonalForecast(history: HistorySlots, now: number, bootTimeMs: number, leadMs: number): number {
  const firstSlot = Math.floor(now / SLOT_MS);
  const lastSlot = Math.floor((now + leadMs) / SLOT_MS);
  const today = isWeekend(now);
  const days: number[] = [];
  if (covered(history, firstSlot - (7 * DAY_MS) / SLOT_MS)) days.push(7);
  for (let d = 1; d <= 6 && days.length < 4; d++) {
    if (isWeekend(now - d * DAY_MS) === today && covered(history, firstSlot - (d * DAY_MS) / SLOT_MS)) days.push(d);
  }
  if (days.length === 0) return 0;
  const perDay = (d: number) => (d * DAY_MS) / SLOT_MS;
  const peaks = days.map((d) => {
    let p = 0;
    for (let s = firstSlot; s <= lastSlot; s++) p = Math.max(p, history.slots[`p${s - perDay(d)}`] ?? 0);
    return p;
  });
  const lastHour = (offset: number) => {
    let sum = 0;
    for (let s = firstSlot - 4; s < firstSlot; s++) sum += history.slots[`a${s - offset}`] ?? 0;
    return sum;
  };
  const reference = days.reduce((s, d) => s + lastHour(perDay(d)), 0) / days.length;
  const level = Math.min(2, Math.max(0, (lastHour(0) + LEVEL_K) / (reference + LEVEL_K)));
  return (median(peaks) * level * bootTimeMs) / BUCKET_MS;
}
