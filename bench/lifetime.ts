/**
 * Knowing the future, measured (issue 15, item 7): our policy on each trace three ways — without
 * hints, with the hints the trace carries, and with oracle hints (every room's true duration,
 * bench/hint-variants.ts) — next to the baselines (bench/baselines.ts), the fluid lower bound
 * (`lowerBoundNodeHours`, sim/trace/stats.ts) and the no-migration bound (bench/no-migration.ts),
 * over several seeds (placement spread and boot jitter). Each row gives node-hours, × the lower
 * bound, the share of placements that did not wait, the p99 wait and the full bill (instances +
 * gp3 EBS + public IPv4, sim/runtime/bill.ts at shared/domain/pricing.ts's prices); the figures
 * are the mean over the seeds with their min and max.
 *
 * The gap of each of our rows to the lower bound is split in two: *physics* (no-migration bound −
 * lower bound: what an offline packer that knows every lifetime still pays because rooms cannot
 * move) and *policy* (ours − no-migration bound). The no-migration bound is a heuristic's result,
 * an upper bound on the true offline optimum (bench/no-migration.ts), so the physics share is
 * over-stated and the policy share under-stated.
 *
 * Demand-only figures (bounds, baselines) are computed on the trace without hints: hints change
 * what the policy knows, not the demand, and `RoomScheduled` lines are announcements, not rooms.
 * The policy itself picks up whatever the handlers do with hints, so the rows measure the merged
 * policy without change here.
 *
 * @module
 */
import Table from 'cli-table3';
import { poolByName, type AutoscalerConfig } from '../shared/domain/config.ts';
import { DEFAULT_PRICING_REGION, regionPrices, stoppedNodeUsdPerHour } from '../shared/domain/pricing.ts';
import type { TraceEvent } from '../sim/trace/model.ts';
import { runBaseline, type BaselineName } from './baselines.ts';
import { hasHints, hintCoverage, oracleHints, withoutHints, type HintCoverage } from './hint-variants.ts';
import { noMigrationBound, type NoMigrationBound } from './no-migration.ts';
import { replayOurPolicy } from './policy-replay.ts';
import type { BenchTrace } from './traces.ts';

/** A trace to measure; `fullEvents` is the whole trace when `events` is a part of it (`--quick`). */
export interface LifetimeTraceInput extends BenchTrace {
  /** The whole trace, when only a part (`events`) is replayed: its bounds are reported too. */
  readonly fullEvents?: readonly TraceEvent[];
  /** What part is replayed (e.g. `day 1 of 7`), shown with the figures. */
  readonly scope?: string;
}

const asGiven = (events: readonly TraceEvent[]) => events.slice();

/**
 * Our policy's variants: its input (no hints, the trace's hints, oracle hints) and, for the last
 * three, the default pool's lifetime-aware settings (`lifetimeDrain`, `lifetimePlacement`;
 * shared/domain/config.ts), off by default.
 */
export const LIFETIME_VARIANTS = [
  { variant: 'no-hints', policy: 'ours, no hints', transform: withoutHints, pool: {} },
  { variant: 'hints', policy: 'ours, hints (trace as given)', transform: asGiven, pool: {} },
  { variant: 'oracle', policy: 'ours, oracle hints (true ends)', transform: oracleHints, pool: {} },
  { variant: 'no-hints-drain', policy: 'ours, no hints, lifetimeDrain', transform: withoutHints, pool: { lifetimeDrain: true } },
  { variant: 'hints-drain', policy: 'ours, hints, lifetimeDrain', transform: asGiven, pool: { lifetimeDrain: true } },
  { variant: 'oracle-lifetime', policy: 'ours, oracle hints, lifetimeDrain + lifetimePlacement', transform: oracleHints, pool: { lifetimeDrain: true, lifetimePlacement: true } },
] as const;

/** The configuration with the default pool's settings overridden. */
function withPool(config: AutoscalerConfig, overrides: Readonly<Record<string, unknown>>): AutoscalerConfig {
  if (Object.keys(overrides).length === 0) return config;
  return { ...config, pools: config.pools.map((p) => (p.name === config.defaultPool ? { ...p, ...overrides } : p)) };
}
/** One of our policy's input variants. */
export type LifetimeVariant = (typeof LIFETIME_VARIANTS)[number]['variant'];

/** The baselines compared (bench/baselines.ts). */
export const LIFETIME_BASELINES: readonly BaselineName[] = ['naive-reactive', 'ec2-asg-target-tracking', 'jitsi-thresholds', 'static-72-vcpu'];

/** A figure over the seeds. */
export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** One row: a policy on one trace, over the seeds. */
export interface LifetimeRow {
  readonly policy: string;
  /** Our input variant; undefined for a baseline. */
  readonly variant?: LifetimeVariant;
  /**
   * Set when the row's input was identical to another row's (a trace without hints: "hints" is
   * "no hints"), so that row's replays were reused: the variant it equals.
   */
  readonly sameInputAs?: LifetimeVariant;
  /** Instance hours billed (for static-72-vcpu: 8-vCPU-node equivalents), h. */
  readonly nodeHours: Spread;
  readonly ratioToLowerBound: Spread;
  /** Placements that did not wait for capacity, 0–1. */
  readonly unqueuedShare: Spread;
  readonly waitP99Ms: Spread;
  /** Full bill: instances + EBS + public IPv4, USD. */
  readonly billUsd: Spread;
  /** Our invariants, worst seed (0 for baselines): containers over capacity, units held without a room. */
  readonly overbooked: number;
  readonly leakedCapacity: number;
}

/** How one of our rows' distance to the lower bound splits (node-hours, means over the seeds). */
export interface GapSplit {
  readonly policy: string;
  /** Ours − lower bound, h. */
  readonly aboveLowerBound: number;
  /** No-migration bound − lower bound, h (what rooms that cannot move cost even with perfect knowledge). */
  readonly physics: number;
  /** Ours − no-migration bound, h (what a better online policy could still recover, at least). */
  readonly policyPart: number;
  /** physics / aboveLowerBound, 0–1 (0 when ours is at the bound). */
  readonly physicsShare: number;
}

/** A bound in node-hours and as a full bill. */
export interface BoundFigures {
  readonly lowerBoundNodeHours: number;
  /** Lower bound × (instance price + EBS and IPv4 per node-hour), USD. */
  readonly lowerBoundUsd: number;
  readonly noMigration: NoMigrationBound;
  /** No-migration bound × the same per-node-hour price, USD. */
  readonly noMigrationUsd: number;
}

/** One trace's figures. */
export interface LifetimeTrace {
  readonly trace: string;
  readonly description: string;
  /** What was replayed: `whole trace` or the part (`--quick`). */
  readonly scope: string;
  readonly seeds: readonly number[];
  /** What the trace's hints cover (creates hinted, scheduled lines). */
  readonly hints: HintCoverage;
  /** Bounds of the replayed events (the rows' ratios use these). */
  readonly bounds: BoundFigures;
  /** Bounds of the whole trace when only a part was replayed. */
  readonly fullTraceBounds?: BoundFigures;
  readonly rows: readonly LifetimeRow[];
  /** One per row of ours. */
  readonly gaps: readonly GapSplit[];
}

/** What {@link measureLifetime} returns. */
export interface LifetimeFigures {
  readonly region: string;
  /** A node's full price per running hour: instance + gp3 root volume + public IPv4, USD/h (the bounds' bill). */
  readonly nodeUsdPerHour: number;
  readonly traces: readonly LifetimeTrace[];
}

interface Sample {
  readonly nodeHours: number;
  readonly placements: number;
  readonly waited: number;
  readonly waitP99Ms: number;
  readonly billUsd: number;
  readonly overbooked: number;
  readonly leakedCapacity: number;
}

function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { mean: 0, min: 0, max: 0 };
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };
}

function toRow(policy: string, samples: readonly Sample[], lowerBound: number, extra: Pick<LifetimeRow, 'variant' | 'sameInputAs'> = {}): LifetimeRow {
  return {
    policy,
    ...extra,
    nodeHours: spread(samples.map((s) => s.nodeHours)),
    ratioToLowerBound: spread(samples.map((s) => (lowerBound > 0 ? s.nodeHours / lowerBound : 0))),
    unqueuedShare: spread(samples.map((s) => (s.placements ? 1 - s.waited / s.placements : 1))),
    waitP99Ms: spread(samples.map((s) => s.waitP99Ms)),
    billUsd: spread(samples.map((s) => s.billUsd)),
    overbooked: Math.max(0, ...samples.map((s) => s.overbooked)),
    leakedCapacity: Math.max(0, ...samples.map((s) => s.leakedCapacity)),
  };
}

function bounds(demand: readonly TraceEvent[], config: AutoscalerConfig, nodeUsdPerHour: number): BoundFigures {
  const pool = poolByName(config, config.defaultPool);
  const noMigration = noMigrationBound(demand, pool);
  return {
    lowerBoundNodeHours: noMigration.lowerBoundNodeHours,
    lowerBoundUsd: noMigration.lowerBoundNodeHours * nodeUsdPerHour,
    noMigration,
    noMigrationUsd: noMigration.nodeHours * nodeUsdPerHour,
  };
}

/**
 * Measure our policy's three input variants, the baselines and both bounds on every trace.
 *
 * @param traces - the traces (a part of one may be replayed, with its whole in `fullEvents`)
 * @param config - the deployment configuration (its default pool)
 * @param seeds - seeds of placement spread and boot jitter (issue 15: 1–5)
 * @param onProgress - called with a line of progress
 * @returns a plain object (the `lifetime` key of `npm run bench -- --json`)
 */
export async function measureLifetime(
  traces: readonly LifetimeTraceInput[],
  config: AutoscalerConfig,
  seeds: readonly number[],
  onProgress: (line: string) => void = () => undefined,
): Promise<LifetimeFigures> {
  const pool = poolByName(config, config.defaultPool);
  const nodeUsdPerHour = pool.hourlyPriceUsd + stoppedNodeUsdPerHour(pool.rootVolumeGiB, pool.containersPerNode, regionPrices());
  const out: LifetimeTrace[] = [];
  for (const trace of traces) {
    const t0 = Date.now();
    const demand = withoutHints(trace.events);
    const b = bounds(demand, config, nodeUsdPerHour);
    const lb = b.lowerBoundNodeHours;
    const rows: LifetimeRow[] = [];
    const ourSamples = new Map<LifetimeVariant, Sample[]>();
    for (const { variant, policy, transform, pool: overrides } of LIFETIME_VARIANTS) {
      if ((variant === 'hints' || variant === 'hints-drain') && !hasHints(trace.events)) {
        // The trace as given is the trace without hints: the same input, the same replays.
        const sameAs = variant === 'hints' ? 'no-hints' : 'no-hints-drain';
        const same = ourSamples.get(sameAs) as Sample[];
        ourSamples.set(variant, same);
        rows.push(toRow(policy, same, lb, { variant, sameInputAs: sameAs }));
        continue;
      }
      const events = transform(trace.events);
      const samples: Sample[] = [];
      for (const seed of seeds) {
        const r = await replayOurPolicy(events, withPool(config, overrides), seed);
        samples.push({
          nodeHours: r.run.nodeHours,
          placements: r.run.placements,
          waited: r.run.waited,
          waitP99Ms: r.run.waitP99Ms,
          billUsd: r.bill.totalUsd,
          overbooked: r.overbooked,
          leakedCapacity: r.leakedCapacity,
        });
      }
      ourSamples.set(variant, samples);
      rows.push(toRow(policy, samples, lb, { variant }));
      onProgress(`lifetime: ${trace.name}, ${policy}: ${seeds.length} seed(s) replayed`);
    }
    for (const name of LIFETIME_BASELINES) {
      const samples = seeds.map((seed): Sample => {
        const r = runBaseline(name, demand, pool, seed);
        return { nodeHours: r.nodeHours, placements: r.placements, waited: r.waited, waitP99Ms: r.waitP99Ms, billUsd: r.bill.totalUsd, overbooked: 0, leakedCapacity: 0 };
      });
      rows.push(toRow(name, samples, lb));
    }
    const physics = b.noMigration.nodeHours - lb;
    const gaps = rows
      .filter((r) => r.variant !== undefined)
      .map((r): GapSplit => {
        const above = r.nodeHours.mean - lb;
        return { policy: r.policy, aboveLowerBound: above, physics, policyPart: r.nodeHours.mean - b.noMigration.nodeHours, physicsShare: above > 0 ? physics / above : 0 };
      });
    out.push({
      trace: trace.name,
      description: trace.description,
      scope: trace.scope ?? 'whole trace',
      seeds,
      hints: hintCoverage(trace.events),
      bounds: b,
      ...(trace.fullEvents ? { fullTraceBounds: bounds(withoutHints(trace.fullEvents), config, nodeUsdPerHour) } : {}),
      rows,
      gaps,
    });
    onProgress(`lifetime: ${trace.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { region: DEFAULT_PRICING_REGION, nodeUsdPerHour, traces: out };
}

/**
 * The section as text tables (one per trace), the gap split and how the rows were computed.
 *
 * @param figures - what {@link measureLifetime} returned
 */
export function lifetimeReport(figures: LifetimeFigures): string {
  const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const range = (s: Spread, d = 1, scale = 1) => (s.min === s.max ? fmt(s.mean * scale, d) : `${fmt(s.mean * scale, d)} (${fmt(s.min * scale, d)}–${fmt(s.max * scale, d)})`);
  let text =
    `\nKnowing the future — our policy without hints, with the trace's hints and with oracle hints (true ends), baselines, ` +
    `the no-migration bound and the fluid lower bound; means over the seeds (min–max); bill = instances + gp3 EBS + public IPv4 ` +
    `(${figures.region}; bounds at ${fmt(figures.nodeUsdPerHour, 4)} USD per node-hour) (bench/lifetime.ts)\n`;
  for (const t of figures.traces) {
    const table = new Table({ head: ['policy', 'node-hours', '× lower bound', 'unqueued', 'p99 wait s', 'bill USD'] });
    for (const r of t.rows) {
      const name = r.sameInputAs ? `${r.policy} = ${r.sameInputAs} (trace has no hints)` : r.policy;
      table.push([name, range(r.nodeHours), range(r.ratioToLowerBound, 3), `${range(r.unqueuedShare, 2, 100)}%`, range(r.waitP99Ms, 1, 1 / 1000), range(r.billUsd, 2)]);
    }
    const b = t.bounds;
    table.push([`no-migration bound (${b.noMigration.rule})`, fmt(b.noMigration.nodeHours), fmt(b.noMigration.ratioToLowerBound, 3), '100.00%', '0.0', fmt(b.noMigrationUsd, 2)]);
    table.push(['fluid lower bound', fmt(b.lowerBoundNodeHours), '1.000', '100.00%', '0.0', fmt(b.lowerBoundUsd, 2)]);
    const h = t.hints;
    text += `\n${t.trace}: ${t.description}; replayed: ${t.scope}; seeds ${t.seeds.join(', ')}; hints: ${h.hintedCreates} of ${h.creates} creates with a duration, ${h.scheduled} RoomScheduled lines\n${table.toString()}\n`;
    text += `  packing rules (node-hours): ${b.noMigration.rules.map((r) => `${r.rule} ${fmt(r.nodeHours)}`).join(', ')}\n`;
    for (const g of t.gaps) {
      text += `  gap, ${g.policy}: ${fmt(g.aboveLowerBound)} node-h above the lower bound = physics ${fmt(g.physics)} (no-migration − lower bound, ${fmt(g.physicsShare * 100)}%) + policy ${fmt(g.policyPart)} (ours − no-migration)\n`;
    }
    const f = t.fullTraceBounds;
    if (f) {
      text += `  whole trace bounds: lower bound ${fmt(f.lowerBoundNodeHours)} node-h (${fmt(f.lowerBoundUsd, 2)} USD), no-migration ${fmt(f.noMigration.nodeHours)} node-h (${fmt(f.noMigration.ratioToLowerBound, 3)}×, ${f.noMigration.rule}; ${fmt(f.noMigrationUsd, 2)} USD)\n`;
    }
  }
  text +=
    '  no-migration bound: offline greedy packer knowing every arrival and true end, instant boot and termination, rooms never split or moved ' +
    '(best of its packing rules; an upper bound on the NP-hard offline optimum, bench/no-migration.ts); fluid lower bound: ∫ ⌈active weight / node capacity⌉ dt (sim/trace/stats.ts)\n';
  return text;
}
