/**
 * The HTML report of a simulation run: one self-contained page (Chart.js and the data inlined,
 * no network fetches) with the run's inputs, the summary and four charts over time.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { NodeState } from '../shared/domain/model.ts';
import type { SimulationResult, TimelinePoint } from '../sim/runtime/types.ts';
import { formatCount, formatDuration, formatPercent, formatRatio, formatUsd, savingPercent, summaryRows } from './summary-table.ts';

/**
 * At most this many points per chart series: a week sampled every virtual minute (10,080
 * samples, plus the end and a fault run's settling time) is charted unbucketed, so that every
 * boot shows; longer runs are bucketed. A week's report is about 1 MB.
 */
export const MAX_CHART_POINTS = 10_500;

/** How many trace errors the report lists. */
const MAX_TRACE_ERRORS = 50;

/** Node states the stacked-area chart shows (terminated nodes only ever accumulate). */
const CHARTED_NODE_STATES = ['launching', 'booting', 'ready', 'draining', 'terminating'] as const satisfies readonly NodeState[];

/**
 * Reduces the timeline to at most `maxPoints` samples by grouping consecutive samples into
 * equal buckets, so that peaks survive:
 * - `activeWeight`, `demandWeight`, `queued`: the bucket's maximum;
 * - `readyCapacity`: the bucket's minimum (so a gap between demand and capacity is never hidden);
 * - `drainingCapacity`: the bucket's maximum;
 * - `nodes`: the sample of the bucket with the most nodes in charted states (a real snapshot);
 * - `costUsd` (cumulative): the bucket's last value;
 * - `t`: the bucket's first sample time.
 *
 * A timeline with at most `maxPoints` samples comes back as a copy, unchanged.
 */
export function downsampleTimeline(timeline: readonly TimelinePoint[], maxPoints: number = MAX_CHART_POINTS): TimelinePoint[] {
  const limit = Math.max(1, Math.floor(maxPoints));
  if (timeline.length <= limit) return timeline.slice();
  const size = Math.ceil(timeline.length / limit);
  const out: TimelinePoint[] = [];
  for (let start = 0; start < timeline.length; start += size) {
    const bucket = timeline.slice(start, start + size);
    const first = bucket[0]!;
    const last = bucket[bucket.length - 1]!;
    let activeWeight = first.activeWeight;
    let demandWeight = first.demandWeight;
    let queued = first.queued;
    let readyCapacity = first.readyCapacity;
    let drainingCapacity = first.drainingCapacity;
    let busiest = first;
    let busiestNodes = chartedNodes(first);
    for (const p of bucket) {
      activeWeight = Math.max(activeWeight, p.activeWeight);
      demandWeight = Math.max(demandWeight, p.demandWeight);
      queued = Math.max(queued, p.queued);
      readyCapacity = Math.min(readyCapacity, p.readyCapacity);
      drainingCapacity = Math.max(drainingCapacity, p.drainingCapacity);
      const n = chartedNodes(p);
      if (n > busiestNodes) {
        busiest = p;
        busiestNodes = n;
      }
    }
    out.push({
      t: first.t,
      activeWeight,
      demandWeight,
      queued,
      readyCapacity,
      drainingCapacity,
      nodes: { ...busiest.nodes },
      costUsd: last.costUsd,
    });
  }
  return out;
}

function chartedNodes(p: TimelinePoint): number {
  let n = 0;
  for (const s of CHARTED_NODE_STATES) n += p.nodes[s] ?? 0;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Escaping

/** Text for HTML element content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JavaScript source made safe to place inside `<script>…</script>`: `</script` cannot end the
 * element early and `<!--` cannot switch the parser into its escaped state. Both rewrites keep
 * the meaning of the code where such text can occur (string, template and regex literals,
 * comments).
 */
export function escapeInlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\x21--');
}

/** JSON for a `<script type="application/json">` element: `<`, `>`, `&` and line separators escaped. */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------------------------
// Chart.js

let chartJsSource: string | undefined;

/** Path of Chart.js's UMD build (`chart.js/dist/chart.umd.js`, which the package does not export). */
function chartJsUmdPath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('chart.js/dist/chart.umd.js');
  } catch {
    // Not in the package's "exports": find it next to the CommonJS entry (dist/chart.cjs).
  }
  const candidate = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
  if (!existsSync(candidate)) throw new Error(`Chart.js UMD build not found at ${candidate}`);
  return candidate;
}

/** Chart.js's UMD source, read once. */
function chartJs(): string {
  chartJsSource ??= readFileSync(chartJsUmdPath(), 'utf8');
  return chartJsSource;
}

// ---------------------------------------------------------------------------------------------
// Page

/** What the page's script charts. Times in hours from the trace start. */
interface ChartData {
  durationH: number;
  stepH: number | null;
  static72CostUsd: number;
  t: number[];
  activeWeight: number[];
  demandWeight: number[];
  readyCapacity: number[];
  drainingCapacity: number[];
  queued: number[];
  costUsd: number[];
  nodes: Record<(typeof CHARTED_NODE_STATES)[number], number[]>;
}

const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

function chartData(result: SimulationResult): ChartData {
  const points = downsampleTimeline(result.timeline);
  const lastT = result.timeline.length > 0 ? result.timeline[result.timeline.length - 1]!.t : 0;
  const durationH = Math.max(result.summary.durationS, lastT) / 3600;
  const nodes = Object.fromEntries(CHARTED_NODE_STATES.map((s) => [s, points.map((p) => p.nodes[s] ?? 0)])) as ChartData['nodes'];
  return {
    durationH: round(durationH, 4),
    stepH: durationH > 72 ? 24 : durationH > 12 ? 6 : null,
    static72CostUsd: round(result.summary.static72CostUsd, 4),
    t: points.map((p) => round(p.t / 3600, 4)),
    activeWeight: points.map((p) => round(p.activeWeight, 3)),
    demandWeight: points.map((p) => round(p.demandWeight, 3)),
    readyCapacity: points.map((p) => round(p.readyCapacity, 3)),
    drainingCapacity: points.map((p) => round(p.drainingCapacity, 3)),
    queued: points.map((p) => p.queued),
    costUsd: points.map((p) => round(p.costUsd, 4)),
    nodes,
  };
}

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 12px; }
.subtitle { color: var(--muted); margin: 0 0 20px; word-break: break-all; }
section, header.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px 24px; margin: 0; }
dl.meta div { min-width: 0; }
dl.meta dt { color: var(--muted); font-size: 13px; }
dl.meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; margin-bottom: 20px; }
.headline > div { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.headline .label { color: var(--muted); font-size: 13px; }
.headline .figure { font-size: 22px; font-weight: 700; }
table.summary { border-collapse: collapse; width: 100%; max-width: 640px; }
table.summary th, table.summary td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); }
table.summary .value { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary tr.ok td { background: var(--ok-bg); color: var(--ok); font-weight: 600; }
table.summary tr.bad td { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 20px; }
.charts section { margin-bottom: 0; }
.chart { position: relative; height: 320px; }
.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
ol.errors { margin: 0; padding-left: 24px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
ol.errors li { overflow-wrap: anywhere; }
.bad-text { color: var(--bad); }
footer { color: var(--muted); font-size: 13px; }
`;

/** Builds the four charts from the JSON in #report-data. Runs in the browser after Chart.js. */
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  if (!data.t.length || typeof Chart === 'undefined') return;
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.elements.point.radius = 0;
  Chart.defaults.elements.point.hoverRadius = 3;
  Chart.defaults.elements.line.borderWidth = 1.5;
  var maxX = Math.max(data.durationH, data.t[data.t.length - 1]);
  // Whole tick steps: a run ends a minute after its last event, so 24.02 h shows as 0–24 h.
  if (data.stepH) { var steps = maxX / data.stepH; maxX = (steps - Math.floor(steps) < 0.02 ? Math.floor(steps) : Math.ceil(steps)) * data.stepH; }
  function xy(ys) { return ys.map(function (y, i) { return { x: data.t[i], y: y }; }); }
  function options(yTitle, stacked) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { title: function (items) { return items.length ? items[0].parsed.x.toFixed(2) + ' h' : ''; } } }
      },
      scales: {
        x: { type: 'linear', min: 0, max: maxX, title: { display: true, text: 'hours from trace start' },
             ticks: data.stepH ? { stepSize: data.stepH } : {} },
        y: { beginAtZero: true, stacked: !!stacked, title: { display: true, text: yTitle } }
      }
    };
  }
  function line(label, ys, color, extra) {
    var d = { label: label, data: xy(ys), borderColor: color, backgroundColor: color };
    for (var k in extra || {}) d[k] = extra[k];
    return d;
  }
  // Stack groups: draining capacity is stacked on ready capacity (its band's top is all booted
  // capacity); demand and placed weight stand alone. Lower 'order' is drawn on top: placed weight
  // over the capacity over the demand area, so that the demand shows where placed weight equals it.
  new Chart(document.getElementById('chart-capacity'), {
    type: 'line',
    data: { datasets: [
      line('Ready capacity (accepts rooms)', data.readyCapacity, '#1a7f37', { stack: 'capacity', stepped: true, borderWidth: 2, order: 1 }),
      line('Draining capacity (no new rooms; band above ready)', data.drainingCapacity, '#bc4c00',
        { stack: 'capacity', stepped: true, fill: '-1', backgroundColor: '#fb8f4466', borderWidth: 1, order: 2 }),
      line('Demand weight (trace)', data.demandWeight, '#a475f9', { stack: 'demand', fill: 'origin', backgroundColor: '#c297ff44', borderWidth: 1, order: 3 }),
      line('Placed room weight', data.activeWeight, '#0969da', { stack: 'placed', order: 0 })
    ] },
    options: options('capacity units', true)
  });
  var nodeColors = { launching: '#8250df', booting: '#fb8f44', ready: '#1a7f37', draining: '#0969da', terminating: '#cf222e' };
  new Chart(document.getElementById('chart-nodes'), {
    type: 'line',
    data: { datasets: Object.keys(nodeColors).map(function (s, i) {
      return line(s, data.nodes[s], nodeColors[s], { fill: i === 0 ? 'origin' : '-1', backgroundColor: nodeColors[s] + '99', stepped: true });
    }) },
    options: options('nodes', true)
  });
  new Chart(document.getElementById('chart-queue'), {
    type: 'line',
    data: { datasets: [ line('Rooms queued', data.queued, '#cf222e', { fill: 'origin', backgroundColor: '#cf222e33', stepped: true }) ] },
    options: options('rooms')
  });
  new Chart(document.getElementById('chart-cost'), {
    type: 'line',
    data: { datasets: [
      line('Cumulative cost', data.costUsd, '#0969da'),
      { label: 'Static 72-vCPU servers', data: [ { x: 0, y: 0 }, { x: maxX, y: data.static72CostUsd } ],
        borderColor: '#59636e', backgroundColor: '#59636e', borderDash: [6, 4] }
    ] },
    options: options('USD')
  });
})();
`;

function metaHtml(result: SimulationResult): string {
  const { meta, summary } = result;
  const items: [string, string][] = [
    ['Trace', meta.trace],
    ['Seed', String(meta.seed)],
    ['Pool', meta.pool],
    ['Node capacity', formatCount(meta.nodeCapacity, 'capacity units')],
    ['Price', `${round(meta.hourlyPriceUsd, 4)} USD/h`],
    ['EBS and IPv4 prices', `${summary.costBreakdown.region} (shared/domain/pricing.ts)`],
    ['Boot time', formatDuration(meta.bootTimeMs)],
    ['Trace duration (virtual)', formatDuration(summary.durationS * 1000)],
    ['Started at', meta.startedAt],
    ['Run time (wall)', formatDuration(summary.wallMs)],
  ];
  return items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('\n');
}

function headlineHtml(result: SimulationResult): string {
  const s = result.summary;
  const saving = savingPercent(s.costUsd, s.static72CostUsd);
  const invariantsOk = s.overbooked === 0 && s.leakedCapacity === 0;
  const cards: [string, string, string?][] = [
    ['Cost (instances + EBS + IPv4)', formatUsd(s.costUsd)],
    ['Instance cost', formatUsd(s.instanceCostUsd)],
    ['Static 72-vCPU cost', formatUsd(s.static72CostUsd)],
    ['Saving vs static', formatPercent(saving), Number.isFinite(saving) && saving < 0 ? 'bad-text' : undefined],
    ['Node-hours / lower bound', formatRatio(s.nodeHours, s.lowerBoundNodeHours)],
    ['Wait p99', formatDuration(s.waitP99Ms)],
    ['Invariants', invariantsOk ? 'ok' : 'VIOLATED', invariantsOk ? undefined : 'bad-text'],
  ];
  return cards
    .map(([label, figure, cls]) => `<div><div class="label">${escapeHtml(label)}</div><div class="figure${cls ? ` ${cls}` : ''}">${escapeHtml(figure)}</div></div>`)
    .join('\n');
}

function summaryHtml(result: SimulationResult): string {
  const rows = summaryRows(result.summary).map((r) => {
    const cls = r.kind === 'invariant' ? (r.ok ? ' class="ok"' : ' class="bad"') : '';
    const value = r.kind === 'invariant' ? `${r.value} — ${r.ok ? 'ok' : 'VIOLATED'}` : r.value;
    return `<tr${cls}><th scope="row">${escapeHtml(r.label)}</th><td class="value">${escapeHtml(value)}</td></tr>`;
  });
  return `<table class="summary">\n<thead><tr><th>Metric</th><th class="value">Value</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function chartsHtml(result: SimulationResult, shown: number): string {
  if (result.timeline.length === 0) return '<section><h2>Charts</h2><p>No timeline samples were recorded.</p></section>';
  const tl = result.timeline;
  const every = tl.length > 1 ? ` one every ${formatDuration((tl[1]!.t - tl[0]!.t) * 1000)} of virtual time` : '';
  const sampled =
    shown < tl.length
      ? `${formatCount(tl.length)} samples,${every}, shown as ${formatCount(shown)} buckets (weights, draining capacity and queue: bucket maximum; ready capacity: bucket minimum).`
      : `${formatCount(tl.length)} samples,${every}.`;
  const chart = (id: string, title: string, note: string) =>
    `<section><h2>${escapeHtml(title)}</h2><div class="chart"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div><p class="note">${escapeHtml(note)}</p></section>`;
  return `<div class="charts">
${chart(
  'chart-capacity',
  'Room weight vs ready capacity',
  `Capacity units. Ready capacity (green line) is what accepts new rooms: ready nodes, not hot. Draining capacity (orange band, stacked above the green line) is on booted nodes that take no new rooms (drained for surplus, by an operator or for a fault, or hot): their rooms stay until released, then the node is terminated; it is not counted as ready, so placed weight can rise above the green line. Demand is what the trace alone says is active; placed weight falls short of it while rooms wait in the queue. ${sampled}`,
)}
${chart('chart-nodes', 'Nodes by state', `Stacked; terminated nodes are not shown. Launching and booting nodes (about ${formatDuration(result.meta.bootTimeMs)} per boot) are paid for but serve no rooms yet.${shown < tl.length ? ' Per bucket, the sample with the most nodes.' : ''}`)}
${chart('chart-queue', 'Queue length', `Rooms waiting for capacity: the most queued at once since the previous sample${shown < tl.length ? ' (bucket maximum)' : ''}.`)}
${chart('chart-cost', 'Cumulative cost vs static 72-vCPU servers', `Node cost so far (instances + EBS + public IPv4) vs the static fleet's cost accrued evenly over ${formatDuration(result.summary.durationS * 1000)}.`)}
</div>`;
}

function traceErrorsHtml(result: SimulationResult): string {
  const errors = result.traceErrors;
  if (errors.length === 0) return '';
  const items = errors
    .slice(0, MAX_TRACE_ERRORS)
    .map((e) => `<li value="${Math.trunc(e.line)}">line ${Math.trunc(e.line)}: ${escapeHtml(e.message)}</li>`)
    .join('\n');
  const more = errors.length > MAX_TRACE_ERRORS ? `<p class="note">… and ${formatCount(errors.length - MAX_TRACE_ERRORS)} more</p>` : '';
  return `<section><h2>Trace errors (${formatCount(errors.length)})</h2>\n<ol class="errors">\n${items}\n</ol>\n${more}</section>`;
}

function unplacedHtml(result: SimulationResult): string {
  const ids = result.unplacedRoomIds ?? [];
  if (ids.length === 0) return '';
  const shown = ids.slice(0, MAX_TRACE_ERRORS).map((id) => `<li>${escapeHtml(id)}</li>`).join('\n');
  const more = ids.length > MAX_TRACE_ERRORS ? `<p class="note">… and ${formatCount(ids.length - MAX_TRACE_ERRORS)} more</p>` : '';
  return `<section><h2>Rooms never placed (${formatCount(ids.length)})</h2>
<p class="note">Released while still queued for capacity, or queued when the run ended.</p>
<ul class="errors">\n${shown}\n</ul>\n${more}</section>`;
}

/** The report as a self-contained HTML page (no external resources). */
export function renderReport(result: SimulationResult): string {
  const data = chartData(result);
  const title = `Simulation report — ${result.meta.trace}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Simulation report</h1>
<p class="subtitle">${escapeHtml(result.meta.trace)}</p>
<header class="card"><dl class="meta">
${metaHtml(result)}
</dl></header>
<div class="headline">
${headlineHtml(result)}
</div>
<section><h2>Summary</h2>
${summaryHtml(result)}
</section>
${chartsHtml(result, data.t.length)}
${unplacedHtml(result)}
${traceErrorsHtml(result)}
<footer><p>Generated by wcs-autoscaler simulate. Charts drawn with Chart.js (MIT licence), inlined.</p></footer>
</main>
<script type="application/json" id="report-data">${inlineJson(data)}</script>
<script>${escapeInlineScript(chartJs())}</script>
<script>${escapeInlineScript(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

/** Renders the report and writes it to `path` (creating parent directories). Returns the absolute path. */
export function writeReport(path: string, result: SimulationResult): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, renderReport(result), 'utf8');
  return absolute;
}
