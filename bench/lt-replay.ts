/**
 * `node --import tsx bench/lt-replay.ts [--days 1] [--hints given|none|oracle] [--pool '<json>'] [--seed 1]`:
 * the sample week's first days through our policy (bench/policy-replay.ts, the handlers' own
 * logic over the memory store), with the sample's own hints, without hints or with oracle hints
 * (bench/hint-variants.ts), and
 * the node-hours, rooms that waited and full bill it gives — the before/after of lifetime-aware
 * placement and drain (issue 15).
 *
 * @module
 */
import { Command } from 'commander';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const { parseAutoscalerConfig } = await import('../shared/domain/config.ts');
const { replayOurPolicy } = await import('./policy-replay.ts');
const { sampleWeek } = await import('./traces.ts');
const { oracleHints, withoutHints } = await import('./hint-variants.ts');

const opts = new Command()
  .option('--days <n>', 'days of the sample week', '1')
  .option('--hints <kind>', 'given (the sample\'s own) | none | oracle', 'given')
  .option('--pool <json>', 'pool overrides', '{}')
  .option('--seed <n>', 'replay seed', '1')
  .parse()
  .opts<{ days: string; hints: string; pool: string; seed: string }>();

const week = await sampleWeek();
const day = week.events.filter((e) => e.t < Number(opts.days) * 86_400);
const events = opts.hints === 'oracle' ? oracleHints(day) : opts.hints === 'none' ? withoutHints(day) : day;
const config = parseAutoscalerConfig({ pools: [{ name: 'default', ...(JSON.parse(opts.pool) as object) }] });
const r = await replayOurPolicy(events, config, Number(opts.seed));
const waited = r.days.reduce((s, d) => s + d.waitedPlacements, 0);
console.log(JSON.stringify({ hints: opts.hints, pool: JSON.parse(opts.pool) as unknown, nodeHours: Number(r.run.nodeHours.toFixed(2)), waited, billUsd: Number(r.bill.totalUsd.toFixed(2)), overbooked: r.overbooked, leaked: r.leakedCapacity }));
