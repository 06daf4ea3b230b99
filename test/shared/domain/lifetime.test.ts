import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRIOR,
  durationBucket,
  EMPTY_LIFETIME_MODEL,
  expectedRemainingMs,
  hourBand,
  lifetimeModel,
  predictEndAt,
  recordLifetime,
  remainingQuantileMs,
  repredictEndAt,
  TAIL_REMAINING_SHARE,
  type LifetimeModel,
  type LifetimeSample,
} from '../../../shared/domain/lifetime.ts';

const MIN = 60_000;
/** Tuesday 2026-01-06 12:00 UTC (hour band 2). */
const NOON = Date.UTC(2026, 0, 6, 12);

/** A model that learned `n` copies of each sample. */
function learn(samples: readonly [LifetimeSample, number][], model: LifetimeModel = EMPTY_LIFETIME_MODEL): LifetimeModel {
  let m = model;
  for (const [s, n] of samples) for (let i = 0; i < n; i++) m = recordLifetime(m, s).model;
  return m;
}

const relErr = (actual: number, expected: number) => Math.abs(actual - expected) / expected;

/** A known distribution: 50% of rooms live 10 min, 30% 60 min, 20% 240 min (1 000 rooms, kind `call`). */
const KNOWN = learn([
  [{ kind: 'call', durationMs: 10 * MIN, hourOfDay: 12 }, 500],
  [{ kind: 'call', durationMs: 60 * MIN, hourOfDay: 12 }, 300],
  [{ kind: 'call', durationMs: 240 * MIN, hourOfDay: 12 }, 200],
]);

describe('Function: recordLifetime', () => {
  it('returns the counters to ADD to its cell (duration bucket count and seconds; with a hint, the overrun ratio)', () => {
    // Act: a 65-minute meeting hinted at 60 minutes, started at 12:xx UTC
    const inc = recordLifetime(EMPTY_LIFETIME_MODEL, { kind: 'meeting', hintMs: 60 * MIN, durationMs: 65 * MIN, hourOfDay: 12 });

    // Assess: 65 min is in [2^6, 2^6.5) min = bucket 13; ratio 1.083 in [1, 2^0.25) = bucket 9
    expect(inc).toMatchObject({ kind: 'meeting', band: 2, add: { d13: 1, s13: 3900, r9: 1, q9: 1083 } });
    expect(inc.model.cells).toEqual([{ kind: 'meeting', band: 2, counts: { d13: 1, s13: 3900, r9: 1, q9: 1083 } }]);
    expect(recordLifetime(inc.model, { durationMs: 30_000, hourOfDay: 23 })).toMatchObject({ kind: '', band: 3, add: { d0: 1, s0: 30 } });
  });

  it('keeps one cell per kind and band however many samples it learns (the cached model stays small)', () => {
    expect(KNOWN.cells).toHaveLength(1);
    expect(KNOWN.cells[0]?.counts).toMatchObject({ d7: 500, s7: 300_000, d12: 300, s12: 1_080_000, d16: 200, s16: 2_880_000 });
    // The same counters compiled from the store's cells give the same predictions.
    expect(expectedRemainingMs(lifetimeModel(KNOWN.cells), { kind: 'call', ageMs: 0 })).toBe(expectedRemainingMs(KNOWN, { kind: 'call', ageMs: 0 }));
  });

  it.each([
    ['a negative duration', { durationMs: -1, hourOfDay: 0 }, /duration must be a finite number of ms ≥ 0, got -1/],
    ['a duration that is not a number', { durationMs: Number.NaN, hourOfDay: 0 }, /duration must be a finite number of ms ≥ 0, got NaN/],
    ['an hour of 24', { durationMs: MIN, hourOfDay: 24 }, /hourOfDay must be an integer 0–23, got 24/],
    ['a zero hint', { durationMs: MIN, hourOfDay: 0, hintMs: 0 }, /hintMs must be a finite number of ms > 0, got 0/],
  ] as [string, LifetimeSample, RegExp][])('refuses %s with a message naming the field', (_name, sample, message) => {
    expect(() => recordLifetime(EMPTY_LIFETIME_MODEL, sample)).toThrow(message);
  });
});

describe('Function: expectedRemainingMs', () => {
  it('is the mean of a learned distribution at age 0 and E[T − a | T > a] as the room ages', () => {
    // E[T] = 0.5 × 10 + 0.3 × 60 + 0.2 × 240 = 71 min; E[T − 30 | T > 30] = (0.3 × 30 + 0.2 × 210) / 0.5 = 102 min;
    // E[T − 100 | T > 100] = 140 min. The default prior's 5 pseudo-samples move each by < 2%.
    expect(relErr(expectedRemainingMs(KNOWN, { kind: 'call', ageMs: 0 }), 71 * MIN)).toBeLessThan(0.02);
    expect(relErr(expectedRemainingMs(KNOWN, { kind: 'call', ageMs: 30 * MIN }), 102 * MIN)).toBeLessThan(0.02);
    expect(relErr(expectedRemainingMs(KNOWN, { kind: 'call', ageMs: 100 * MIN }), 140 * MIN)).toBeLessThan(0.02);
  });

  it('gives quantiles of the remaining lifetime on the same distribution', () => {
    // (the prior's pseudo-samples sit between the learned lengths: quantiles away from the steps)
    const quantile = (ageMin: number, p: number) => remainingQuantileMs(KNOWN, { kind: 'call', ageMs: ageMin * MIN }, p);
    expect(relErr(quantile(0, 0.4), 10 * MIN)).toBeLessThan(0.02);
    expect(relErr(quantile(0, 0.7), 60 * MIN)).toBeLessThan(0.02);
    expect(relErr(quantile(0, 0.9), 240 * MIN)).toBeLessThan(0.02);
    expect(relErr(quantile(30, 0.5), 30 * MIN)).toBeLessThan(0.02);
    expect(relErr(quantile(30, 0.8), 210 * MIN)).toBeLessThan(0.02);
    expect(() => remainingQuantileMs(KNOWN, { ageMs: 0 }, 0)).toThrow(/quantile p must be in \(0, 1\], got 0/);
  });

  it('predicts from the documented default prior when nothing is learned, and takes a hint at face value', () => {
    expect(relErr(expectedRemainingMs(EMPTY_LIFETIME_MODEL, { ageMs: 0 }), DEFAULT_PRIOR.meanMin * MIN)).toBeLessThan(0.03);
    expect(expectedRemainingMs(EMPTY_LIFETIME_MODEL, { hintMs: 60 * MIN, ageMs: 0 })).toBe(60 * MIN);
    expect(expectedRemainingMs(EMPTY_LIFETIME_MODEL, { hintMs: 60 * MIN, ageMs: 10 * MIN })).toBe(50 * MIN);
  });

  it('corrects a hint by how much rooms of its kind overran their hints', () => {
    // Prepare: meetings hinted at 60 min lasted 66 min (ratio 1.1)
    const model = learn([[{ kind: 'meeting', hintMs: 60 * MIN, durationMs: 66 * MIN, hourOfDay: 9 }, 200]]);

    // Act / Assess: a 30-minute hint is read as 33 min; another kind's hint stays near face value
    // only through the pool prior (20 pseudo-samples of the pool's overruns, all from meetings here)
    expect(relErr(expectedRemainingMs(model, { kind: 'meeting', hintMs: 30 * MIN, ageMs: 0 }), 33 * MIN)).toBeLessThan(0.01);
    expect(relErr(expectedRemainingMs(model, { kind: 'meeting', hintMs: 120 * MIN, ageMs: 60 * MIN }), 72 * MIN)).toBeLessThan(0.01);
  });

  it('drops the corrected hints a room has outlived, then falls back to the conditional duration distribution', () => {
    // Prepare: half the meetings end at half their hint, half overrun it by 20%
    const model = learn([
      [{ kind: 'meeting', hintMs: 60 * MIN, durationMs: 30 * MIN, hourOfDay: 12 }, 100],
      [{ kind: 'meeting', hintMs: 60 * MIN, durationMs: 72 * MIN, hourOfDay: 12 }, 100],
    ]);
    const at = (ageMin: number) => expectedRemainingMs(model, { kind: 'meeting', hintMs: 60 * MIN, ageMs: ageMin * MIN, hourOfDay: 12 });

    // Assess: 0.5 × 30 + 0.5 × 72 = 51 min at age 0; past 30 min only the overrun is left (72 − 40 = 32)
    expect(relErr(at(0), 51 * MIN)).toBeLessThan(0.01);
    expect(relErr(at(40), 32 * MIN)).toBeLessThan(0.01);
    // Past 72 min no corrected hint is left: the same answer as without a hint
    expect(at(80)).toBe(expectedRemainingMs(model, { kind: 'meeting', ageMs: 80 * MIN, hourOfDay: 12 }));
    expect(at(80)).toBeGreaterThan(0);
  });

  it('follows the pool for a kind with few samples and its own data once it has many', () => {
    // Prepare: 1 000 short calls; a new kind `webinar` with 2, then 300 samples of 120 min
    const base = learn([[{ kind: 'call', durationMs: 10 * MIN, hourOfDay: 12 }, 1000]]);
    const few = learn([[{ kind: 'webinar', durationMs: 120 * MIN, hourOfDay: 12 }, 2]], base);
    const many = learn([[{ kind: 'webinar', durationMs: 120 * MIN, hourOfDay: 12 }, 300]], base);

    // Assess: (2 × 120 + 20 × ~10.4) / 22 ≈ 20 min; with 300 samples close to 120 min; an unseen kind is the pool
    const webinar = (m: LifetimeModel) => expectedRemainingMs(m, { kind: 'webinar', ageMs: 0 });
    expect(webinar(few)).toBeGreaterThan(15 * MIN);
    expect(webinar(few)).toBeLessThan(30 * MIN);
    expect(webinar(many)).toBeGreaterThan(110 * MIN);
    expect(expectedRemainingMs(many, { kind: 'unseen', ageMs: 0 })).toBe(expectedRemainingMs(many, { kind: 'unseen-2', ageMs: 0 }));
  });

  it('tells hour bands apart for rooms without a kind', () => {
    // Prepare: rooms started around noon last 20 min, evening rooms 60 min
    const model = learn([
      [{ durationMs: 20 * MIN, hourOfDay: 13 }, 500],
      [{ durationMs: 60 * MIN, hourOfDay: 20 }, 500],
    ]);

    // Assess: each band near its own mean (20 pseudo-samples of the 40-minute mix), 40 min without an hour
    expect(relErr(expectedRemainingMs(model, { ageMs: 0, hourOfDay: 12 }), 20.8 * MIN)).toBeLessThan(0.02);
    expect(relErr(expectedRemainingMs(model, { ageMs: 0, hourOfDay: 18 }), 59.2 * MIN)).toBeLessThan(0.02);
    expect(relErr(expectedRemainingMs(model, { ageMs: 0 }), 40 * MIN)).toBeLessThan(0.02);
  });

  it('expects a room older than everything seen to live a further share of its age', () => {
    const twentyDays = 20 * 1440 * MIN;
    expect(expectedRemainingMs(KNOWN, { kind: 'call', ageMs: twentyDays })).toBeCloseTo(twentyDays * TAIL_REMAINING_SHARE, 0);
  });

  it.each([
    ['a negative age', { ageMs: -5 }, /ageMs must be a finite number of ms ≥ 0, got -5/],
    ['a negative hint', { ageMs: 0, hintMs: -1 }, /hintMs must be a finite number of ms > 0, got -1/],
    ['an hour of 7.5', { ageMs: 0, hourOfDay: 7.5 }, /hourOfDay must be an integer 0–23, got 7.5/],
  ])('refuses %s with a message naming the field', (_name, query, message) => {
    expect(() => expectedRemainingMs(EMPTY_LIFETIME_MODEL, query)).toThrow(message);
  });
});

describe('Function: predictEndAt / repredictEndAt', () => {
  it('re-predicts a room’s end later as it outlives the short lifetimes (LAVA)', () => {
    const room = { kind: 'call', startedAt: NOON };
    const endAt = (ageMin: number) => repredictEndAt(KNOWN, room, NOON + ageMin * MIN);

    // Assess: 71 min after the start at first; once past 10 min, 30 + 102 = 132; once past 60 min, 240
    expect(relErr(predictEndAt(KNOWN, room, NOON) - NOON, 71 * MIN)).toBeLessThan(0.02);
    expect(relErr(endAt(30) - NOON, 132 * MIN)).toBeLessThan(0.02);
    expect(relErr(endAt(100) - NOON, 240 * MIN)).toBeLessThan(0.02);
    expect(endAt(30)).toBeGreaterThan(endAt(0));
  });

  it('counts a room that starts after now as age 0 and refuses times that are not numbers', () => {
    expect(predictEndAt(EMPTY_LIFETIME_MODEL, { hintMs: 30 * MIN, startedAt: NOON + MIN }, NOON)).toBe(NOON + 30 * MIN);
    expect(() => predictEndAt(EMPTY_LIFETIME_MODEL, { startedAt: Number.NaN }, NOON)).toThrow(/startedAt and now must be finite epoch ms/);
  });
});

describe('Function: durationBucket / hourBand', () => {
  it('uses log-spaced edges of 1 min × 2^(k/2) and 6-hour bands', () => {
    expect([0, 59_999, MIN, 1.5 * MIN, 2 * MIN, 60 * MIN, 7 * 1440 * MIN, 30 * 1440 * MIN].map(durationBucket)).toEqual([0, 0, 1, 2, 3, 12, 27, 28]);
    expect([0, 5, 6, 11, 12, 17, 18, 23].map(hourBand)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});
