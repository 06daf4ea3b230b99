import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../sim/random.ts';
import { sampleRoomWeight, sampleScheduledLengthMin, SCHEDULED_LENGTHS } from '../../../sim/trace/demand.ts';

describe('Function: sampleScheduledLengthMin', () => {
  const random = seededRandom(1);
  const draws = Array.from({ length: 50_000 }, () => sampleScheduledLengthMin(random));
  const total = SCHEDULED_LENGTHS.reduce((s, l) => s + l.share, 0);

  it.each(SCHEDULED_LENGTHS.map((l) => ({ minutes: l.minutes, share: l.share / total })))(
    'draws $minutes min with the published share when sampled 50,000 times',
    ({ minutes, share }) => {
      // Prepare (above)
      // Act
      const observed = draws.filter((d) => d === minutes).length / draws.length;

      // Assess
      expect(observed).toBeCloseTo(share, 1);
      expect(Math.abs(observed - share)).toBeLessThan(0.01);
    },
  );
});

describe('Function: sampleRoomWeight', () => {
  it('draws mostly 1 and sometimes 2–4 when sampled many times', () => {
    // Prepare
    const random = seededRandom(3);

    // Act
    const weights = Array.from({ length: 20_000 }, () => sampleRoomWeight(random));

    // Assess
    expect(new Set(weights)).toEqual(new Set([1, 2, 3, 4]));
    const ones = weights.filter((w) => w === 1).length / weights.length;
    expect(ones).toBeGreaterThan(0.83);
    expect(ones).toBeLessThan(0.87);
  });
});
