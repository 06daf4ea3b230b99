/**
 * The one seeded random source of the simulated cloud: the trace generator, the simulator
 * (placement spread, boot jitter, faults), the benchmark and the tests all draw from
 * {@link seededRandom}, and the generator's distributions are built on it here.
 *
 * @module
 */
import type { RandomSource } from '../shared/domain/placement.ts';

export type { RandomSource };

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A deterministic uniform [0, 1) source for a seed: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, PractRand-clean), its state filled by splitmix32 from the seed.
 *
 * @param seed - any finite number; its integer part (up to 2^53) selects the sequence
 * @param stream - independent sub-sequence of the same seed (default 0)
 * @example
 * const random = seededRandom(42);
 * random(); // same value on every run and platform
 */
export function seededRandom(seed: number, stream = 0): RandomSource {
  const whole = Math.trunc(Number.isFinite(seed) ? seed : 0);
  const lo = whole >>> 0;
  const hi = Math.floor(whole / 4_294_967_296) >>> 0;
  let state = mix32(lo ^ mix32(hi + 0x9e3779b9) ^ mix32(Math.imul(stream + 1, 0x632be5ab)));
  const next = (): number => {
    state = (state + 0x9e3779b9) | 0;
    return mix32(state);
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  const random = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 12; i += 1) random();
  return random;
}

/** Uniform on [lo, hi). */
export function uniform(random: RandomSource, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}

/** Exponential with the given mean. */
export function exponential(random: RandomSource, mean: number): number {
  return -mean * Math.log(1 - random());
}

/** Standard normal (Box–Muller). */
export function standardNormal(random: RandomSource): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal with the given mean and shape σ (of the underlying normal). */
export function lognormal(random: RandomSource, mean: number, sigma: number): number {
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * standardNormal(random));
}

/** Poisson-distributed count with mean `lambda` (Knuth's method, in chunks of ≤ 50). */
export function poisson(random: RandomSource, lambda: number): number {
  let remaining = lambda;
  let count = 0;
  while (remaining > 0) {
    const chunk = Math.min(remaining, 50);
    remaining -= chunk;
    const limit = Math.exp(-chunk);
    let p = random();
    while (p > limit) {
      count += 1;
      p *= random();
    }
  }
  return count;
}

/** One entry of a table, drawn with probability proportional to its `share`. */
export function pick<T extends { readonly share: number }>(random: RandomSource, table: readonly T[]): T {
  const total = table.reduce((s, x) => s + x.share, 0);
  let u = random() * total;
  for (const entry of table) {
    u -= entry.share;
    if (u < 0) return entry;
  }
  return table[table.length - 1] as T;
}
