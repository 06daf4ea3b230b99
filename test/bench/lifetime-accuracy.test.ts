import { describe, expect, it } from 'vitest';
import { lifetimeAccuracy, traceSessions } from '../../bench/lifetime-accuracy.ts';
import { TRACE_EPOCH_MS } from '../../sim/runtime/event-loop.ts';
import type { TraceEvent } from '../../sim/trace/model.ts';

const DAY = 86_400;

describe('Function: traceSessions', () => {
  it('pairs each create with the next release of its room, counts duplicate deliveries once and skips orphan releases', () => {
    // Prepare: a reconnecting room, a duplicate create delivery, a release without a create
    const events: TraceEvent[] = [
      { t: 0, type: 'RoomCreated', roomId: 'a', id: 'e1', kind: 'meeting', expectedDurationMs: 1_800_000 },
      { t: 5, type: 'RoomCreated', roomId: 'a', id: 'e1', kind: 'meeting', expectedDurationMs: 1_800_000 },
      { t: 1800, type: 'RoomReleased', roomId: 'a', id: 'e2' },
      { t: 1900, type: 'RoomCreated', roomId: 'a', id: 'e3' },
      { t: 2000, type: 'RoomReleased', roomId: 'z', id: 'e4' },
      { t: 2500, type: 'RoomReleased', roomId: 'a', id: 'e5', time: 2400 },
    ];

    // Act / Assess
    expect(traceSessions(events)).toEqual([
      { roomId: 'a', kind: 'meeting', hintMs: 1_800_000, createdAt: TRACE_EPOCH_MS, endedAt: TRACE_EPOCH_MS + 1_800_000 },
      { roomId: 'a', kind: undefined, hintMs: undefined, createdAt: TRACE_EPOCH_MS + 1_900_000, endedAt: TRACE_EPOCH_MS + 2_400_000 },
    ]);
  });
});

describe('Function: lifetimeAccuracy', () => {
  it('learns day 1 and beats the pool-wide mean on day 2 when kinds differ in length', () => {
    // Prepare: every 5 minutes, a 10-minute `call` and a 120-minute `meeting` (mean 65 min) on days 1 and 2
    const events: TraceEvent[] = [];
    for (let i = 0; i < (2 * DAY) / 300; i++) {
      const t = i * 300;
      const h = i;
      events.push({ t, type: 'RoomCreated', roomId: `c${h}`, kind: 'call' }, { t: t + 600, type: 'RoomReleased', roomId: `c${h}` });
      events.push({ t, type: 'RoomCreated', roomId: `m${h}`, kind: 'meeting' }, { t: t + 7200, type: 'RoomReleased', roomId: `m${h}` });
    }

    // Act
    const out = lifetimeAccuracy(events.sort((a, b) => a.t - b.t));

    // Assess: learned = the day-1 rooms that ended on day 1 (calls from before 23:50, meetings from
    // before 22:00); the naive mean errs by ~55 min on every room, ours only by the pool prior's pull
    expect(out.learnedRooms).toBe(286 + 264);
    expect(out.atCreate.all.rooms).toBe(2 * 288);
    expect(out.atCreate.all.naive).toBeGreaterThan(50);
    expect(out.atCreate.all.ours).toBeLessThan(6);
    expect(out.byKind.call?.rooms).toBe(288);
    expect(out.atCreate.hinted.rooms).toBe(0);
  });
});
