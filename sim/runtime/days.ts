/**
 * Waiting per day of a trace, so that a second crowd can be judged apart from the first
 * (`days` of `simulate --json`).
 *
 * @module
 */
import { percentile } from '../percentile.ts';

/** Milliseconds in a day of the trace. */
export const DAY_MS = 86_400_000;

/** One placement: when its room arrived (first delivery of the create) and how long it waited. */
export interface PlacementWait {
  /** Arrival, epoch ms (placement time − wait). */
  readonly arrivedAt: number;
  /** Wait, ms (0: placed at once). */
  readonly waitMs: number;
}

/** One day of the trace. Waits in ms, nearest-rank percentiles (`sim/percentile.ts`). */
export interface DaySummary {
  /** Day index from the trace start (0 = the first day). */
  readonly day: number;
  /** Placements whose room arrived that day. */
  readonly placements: number;
  /** Of those, placements that waited (wait > 0). */
  readonly waitedPlacements: number;
  readonly waitP50Ms: number;
  readonly waitP99Ms: number;
  readonly waitMaxMs: number;
}

/**
 * Summarize placements per day, by the day their room arrived (a room that waited past
 * midnight counts on the day it asked). Every day from the trace start to `endMs` appears, with
 * zeros when nothing arrived.
 *
 * @param placements - every placement
 * @param startMs - trace start, epoch ms (day 0 begins here)
 * @param endMs - end of the run, epoch ms (the last day is the one holding `endMs − 1`)
 * @returns one entry per day, in order
 * @example
 * summarizeDays([{ arrivedAt: 0, waitMs: 0 }, { arrivedAt: DAY_MS + 5, waitMs: 40_000 }], 0, 2 * DAY_MS);
 * // [{ day: 0, placements: 1, waitedPlacements: 0, … }, { day: 1, placements: 1, waitedPlacements: 1, waitP99Ms: 40000, … }]
 */
export function summarizeDays(placements: readonly PlacementWait[], startMs: number, endMs: number): DaySummary[] {
  const dayOf = (t: number) => Math.max(0, Math.floor((t - startMs) / DAY_MS));
  let count = Math.max(1, Math.ceil((endMs - startMs) / DAY_MS));
  for (const p of placements) count = Math.max(count, dayOf(p.arrivedAt) + 1);
  const waits: number[][] = Array.from({ length: count }, () => []);
  for (const p of placements) (waits[dayOf(p.arrivedAt)] as number[]).push(p.waitMs);
  return waits.map((w, day) => {
    const sorted = w.sort((a, b) => a - b);
    return {
      day,
      placements: sorted.length,
      waitedPlacements: sorted.filter((x) => x > 0).length,
      waitP50Ms: percentile(sorted, 50),
      waitP99Ms: percentile(sorted, 99),
      waitMaxMs: sorted.length ? (sorted[sorted.length - 1] as number) : 0,
    };
  });
}
