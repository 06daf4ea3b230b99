/**
 * `npm run bench [-- --json] [-- --quick]`: every performance figure of the autoscaler, measured
 * side by side in one run, offline.
 *
 * 1. Policies on traces (sample week, flash crowd, surveillance): ours against the static
 *    72-vCPU server, naive reactive, EC2 Auto Scaling target tracking and jitsi-autoscaler-style
 *    thresholds (bench/baselines.ts documents each one's parameters and source).
 * 2. Placement at fleet scale against dynalite (bench/placement-scale.ts); the sweep at 1,000 and
 *    10,000 nodes and its Lambda projection (bench/scale-sweep.ts; `scale.sweepMs`,
 *    `scale.sweepProjectedMs` with `--json`).
 * 3. Lambda packages and cold starts: bundle size, cold import as a ratio to the bare DynamoDB
 *    clients, room-events' first invocations (bench/bundles.ts).
 * 4. Control-plane cost for the sample week (bench/control-plane.ts).
 * 5. The warm pool side by side: none / stopped / hibernated × the traces (and a second,
 *    unannounced crowd) × seeds 1–5 (seed 1 with `--quick`), full bill (bench/warm-pool.ts).
 * 6. Knowing the future: ours without hints / with the trace's hints / with oracle hints, the
 *    baselines, the no-migration bound and the lower bound, seeds 1–5 (bench/lifetime.ts;
 *    `lifetime` with `--json`; `--only lifetime` runs this section alone).
 *
 * Progress goes to stderr; tables (or one JSON object with `--json`) to stdout.
 *
 * @module
 */
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import type { PolicyRun } from './metrics.ts';

// Quiet the handlers' Powertools metrics and the SDK's Node-version notice before they load.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { parseAutoscalerConfig, poolByName } = await import('../shared/domain/config.ts');
const { replayOurPolicy } = await import('./policy-replay.ts');
const { runBaseline } = await import('./baselines.ts');
const { sampleWeek, flashCrowd, surveillance, secondCrowd } = await import('./traces.ts');
const { measureWarmPool } = await import('./warm-pool.ts');
const { measurePlacementScale, measureStoreCapacity, measureShardingNodeHours, FLEET_SIZES, CONCURRENCY } = await import('./placement-scale.ts');
const { placementShards } = await import('../shared/domain/shards.ts');
const { measureColdStarts, coldStartReport } = await import('./bundles.ts');
const { controlPlaneCost, LOAD_BALANCER_USD_PER_MONTH } = await import('./control-plane.ts');
const { measureSweepScale, SWEEP_FLEET_SIZES, ROOMS_PER_NODE } = await import('./scale-sweep.ts');
const { DEFAULT_SWEEP_MEMORY_MIB } = await import('../infra/config.ts');
const { measureSummarySizes } = await import('./summary-size.ts');
const { stopSimulator } = await import('../sim/runtime/simulate.ts');
const { measureLifetime, lifetimeReport } = await import('./lifetime.ts');

const program = new Command()
  .name('bench')
  .option('--json', 'print one JSON object instead of tables')
  .option('--quick', 'first day of the week only, fleets up to 1,000 nodes (development)')
  .option('--cold-starts', 'only the Lambda packages and cold starts (section 3)')
  .addOption(new Option('--only <section>', 'only one section').choices(['lifetime']))
  .option('--seeds <n>', 'seeds 1..n of the lifetime section (default: 1 with --quick, else 5)')
  .parse();
const opts = program.opts<{ json?: boolean; quick?: boolean; coldStarts?: boolean; only?: 'lifetime'; seeds?: string }>();
const log = (line: string) => process.stderr.write(`${line}\n`);

if (opts.coldStarts) {
  const coldStarts = await measureColdStarts(process.cwd(), undefined, log);
  process.stdout.write(opts.json ? `${JSON.stringify({ coldStarts }, null, 2)}\n` : coldStartReport(coldStarts));
  process.exit(0);
}
const wallStart = Date.now();

const config = parseAutoscalerConfig({});
const pool = poolByName(config, config.defaultPool);
const week = await sampleWeek();
const traces = [
  opts.quick ? { ...week, name: 'sample week (day 1)', events: week.events.filter((e) => e.t < 86_400) } : week,
  flashCrowd(),
  surveillance(),
];
// 6. Knowing the future (bench/lifetime.ts): with --quick the week's day 1 is replayed, the bounds are also given for the whole week
// The flash crowd and surveillance with the generator's hints (same sessions), so "with hints" differs from "without".
const hinted = [traces[0] as (typeof traces)[number], flashCrowd(true), surveillance(true)];
const lifetimeTraces = hinted.map((t, i) => (i === 0 && opts.quick ? { ...t, fullEvents: week.events, scope: 'day 1 of 7 (--quick)' } : t));
const seedCount = opts.seeds === undefined ? (opts.quick ? 1 : 5) : Number(opts.seeds);
if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > 20) throw new Error(`--seeds must be an integer 1–20, got ${opts.seeds}`);
const lifetimeSeeds = Array.from({ length: seedCount }, (_, i) => i + 1);
if (opts.only === 'lifetime') {
  const lifetime = await measureLifetime(lifetimeTraces, config, lifetimeSeeds, log);
  process.stdout.write(opts.json ? `${JSON.stringify({ lifetime }, null, 2)}\n` : lifetimeReport(lifetime));
  process.exit(0);
}

// 1. Policies on traces
const policyRows: { trace: string; description: string; runs: PolicyRun[]; invariants: { overbooked: number; leakedCapacity: number } }[] = [];
let weekReplay: Awaited<ReturnType<typeof replayOurPolicy>> | undefined;
for (const trace of traces) {
  const t = Date.now();
  const ours = await replayOurPolicy(trace.events, config);
  if (trace === traces[0]) weekReplay = ours;
  const runs = [ours.run, ...(['static-72-vcpu', 'naive-reactive', 'ec2-asg-target-tracking', 'jitsi-thresholds'] as const).map((b) => runBaseline(b, trace.events, pool))];
  policyRows.push({ trace: trace.name, description: trace.description, runs, invariants: { overbooked: ours.overbooked, leakedCapacity: ours.leakedCapacity } });
  log(`policies: ${trace.name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

// 5. The warm pool side by side (before the slower sections)
const warmPool = await measureWarmPool([...traces, secondCrowd()], config, opts.quick ? [1] : [1, 2, 3, 4, 5], log);
// 6. Knowing the future: hints, oracle, baselines and both bounds (bench/lifetime.ts)
const lifetime = await measureLifetime(lifetimeTraces, config, lifetimeSeeds, log);

// 2. Placement at fleet scale
const placement = await measurePlacementScale(opts.quick ? FLEET_SIZES.filter((n) => n <= 1_000) : FLEET_SIZES, log);

// 2b. The sweep at fleet scale (bench/scale-sweep.ts)
const sweepScale = await measureSweepScale(DEFAULT_SWEEP_MEMORY_MIB, opts.quick ? SWEEP_FLEET_SIZES.filter((n) => n <= 1_000) : SWEEP_FLEET_SIZES, log);
// Pool summary write sizes (bench/summary-size.ts)
const summarySize = await measureSummarySizes();
// 2b. Store capacity units and the per-pool placement ceiling, unsharded and sharded for 1,000 placements/s
const targetShards = placementShards({ peakPlacementsPerSecond: 1_000 });
const storeCapacity = await measureStoreCapacity([1, targetShards], log);
const [unsharded, sharded] = storeCapacity as [(typeof storeCapacity)[number], (typeof storeCapacity)[number]];
// Node-hours of the sample week through the real handlers, unsharded vs sharded (day 1 with --quick).
const shardingNodeHours = await measureShardingNodeHours('samples/week.jsonl', targetShards, opts.quick ? 1 : undefined);
log(`sharding node-hours: ${shardingNodeHours.unsharded.toFixed(2)} → ${shardingNodeHours.sharded.toFixed(2)}`);
const storeFigures = {
  shards: sharded.shards,
  wcuPerPlacement: sharded.wcuPerPlacement,
  wcuPerPlacementTable: sharded.wcuPerPlacementTable,
  wcuPerPlacementIndexes: sharded.wcuPerPlacementIndexes,
  rcuPerPlacement: sharded.rcuPerPlacement,
  wcuPerRelease: sharded.wcuPerRelease,
  rcuPerRelease: sharded.rcuPerRelease,
  placementsPerSecondPerPool: sharded.placementsPerSecondPerPool,
  placementsPerSecondPerPoolIndexes: sharded.placementsPerSecondPerPoolIndexes,
  placementsPerSecondPerPoolUnsharded: unsharded.placementsPerSecondPerPool,
  placementsPerSecondPerPoolIndexesUnsharded: unsharded.placementsPerSecondPerPoolIndexes,
  maxWriteBytes: sharded.maxWriteBytes,
  shardingNodeHours,
  rows: storeCapacity,
};

// 3. Lambda packages
const coldStarts = await measureColdStarts(process.cwd(), undefined, log);

// 4. Control-plane cost (sample week's replay)
const replay = weekReplay as NonNullable<typeof weekReplay>;
const meanNodes = replay.run.nodeHours / (replay.counts.durationMs / 3_600_000);
const listNodesRru = 0.5 * Math.max(1, Math.ceil((meanNodes * 3 * 0.4) / 4));
const cost = controlPlaneCost(replay.counts, listNodesRru);
const costTotal = cost.reduce((s, l) => s + l.usdPerMonth, 0);
const wallS = (Date.now() - wallStart) / 1000;

if (opts.json) {
  process.stdout.write(
    `${JSON.stringify(
      {
        policies: policyRows,
        placement: { concurrency: CONCURRENCY, rows: placement },
        coldStarts,
        scale: { ...storeFigures, sweepMs: sweepScale.sweepMs, sweepProjectedMs: sweepScale.sweepProjectedMs, sweepRows: sweepScale.rows },
        summarySize,
        controlPlane: { lines: cost, totalUsdPerMonth: costTotal, loadBalancerUsdPerMonth: LOAD_BALANCER_USD_PER_MONTH, counts: replay.counts },
        warmPool,
        lifetime,
        wallSeconds: wallS,
      },
      null,
      2,
    )}\n`,
  );
} else {
  const fmt = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  for (const p of policyRows) {
    const table = new Table({ head: ['policy', 'node-hours', 'instance cost USD', '× lower bound', 'rooms waited', 'no wait', 'p99 wait s', 'max wait s', 'launches', 'saved vs static'] });
    for (const r of p.runs) {
      table.push([
        r.policy,
        fmt(r.nodeHours),
        fmt(r.costUsd, 2),
        fmt(r.ratioToLowerBound, 2),
        r.waited.toLocaleString('en-US'),
        `${fmt(r.noWaitShare * 100, 2)}%`,
        fmt(r.waitP99Ms / 1000),
        fmt(r.waitMaxMs / 1000),
        r.launches.toLocaleString('en-US'),
        `${fmt(r.savingVsStatic * 100)}%`,
      ]);
    }
    const lb = p.runs[0] as PolicyRun;
    const lbCost = lb.lowerBoundNodeHours * pool.hourlyPriceUsd;
    const staticCost = (p.runs.find((r) => r.policy === 'static-72-vcpu') as PolicyRun).costUsd;
    table.push(['lower bound', fmt(lb.lowerBoundNodeHours), fmt(lbCost, 2), '1.00', '—', '—', '—', '—', '—', `${fmt((1 - lbCost / staticCost) * 100)}%`]);
    process.stdout.write(`\nPolicies — ${p.trace}: ${p.description}; ${lb.placements.toLocaleString('en-US')} placements; our invariants: overbooked ${p.invariants.overbooked}, leakedCapacity ${p.invariants.leakedCapacity}\n${table.toString()}\n`);
  }
  process.stdout.write('How each row was computed:\n');
  for (const r of (policyRows[0] as (typeof policyRows)[number]).runs) process.stdout.write(`  ${r.policy}: ${r.path}\n`);

  const pt = new Table({
    head: ['nodes', 'placements', 'p50 ms', 'p99 ms', 'alone p50 ms', 'alone p99 ms', 'DynamoDB calls / placement', 'round trips alone', 'conflicts / placement', 'seed s'],
  });
  for (const r of placement) {
    pt.push([
      r.nodes.toLocaleString('en-US'),
      r.placements,
      fmt(r.p50Ms),
      fmt(r.p99Ms),
      fmt(r.aloneP50Ms),
      fmt(r.aloneP99Ms),
      fmt(r.callsPerPlacement, 2),
      r.roundTripsAlone,
      fmt(r.conflictsPerPlacement, 2),
      fmt(r.seedMs / 1000),
    ]);
  }
  process.stdout.write(`\nPlacement at fleet scale — room-events handler logic + DynamoDbFleetStore on dynalite in this process, ${CONCURRENCY} placements in flight (p50, p99, calls, conflicts) and one at a time (alone)\n${pt.toString()}\n`);

  const st = new Table({ head: ['nodes', 'rooms', 'leak check', 'sweep s', 'CPU s', 'DynamoDB calls', `projected s (${sweepScale.memoryMiB} MB)`] });
  for (const r of sweepScale.rows) {
    st.push([r.nodes.toLocaleString('en-US'), r.rooms.toLocaleString('en-US'), r.leakCheck, fmt(r.sweepMs / 1000), fmt(r.cpuMs / 1000), r.calls, fmt(r.projectedMs / 1000)]);
  }
  process.stdout.write(
    `\nSweep at fleet scale — sweepAll over DynamoDbFleetStore on dynalite (child process), ready nodes with ${ROOMS_PER_NODE} rooms each; spread = an ordinary minute (a fifth of the nodes' rooms checked), all = every room; projected = CPU × max(1, 1769 MB / memory) + waits (bench/scale-sweep.ts)\n${st.toString()}\n`,
  );

  const sst = new Table({ head: ['draining nodes', 'placement: writes / max item B / WCU', 'release', 'drain'] });
  const cell = (w: { writes: number; maxItemBytes: number; wcu: number }) => `${w.writes} / ${w.maxItemBytes} / ${w.wcu}`;
  for (const r of summarySize.rows) sst.push([r.drainingNodes.toLocaleString('en-US'), cell(r.placement), cell(r.release), cell(r.drain)]);
  process.stdout.write(`\nPool summary writes — DynamoDbFleetStore on dynalite, item sizes by DynamoDB's rules (bench/summary-size.ts)\n${sst.toString()}\n`);

  const sc = new Table({ head: ['shards S', 'WCU / placement (table + indexes)', 'RCU / placement', 'WCU / release', 'RCU / release', 'placements/s per pool (binding partition)', 'index partitions only', 'burst, no releases'] });
  for (const r of storeCapacity) {
    sc.push([
      r.shards,
      `${fmt(r.wcuPerPlacement, 2)} (${fmt(r.wcuPerPlacementTable, 2)} + ${fmt(r.wcuPerPlacementIndexes, 2)})`,
      fmt(r.rcuPerPlacement, 2),
      fmt(r.wcuPerRelease, 2),
      fmt(r.rcuPerRelease, 2),
      `${fmt(r.placementsPerSecondPerPool, 0)} (${r.ceilings[0]?.partition ?? '—'})`,
      fmt(r.placementsPerSecondPerPoolIndexes, 0),
      fmt(r.burstPlacementsPerSecondPerPool, 0),
    ]);
  }
  const h = shardingNodeHours;
  process.stdout.write(
    `\nSharding's node-hours (simulate, ${h.days === undefined ? 'sample week' : `first ${h.days} day(s)`}): S=1 ${fmt(h.unsharded, 2)}, S=${h.shards} ${fmt(h.sharded, 2)} (${fmt(h.change * 100, 2)}%); overbooked ${h.overbooked}, leaked ${h.leakedCapacity}, orphans ${h.orphanInstances}\n`,
  );
  process.stdout.write(
    `\nPlacement ceiling per pool — capacity units from the items written (DynamoDB's size and GSI rules), 1,000 WCU/s and 3,000 RCU/s per partition, a release per placement (bench/placement-scale.ts, docs/performance.md)\n${sc.toString()}\n`,
  );

  process.stdout.write(coldStartReport(coldStarts));

  const ct = new Table({ head: ['item', 'per month', 'unit', 'USD / month'] });
  for (const l of cost) ct.push([l.item, Math.round(l.quantity).toLocaleString('en-US'), l.unit, fmt(l.usdPerMonth, 2)]);
  ct.push(['total control plane', '', '', fmt(costTotal, 2)]);
  ct.push(['load-balancer instance (seed article)', '', '', fmt(LOAD_BALANCER_USD_PER_MONTH, 2)]);
  process.stdout.write(`\nControl-plane cost — ${traces[0]?.name} load, us-east-1 list prices (bench/control-plane.ts)\n${ct.toString()}\n`);
  process.stdout.write(
    `\nWarm pool — full bill (instances + gp3 EBS + public IPv4, ${warmPool.region} prices, shared/domain/pricing.ts); an idle warm node costs ${fmt(warmPool.idleWarmNodeUsdPerHour, 4)} USD/h (bench/warm-pool.ts)\n`,
  );
  for (const w of warmPool.traces) {
    const wt = new Table({ head: ['policy', 'node-hours', 'stopped h', 'instances USD', 'EBS USD', 'IPv4 USD', 'bill USD', '× lower bound USD', 'waited', 'p99 wait s (worst)', 'p99 wait per day s'] });
    for (const r of w.rows) {
      wt.push([
        r.policy,
        fmt(r.nodeHours),
        fmt(r.stoppedHours),
        fmt(r.instanceUsd, 2),
        fmt(r.ebsUsd, 2),
        fmt(r.publicIpv4Usd, 2),
        fmt(r.totalUsd, 2),
        fmt(w.lowerBoundUsd > 0 ? r.totalUsd / w.lowerBoundUsd : 0, 2),
        `${fmt(r.waitedShare * 100, 2)}%`,
        `${fmt(r.waitP99Ms / 1000)} (${fmt(r.waitP99WorstMs / 1000)})`,
        r.dayP99Ms.map((d) => fmt(d / 1000)).join(' / '),
      ]);
    }
    wt.push(['lower bound (instances only)', fmt(w.lowerBoundNodeHours), '—', fmt(w.lowerBoundUsd, 2), '—', '—', fmt(w.lowerBoundUsd, 2), '1.00', '—', '—', '—']);
    process.stdout.write(`\n${w.trace}: ${w.description}; seeds ${w.seeds.join(', ')} (means)\n${wt.toString()}\n`);
  }

  process.stdout.write(lifetimeReport(lifetime));

  process.stdout.write(`\nWall time ${fmt(wallS)} s\n`);
}

// The sharding section replays the trace with `simulate`, whose local DynamoDB (dynalite's server,
// and the handlers' keep-alive sockets to it) lives for the process until stopped: without this
// the process printed everything and then never exited.
await stopSimulator();
