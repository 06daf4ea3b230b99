import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatTraceText,
  generateTraceCommand,
  parseTraceText,
  readTraceFile,
  writeTraceFile,
} from '../../../sim/trace/file.ts';
import { generateTrace } from '../../../sim/trace/generator.ts';
import type { TraceEvent } from '../../../sim/trace/model.ts';
import { dailyStats, lowerBoundNodeHours, peakActiveWeight } from '../../../sim/trace/stats.ts';

const SAMPLE = new URL('../../../samples/week.jsonl', import.meta.url);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: parseTraceText', () => {
  it('returns the events with their line numbers when every line is valid', () => {
    // Prepare
    const text = [
      '{"t":0,"type":"RoomCreated","roomId":"a","weight":2,"id":"e1"}',
      '',
      '   ',
      '{"t":5,"type":"RoomReleased","roomId":"a","id":"e2","time":4}\r',
      '{"t":6,"type":"RoomCreated","roomId":"cam.house-1","tenantId":"cctv","unknown":true}',
    ].join('\n');

    // Act
    const parsed = parseTraceText(text);

    // Assess
    expect(parsed.errors).toEqual([]);
    expect(parsed.events).toEqual([
      { t: 0, type: 'RoomCreated', roomId: 'a', weight: 2, id: 'e1', line: 1 },
      { t: 5, type: 'RoomReleased', roomId: 'a', id: 'e2', time: 4, line: 4 },
      { t: 6, type: 'RoomCreated', roomId: 'cam.house-1', tenantId: 'cctv', line: 5 },
    ]);
  });

  it.each([
    { name: 'invalid JSON', line: '{"t":0,', message: /^invalid JSON/ },
    { name: 'an array', line: '[1,2]', message: /expected a JSON object/ },
    { name: 'null', line: 'null', message: /expected a JSON object/ },
    { name: 'a missing roomId', line: '{"t":0,"type":"RoomCreated"}', message: /^roomId is required$/ },
    { name: 'a missing t', line: '{"type":"RoomCreated","roomId":"a"}', message: /^t is required$/ },
    { name: 'a string t', line: '{"t":"0","type":"RoomCreated","roomId":"a"}', message: /^t must be a number/ },
    { name: 'a negative t', line: '{"t":-1,"type":"RoomCreated","roomId":"a"}', message: /^t must be ≥ 0$/ },
    { name: 'an unknown type', line: '{"t":0,"type":"RoomOpened","roomId":"a"}', message: /^type must be "RoomCreated", "RoomReleased" or "RoomScheduled"$/ },
    {
      name: 'an oversized roomId',
      line: JSON.stringify({ t: 0, type: 'RoomCreated', roomId: 'r'.repeat(129) }),
      message: /^roomId must be at most 128 characters$/,
    },
    { name: 'an empty roomId', line: '{"t":0,"type":"RoomCreated","roomId":""}', message: /^roomId must not be empty$/ },
    { name: 'a roomId with a space', line: '{"t":0,"type":"RoomCreated","roomId":"a b"}', message: /^roomId may contain only/ },
    { name: 'a fractional weight', line: '{"t":0,"type":"RoomCreated","roomId":"a","weight":1.5}', message: /^weight must be an integer ≥ 1$/ },
    { name: 'a zero weight', line: '{"t":0,"type":"RoomCreated","roomId":"a","weight":0}', message: /^weight must be an integer ≥ 1$/ },
    { name: 'a string weight', line: '{"t":0,"type":"RoomCreated","roomId":"a","weight":"2"}', message: /^weight must be an integer ≥ 1$/ },
    { name: 'a numeric id', line: '{"t":0,"type":"RoomCreated","roomId":"a","id":7}', message: /^id must be a string$/ },
    { name: 'an oversized id', line: JSON.stringify({ t: 0, type: 'RoomCreated', roomId: 'a', id: 'x'.repeat(257) }), message: /^id must be at most 256/ },
    { name: 'a null time', line: '{"t":0,"type":"RoomCreated","roomId":"a","time":null}', message: /^time must be a number/ },
    { name: 'an oversized line', line: `{"t":0,"type":"RoomCreated","roomId":"a","pad":"${'x'.repeat(5000)}"}`, message: /longer than 4096/ },
  ])('reports the line number and the field when a line has $name', ({ line, message }) => {
    // Prepare
    const text = ['{"t":0,"type":"RoomCreated","roomId":"ok"}', '', line, '{"t":9,"type":"RoomReleased","roomId":"ok"}'].join('\n');

    // Act
    const parsed = parseTraceText(text);

    // Assess
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]!.line).toBe(3);
    expect(parsed.errors[0]!.message).toMatch(message);
    expect(parsed.events.map((e) => e.line)).toEqual([1, 4]);
  });

  it('reports every problem of a line when it has several', () => {
    // Prepare
    const text = '{"t":1}';

    // Act
    const parsed = parseTraceText(text);

    // Assess
    expect(parsed).toEqual({ events: [], errors: [{ line: 1, message: 'type is required; roomId is required' }] });
  });

  it('returns nothing when given an empty text', () => {
    // Prepare
    const text = '\n\n';

    // Act
    const parsed = parseTraceText(text);

    // Assess
    expect(parsed).toEqual({ events: [], errors: [] });
  });
});

describe('Function: writeTraceFile', () => {
  it('writes events that readTraceFile reads back with line numbers', async () => {
    // Prepare
    const path = join(dir, 'nested', 'round-trip.jsonl');
    const events: (TraceEvent & { line?: number })[] = [
      { t: 0, type: 'RoomCreated', roomId: 'a', weight: 3, id: 'e1', line: 99 },
      { t: 4, type: 'RoomCreated', roomId: 'a', weight: 3, id: 'e1', time: 0 },
      { t: 60, type: 'RoomReleased', roomId: 'a', weight: undefined },
    ];

    // Act
    await writeTraceFile(path, events);
    const read = await readTraceFile(path);

    // Assess
    expect(await readFile(path, 'utf8')).toBe(
      '{"t":0,"type":"RoomCreated","roomId":"a","weight":3,"id":"e1"}\n' +
        '{"t":4,"type":"RoomCreated","roomId":"a","weight":3,"id":"e1","time":0}\n' +
        '{"t":60,"type":"RoomReleased","roomId":"a"}\n',
    );
    expect(read.errors).toEqual([]);
    expect(read.events).toEqual([
      { t: 0, type: 'RoomCreated', roomId: 'a', weight: 3, id: 'e1', line: 1 },
      { t: 4, type: 'RoomCreated', roomId: 'a', weight: 3, id: 'e1', time: 0, line: 2 },
      { t: 60, type: 'RoomReleased', roomId: 'a', line: 3 },
    ]);
  });
});

describe('Function: readTraceFile', () => {
  it('rejects with ENOENT when the file does not exist', async () => {
    // Prepare
    const path = join(dir, 'missing.jsonl');

    // Act
    const act = readTraceFile(path);

    // Assess
    await expect(act).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('Function: generateTraceCommand', () => {
  it('writes the generated trace and returns its summary', async () => {
    // Prepare
    const out = join(dir, 'day.jsonl');

    // Act
    const summary = await generateTraceCommand({ out, seed: 7, days: 1, peak: 60 });
    const read = await readTraceFile(out);

    // Assess
    const events = generateTrace({ seed: 7, days: 1, peakConcurrent: 60, hints: true });
    expect(read.errors).toEqual([]);
    expect(read.events).toHaveLength(events.length);
    expect(summary).toMatchObject({
      out,
      seed: 7,
      days: 1,
      events: events.length,
      rooms: new Set(events.filter((e) => e.type === 'RoomCreated').map((e) => e.roomId)).size,
      scheduled: events.filter((e) => e.type === 'RoomScheduled').length,
      peakConcurrentWeight: peakActiveWeight(events),
    });
    expect(summary.lowerBoundNodeHours).toBeCloseTo(lowerBoundNodeHours(events, 20), 3);
    expect(summary.placements).toBeGreaterThan(0);
    expect(summary.static72CostUsd).toBeGreaterThan(0);
  });
});

describe('Function: generateTraceCommand (no hints)', () => {
  it('writes the trace without hints when hints is false', async () => {
    // Prepare
    const out = join(dir, 'plain.jsonl');

    // Act
    const summary = await generateTraceCommand({ out, seed: 7, days: 1, peak: 60, hints: false });
    const text = await readFile(out, 'utf8');

    // Assess
    expect(text).toBe(formatTraceText(generateTrace({ seed: 7, days: 1, peakConcurrent: 60 })));
    expect(text).not.toContain('"kind"');
    expect(summary.scheduled).toBe(0);
  });
});

describe('File: samples/week.jsonl', () => {
  it('is exactly what generateTrace produces for seed 42 with hints', async () => {
    // Prepare
    const expected = formatTraceText(generateTrace({ seed: 42, hints: true }));

    // Act
    const text = await readFile(SAMPLE, 'utf8');

    // Assess
    expect(text.length).toBeLessThan(5_000_000);
    expect(text === expected).toBe(true);
  });

  it('parses without errors and peaks at 200–400 on Tuesday to Friday', async () => {
    // Prepare
    const path = fileURLToPath(SAMPLE);

    // Act
    const { events, errors } = await readTraceFile(path);
    const days = dailyStats(events);

    // Assess
    expect(errors).toEqual([]);
    expect(days).toHaveLength(7);
    expect(days[0]!.peakWeight).toBeGreaterThan(500); // the Monday webinar
    for (const day of days.slice(1, 5)) {
      expect(day.peakWeight).toBeGreaterThan(200);
      expect(day.peakWeight).toBeLessThan(400);
    }
  });
});
