/**
 * Nearest-rank percentiles, as the simulator's summary and the benchmark's rows report them.
 *
 * @module
 */

/**
 * Percentile (nearest rank) of a sorted array; 0 for an empty one.
 *
 * @param sorted - ascending
 * @param p - 0–100
 * @example
 * percentile([1, 2, 3, 4], 50); // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
