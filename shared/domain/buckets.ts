/**
 * Minute buckets: per-minute counters (arrived weight, launches) keyed by the minute's number
 * since the epoch, as the pool summary stores them and the scaling policy and the predictor
 * read them. Pure: `now` is a parameter.
 *
 * @module
 */

/** Length of one arrival / launch bucket, ms. */
export const BUCKET_MS = 60_000;

/** Per-minute counters keyed by `floor(epochMs / 60 000)`. */
export type MinuteBuckets = Readonly<Record<string, number>>;

/**
 * Key of the minute bucket that holds `now`.
 *
 * @param now - epoch ms
 * @example
 * bucketKey(1_700_000_030_000); // → '28333333'
 */
export function bucketKey(now: number): string {
  return String(Math.floor(now / BUCKET_MS));
}

/**
 * Sum of bucket counts within `[now - windowMs, now]` (whole minutes).
 *
 * @param buckets - per-minute counters
 * @param now - epoch ms
 * @param windowMs - window length, ms
 * @example
 * sumRecent({ [bucketKey(now)]: 4, [bucketKey(now - 60_000)]: 2 }, now, 60_000); // → 4
 */
export function sumRecent(buckets: MinuteBuckets | undefined, now: number, windowMs: number): number {
  if (!buckets) return 0;
  const newest = Math.floor(now / BUCKET_MS);
  const oldest = Math.floor((now - windowMs) / BUCKET_MS) + 1;
  let sum = 0;
  for (const [key, value] of Object.entries(buckets)) {
    const k = Number(key);
    if (k >= oldest && k <= newest) sum += value;
  }
  return sum;
}
