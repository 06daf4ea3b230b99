/**
 * `node --import tsx bench/crowd-replay.ts [--trace second|flash] [--pool '<json>'] [--seed 1]`:
 * the second crowd (bench/traces.ts `secondCrowd`: 500 rooms on day 1, again on day 2 at another
 * hour, nobody announced) or the flash crowd through our policy (bench/policy-replay.ts), and
 * per day the placements, placements waited, p99 and max wait, with the run's node-hours and
 * full bill — the warm pool's second-crowd target (day-2 p99 ≤ 45 s, issue 19).
 *
 * @module
 */
import { Command } from 'commander';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const { parseAutoscalerConfig } = await import('../shared/domain/config.ts');
const { replayOurPolicy } = await import('./policy-replay.ts');
const { flashCrowd, secondCrowd } = await import('./traces.ts');

const opts = new Command()
  .option('--trace <name>', 'second | flash', 'second')
  .option('--pool <json>', 'pool overrides', '{}')
  .option('--seed <n>', 'replay seed', '1')
  .parse()
  .opts<{ trace: string; pool: string; seed: string }>();

const trace = opts.trace === 'flash' ? flashCrowd() : secondCrowd();
const config = parseAutoscalerConfig({ pools: [{ name: 'default', ...(JSON.parse(opts.pool) as object) }] });
const r = await replayOurPolicy(trace.events, config, Number(opts.seed));
const round = (x: number, d = 2): number => Number(x.toFixed(d));
console.log(
  JSON.stringify({
    trace: trace.name,
    seed: Number(opts.seed),
    pool: JSON.parse(opts.pool) as unknown,
    nodeHours: round(r.run.nodeHours),
    billUsd: round(r.bill.totalUsd),
    instanceUsd: round(r.bill.instanceUsd),
    ebsUsd: round(r.bill.ebsUsd),
    ipv4Usd: round(r.bill.publicIpv4Usd),
    stoppedHours: round(r.bill.stoppedHours, 1),
    waited: r.run.waited,
    waitP99S: round(r.run.waitP99Ms / 1000, 1),
    days: r.days.map((d) => ({ placements: d.placements, waited: d.waitedPlacements, p99S: round(d.waitP99Ms / 1000, 1), maxS: round(d.waitMaxMs / 1000, 1) })),
    overbooked: r.overbooked,
    leaked: r.leakedCapacity,
  }),
);
