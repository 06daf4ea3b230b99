import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { downsampleTimeline, escapeInlineScript, MAX_CHART_POINTS, renderReport, writeReport } from '../../cli/report.ts';
import type { SimulationResult, TimelinePoint } from '../../sim/runtime/types.ts';
import { sampleSummary } from '../support/summary.ts';

const NO_NODES = { launching: 0, booting: 0, ready: 0, draining: 0, stopping: 0, stopped: 0, starting: 0, terminating: 0, terminated: 0 };

function point(t: number, overrides: Partial<TimelinePoint> = {}): TimelinePoint {
  return {
    t,
    activeWeight: 10,
    readyCapacity: 40,
    drainingCapacity: 0,
    demandWeight: 12,
    nodes: { ...NO_NODES, ready: 2 },
    queued: 0,
    costUsd: t / 3600,
    ...overrides,
  };
}

function result(overrides: Partial<SimulationResult> = {}): SimulationResult {
  return {
    summary: sampleSummary({ waitP99Ms: 95_400, nodeHours: 812.5, static72CostUsd: 5279.9, durationS: 3600, wallMs: 4321 }),
    timeline: Array.from({ length: 61 }, (_, i) => point(i * 60)),
    traceErrors: [],
    unplacedRoomIds: [],
    unansweredRoomIds: [],
    unexplainedActiveRoomIds: [],
    meta: {
      trace: 'samples/week.jsonl',
      seed: 42,
      pool: 'c7i.4xlarge',
      nodeCapacity: 16,
      hourlyPriceUsd: 0.7854,
      bootTimeMs: 90_000,
      startedAt: '2025-01-01T00:00:00.000Z',
    },
    ...overrides,
  };
}

/** Chart.js's UMD source, found the way the report finds it. */
function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
}

describe('Function: renderReport', () => {
  it('inlines the Chart.js UMD build when rendering', () => {
    // Prepare
    const source = chartJsSource();

    // Act
    const html = renderReport(result());

    // Assess
    expect(html).toContain('Chart.js v4');
    expect(html).toContain(source.slice(50_000, 52_000));
    expect(html).toContain(source.slice(-2000));
  });

  it('loads no external resources', () => {
    // Prepare
    const r = result();

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    // Outside the inlined Chart.js (whose licence banner names its web site) there is no URL at all.
    const withoutChartJs = html.replace(chartJsSource(), '');
    expect(withoutChartJs).not.toMatch(/https?:\/\//i);
  });

  it('includes the header and summary values', () => {
    // Prepare
    const r = result();

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).toContain('samples/week.jsonl');
    expect(html).toContain('c7i.4xlarge');
    expect(html).toContain('0.7854 USD/h');
    expect(html).toContain('16 capacity units');
    expect(html).toContain('1m 30s');
    expect(html).toContain('2025-01-01T00:00:00.000Z');
    expect(html).toContain('1,234 rooms');
    expect(html).toContain('1,420.50 USD');
    expect(html).toContain('Cost (instances + EBS + IPv4)');
    expect(html).toContain('1,390.25 USD');
    expect(html).toContain('Day 1 wait p50 / p99 / max');
    expect(html).toContain('5,279.90 USD');
    expect(html).toContain('812.5 h');
    expect(html).toContain('1.25×');
    expect(html).toContain('73.1 %');
    expect(html).toContain('1m 35.4s');
    expect(html).toMatch(/<tr class="ok"><th scope="row">Overbooked containers<\/th><td class="value">0 times — ok<\/td><\/tr>/);
    expect(html).toMatch(/<tr class="ok"><th scope="row">Leaked capacity<\/th>/);
    for (const id of ['chart-capacity', 'chart-nodes', 'chart-queue', 'chart-cost']) {
      expect(html).toContain(`<canvas id="${id}"`);
    }
  });

  it('highlights a violated invariant in red when it is not 0', () => {
    // Prepare
    const r = result();
    r.summary.leakedCapacity = 3;

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).toMatch(/<tr class="bad"><th scope="row">Leaked capacity<\/th><td class="value">3 capacity units — VIOLATED<\/td><\/tr>/);
    expect(html).toMatch(/<tr class="ok"><th scope="row">Overbooked containers<\/th>/);
  });

  it('escapes a malicious trace name when rendering', () => {
    // Prepare
    const evil = '</script><script>alert(1)</script>';
    const r = result({ meta: { ...result().meta, trace: evil } });

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).not.toContain(evil);
    expect(html).not.toContain('alert(1)</script>');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
  });

  it('escapes trace error messages and lists only the first 50', () => {
    // Prepare
    const traceErrors = Array.from({ length: 60 }, (_, i) => ({ line: i + 1, message: `bad <b>${i + 1}</b>` }));
    const r = result({ traceErrors });

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).toContain('Trace errors (60)');
    expect(html).toContain('line 50: bad &lt;b&gt;50&lt;/b&gt;');
    expect(html).not.toContain('line 51:');
    expect(html).toContain('… and 10 more');
    expect(html).not.toContain('<b>');
  });

  it('escapes < in the inlined JSON data', () => {
    // Prepare
    const r = result();

    // Act
    const html = renderReport(r);

    // Assess
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(json).toBeDefined();
    expect(json).not.toContain('<');
    const data = JSON.parse(json!) as { t: number[]; static72CostUsd: number };
    expect(data.t).toHaveLength(61);
    expect(data.t[60]).toBe(1);
    expect(data.static72CostUsd).toBe(5279.9);
  });

  it('renders a note instead of charts when the timeline is empty', () => {
    // Prepare
    const r = result({ timeline: [] });

    // Act
    const html = renderReport(r);

    // Assess
    expect(html).toContain('No timeline samples were recorded.');
    expect(html).not.toContain('<canvas');
  });

  it('charts a week sampled every minute unbucketed, so that a one-minute boot shows, in under 1.5 MB', () => {
    // Prepare: figures with as many digits as a real run's (hundreds of units, 4-decimal cost)
    const week = Array.from({ length: 7 * 24 * 60 + 1 }, (_, i) =>
      point(i * 60, {
        activeWeight: 300 + (i % 577),
        demandWeight: 310 + (i % 577),
        readyCapacity: 400 + 20 * (i % 31),
        drainingCapacity: 20 * (i % 13),
        nodes: { ...NO_NODES, ready: 20 + (i % 31), draining: i % 13 },
        costUsd: (i * 60 * 14.7) / 3600 + 0.123456,
      }),
    );
    week[5003] = { ...week[5003]!, nodes: { ...week[5003]!.nodes, booting: 1 } };
    const r = result({ timeline: week });
    r.summary.durationS = 7 * 24 * 3600;

    // Act
    const html = renderReport(r);

    // Assess
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as Record<string, unknown> & { t: number[]; queued: number[]; drainingCapacity: number[]; nodes: Record<string, number[]> };
    expect(data.t).toHaveLength(week.length);
    expect(data.nodes['booting']!.filter((n) => n > 0)).toEqual([1]);
    expect(data.drainingCapacity).toHaveLength(week.length);
    expect(html.length).toBeLessThan(1_500_000);
  });

  it('buckets a run longer than MAX_CHART_POINTS samples', () => {
    // Prepare
    const month = Array.from({ length: 30 * 24 * 60 + 1 }, (_, i) => point(i * 60));
    const r = result({ timeline: month });

    // Act
    const html = renderReport(r);

    // Assess
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as { t: number[]; nodes: Record<string, number[]> };
    expect(data.t.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(data.t.length).toBeGreaterThan(MAX_CHART_POINTS / 2);
    expect(data.nodes['ready']).toHaveLength(data.t.length);
    expect(html).toContain('buckets (weights, draining capacity and queue: bucket maximum; ready capacity: bucket minimum)');
  });

  it('charts ready capacity and draining capacity as separate series and explains the difference', () => {
    // Prepare
    const timeline = Array.from({ length: 61 }, (_, i) => point(i * 60, { readyCapacity: 40, drainingCapacity: i >= 30 ? 20 : 0 }));

    // Act
    const html = renderReport(result({ timeline }));

    // Assess
    const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as { readyCapacity: number[]; drainingCapacity: number[] };
    expect(data.readyCapacity.every((c) => c === 40)).toBe(true);
    expect(data.drainingCapacity.slice(29, 31)).toEqual([0, 20]);
    expect(html).toContain("line('Draining capacity (no new rooms; band above ready)', data.drainingCapacity");
    expect(html).toContain('is on booted nodes that take no new rooms');
    expect(html).toContain("{ stack: 'capacity', stepped: true, fill: '-1'");
    expect(html).toContain('61 samples, one every 1m of virtual time.');
  });
});

describe('Function: downsampleTimeline', () => {
  it('returns the timeline unchanged when it has at most maxPoints samples', () => {
    // Prepare
    const timeline = Array.from({ length: 10 }, (_, i) => point(i * 60));

    // Act
    const out = downsampleTimeline(timeline, 10);

    // Assess
    expect(out).toEqual(timeline);
    expect(out).not.toBe(timeline);
  });

  it('keeps the maximum of a one-sample spike when bucketing', () => {
    // Prepare
    const timeline = Array.from({ length: 10_081 }, (_, i) => point(i * 60));
    timeline[5003] = point(5003 * 60, { activeWeight: 999, demandWeight: 1001, queued: 77, readyCapacity: 3, drainingCapacity: 55 });

    // Act
    const out = downsampleTimeline(timeline, 2000);

    // Assess
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(Math.max(...out.map((p) => p.activeWeight))).toBe(999);
    expect(Math.max(...out.map((p) => p.demandWeight))).toBe(1001);
    expect(Math.max(...out.map((p) => p.queued))).toBe(77);
    expect(Math.min(...out.map((p) => p.readyCapacity))).toBe(3);
    expect(Math.max(...out.map((p) => p.drainingCapacity))).toBe(55);
    expect(out.filter((p) => p.activeWeight === 999)).toHaveLength(1);
  });

  it('keeps the final cumulative cost and the node snapshot with the most nodes', () => {
    // Prepare
    const timeline = Array.from({ length: 100 }, (_, i) => point(i * 60));
    timeline[41] = point(41 * 60, { nodes: { ...NO_NODES, ready: 2, booting: 3 } });

    // Act
    const out = downsampleTimeline(timeline, 10);

    // Assess
    expect(out).toHaveLength(10);
    expect(out[0]!.t).toBe(0);
    expect(out[9]!.costUsd).toBe(timeline[99]!.costUsd);
    expect(out[4]!.nodes).toEqual({ ...NO_NODES, ready: 2, booting: 3 });
    expect(out[3]!.nodes).toEqual({ ...NO_NODES, ready: 2 });
  });
});

describe('Function: escapeInlineScript', () => {
  it('neutralises </script and <!-- when they appear in the source', () => {
    // Prepare
    const source = 'var a = "</script>"; var b = "<!--"; var c = "</SCRIPT";';

    // Act
    const out = escapeInlineScript(source);

    // Assess
    expect(out).not.toMatch(/<\/script/i);
    expect(out).not.toContain('<!--');
    expect(new Function(`${out}; return [a, b, c];`)()).toEqual(['</script>', '<!--', '</SCRIPT']);
  });
});

describe('Function: writeReport', () => {
  let dir: string | undefined;

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('creates parent directories and returns the absolute path when writing', () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'report-test-'));
    const target = join(dir, 'nested', 'deeper', 'report.html');
    const r = result();

    // Act
    const written = writeReport(target, r);

    // Assess
    expect(isAbsolute(written)).toBe(true);
    expect(written).toBe(target);
    const html = readFileSync(written, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toBe(renderReport(r));
  });
});
