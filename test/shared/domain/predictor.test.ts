import { describe, expect, it } from 'vitest';
import { applyFold, DAY_MS, ewmaRatePerMs, foldArrivals, seasonalForecast, SLOT_MS, type HistorySlots } from '../../../shared/domain/predictor.ts';

const MIN = 60_000;
/** Tuesday 2026-01-06 00:00 UTC. */
const TUESDAY = Date.UTC(2026, 0, 6);
const slot = (ms: number) => Math.floor(ms / SLOT_MS);

/** A history of the previous day with `perMinute` rooms in every minute of its 09:00 slot and `quiet` in every other slot. */
function monday(perMinute: number, quiet = 0): HistorySlots {
  const slots: Record<string, number> = {};
  for (let ms = TUESDAY - DAY_MS; ms < TUESDAY; ms += SLOT_MS) {
    const busy = ms === TUESDAY - DAY_MS + 9 * 3_600_000;
    slots[`a${slot(ms)}`] = busy ? perMinute * 15 : quiet;
    slots[`p${slot(ms)}`] = busy ? perMinute : Math.min(quiet, 1);
  }
  return { slots, throughMinute: TUESDAY / MIN - 1 };
}

describe('Function: foldArrivals', () => {
  it('adds whole minutes to their slot, raises the busiest minute and never folds a minute twice', () => {
    // Prepare: minutes 0–2 of a slot hold 3, 7 and 2 units; the fold last reached the minute before
    const start = slot(TUESDAY) * SLOT_MS;
    const buckets = { [String(start / MIN)]: 3, [String(start / MIN + 1)]: 7, [String(start / MIN + 2)]: 2 };
    const history: HistorySlots = { slots: {}, throughMinute: start / MIN - 1 };

    // Act
    const fold = foldArrivals(buckets, history, start + 3 * MIN + 5_000, 10 * MIN);

    // Assess
    expect(fold).toMatchObject({ throughMinute: start / MIN + 2, add: { [`a${slot(start)}`]: 12 }, set: { [`p${slot(start)}`]: 7 } });
    const after = applyFold(history, fold as NonNullable<typeof fold>);
    expect(foldArrivals(buckets, after, start + 3 * MIN + 30_000, 10 * MIN)).toBeUndefined();
  });
});

describe('Function: seasonalForecast', () => {
  it.each([
    // [case, history, expected arrivals during a 90 s boot]
    ['no history for the time of day', { slots: {} }, 0],
    ['yesterday\'s 09:00 slot peaked at 30 rooms a minute', monday(30), 45],
  ])('forecasts from %s', (_case, history, expected) => {
    // Act: 08:58, lead 150 s reaches into the 09:00 slot
    const forecast = seasonalForecast(history as HistorySlots, TUESDAY + 9 * 3_600_000 - 2 * MIN, 90_000, 150_000);

    // Assess
    expect(forecast).toBeCloseTo(expected as number, 6);
  });

  it('releases the forecast after the ramp and scales it down on a day much quieter than the reference', () => {
    // Prepare: the reference day had 40 units an hour before 09:00; today had none (a holiday)
    const history = monday(30, 10);

    // Act
    const after = seasonalForecast(history, TUESDAY + 10 * 3_600_000, 90_000, 150_000);
    const holiday = seasonalForecast(history, TUESDAY + 9 * 3_600_000 - 2 * MIN, 90_000, 150_000);

    // Assess
    expect(after).toBeLessThan(2);
    expect(holiday).toBeLessThan(45 * 0.3);
  });
});

describe('Function: ewmaRatePerMs', () => {
  it('weighs recent whole minutes most', () => {
    expect(ewmaRatePerMs({ '9': 20 }, 10 * MIN + 1_000, 10 * MIN)).toBeCloseTo(10 / MIN, 12);
    expect(ewmaRatePerMs(undefined, 10 * MIN, 10 * MIN)).toBe(0);
  });
});
