/**
 * `node --import tsx bench/explain.ts [--trace week|flash|surveillance|all] [--quick] [--pool '<json>'] [--json]`:
 * where our policy's node-hours above the lower bound go.
 *
 * It replays a trace through our policy (bench/policy-replay.ts, the same run as `npm run bench`'s
 * "ours" row) and, after every sweep (each virtual minute), sorts the instances billed during the
 * next minute by what they are doing. Each node-minute of free capacity is charged to one cause:
 *
 * - **boot**: nodes launched and not ready yet (launching, booting): billed, no room can use them;
 * - **idle grace**: draining nodes with no room, waiting `idleGraceMs` before terminate;
 * - **draining tail**: free capacity of draining nodes that still host rooms (rooms cannot
 *   migrate, so a drained node is paid until its last room leaves);
 * - **headroom floor**: free ready capacity up to `headroomMin` (and the `minNodes` floor);
 * - **headroom forecast**: free ready capacity above `headroomMin` up to the headroom target
 *   (measured arrival rate × boot time, or the seasonal forecast; scaling.ts `headroomTarget`);
 * - **scale-in margin**: free ready capacity above the target up to target + `scaleInMargin`
 *   (hysteresis: the sweep drains only beyond it);
 * - **fragmentation**: free ready capacity beyond target + margin (less than one node's free
 *   capacity is left, or the least loaded node holds rooms, so nothing can be drained).
 *
 * In node-hours: billed − bound = boot + idle grace + (free capacity / node capacity over ready
 * and draining nodes) − queued weight / node capacity − the bound's rounding up (its `ceil`).
 * The bound here is sampled per minute from the weight the store holds (placed + queued);
 * bench/metrics.ts's bound integrates the trace exactly, so the two differ slightly.
 *
 * @module
 */
import { Command } from 'commander';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { nodeCapacity, parseAutoscalerConfig, poolByName } = await import('../shared/domain/config.ts');
const { headroomTarget, poolDemand } = await import('../shared/domain/scaling.ts');
const { nodeUsed, nodeCapacityOf, PENDING_NODE_STATES } = await import('../shared/domain/model.ts');
const { replayOurPolicy } = await import('./policy-replay.ts');
const { sampleWeek, flashCrowd, surveillance } = await import('./traces.ts');

const program = new Command()
  .name('explain')
  .option('--trace <name>', 'week | flash | surveillance | all', 'all')
  .option('--quick', 'first day of the week only')
  .option('--pool <json>', 'pool overrides, e.g. {"idleGraceMs":120000}', '{}')
  .option('--seed <n>', 'replay seed', '1')
  .option('--json', 'one JSON object')
  .parse();
const opts = program.opts<{ trace: string; quick?: boolean; pool: string; seed: string; json?: boolean }>();

const config = parseAutoscalerConfig({ pools: [{ name: 'default', ...(JSON.parse(opts.pool) as object) }] });
const pool = poolByName(config, config.defaultPool);
const perNode = nodeCapacity(pool);
const week = await sampleWeek();
const all = [
  { key: 'week', trace: opts.quick ? { ...week, name: 'sample week (day 1)', events: week.events.filter((e) => e.t < 86_400) } : week },
  { key: 'flash', trace: flashCrowd() },
  { key: 'surveillance', trace: surveillance() },
];
const chosen = opts.trace === 'all' ? all : all.filter((t) => t.key === opts.trace);

/** Node-hours charged to each cause (see the module comment). */
interface Breakdown {
  billed: number;
  bound: number;
  boot: number;
  idleGrace: number;
  drainingTail: number;
  headroomFloor: number;
  headroomForecast: number;
  scaleInMargin: number;
  fragmentation: number;
  queued: number;
  boundRounding: number;
  other: number;
}

const out: Record<string, unknown> = {};
for (const { trace } of chosen) {
  const b: Breakdown = { billed: 0, bound: 0, boot: 0, idleGrace: 0, drainingTail: 0, headroomFloor: 0, headroomForecast: 0, scaleInMargin: 0, fragmentation: 0, queued: 0, boundRounding: 0, other: 0 };
  const h = 1 / 60; // each sample stands for the minute after the sweep, h
  const started = Date.now();
  const result = await replayOurPolicy(trace.events, config, Number(opts.seed), async ({ now, store, compute }) => {
    const nodes = await store.listNodes(pool.name);
    const queuedWeight = (await store.listQueued(pool.name, 10_000)).reduce((s, r) => s + r.weight, 0);
    const summary = await store.getSummary(pool.name);
    const target = headroomTarget(pool, poolDemand(summary.arrivals, now, pool.arrivalWindowMs, summary.forecastWeight));
    const billed = compute.running;
    let used = 0;
    let counted = 0;
    let readyFree = 0;
    for (const n of nodes) {
      const u = nodeUsed(n);
      if (PENDING_NODE_STATES.includes(n.state)) {
        b.boot += h;
        counted += 1;
      } else if (n.state === 'draining') {
        used += u;
        counted += 1;
        if (u === 0) b.idleGrace += h;
        else b.drainingTail += ((nodeCapacityOf(n) - u) / perNode) * h;
      } else if (n.state === 'ready') {
        used += u;
        counted += 1;
        readyFree += nodeCapacityOf(n) - u;
      }
    }
    const floor = Math.min(readyFree, pool.headroomMin);
    const forecast = Math.min(readyFree - floor, Math.max(0, target - pool.headroomMin));
    const margin = Math.min(readyFree - floor - forecast, pool.scaleInMargin);
    b.headroomFloor += (floor / perNode) * h;
    b.headroomForecast += (forecast / perNode) * h;
    b.scaleInMargin += (margin / perNode) * h;
    b.fragmentation += ((readyFree - floor - forecast - margin) / perNode) * h;
    const boundNodes = Math.ceil((used + queuedWeight) / perNode - 1e-9);
    b.bound += boundNodes * h;
    b.billed += billed * h;
    b.queued -= (queuedWeight / perNode) * h;
    b.boundRounding -= (boundNodes - (used + queuedWeight) / perNode) * h;
    b.other += (billed - counted) * h;
  });
  const r = result.run;
  out[trace.name] = { breakdown: b, run: r };
  if (opts.json) continue;
  const f = (x: number) => x.toFixed(1).padStart(9);
  const pct = (x: number) => `${((x / r.lowerBoundNodeHours) * 100).toFixed(1).padStart(6)}% of bound`;
  const lines: [string, number][] = [
    ['boot (launched, not ready)', b.boot],
    ['idle grace (empty, draining)', b.idleGrace],
    ['draining tail (free on draining nodes with rooms)', b.drainingTail],
    [`headroom floor (≤ headroomMin ${pool.headroomMin} units, minNodes)`, b.headroomFloor],
    ['headroom forecast (above headroomMin, ≤ target)', b.headroomForecast],
    [`scale-in margin (≤ target + ${pool.scaleInMargin} units)`, b.scaleInMargin],
    ['fragmentation (free ready beyond target + margin)', b.fragmentation],
    ['queued weight (in the bound, on no node)', b.queued],
    ['rounding of the bound (ceil per minute)', b.boundRounding],
    ['billed instances with no live node record', b.other],
  ];
  const sum = lines.reduce((s, [, x]) => s + x, 0);
  process.stdout.write(
    `\n${trace.name} (replay ${((Date.now() - started) / 1000).toFixed(1)} s): ours ${r.nodeHours.toFixed(1)} node-h = ${r.ratioToLowerBound.toFixed(3)}× the bound ${r.lowerBoundNodeHours.toFixed(1)}; ` +
      `${r.waited} of ${r.placements} placements waited (${(r.noWaitShare * 100).toFixed(2)}% no wait), p99 ${(r.waitP99Ms / 1000).toFixed(1)} s, max ${(r.waitMaxMs / 1000).toFixed(1)} s, ${r.launches} launches; ` +
      `invariants: overbooked ${result.overbooked}, leaked ${result.leakedCapacity}\n` +
      `  sampled per minute: billed ${b.billed.toFixed(1)} node-h, bound ${b.bound.toFixed(1)}, excess ${(b.billed - b.bound).toFixed(1)}\n` +
      lines.map(([k, x]) => `  ${k.padEnd(58)}${f(x)} node-h ${pct(x)}`).join('\n') +
      `\n  ${'sum'.padEnd(58)}${f(sum)} node-h\n`,
  );
}
if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
