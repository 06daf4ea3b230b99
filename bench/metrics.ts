/**
 * The figures every policy row of the benchmark reports, computed the same way for all of them.
 *
 * @module
 */
import { percentile } from '../sim/percentile.ts';
import { lowerBoundNodeHours, static72CostUsd } from '../sim/trace/stats.ts';
import type { TraceEvent } from '../sim/trace/model.ts';

/** One policy on one trace. Hours are node-hours of 8-vCPU nodes; money USD; waits ms. */
export interface PolicyRun {
  readonly policy: string;
  /** How the row was computed (which code ran), shown in the output. */
  readonly path: string;
  readonly nodeHours: number;
  readonly costUsd: number;
  /** ∫ ceil(active weight / node capacity) dt, h (sim/trace/stats.ts). */
  readonly lowerBoundNodeHours: number;
  readonly ratioToLowerBound: number;
  readonly placements: number;
  /** Placements that waited for capacity (wait > 0). */
  readonly waited: number;
  /** Share of placements with no wait, 0–1. */
  readonly noWaitShare: number;
  readonly waitP99Ms: number;
  readonly waitMaxMs: number;
  /** Instances launched. */
  readonly launches: number;
  /** Saving against the static 72-vCPU servers, 0–1. */
  readonly savingVsStatic: number;
}

/** Inputs of {@link summarizeRun}. */
export interface RunFigures {
  readonly policy: string;
  readonly path: string;
  readonly events: readonly TraceEvent[];
  /** Capacity units of one 8-vCPU node. */
  readonly nodeCapacity: number;
  /** USD/h of one node. */
  readonly hourlyPriceUsd: number;
  readonly nodeHours: number;
  /** Cost when not nodeHours × price (the static server), USD. */
  readonly costUsd?: number;
  /** Wait of every placement, ms. */
  readonly waitsMs: readonly number[];
  readonly launches: number;
}

/** Turn a run's raw figures into a {@link PolicyRun}. */
export function summarizeRun(f: RunFigures): PolicyRun {
  const lb = lowerBoundNodeHours(f.events, f.nodeCapacity);
  const sorted = [...f.waitsMs].sort((a, b) => a - b);
  const waited = sorted.filter((w) => w > 0).length;
  const cost = f.costUsd ?? f.nodeHours * f.hourlyPriceUsd;
  const staticCost = static72CostUsd(f.events, f.nodeCapacity);
  return {
    policy: f.policy,
    path: f.path,
    nodeHours: f.nodeHours,
    costUsd: cost,
    lowerBoundNodeHours: lb,
    ratioToLowerBound: lb > 0 ? f.nodeHours / lb : 0,
    placements: sorted.length,
    waited,
    noWaitShare: sorted.length ? 1 - waited / sorted.length : 1,
    waitP99Ms: percentile(sorted, 99),
    waitMaxMs: sorted.length ? (sorted[sorted.length - 1] as number) : 0,
    launches: f.launches,
    savingVsStatic: staticCost > 0 ? 1 - cost / staticCost : 0,
  };
}
