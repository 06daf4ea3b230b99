/**
 * Lifetime predictor: how long a room will still live, learned from the fleet's own releases.
 * Pure: the learned counters and the clock (`now`, a room's age) are inputs.
 *
 * The idea is LAVA's ("Lifetime-Aware VM Allocation with Learned Distributions and Adaptation
 * to Mispredictions", Barbalho et al., MLSys 2025): predict a *distribution* of lifetimes rather
 * than one number, and re-predict as the object ages — the expected remaining lifetime of a room
 * of age `a` is the conditional expectation E[T − a | T > a], so a room that outlives its first
 * prediction gets a new, longer one instead of staying "about to end".
 *
 * **Histogram.** Durations fall into {@link DURATION_BUCKETS} log-spaced buckets: bucket 0 is
 * [0, 1 min), bucket i (1 ≤ i ≤ 27) is [e(i−1), e(i)) with e(k) = 1 min × 2^(k/2) (edges 1, 1.41,
 * 2, 2.83, 4, … 8 192, 11 585 min), bucket 28 is ≥ 11 585 min (≈ 8 days, past the 7-day longest
 * hint). Each bucket keeps a count `d<i>` and the sum of its durations `s<i>` (seconds), so the
 * bucket's mass sits at its exact mean (a 60-minute meeting is predicted at 60 min, not at its
 * bucket's midpoint) and both counters are plain additions (DynamoDB `ADD`, no read-modify-write).
 *
 * **Cells and prior.** Counters are kept per cell = (kind, hour-of-day band); the kind `''` holds
 * rooms without a kind. A query blends levels as Dirichlet pseudo-counts, each level acting as
 * the prior of the next: the default prior ({@link DEFAULT_PRIOR_SAMPLES} samples) → the pool
 * (all cells) → the kind (all bands, {@link POOL_PRIOR_SAMPLES}) → the kind in the room's band
 * ({@link KIND_PRIOR_SAMPLES}). A kind with few samples thus predicts about like the pool, and its
 * own data takes over as it accumulates. Bands are 6 h of UTC hour ({@link HOUR_BANDS}): without
 * a kind, the mix of rooms changes over the day (business calls by day, longer personal calls in
 * the evening: the hour profiles of sim/trace/demand.ts), and a band level lets an unkinded room
 * borrow that; the band level costs no extra write (each release adds to exactly one cell).
 *
 * **Hints.** A hint is corrected by its kind's overrun distribution: the ratio actual / hinted
 * duration, in {@link RATIO_BUCKETS} buckets (bucket 0 < 0.25, bucket j (1 ≤ j ≤ 16) is
 * [2^((j−9)/4), 2^((j−8)/4)), bucket 17 ≥ 4), counts `r<j>` and sums of the ratio in thousandths
 * `q<j>`, blended the same way (default: hints are exact → the pool's overruns → the kind's).
 * A hinted room's lifetime is distributed as hint × ratio; once the room has outlived every
 * corrected hint, its prediction falls back to the conditional duration distribution.
 *
 * @module
 */

/** One minute, ms. */
export const MINUTE_MS = 60_000;
/** Duration buckets (see the module doc for the edges). */
export const DURATION_BUCKETS = 29;
/** Ratio (actual / hinted duration) buckets. */
export const RATIO_BUCKETS = 18;
/** Hour-of-day bands: 4 bands of 6 UTC hours (00–05, 06–11, 12–17, 18–23). */
export const HOUR_BANDS = 4;
/** Pseudo-samples of the default prior when a pool has learned nothing yet. */
export const DEFAULT_PRIOR_SAMPLES = 5;
/** Pseudo-samples the pool-wide distribution adds to a kind (a kind with ≪ 20 samples follows the pool). */
export const POOL_PRIOR_SAMPLES = 20;
/** Pseudo-samples a kind's distribution adds to the kind in one hour band. */
export const KIND_PRIOR_SAMPLES = 20;
/**
 * Expected remaining lifetime of a room older than every duration the model has mass at, as a
 * share of its age: √2 − 1, i.e. it is expected to live into the next bucket (heavy-tailed
 * lifetimes: the longer a room has lived, the longer it is expected to live).
 */
export const TAIL_REMAINING_SHARE = Math.SQRT2 - 1;

/**
 * Default prior: the published average video call of 38 min (meetstream.ai; AVERAGE_CALL_MIN in
 * sim/trace/demand.ts) with the lognormal shape σ = 1.0 that the demand model assumes for ad-hoc
 * call lengths (AD_HOC_SIGMA there): median ≈ 23 min, a heavy tail into hours.
 */
export const DEFAULT_PRIOR = { meanMin: 38, sigma: 1.0 } as const;

/** Upper edge of duration bucket i (0 ≤ i ≤ 27), ms: 1 min × 2^(i/2). */
export const durationEdgeMs = (i: number): number => MINUTE_MS * 2 ** (i / 2);
/** Upper edge of ratio bucket j (0 ≤ j ≤ 16): 2^((j − 8)/4). */
export const ratioEdge = (j: number): number => 2 ** ((j - 8) / 4);

/** A counter cell as stored: a kind (`''` = none), an hour band and its sparse counters. */
export interface LifetimeCell {
  readonly kind: string;
  readonly band: number;
  /** `d<i>` counts and `s<i>` duration sums (s); `r<j>` counts and `q<j>` ratio sums (thousandths). */
  readonly counts: Readonly<Record<string, number>>;
}

/** Point masses per bucket: weight (samples) and the mean of the bucket (ms, or a ratio). */
interface Dist {
  readonly weight: readonly number[];
  readonly mean: readonly number[];
  readonly total: number;
}

/** A pool's learned lifetimes, compiled from its cells ({@link lifetimeModel}). */
export interface LifetimeModel {
  readonly cells: readonly LifetimeCell[];
  readonly pool: Dist;
  readonly kinds: ReadonlyMap<string, Dist>;
  /** By `${band}#${kind}`. */
  readonly kindBands: ReadonlyMap<string, Dist>;
  readonly poolOverrun: Dist;
  readonly overruns: ReadonlyMap<string, Dist>;
}

/** What one placement asks: the room's kind and hint, its age and the hour it started. */
export interface LifetimeQuery {
  readonly kind?: string | undefined;
  /** The app's expected duration, ms (> 0). */
  readonly hintMs?: number | undefined;
  /** Time since the room started, ms (≥ 0). */
  readonly ageMs: number;
  /** UTC hour the room started, 0–23 (default: the pool over all bands). */
  readonly hourOfDay?: number | undefined;
}

/** One observed lifetime. */
export interface LifetimeSample {
  readonly kind?: string | undefined;
  readonly hintMs?: number | undefined;
  /** Observed duration, ms (≥ 0). */
  readonly durationMs: number;
  /** UTC hour the room started, 0–23. */
  readonly hourOfDay: number;
}

/** The counters one sample adds to its cell (apply with DynamoDB `ADD`), and the model with it. */
export interface LifetimeIncrement {
  readonly kind: string;
  readonly band: number;
  readonly add: Readonly<Record<string, number>>;
  readonly model: LifetimeModel;
}

const emptyDist = (n: number): Dist => ({ weight: new Array<number>(n).fill(0), mean: new Array<number>(n).fill(0), total: 0 });

/** Merge b into a (weights add, means weighted). */
function addDist(a: Dist, b: Dist, scale = 1): Dist {
  const weight = a.weight.slice();
  const mean = a.mean.slice();
  for (let i = 0; i < weight.length; i++) {
    const wb = (b.weight[i] ?? 0) * scale;
    if (wb <= 0) continue;
    const w = (weight[i] ?? 0) + wb;
    mean[i] = ((weight[i] ?? 0) * (mean[i] ?? 0) + wb * (b.mean[i] ?? 0)) / w;
    weight[i] = w;
  }
  return { weight, mean, total: a.total + b.total * scale };
}

/** `child` plus `k` pseudo-samples shaped like `prior`. */
const blend = (child: Dist | undefined, prior: Dist, k: number): Dist =>
  addDist(child ?? emptyDist(prior.weight.length), prior, prior.total > 0 ? k / prior.total : 0);

/** Geometric midpoint of duration bucket i, ms (the last bucket: its lower edge × √2). */
function durationMidMs(i: number): number {
  if (i === 0) return MINUTE_MS / 2;
  return Math.sqrt(durationEdgeMs(i - 1) * durationEdgeMs(Math.min(i, DURATION_BUCKETS - 1)));
}

/** 0.5 × erfc(x / √2) (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7): the standard normal tail. */
function normalTail(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * z);
  const erfc = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429)))) * Math.exp(-z * z);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The default duration prior ({@link DEFAULT_PRIOR}) discretised on the buckets, {@link DEFAULT_PRIOR_SAMPLES} samples. */
const DEFAULT_DURATIONS: Dist = (() => {
  const mu = Math.log(DEFAULT_PRIOR.meanMin * MINUTE_MS) - DEFAULT_PRIOR.sigma ** 2 / 2;
  const cdf = (ms: number) => 1 - normalTail((Math.log(ms) - mu) / DEFAULT_PRIOR.sigma);
  const weight: number[] = [];
  const mean: number[] = [];
  for (let i = 0; i < DURATION_BUCKETS; i++) {
    const lo = i === 0 ? 0 : cdf(durationEdgeMs(i - 1));
    const hi = i === DURATION_BUCKETS - 1 ? 1 : cdf(durationEdgeMs(i));
    weight.push((hi - lo) * DEFAULT_PRIOR_SAMPLES);
    mean.push(durationMidMs(i));
  }
  return { weight, mean, total: DEFAULT_PRIOR_SAMPLES };
})();

/** Ratio bucket of x. */
function ratioBucket(x: number): number {
  if (x < ratioEdge(0)) return 0;
  for (let j = 1; j < RATIO_BUCKETS - 1; j++) if (x < ratioEdge(j)) return j;
  return RATIO_BUCKETS - 1;
}

/** Default overrun prior: hints are exact (ratio 1), {@link DEFAULT_PRIOR_SAMPLES} samples. */
const DEFAULT_OVERRUN: Dist = (() => {
  const d = emptyDist(RATIO_BUCKETS);
  const j = ratioBucket(1);
  (d.weight as number[])[j] = DEFAULT_PRIOR_SAMPLES;
  (d.mean as number[])[j] = 1;
  return { ...d, total: DEFAULT_PRIOR_SAMPLES };
})();

/**
 * Duration bucket of a duration, ms.
 *
 * @throws {RangeError} when `ms` is negative or not finite
 */
export function durationBucket(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`lifetime: duration must be a finite number of ms ≥ 0, got ${ms}`);
  if (ms < MINUTE_MS) return 0;
  return Math.min(DURATION_BUCKETS - 1, 1 + Math.floor(2 * Math.log2(ms / MINUTE_MS)));
}

/**
 * Hour band of a UTC hour (0–5 → 0, 6–11 → 1, 12–17 → 2, 18–23 → 3).
 *
 * @throws {RangeError} when the hour is not an integer 0–23
 */
export function hourBand(hourOfDay: number): number {
  if (!Number.isInteger(hourOfDay) || hourOfDay < 0 || hourOfDay > 23) throw new RangeError(`lifetime: hourOfDay must be an integer 0–23, got ${hourOfDay}`);
  return Math.floor(hourOfDay / (24 / HOUR_BANDS));
}

/** The UTC hour of an epoch-ms instant. */
export const utcHour = (epochMs: number): number => new Date(epochMs).getUTCHours();

/** A cell's duration and ratio distributions (unknown or negative counters are ignored). */
function cellDists(cell: LifetimeCell): { durations: Dist; ratios: Dist } {
  const read = (prefix: string, sumPrefix: string, n: number, unit: number): Dist => {
    const weight: number[] = [];
    const mean: number[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const c = cell.counts[`${prefix}${i}`] ?? 0;
      const s = cell.counts[`${sumPrefix}${i}`] ?? 0;
      const ok = Number.isFinite(c) && c > 0 && Number.isFinite(s) && s >= 0;
      weight.push(ok ? c : 0);
      mean.push(ok ? (s * unit) / c : 0);
      total += ok ? c : 0;
    }
    return { weight, mean, total };
  };
  return { durations: read('d', 's', DURATION_BUCKETS, 1000), ratios: read('r', 'q', RATIO_BUCKETS, 1 / 1000) };
}

/**
 * Compile a pool's cells (as the lifetime store returns them) into a model. Cells of the same
 * kind and band are summed (so `model.cells` holds one cell per kind and band); a cell with a
 * band outside 0–3 is ignored.
 *
 * @example
 * const model = lifetimeModel(await store.lifetimeCells('default'));
 */
export function lifetimeModel(cells: readonly LifetimeCell[]): LifetimeModel {
  let pool = emptyDist(DURATION_BUCKETS);
  let poolOverrun = emptyDist(RATIO_BUCKETS);
  const kinds = new Map<string, Dist>();
  const kindBands = new Map<string, Dist>();
  const overruns = new Map<string, Dist>();
  const merged = new Map<string, LifetimeCell>();
  for (const cell of cells) {
    if (!Number.isInteger(cell.band) || cell.band < 0 || cell.band >= HOUR_BANDS) continue;
    const key = `${cell.band}#${cell.kind}`;
    const old = merged.get(key);
    if (!old) merged.set(key, { kind: cell.kind, band: cell.band, counts: { ...cell.counts } });
    else for (const [k, v] of Object.entries(cell.counts)) (old.counts as Record<string, number>)[k] = (old.counts[k] ?? 0) + v;
  }
  for (const cell of merged.values()) {
    const { durations, ratios } = cellDists(cell);
    pool = addDist(pool, durations);
    poolOverrun = addDist(poolOverrun, ratios);
    const kb = `${cell.band}#${cell.kind}`;
    kinds.set(cell.kind, addDist(kinds.get(cell.kind) ?? emptyDist(DURATION_BUCKETS), durations));
    kindBands.set(kb, addDist(kindBands.get(kb) ?? emptyDist(DURATION_BUCKETS), durations));
    overruns.set(cell.kind, addDist(overruns.get(cell.kind) ?? emptyDist(RATIO_BUCKETS), ratios));
  }
  return { cells: [...merged.values()], pool, kinds, kindBands, poolOverrun, overruns };
}

/** A model that has learned nothing (predictions come from {@link DEFAULT_PRIOR}). */
export const EMPTY_LIFETIME_MODEL: LifetimeModel = lifetimeModel([]);

/** The blended duration distribution of a kind (and band). */
function durationsFor(model: LifetimeModel, kind: string, band: number | undefined): Dist {
  const pool = blend(model.pool, DEFAULT_DURATIONS, DEFAULT_PRIOR_SAMPLES);
  const ofKind = blend(model.kinds.get(kind), pool, POOL_PRIOR_SAMPLES);
  return band === undefined ? ofKind : blend(model.kindBands.get(`${band}#${kind}`), ofKind, KIND_PRIOR_SAMPLES);
}

/** The blended overrun (actual / hinted) distribution of a kind. */
function overrunFor(model: LifetimeModel, kind: string): Dist {
  return blend(model.overruns.get(kind), blend(model.poolOverrun, DEFAULT_OVERRUN, DEFAULT_PRIOR_SAMPLES), POOL_PRIOR_SAMPLES);
}

/** E[T − a | T > a] over point masses at `scale × mean[i]`, or undefined when no mass lies beyond a. */
function conditionalRemaining(d: Dist, ageMs: number, scale = 1): number | undefined {
  let w = 0;
  let sum = 0;
  for (let i = 0; i < d.weight.length; i++) {
    const t = (d.mean[i] ?? 0) * scale;
    const wi = d.weight[i] ?? 0;
    if (wi > 0 && t > ageMs) {
      w += wi;
      sum += wi * (t - ageMs);
    }
  }
  return w > 0 ? sum / w : undefined;
}

function checkQuery(q: LifetimeQuery): void {
  if (!Number.isFinite(q.ageMs) || q.ageMs < 0) throw new RangeError(`lifetime: ageMs must be a finite number of ms ≥ 0, got ${q.ageMs}`);
  if (q.hintMs !== undefined && (!Number.isFinite(q.hintMs) || q.hintMs <= 0)) throw new RangeError(`lifetime: hintMs must be a finite number of ms > 0, got ${q.hintMs}`);
  if (q.hourOfDay !== undefined) hourBand(q.hourOfDay);
}

/**
 * Expected remaining lifetime of a room of age `ageMs`, ms: E[T − a | T > a] under the room's
 * kind (and hour band) distribution — LAVA's re-prediction as the room ages (Barbalho et al.,
 * "Lifetime-Aware VM Allocation with Learned Distributions and Adaptation to Mispredictions",
 * MLSys 2025). With a hint, T is distributed as hint × the kind's overrun ratio; once the room
 * has outlived every corrected hint, the conditional duration distribution takes over. A room
 * older than all mass of the distribution gets {@link TAIL_REMAINING_SHARE} × its age (at least 1 min).
 *
 * @returns ms, > 0
 * @throws {RangeError} when `ageMs` is negative, `hintMs` not > 0, or `hourOfDay` not an integer 0–23
 * @example
 * expectedRemainingMs(EMPTY_LIFETIME_MODEL, { hintMs: 3_600_000, ageMs: 600_000 }); // → 3_000_000
 */
export function expectedRemainingMs(model: LifetimeModel, q: LifetimeQuery): number {
  checkQuery(q);
  const kind = q.kind ?? '';
  if (q.hintMs !== undefined) {
    const hinted = conditionalRemaining(overrunFor(model, kind), q.ageMs, q.hintMs);
    if (hinted !== undefined) return hinted;
  }
  const band = q.hourOfDay === undefined ? undefined : hourBand(q.hourOfDay);
  return conditionalRemaining(durationsFor(model, kind, band), q.ageMs) ?? Math.max(MINUTE_MS, q.ageMs * TAIL_REMAINING_SHARE);
}

/**
 * The `p`-quantile of a room's remaining lifetime at its age, ms: the smallest r such that
 * P(T − a ≤ r | T > a) ≥ p, over the same distribution as {@link expectedRemainingMs} (with a
 * hint: the corrected hints still ahead, else the duration distribution). A pessimistic end (p =
 * 0.9) for a drain that must not wait on a long tail, an optimistic one (p = 0.1) for packing.
 *
 * @param p - 0 < p ≤ 1
 * @returns ms, > 0 (the tail rule of {@link expectedRemainingMs} when no mass lies beyond the age)
 * @throws {RangeError} on a bad query or p outside (0, 1]
 */
export function remainingQuantileMs(model: LifetimeModel, q: LifetimeQuery, p: number): number {
  checkQuery(q);
  if (!(p > 0 && p <= 1)) throw new RangeError(`lifetime: quantile p must be in (0, 1], got ${p}`);
  const kind = q.kind ?? '';
  const band = q.hourOfDay === undefined ? undefined : hourBand(q.hourOfDay);
  const candidates: [Dist, number][] = q.hintMs !== undefined ? [[overrunFor(model, kind), q.hintMs]] : [];
  candidates.push([durationsFor(model, kind, band), 1]);
  for (const [d, scale] of candidates) {
    const ahead = d.weight
      .map((w, i) => ({ w, r: (d.mean[i] ?? 0) * scale - q.ageMs }))
      .filter((x) => x.w > 0 && x.r > 0)
      .sort((a, b) => a.r - b.r);
    const total = ahead.reduce((s, x) => s + x.w, 0);
    let acc = 0;
    for (const x of ahead) if ((acc += x.w) >= p * total * (1 - 1e-12)) return x.r;
  }
  return Math.max(MINUTE_MS, q.ageMs * TAIL_REMAINING_SHARE);
}

/**
 * Expected end of a room, epoch ms: `now` + {@link expectedRemainingMs} at its age.
 *
 * @param room - `startedAt` epoch ms (when the room was created); kind and hint (ms) as known
 * @param now - epoch ms (a room started in the future counts as age 0)
 * @throws {RangeError} as {@link expectedRemainingMs}
 */
export function predictEndAt(
  model: LifetimeModel,
  room: { readonly kind?: string | undefined; readonly hintMs?: number | undefined; readonly startedAt: number },
  now: number,
): number {
  if (!Number.isFinite(room.startedAt) || !Number.isFinite(now)) throw new RangeError(`lifetime: startedAt and now must be finite epoch ms, got ${room.startedAt} and ${now}`);
  const ageMs = Math.max(0, now - room.startedAt);
  return now + expectedRemainingMs(model, { kind: room.kind, hintMs: room.hintMs, ageMs, hourOfDay: utcHour(room.startedAt) });
}

/**
 * Re-predict a hosted room's end as it ages (for the sweep: a node's rooms, each re-predicted
 * from its start and the current time). The same as {@link predictEndAt}.
 *
 * @returns epoch ms, > `now`
 * @throws {RangeError} as {@link expectedRemainingMs}
 */
export function repredictEndAt(
  model: LifetimeModel,
  room: { readonly kind?: string | undefined; readonly hintMs?: number | undefined; readonly startedAt: number },
  now: number,
): number {
  return predictEndAt(model, room, now);
}

/**
 * Learn one observed lifetime: the counters to add to the sample's cell (`d`/`s` for its
 * duration bucket; with a hint, `r`/`q` for its ratio bucket), and the model with them added.
 *
 * @returns the cell (kind `''` when none, band), its increments, and the updated model
 * @throws {RangeError} when `durationMs` is negative or not finite, `hintMs` not > 0, or `hourOfDay` not an integer 0–23
 * @example
 * const { kind, band, add } = recordLifetime(model, { kind: 'meeting', hintMs: 3_600_000, durationMs: 3_900_000, hourOfDay: 12 });
 * // add = { d13: 1, s13: 3900, r9: 1, q9: 1083 }
 */
export function recordLifetime(model: LifetimeModel, sample: LifetimeSample): LifetimeIncrement {
  const b = durationBucket(sample.durationMs);
  const band = hourBand(sample.hourOfDay);
  if (sample.hintMs !== undefined && (!Number.isFinite(sample.hintMs) || sample.hintMs <= 0)) {
    throw new RangeError(`lifetime: hintMs must be a finite number of ms > 0, got ${sample.hintMs}`);
  }
  const add: Record<string, number> = { [`d${b}`]: 1, [`s${b}`]: Math.round(sample.durationMs / 1000) };
  if (sample.hintMs !== undefined) {
    const ratio = sample.durationMs / sample.hintMs;
    const j = ratioBucket(ratio);
    add[`r${j}`] = 1;
    add[`q${j}`] = Math.round(ratio * 1000);
  }
  const kind = sample.kind ?? '';
  return { kind, band, add, model: lifetimeModel([...model.cells, { kind, band, counts: add }]) };
}
