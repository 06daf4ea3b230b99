import { describe, expect, it } from 'vitest';
import { formatSummary, formatTraceErrors } from '../../cli/summary-table.ts';
import { sampleSummary as summary } from '../support/summary.ts';


describe('Function: formatSummary', () => {
  it('lists every metric with its formatted value and unit', () => {
    // Prepare
    const s = summary();

    // Act
    const out = formatSummary(s);

    // Assess
    for (const label of [
      'Rooms',
      'Rooms placed',
      'Placements',
      'Rejected',
      'Placements that waited',
      'Wait p50',
      'Wait p99',
      'Wait max',
      'Queue peak',
      'Nodes peak',
      'Node-hours',
      'Lower bound node-hours',
      'Node-hours / lower bound',
      'Cost',
      'Instance cost',
      'EBS cost (gp3, eu-central-1)',
      'Public IPv4 cost',
      'Stopped node-hours (warm pool)',
      'Day 1 wait p50 / p99 / max',
      'Day 2 wait p50 / p99 / max',
      'Static 72-vCPU cost',
      'Saving vs static 72-vCPU',
      'Overbooked containers',
      'Leaked capacity',
      'Active rooms at end',
      'DynamoDB calls per placement',
      'Events',
      'Invalid lines',
      'Stale creates',
      'Duplicate deliveries',
      'Launches',
      'Launch failures',
      'Terminations',
      'Virtual duration',
      'Wall time',
    ]) {
      expect(out).toContain(label);
    }
    expect(out).toContain('1,234 rooms');
    expect(out).toContain('1,420.50 USD');
    expect(out).toContain('1,390.25 USD');
    expect(out).toContain('8.25 USD');
    expect(out).toContain('22.00 USD');
    expect(out).toContain('41.5 h');
    expect(out).toMatch(/Day 2 wait p50 \/ p99 \/ max +│ +0ms \/ 41s \/ 52s \(10 of 600 placements waited\) │/);
    expect(out).toContain('5,279.90 USD');
    expect(out).toContain('812.35 h');
    expect(out).toContain('650.0 h');
    expect(out).toContain('1.25×');
    expect(out).toContain('73.1 %');
    // Durations in pretty-ms's one format: wait p99 95,400.6 ms, wall time 4,321.7 ms
    expect(out).toMatch(/Wait p99 +│ +1m 35\.4s │/);
    expect(out).toMatch(/Wall time +│ +4\.3s │/);
    expect(out).toContain('4.25 calls');
    expect(out).toMatch(/Virtual duration +│ +7d │/);
  });

  it('marks the invariants ok when they are 0', () => {
    // Prepare
    const s = summary();

    // Act
    const out = formatSummary(s);

    // Assess
    expect(out).not.toContain('VIOLATED');
    expect(out.match(/— ok/g)).toHaveLength(5); // overbooked, leaked capacity, orphan instances, unanswered rooms, active rooms at end
  });

  it('marks a violation when the active rooms at the end differ from what the trace implies', () => {
    // Prepare
    const s = summary({ activeRoomsAtEnd: 11, expectedActiveRoomsAtEnd: 12 });

    // Act
    const out = formatSummary(s);

    // Assess
    const line = out.split('\n').find((l) => l.startsWith('Active rooms at end') || l.includes('Active rooms at end '));
    expect(line).toContain('VIOLATED');
    expect(out).toContain('Expected active rooms at end (trace)');
    expect(out).toContain('Re-announced placements');
  });

  it('marks a violation when overbooked > 0', () => {
    // Prepare
    const s = summary({ overbooked: 2 });

    // Act
    const out = formatSummary(s);

    // Assess
    const line = out.split('\n').find((l) => l.includes('Overbooked containers'));
    expect(line).toContain('2 times — VIOLATED');
    expect(out.match(/VIOLATED/g)).toHaveLength(1);
  });

  it('marks a violation when leaked capacity > 0', () => {
    // Prepare
    const s = summary({ leakedCapacity: 5 });

    // Act
    const out = formatSummary(s);

    // Assess
    const line = out.split('\n').find((l) => l.includes('Leaked capacity'));
    expect(line).toContain('5 capacity units — VIOLATED');
  });

  it('prints n/a for ratios when the reference is 0', () => {
    // Prepare
    const s = summary({ lowerBoundNodeHours: 0, static72CostUsd: 0 });

    // Act
    const out = formatSummary(s);

    // Assess
    expect(out.split('\n').find((l) => l.includes('Node-hours / lower bound'))).toContain('n/a');
    expect(out.split('\n').find((l) => l.includes('Saving vs static'))).toContain('n/a');
  });

  it('contains no ANSI colour codes', () => {
    // Prepare
    const s = summary();

    // Act
    const out = formatSummary(s);

    // Assess
    expect(out).not.toContain('\u001b[');
  });
});

describe('Function: formatTraceErrors', () => {
  it('returns an empty string when there are no errors', () => {
    // Prepare
    const errors: { line: number; message: string }[] = [];

    // Act
    const out = formatTraceErrors(errors);

    // Assess
    expect(out).toBe('');
  });

  it('lists every error when there are at most max', () => {
    // Prepare
    const errors = [
      { line: 3, message: 'invalid JSON' },
      { line: 9, message: 'unknown event type "x"' },
    ];

    // Act
    const out = formatTraceErrors(errors);

    // Assess
    expect(out).toBe('line 3: invalid JSON\nline 9: unknown event type "x"');
  });

  it('adds "… and N more" when there are more than max', () => {
    // Prepare
    const errors = Array.from({ length: 25 }, (_, i) => ({ line: i + 1, message: `bad ${i + 1}` }));

    // Act
    const out = formatTraceErrors(errors);

    // Assess
    const lines = out.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('line 1: bad 1');
    expect(lines[9]).toBe('line 10: bad 10');
    expect(lines[10]).toBe('… and 15 more');
  });

  it('honours a custom max', () => {
    // Prepare
    const errors = Array.from({ length: 5 }, (_, i) => ({ line: i + 1, message: 'x' }));

    // Act
    const out = formatTraceErrors(errors, 2);

    // Assess
    expect(out).toBe('line 1: x\nline 2: x\n… and 3 more');
  });

  it('keeps each error on one line and neutralises control characters when a message has them', () => {
    // Prepare
    const errors = [{ line: 1, message: 'a\nb\u001b[2Jc' }];

    // Act
    const out = formatTraceErrors(errors);

    // Assess
    expect(out).toBe('line 1: a b\uFFFD[2Jc');
  });
});
