import { describe, expect, it } from 'vitest';
import { lifetimeReport, measureLifetime } from '../../bench/lifetime.ts';
import { withoutHints } from '../../bench/hint-variants.ts';
import { noMigrationBound } from '../../bench/no-migration.ts';
import { parseAutoscalerConfig, poolByName } from '../../shared/domain/config.ts';
import { generateTrace } from '../../sim/trace/generator.ts';
import type { TraceEvent } from '../../sim/trace/model.ts';

const config = parseAutoscalerConfig({});
const poolShape = poolByName(config, config.defaultPool);
// Morning of a quiet Monday with a 40-room crowd at 09:00; rooms still open at 11:00 end with the trace
const base = generateTrace({ seed: 4, days: 1, peakConcurrent: 10, flashCrowds: [{ day: 0, startSecOfDay: 9 * 3600, rooms: 40, rampSec: 60, durationMin: 30 }], surveillanceTenants: [] }).filter(
  (e) => e.t < 11 * 3600,
);
// The same demand with a hint on every other create and the crowd's webinar announced
const hinted: TraceEvent[] = [
  { t: 8 * 3600, type: 'RoomScheduled', roomId: 'announced', startAt: 9 * 3600, expectedDurationMs: 1_800_000, kind: 'webinar' },
  ...withoutHints(base).map((e, i) => (e.type === 'RoomCreated' && i % 2 === 0 ? { ...e, expectedDurationMs: 1_200_000, kind: 'meeting' } : e)),
];

describe('measureLifetime', () => {
  it('replays our six variants and the baselines, with both bounds and a gap split that adds up', async () => {
    // Act
    const figures = await measureLifetime([{ name: 'morning', description: 'test', events: hinted }], config, [1, 2]);

    // Assess
    const [trace] = figures.traces;
    if (trace === undefined) throw new Error('no trace');
    expect(trace.rows.map((r) => r.policy)).toEqual([
      'ours, no hints',
      'ours, hints (trace as given)',
      'ours, oracle hints (true ends)',
      'ours, no hints, lifetimeDrain',
      'ours, hints, lifetimeDrain',
      'ours, oracle hints, lifetimeDrain + lifetimePlacement',
      'naive-reactive',
      'ec2-asg-target-tracking',
      'jitsi-thresholds',
      'static-72-vcpu',
    ]);
    expect(trace.rows[1]?.sameInputAs).toBeUndefined();
    expect(trace.hints).toMatchObject({ scheduled: 1 });
    expect(trace.hints.hintedCreates).toBeGreaterThan(0);
    const expected = noMigrationBound(withoutHints(hinted), poolShape);
    expect(trace.bounds.noMigration).toEqual(expected);
    expect(trace.bounds.noMigration.nodeHours).toBeGreaterThanOrEqual(trace.bounds.lowerBoundNodeHours);
    for (const row of trace.rows) {
      expect(row.nodeHours.min).toBeLessThanOrEqual(row.nodeHours.mean);
      expect(row.nodeHours.mean).toBeLessThanOrEqual(row.nodeHours.max);
      expect(row.ratioToLowerBound.mean).toBeCloseTo(row.nodeHours.mean / trace.bounds.lowerBoundNodeHours, 9);
      expect(row.billUsd.mean).toBeGreaterThan(0);
      expect(row.unqueuedShare.mean).toBeGreaterThanOrEqual(0);
      expect(row.unqueuedShare.mean).toBeLessThanOrEqual(1);
    }
    expect(trace.rows.slice(0, 6).every((r) => r.overbooked === 0 && r.leakedCapacity === 0)).toBe(true);
    expect(trace.gaps).toHaveLength(6);
    for (const g of trace.gaps) expect(g.physics + g.policyPart).toBeCloseTo(g.aboveLowerBound, 9);
    expect(lifetimeReport(figures)).toContain('gap, ours, oracle hints (true ends)');
  });

  it('reuses the no-hints replays for a trace without hints, and reports the whole trace bounds of a part', async () => {
    // Act
    const plain = withoutHints(base);
    const figures = await measureLifetime([{ name: 'part', description: 'test', events: plain.filter((e) => e.t < 3 * 3600), fullEvents: plain, scope: 'first 3 h' }], config, [1]);

    // Assess
    const [trace] = figures.traces;
    expect(trace?.rows[1]).toMatchObject({ sameInputAs: 'no-hints', nodeHours: trace?.rows[0]?.nodeHours });
    expect(trace?.scope).toBe('first 3 h');
    expect(trace?.fullTraceBounds?.noMigration).toEqual(noMigrationBound(plain, poolShape));
  });
});
