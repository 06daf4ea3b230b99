import { describe, expect, it } from 'vitest';
import { DAY_MS, summarizeDays } from '../../sim/runtime/days.ts';

describe('Function: summarizeDays', () => {
  it('summarizes each day apart, by the day the room arrived', () => {
    // Prepare: day 0 — 3 placements, one waited 80 s; day 1 — 2 placements, one of which arrived
    // 10 ms before the end of day 1 and waited 30 s (placed on day 2: counts on day 1, its arrival)
    const start = 1_000;
    const placements = [
      { arrivedAt: start + 10, waitMs: 0 },
      { arrivedAt: start + 3_600_000, waitMs: 80_000 },
      { arrivedAt: start + DAY_MS - 1, waitMs: 0 },
      { arrivedAt: start + DAY_MS, waitMs: 0 },
      { arrivedAt: start + 2 * DAY_MS - 10, waitMs: 30_000 },
    ];

    // Act
    const days = summarizeDays(placements, start, start + 2 * DAY_MS + 60_000);

    // Assess: three days (the run ends a minute into day 2), the last one empty
    expect(days).toEqual([
      { day: 0, placements: 3, waitedPlacements: 1, waitP50Ms: 0, waitP99Ms: 80_000, waitMaxMs: 80_000 },
      { day: 1, placements: 2, waitedPlacements: 1, waitP50Ms: 0, waitP99Ms: 30_000, waitMaxMs: 30_000 },
      { day: 2, placements: 0, waitedPlacements: 0, waitP50Ms: 0, waitP99Ms: 0, waitMaxMs: 0 },
    ]);
  });

  it('takes nearest-rank percentiles of a day of 100 placements', () => {
    // Prepare: waits 1…100 s on day 0
    const placements = Array.from({ length: 100 }, (_, i) => ({ arrivedAt: i, waitMs: (100 - i) * 1000 }));

    // Act
    const [day] = summarizeDays(placements, 0, DAY_MS);

    // Assess
    expect(day).toEqual({ day: 0, placements: 100, waitedPlacements: 100, waitP50Ms: 50_000, waitP99Ms: 99_000, waitMaxMs: 100_000 });
  });

  it('gives one empty day for a run without placements', () => {
    expect(summarizeDays([], 0, 5)).toEqual([{ day: 0, placements: 0, waitedPlacements: 0, waitP50Ms: 0, waitP99Ms: 0, waitMaxMs: 0 }]);
  });
});
