import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate, stopSimulator } from '../../../sim/runtime/simulate.ts';
import { formatTraceText } from '../../../sim/trace/file.ts';
import { generateTrace } from '../../../sim/trace/generator.ts';

const run = promisify(execFile);
const SHORT = 'test/fixtures/traces/short.jsonl';

describe('Function: simulate', () => {
  afterAll(stopSimulator);

  it('places every valid room through the real handlers and keeps the invariants on a short trace', async () => {
    // Prepare: a trace with a duplicate delivery, a stale create, a too-heavy room, a reconnect
    // and two invalid lines

    // Act
    const { summary, traceErrors, timeline } = await simulate({ tracePath: SHORT, seed: 7 });

    // Assess
    expect(traceErrors.map((e) => e.line)).toEqual([7, 8]);
    expect(summary.rooms).toBe(5); // every room id the trace creates, too-heavy (refused) and late-create (stale) included
    expect(summary.placed).toBe(3); // standup-1, webinar-7, cam.house-1
    expect(summary.reannouncements).toBe(0);
    expect(summary.expectedActiveRoomsAtEnd).toBe(0);
    expect(summary.unansweredRooms).toBe(0);
    expect(summary.lostRooms).toBe(0);
    expect(summary.placements).toBe(4); // cam.house-1 reconnects once
    expect(summary.staleCreates).toBe(1);
    expect(summary.duplicateDeliveries).toBe(1);
    expect(summary.rejected).toBe(3); // two invalid lines + the too-heavy room
    expect(summary.overbooked).toBe(0);
    expect(summary.leakedCapacity).toBe(0);
    expect(summary.activeRoomsAtEnd).toBe(0);
    expect(summary.launches).toBeGreaterThanOrEqual(1);
    expect(summary.nodeHours).toBeGreaterThan(0);
    // The full bill: the instances (node-hours × price) plus each node's gp3 volume and public IPv4 addresses
    const b = summary.costBreakdown;
    expect(summary.instanceCostUsd).toBeCloseTo(summary.nodeHours * 0.348, 9);
    expect(b.instanceUsd).toBeCloseTo(summary.instanceCostUsd, 9);
    expect(b.ebsUsd).toBeGreaterThan(0);
    expect(b.publicIpv4Usd).toBeGreaterThan(0);
    expect(summary.costUsd).toBeCloseTo(b.instanceUsd + b.ebsUsd + b.publicIpv4Usd, 9);
    expect(timeline[timeline.length - 1]!.costUsd).toBeLessThanOrEqual(summary.costUsd + 1e-9);
    // Waiting per day: one day, holding every placement and the run's waits
    expect(summary.days).toEqual([
      { day: 0, placements: 4, waitedPlacements: summary.waitedPlacements, waitP50Ms: summary.waitP50Ms, waitP99Ms: summary.waitP99Ms, waitMaxMs: summary.waitMaxMs },
    ]);
    expect(summary.waitMaxMs).toBeGreaterThan(0); // the first rooms wait for the first node to boot
    expect(summary.waitMaxMs).toBeLessThan(5 * 60_000);
    expect(timeline.length).toBeGreaterThan(0);
    // Sampled every minute: the 90-second boots show in the node states
    expect(timeline.filter((p) => p.nodes.booting > 0).length).toBeGreaterThanOrEqual(1);
    // Ready capacity is what accepts rooms; a draining node's capacity is counted apart
    for (const p of timeline) expect(p.readyCapacity).toBeLessThanOrEqual(p.nodes.ready * 20);
    expect(timeline[timeline.length - 1]).toMatchObject({ readyCapacity: 20, drainingCapacity: 20, nodes: { ready: 1, draining: 1 } });
  });

  it('keeps the invariants on a generated two-hour busy trace with launch failures', async () => {
    // Prepare: the Monday-morning ramp of the generated week (busy, with duplicates)
    const dir = await mkdtemp(join(tmpdir(), 'wcs-sim-'));
    const path = join(dir, 'ramp.jsonl');
    const events = generateTrace({ seed: 3, days: 1 }).filter((e) => e.t >= 8 * 3600 && e.t < 10 * 3600).map((e) => ({ ...e, t: e.t - 8 * 3600, time: (e.time ?? e.t) - 8 * 3600 }));
    await writeFile(path, formatTraceText(events));
    // No warm pool: every scale-out is a launch, so the launch failures are exercised (with one,
    // nodes stopped after the 2-minute stop grace are started instead of launched).
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify({ pools: [{ name: 'default', warmPool: { state: 'none' } }] }));

    // Act
    const { summary } = await simulate({ tracePath: path, configPath, seed: 11, launchFailureRate: 0.3 });

    // Assess
    expect(summary.rooms).toBeGreaterThan(100);
    expect(summary.placed).toBe(summary.rooms);
    expect(summary.overbooked).toBe(0);
    expect(summary.leakedCapacity).toBe(0);
    expect(summary.launchFailures).toBeGreaterThan(0);
    expect(summary.ddbCallsPerPlacement).toBeGreaterThan(0);
  }, 240_000); // two hours of virtual time through the real handlers: ~40 s alone, over 90 s on 2 shared cores
});

describe('Command: wcs-autoscaler simulate --json', () => {
  it('prints exactly one JSON object with every required key', async () => {
    // Act
    const { stdout } = await run(process.execPath, ['bin/wcs-autoscaler.js', 'simulate', '--trace', SHORT, '--json'], { timeout: 120_000 });

    // Assess
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] as string);
    for (const key of ['rooms', 'placed', 'placements', 'rejected', 'waitedPlacements', 'waitP50Ms', 'waitP99Ms', 'waitMaxMs', 'queuedPeak', 'nodesPeak', 'nodeHours', 'lowerBoundNodeHours', 'costUsd', 'static72CostUsd', 'overbooked', 'leakedCapacity', 'unansweredRooms', 'lostRooms', 'activeRoomsAtEnd', 'ddbCallsPerPlacement']) {
      expect(summary).toHaveProperty(key);
      expect(typeof summary[key]).toBe('number');
    }
    expect(Object.keys(summary.costBreakdown).sort()).toEqual(['ebsUsd', 'instanceUsd', 'publicIpv4Usd', 'region', 'stoppedHours']);
    expect(typeof summary.instanceCostUsd).toBe('number');
    expect(summary.days[0]).toEqual({ day: 0, placements: 4, waitedPlacements: expect.any(Number), waitP50Ms: expect.any(Number), waitP99Ms: expect.any(Number), waitMaxMs: expect.any(Number) });
  });

  it('writes a self-contained HTML report and prints the summary table', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-report-'));
    const report = join(dir, 'r.html');

    // Act
    const { stdout } = await run(process.execPath, ['bin/wcs-autoscaler.js', 'simulate', '--trace', SHORT, '--report', report], { timeout: 120_000 });

    // Assess
    expect(stdout).toContain('Overbooked');
    expect(stdout).toContain(`Report: ${report}`);
    const html = await readFile(report, 'utf8');
    expect(html).toContain('<canvas');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it('rejects an invalid option with a clear error', async () => {
    // Act
    const failure = await run(process.execPath, ['bin/wcs-autoscaler.js', 'simulate', '--trace', SHORT, '--launch-failure-rate', '2']).catch((e: { stderr: string; code: number }) => e);

    // Assess
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toContain('--launch-failure-rate must be a number from 0 to 1');
  });
});

describe('Command: wcs-autoscaler simulate with bad input', () => {
  it.each([
    ['an invalid configuration', '{"pools":[{"name":"default","maxNodes":0}]}', /pools\.0\.maxNodes/],
    ['a configuration that is not JSON', '{bad', /invalid JSON/],
  ])('exits 2 with one clear line for %s', async (_name, config, message) => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'wcs-config-'));
    const path = join(dir, 'config.json');
    await writeFile(path, config);

    // Act
    const failure = (await run(process.execPath, ['bin/wcs-autoscaler.js', 'simulate', '--trace', SHORT, '--config', path]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };

    // Assess
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(message);
    expect(failure.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
