import { describe, expect, it } from 'vitest';
import { busEvent, LocalEventBus, type BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import {
  RETRY_DELAYS_MS,
  runEndMs,
  SWEEP_INTERVAL_MS,
  TRACE_EPOCH_MS,
  traceTimeMs,
  VirtualTimeLoop,
  type Invocation,
} from '../../../sim/runtime/event-loop.ts';
import { DetailType } from '../../../shared/events/schemas.ts';

const APP = 'app.rooms';

function created(roomId: string, atMs: number): BusEvent {
  return busEvent(APP, DetailType.RoomCreated, { roomId, weight: 1 }, atMs, { id: `e-${roomId}` });
}

/** A loop, a bus routing through it, and a record of every invocation with its virtual time. */
function harness() {
  const loop = new VirtualTimeLoop();
  const bus = new LocalEventBus({ appSource: APP, clock: loop.clock, keepPublished: false, deliver: loop.deliver });
  const seen: { target: string; roomId?: string; atMs: number; attempt: number; scheduled: boolean; requestId: string }[] = [];
  const record = (inv: Invocation) =>
    seen.push({
      target: inv.target,
      ...((inv.event.detail as { roomId?: string }).roomId ? { roomId: (inv.event.detail as { roomId: string }).roomId } : {}),
      atMs: loop.now - TRACE_EPOCH_MS,
      attempt: inv.attempt,
      scheduled: inv.scheduled,
      requestId: inv.context.awsRequestId,
    });
  return { loop, bus, seen, record };
}

describe('Function: runEndMs', () => {
  it.each([
    [0, 0, SWEEP_INTERVAL_MS],
    [59, 0, 60_000 + SWEEP_INTERVAL_MS],
    [60, 0, 60_000 + SWEEP_INTERVAL_MS],
    [61, 0, 120_000 + SWEEP_INTERVAL_MS],
    [61, 600_000, 120_000 + SWEEP_INTERVAL_MS + 600_000],
  ])('ends a trace whose last delivery is at %d s (settle %d ms) at epoch + %d ms', (lastT, settleMs, offsetMs) => {
    expect(runEndMs(lastT, settleMs)).toBe(TRACE_EPOCH_MS + offsetMs);
  });
});

describe('Class: VirtualTimeLoop', () => {
  it('runs events in virtual time order, ties in the order they were scheduled, with a sweep every minute', async () => {
    // Prepare
    const { loop, bus, seen, record } = harness();
    loop.put(created('late', traceTimeMs(90)), traceTimeMs(90));
    loop.put(created('first', traceTimeMs(10)), traceTimeMs(10));
    loop.put(created('tie', traceTimeMs(10)), traceTimeMs(10));
    const endMs = runEndMs(90);
    loop.scheduleSweeps(endMs);

    // Act
    await loop.run(bus, endMs, async (inv) => {
      record(inv);
    });

    // Assess
    expect(seen.map((s) => [s.target, s.roomId ?? '-', s.atMs])).toEqual([
      ['room-events', 'first', 10_000],
      ['room-events', 'tie', 10_000],
      ['sweep', '-', 60_000],
      ['room-events', 'late', 90_000],
      ['sweep', '-', 120_000],
      ['sweep', '-', 180_000],
    ]);
    expect(seen.filter((s) => s.scheduled).every((s) => s.target === 'sweep')).toBe(true);
    expect(new Set(seen.map((s) => s.requestId)).size).toBe(seen.length);
    expect(loop.now).toBe(endMs);
  });

  it('delivers the sweep a ScheduledEvent stamped with its slot', async () => {
    // Prepare
    const { loop, bus } = harness();
    const events: BusEvent[] = [];
    loop.scheduleSweeps(TRACE_EPOCH_MS + 2 * SWEEP_INTERVAL_MS);

    // Act
    await loop.run(bus, TRACE_EPOCH_MS + 2 * SWEEP_INTERVAL_MS, async (inv) => {
      events.push(inv.event);
    });

    // Assess
    expect(events.map((e) => [e.source, e['detail-type'], e.time])).toEqual([
      ['aws.scheduler', DetailType.ScheduledEvent, '2026-01-05T00:01:00Z'],
      ['aws.scheduler', DetailType.ScheduledEvent, '2026-01-05T00:02:00Z'],
    ]);
  });

  it('drops jobs due after the end and leaves the clock at the end', async () => {
    // Prepare
    const { loop, bus, seen, record } = harness();
    const endMs = traceTimeMs(30);
    loop.put(created('in', traceTimeMs(30)), traceTimeMs(30));
    loop.put(created('out', traceTimeMs(31)), traceTimeMs(31));

    // Act
    await loop.run(bus, endMs, async (inv) => {
      record(inv);
    });

    // Assess
    expect(seen.map((s) => s.roomId)).toEqual(['in']);
    expect(loop.now).toBe(endMs);
  });

  it('puts what the simulated fleet emits on the bus after its delay', async () => {
    // Prepare
    const { loop, bus, seen, record } = harness();
    const endMs = traceTimeMs(120);
    loop.put(created('a', traceTimeMs(5)), traceTimeMs(5));

    // Act
    await loop.run(bus, endMs, async (inv) => {
      record(inv);
      if (inv.attempt === 0 && (inv.event.detail as { roomId: string }).roomId === 'a') loop.emit(created('b', loop.now), 20_000);
    });

    // Assess
    expect(seen.map((s) => [s.roomId, s.atMs])).toEqual([
      ['a', 5_000],
      ['b', 25_000],
    ]);
  });

  it('retries a failed invocation after 1 and 2 minutes as Lambda does, then reports the retries spent', async () => {
    // Prepare
    const { loop, bus, seen, record } = harness();
    const spent: string[] = [];
    loop.put(created('r1', traceTimeMs(0)), traceTimeMs(0));

    // Act
    await loop.run(bus, traceTimeMs(3_600), async (inv) => {
      record(inv);
      if (!loop.retry(inv)) spent.push(inv.event.id);
    });

    // Assess
    expect(RETRY_DELAYS_MS).toEqual([60_000, 120_000]);
    expect(seen.map((s) => [s.attempt, s.atMs])).toEqual([
      [0, 0],
      [1, 60_000],
      [2, 180_000],
    ]);
    expect(spent).toEqual(['e-r1']);
  });

  it('stops with the error when the invocation callback throws', async () => {
    // Prepare
    const { loop, bus } = harness();
    loop.put(created('r1', traceTimeMs(0)), traceTimeMs(0));

    // Act
    const run = loop.run(bus, traceTimeMs(60), async () => {
      throw new Error('handler failed');
    });

    // Assess
    await expect(run).rejects.toThrow('handler failed');
  });
});
