import { describe, expect, it } from 'vitest';
import { exponential, lognormal, pick, poisson, seededRandom, uniform } from '../../sim/random.ts';

describe('Function: seededRandom', () => {
  it('returns the same sequence when given the same seed and stream', () => {
    // Prepare
    const a = seededRandom(42);
    const b = seededRandom(42);

    // Act
    const xs = Array.from({ length: 100 }, () => a());
    const ys = Array.from({ length: 100 }, () => b());

    // Assess
    expect(xs).toEqual(ys);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it.each([
    { name: 'another seed', other: () => seededRandom(43) },
    { name: 'another stream', other: () => seededRandom(42, 1) },
    { name: 'a seed that differs above 32 bits', other: () => seededRandom(42 + 2 ** 32) },
  ])('returns a different sequence when given $name', ({ other }) => {
    // Prepare
    const base = seededRandom(42);
    const random = other();

    // Act
    const xs = Array.from({ length: 10 }, () => base());
    const ys = Array.from({ length: 10 }, () => random());

    // Assess
    expect(xs).not.toEqual(ys);
  });

  it('is roughly uniform when drawn many times', () => {
    // Prepare
    const random = seededRandom(7);
    const buckets = new Array<number>(10).fill(0);

    // Act
    for (let i = 0; i < 100_000; i += 1) buckets[Math.floor(random() * 10)]! += 1;

    // Assess
    for (const count of buckets) expect(count).toBeGreaterThan(9_500);
    for (const count of buckets) expect(count).toBeLessThan(10_500);
  });
});

describe('Function: uniform, exponential, lognormal, poisson', () => {
  const N = 50_000;
  const mean = (draw: () => number): number => {
    let sum = 0;
    for (let i = 0; i < N; i += 1) sum += draw();
    return sum / N;
  };

  it.each([
    { name: 'uniform(2, 6)', draw: (r: () => number) => uniform(r, 2, 6), expected: 4 },
    { name: 'exponential(mean 9)', draw: (r: () => number) => exponential(r, 9), expected: 9 },
    { name: 'lognormal(mean 15, σ 1)', draw: (r: () => number) => lognormal(r, 15, 1), expected: 15 },
    { name: 'poisson(3)', draw: (r: () => number) => poisson(r, 3), expected: 3 },
    { name: 'poisson(120), drawn in chunks of 50', draw: (r: () => number) => poisson(r, 120), expected: 120 },
  ])('averages $expected when $name is drawn 50,000 times', ({ draw, expected }) => {
    // Prepare
    const random = seededRandom(11);

    // Act
    const observed = mean(() => draw(random));

    // Assess
    expect(Math.abs(observed - expected) / expected).toBeLessThan(0.03);
  });

  it('keeps uniform draws within [lo, hi)', () => {
    // Prepare
    const random = seededRandom(5);

    // Act
    const xs = Array.from({ length: 10_000 }, () => uniform(random, -2, 0.5));

    // Assess
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(0.5);
  });
});

describe('Function: pick', () => {
  it('draws each entry in proportion to its share, the shares need not add up to 1', () => {
    // Prepare
    const random = seededRandom(2);
    const table = [
      { name: 'a', share: 2 },
      { name: 'b', share: 1 },
      { name: 'c', share: 1 },
    ];

    // Act
    const draws = Array.from({ length: 40_000 }, () => pick(random, table).name);

    // Assess
    const share = (name: string) => draws.filter((d) => d === name).length / draws.length;
    expect(share('a')).toBeCloseTo(0.5, 1);
    expect(share('b')).toBeCloseTo(0.25, 1);
    expect(share('c')).toBeCloseTo(0.25, 1);
  });
});
