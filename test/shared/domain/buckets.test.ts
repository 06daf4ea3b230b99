import { describe, expect, it } from 'vitest';
import { BUCKET_MS, bucketKey, sumRecent } from '../../../shared/domain/buckets.ts';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

describe('Function: bucketKey', () => {
  it.each([
    { name: 'the start of a minute', now: 28_333_333 * MIN, expected: '28333333' },
    { name: 'the last ms of that minute', now: 28_333_334 * MIN - 1, expected: '28333333' },
    { name: 'the next minute', now: 28_333_334 * MIN, expected: '28333334' },
  ])('keys $name as $expected', ({ now, expected }) => {
    // Prepare / Act / Assess
    expect(bucketKey(now)).toBe(expected);
  });

  it('uses one-minute buckets', () => {
    // Prepare / Act / Assess
    expect(BUCKET_MS).toBe(MIN);
  });
});

describe('Function: sumRecent', () => {
  it.each([
    { name: 'sums the buckets within the window', windowMs: 3 * MIN, expected: 1 + 2 + 4 },
    { name: 'includes only the current bucket for a one-minute window', windowMs: MIN, expected: 4 },
    { name: 'includes every bucket for a long window', windowMs: 10 * MIN, expected: 1 + 2 + 4 + 8 },
  ])('$name', ({ windowMs, expected }) => {
    // Prepare
    const k = Math.floor(NOW / MIN);
    const buckets = { [String(k - 3)]: 8, [String(k - 2)]: 1, [String(k - 1)]: 2, [String(k)]: 4, [String(k + 1)]: 16 };

    // Act / Assess
    expect(sumRecent(buckets, NOW, windowMs)).toBe(expected);
  });
});
