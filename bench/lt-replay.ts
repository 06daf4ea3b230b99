/**
 * `node --import tsx bench/lt-replay.ts [--days 1] [--hints given|none|oracle] [--pool '<json>'] [--seed 1]`:
 * the sample week's first days through our policy (bench/policy-replay.ts, the handlers' own
 * logic over the memory store), with the sample's own hints, without hints or with oracle hints
 * (bench/hint-variants.ts), and
 * the node-hours, rooms that waited and full bill it gives — the before/after of lifetime-aware
 * placement and drain (issue 15) and of the warm-pool policy (issue 19).
 *
 * Printed (one JSON line): node-hours and their ratio to the lower bound (bench/metrics.ts),
 * placements, placements that waited, the unqueued share (%), p99 and max wait (s), the full bill
 * by line (instances, EBS, public IPv4; sim/runtime/bill.ts), hours stopped, warm stops and
 * starts, launches, the invariants (overbooked containers, leaked capacity units), and per trace
 * day the node-hours, bill, stopped hours and placements waited.
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
const { computeBill } = await import('../sim/runtime/bill.ts');
const { TRACE_EPOCH_MS } = await import('../sim/runtime/event-loop.ts');

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
let warm = { warmStops: 0, warmStarts: 0, startFailures: 0 };
let histories: Parameters<typeof computeBill>[0] = [];
const r = await replayOurPolicy(events, config, Number(opts.seed), ({ compute }) => {
  warm = compute.warmCounts();
  histories = compute.instanceHistories();
});
const round = (x: number, d = 2): number => Number(x.toFixed(d));
console.log(
  JSON.stringify({
    hints: opts.hints,
    days: Number(opts.days),
    seed: Number(opts.seed),
    pool: JSON.parse(opts.pool) as unknown,
    nodeHours: round(r.run.nodeHours),
    lowerBound: round(r.run.lowerBoundNodeHours),
    ratio: round(r.run.ratioToLowerBound, 3),
    placements: r.run.placements,
    waited: r.run.waited,
    unqueuedPct: round(100 * r.run.noWaitShare, 3),
    waitP99S: round(r.run.waitP99Ms / 1000, 1),
    waitMaxS: round(r.run.waitMaxMs / 1000, 1),
    billUsd: round(r.bill.totalUsd),
    instanceUsd: round(r.bill.instanceUsd),
    ebsUsd: round(r.bill.ebsUsd),
    ipv4Usd: round(r.bill.publicIpv4Usd),
    stoppedHours: round(r.bill.stoppedHours, 1),
    launches: r.run.launches,
    ...warm,
    overbooked: r.overbooked,
    leaked: r.leakedCapacity,
    // Per trace day: node-hours, bill (USD), hours stopped, placements waited.
    perDay: r.days.map((d, i) => {
      const b = computeBill(histories, TRACE_EPOCH_MS + i * 86_400_000, TRACE_EPOCH_MS + (i + 1) * 86_400_000);
      return { day: i + 1, nodeHours: round(b.runningHours, 1), billUsd: round(b.totalUsd), stoppedHours: round(b.stoppedHours, 1), waited: d.waitedPlacements };
    }),
  }),
);
