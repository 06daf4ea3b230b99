/**
 * The warm pool side by side (issue 19, item 6): our policy with the pool's `warmPool.state`
 * `none`, `stopped` and `hibernated`, against the lower bound and the baselines — EC2 Auto
 * Scaling target tracking without and with a warm pool of the same state (bench/baselines.ts
 * `AsgWarmPool`), naive reactive, jitsi-style thresholds, the static 72-vCPU server — on each
 * trace, over several seeds (placement spread and boot jitter). Every row carries the full bill
 * (instances while running + gp3 root volumes and public IPv4 addresses while the instances
 * exist, sim/runtime/bill.ts at the prices of shared/domain/pricing.ts), node-hours (instance
 * hours billed), the share of placements that waited and the p99 wait; the second-crowd trace
 * also reports the p99 wait of its second day alone.
 *
 * Figures are means over the seeds; the p99 wait also gives the worst seed.
 *
 * @module
 */
import { parseAutoscalerConfig, poolByName, type AutoscalerConfig } from '../shared/domain/config.ts';
import { DEFAULT_PRICING_REGION, regionPrices, stoppedNodeUsdPerHour } from '../shared/domain/pricing.ts';
import { lowerBoundNodeHours } from '../sim/trace/stats.ts';
import { asgWarmPool, runBaseline, type BaselineRun } from './baselines.ts';
import { replayOurPolicy } from './policy-replay.ts';
import type { BenchTrace } from './traces.ts';
import type { FleetBill } from '../sim/runtime/bill.ts';
import type { DaySummary } from '../sim/runtime/days.ts';
import type { PolicyRun } from './metrics.ts';

/** The warm-pool states compared. */
export const WARM_STATES = ['none', 'stopped', 'hibernated'] as const;
/** Warm-pool state of a pool. */
export type WarmState = (typeof WARM_STATES)[number];

/** One policy on one trace, means over the seeds. */
export interface WarmPoolRow {
  readonly policy: string;
  /** The warm-pool state of the row (`none` for policies without one). */
  readonly state: WarmState;
  readonly nodeHours: number;
  /** Hours instances spent stopped or hibernated. */
  readonly stoppedHours: number;
  readonly instanceUsd: number;
  readonly ebsUsd: number;
  readonly publicIpv4Usd: number;
  /** The full bill, USD. */
  readonly totalUsd: number;
  /** Placements that waited, 0–1. */
  readonly waitedShare: number;
  /** p99 wait, ms: mean and worst over the seeds. */
  readonly waitP99Ms: number;
  readonly waitP99WorstMs: number;
  /** p99 wait of each day (mean over the seeds), ms. */
  readonly dayP99Ms: readonly number[];
}

/** One trace's rows. */
export interface WarmPoolTrace {
  readonly trace: string;
  readonly description: string;
  readonly seeds: readonly number[];
  readonly lowerBoundNodeHours: number;
  /** Lower bound × the pool's instance price (no EBS, no IPv4), USD. */
  readonly lowerBoundUsd: number;
  readonly rows: readonly WarmPoolRow[];
}

/** What the section measures. */
export interface WarmPoolFigures {
  readonly region: string;
  /** What one idle warm node costs per hour: its gp3 root volume + its public IPv4 addresses, USD/h. */
  readonly idleWarmNodeUsdPerHour: number;
  readonly traces: readonly WarmPoolTrace[];
}

/** The configuration with the default pool's warm pool set to `state`. */
export function withWarmState(config: AutoscalerConfig, state: WarmState): AutoscalerConfig {
  const pools = config.pools.map((p) => (p.name === config.defaultPool ? { ...p, warmPool: { ...p.warmPool, state } } : p));
  return parseAutoscalerConfig({ ...config, pools });
}

interface Sample {
  readonly run: PolicyRun;
  readonly bill: FleetBill;
  readonly days: readonly DaySummary[];
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function row(policy: string, state: WarmState, samples: readonly Sample[]): WarmPoolRow {
  const dayCount = Math.max(...samples.map((s) => s.days.length));
  return {
    policy,
    state,
    nodeHours: mean(samples.map((s) => s.bill.runningHours)),
    stoppedHours: mean(samples.map((s) => s.bill.stoppedHours)),
    instanceUsd: mean(samples.map((s) => s.bill.instanceUsd)),
    ebsUsd: mean(samples.map((s) => s.bill.ebsUsd)),
    publicIpv4Usd: mean(samples.map((s) => s.bill.publicIpv4Usd)),
    totalUsd: mean(samples.map((s) => s.bill.totalUsd)),
    waitedShare: mean(samples.map((s) => (s.run.placements ? s.run.waited / s.run.placements : 0))),
    waitP99Ms: mean(samples.map((s) => s.run.waitP99Ms)),
    waitP99WorstMs: Math.max(...samples.map((s) => s.run.waitP99Ms)),
    dayP99Ms: Array.from({ length: dayCount }, (_, d) => mean(samples.map((s) => s.days[d]?.waitP99Ms ?? 0))),
  };
}

/**
 * Measure every policy × warm-pool state on every trace over `seeds`.
 *
 * @param traces - the traces
 * @param config - the deployment configuration (its default pool; `warmPool.state` is overridden per row)
 * @param seeds - seeds of placement spread and boot jitter (issue 19: 1–5)
 * @param onProgress - called with a line of progress
 */
export async function measureWarmPool(
  traces: readonly BenchTrace[],
  config: AutoscalerConfig,
  seeds: readonly number[],
  onProgress: (line: string) => void = () => undefined,
): Promise<WarmPoolFigures> {
  const pool = poolByName(config, config.defaultPool);
  const out: WarmPoolTrace[] = [];
  for (const trace of traces) {
    const t0 = Date.now();
    const rows: WarmPoolRow[] = [];
    for (const state of WARM_STATES) {
      const cfg = withWarmState(config, state);
      const samples: Sample[] = [];
      for (const seed of seeds) {
        const r = await replayOurPolicy(trace.events, cfg, seed);
        samples.push({ run: r.run, bill: r.bill, days: r.days });
      }
      rows.push(row(`ours (warm pool ${state})`, state, samples));
    }
    const baseline = (name: Parameters<typeof runBaseline>[0], state: WarmState): Sample[] =>
      seeds.map((seed) => {
        const b: BaselineRun = runBaseline(name, trace.events, pool, seed, state === 'none' ? undefined : asgWarmPool(pool, state, trace.events));
        return { run: b, bill: b.bill, days: b.days };
      });
    rows.push(row('ec2-asg-target-tracking', 'none', baseline('ec2-asg-target-tracking', 'none')));
    for (const state of ['stopped', 'hibernated'] as const) {
      rows.push(row(`ec2-asg-target-tracking + warm pool (${state})`, state, baseline('ec2-asg-target-tracking', state)));
    }
    for (const name of ['naive-reactive', 'jitsi-thresholds'] as const) rows.push(row(name, 'none', baseline(name, 'none')));
    // Its hours are hours of 72-vCPU servers here (the bill's instance-hours), not 8-vCPU node equivalents.
    rows.push(row('static-72-vcpu (server-hours)', 'none', baseline('static-72-vcpu', 'none')));
    const lb = lowerBoundNodeHours(trace.events, pool.containersPerNode * pool.capacityPerContainer);
    out.push({ trace: trace.name, description: trace.description, seeds, lowerBoundNodeHours: lb, lowerBoundUsd: lb * pool.hourlyPriceUsd, rows });
    onProgress(`warm pool: ${trace.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return {
    region: DEFAULT_PRICING_REGION,
    // A stopped node's Elastic IPs are billed only when the pool keeps them (warmPool.releaseAddressesOnStop).
    idleWarmNodeUsdPerHour: stoppedNodeUsdPerHour(pool.rootVolumeGiB, pool.warmPool.releaseAddressesOnStop ? 0 : pool.containersPerNode, regionPrices()),
    traces: out,
  };
}
