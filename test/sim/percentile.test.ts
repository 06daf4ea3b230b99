import { describe, expect, it } from 'vitest';
import { percentile } from '../../sim/percentile.ts';

describe('Function: percentile', () => {
  it.each([
    [[], 50, 0],
    [[5], 99, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 99, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
  ])('returns the nearest-rank percentile of %j at p%d', (sorted, p, expected) => {
    expect(percentile(sorted, p)).toBe(expected);
  });
});
