/**
 * Scheduled rooms through the room-events handler and the sweep (shared/app/schedule.ts):
 * `RoomScheduled` stored (idempotent, latest announcement wins), rejected with a reason that names
 * the field, cancelled by a `RoomReleased` of a room that never started, forgotten once the room
 * arrives; and pre-warming end to end — a replay through the real handlers over the memory store
 * (bench/policy-replay.ts) where an announced webinar finds its nodes ready, no room of it waits
 * and its arrivals launch no more nodes, and a no-show's capacity is drained after the grace.
 */
import { describe, expect, it } from 'vitest';
import { announce, webinarTrace } from '../../../bench/scheduled-crowd.ts';
import { replayOurPolicy } from '../../../bench/policy-replay.ts';
import { makeHandler } from '../../../lambdas/room-events/index.ts';
import { readScheduledDemand } from '../../../shared/app/schedule.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { sumRecent } from '../../../shared/domain/buckets.ts';
import { parseAutoscalerConfig, type PoolConfig } from '../../../shared/domain/config.ts';
import { containerFree, nodeAccepts } from '../../../shared/domain/model.ts';
import { NO_SHOW_GRACE_MS, scheduleLeadMs } from '../../../shared/domain/schedule.ts';
import type { ScheduleStore } from '../../../shared/ports/schedule-store.ts';
import { traceTimeMs } from '../../../sim/runtime/event-loop.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import type { TraceEvent } from '../../../sim/trace/model.ts';
import { envelope, isoTime, makeDeps, roomCreated, roomReleased, T0, testPool, type HandlerTestDeps } from '../../support/handlers.ts';

const MIN = 60_000;

const roomScheduled = (id: string, detail: Record<string, unknown>, time = T0) => envelope('app.rooms', 'RoomScheduled', detail, { id, time });

/** A schedule store that counts its calls. */
function countingSchedule(inner: ScheduleStore): ScheduleStore & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return {
    calls,
    scheduleRoom: (r) => (count('scheduleRoom'), inner.scheduleRoom(r)),
    listScheduled: (p, by, limit) => (count('listScheduled'), inner.listScheduled(p, by, limit)),
    removeScheduled: (ids) => (count('removeScheduled'), inner.removeScheduled(ids)),
  };
}

function setup(): { deps: HandlerTestDeps; handler: ReturnType<typeof makeHandler>; pool: PoolConfig } {
  const deps = makeDeps({ store: new MemoryFleetStore() });
  const pool = deps.autoscalerConfig.pools[0] as PoolConfig;
  return { deps, handler: makeHandler(deps), pool };
}

describe('RoomScheduled through room-events', () => {
  it('stores the announcement with its hints', async () => {
    // Prepare
    const { deps, handler } = setup();

    // Act
    const out = await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 15 * MIN), weight: 2, kind: 'webinar', expectedDurationMs: 3_600_000 }));

    // Assess
    expect(out).toEqual({ kind: 'scheduled', pool: 'default', startAt: T0 + 15 * MIN });
    expect(await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).toEqual([
      { roomId: 'web-1', pool: 'default', weight: 2, startAt: T0 + 15 * MIN, announcedAt: T0, kind: 'webinar', expectedDurationMs: 3_600_000 },
    ]);
    expect(deps.deadLetters.messages).toEqual([]);
  });

  it('replaces the start of a room announced again, and ignores an older announcement', async () => {
    // Prepare
    const { deps, handler } = setup();
    await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 15 * MIN) }, T0));

    // Act
    await handler(roomScheduled('e2', { roomId: 'web-1', startAt: isoTime(T0 + 30 * MIN) }, T0 + MIN));
    const stale = await handler(roomScheduled('e3', { roomId: 'web-1', startAt: isoTime(T0 + 5 * MIN) }, T0 - MIN));

    // Assess
    expect(stale).toEqual({ kind: 'stale' });
    expect((await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).map((r) => r.startAt)).toEqual([T0 + 30 * MIN]);
  });

  it('rejects a startAt in the past with a reason naming detail.startAt, into the dead-letter queue', async () => {
    // Prepare
    const { deps, handler } = setup();
    const event = roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 - 10 * MIN) });

    // Act
    const out = await handler(event);

    // Assess
    expect(out).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('detail.startAt') });
    expect(deps.deadLetters.messages).toEqual([{ event, reason: expect.stringContaining('detail.startAt'), source: 'room-events' }]);
    expect(await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).toEqual([]);
  });

  it('rejects an unknown pool with a reason naming detail.pool, into the dead-letter queue', async () => {
    // Prepare
    const { deps, handler } = setup();

    // Act
    const out = await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 15 * MIN), pool: 'nowhere' }));

    // Assess
    expect(out).toEqual({ kind: 'rejected', reason: 'detail.pool: unknown pool "nowhere"' });
    expect(deps.deadLetters.messages.map((m) => m.reason)).toEqual(['detail.pool: unknown pool "nowhere"']);
  });

  it('cancels a scheduled room released before it started', async () => {
    // Prepare
    const { deps, handler } = setup();
    await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 15 * MIN) }));

    // Act
    const out = await handler(roomReleased('e2', 'web-1', T0 + MIN));

    // Assess
    expect(out).toEqual({ kind: 'tombstoned' });
    expect(await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).toEqual([]);
  });

  it('leaves the schedule alone on a create and on the release of a room that started', async () => {
    // Prepare: a node with room for the create
    const base = makeDeps({ store: new MemoryFleetStore() });
    const schedule = countingSchedule(base.schedule);
    const deps = { ...base, schedule };
    const handler = makeHandler(deps);
    await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 15 * MIN) }));

    // Act
    await handler(roomCreated('e2', { roomId: 'web-1' }, T0 + 15 * MIN));
    await handler(roomReleased('e3', 'web-1', T0 + 20 * MIN));

    // Assess: only the announcement touched the schedule
    expect(schedule.calls).toEqual({ scheduleRoom: 1 });
  });

  it('forgets a room once the sweep sees it arrived, and stops counting it', async () => {
    // Prepare
    const { deps, handler, pool } = setup();
    await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + 2 * MIN) }));
    await handler(roomScheduled('e2', { roomId: 'web-2', startAt: isoTime(T0 + 2 * MIN) }));
    await handler(roomCreated('e3', { roomId: 'web-1' }, T0));

    // Act
    const demand = await readScheduledDemand(deps, pool, T0);

    // Assess
    expect(demand).toMatchObject({ weight: 1, rooms: 1, arrived: 1 });
    expect((await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).map((r) => r.roomId)).toEqual(['web-2']);
  });

  it('takes the arrived announced rooms out of the arrival rate the headroom target reads', async () => {
    // Prepare: 30 announced rooms created in the first minute, and one unannounced
    const { deps, handler, pool } = setup();
    for (let i = 0; i < 30; i++) await handler(roomScheduled(`s${i}`, { roomId: `web-${i}`, startAt: isoTime(T0 + 5 * MIN) }));
    deps.clock.set(T0 + 5 * MIN);
    for (let i = 0; i < 30; i++) await handler(roomCreated(`c${i}`, { roomId: `web-${i}` }, T0 + 5 * MIN));
    await handler(roomCreated('c-x', { roomId: 'walk-in' }, T0 + 5 * MIN));
    const before = await deps.store.getSummary(pool.name, T0 + 6 * MIN);
    deps.clock.set(T0 + 6 * MIN);

    // Act
    await sweepPool(deps, pool);

    // Assess: 31 arrived in that minute, 1 of them unannounced
    const after = await deps.store.getSummary(pool.name, T0 + 6 * MIN);
    expect(sumRecent(before.arrivals, T0 + 6 * MIN, 10 * MIN)).toBe(31);
    expect(sumRecent(after.arrivals, T0 + 6 * MIN, 10 * MIN)).toBe(1);
    expect(await deps.schedule.listScheduled(pool.name, T0 + 60 * MIN, 100)).toEqual([]);
  });

  it('launches for an announced webinar and says the schedule caused it', async () => {
    // Prepare: 40 units start in 3 min (within the 4.5 min lead), the pool is empty
    const { deps, handler, pool } = setup();
    for (let i = 0; i < 40; i++) await handler(roomScheduled(`s${i}`, { roomId: `web-${i}`, startAt: isoTime(T0 + 3 * MIN) }));

    // Act
    const result = await sweepPool(deps, pool);

    // Assess: two nodes of 20 units, the decision naming the scheduled weight
    expect(result.scheduled).toMatchObject({ weight: 40, rooms: 40 });
    expect(deps.compute.launches.map((l) => l.count)).toEqual([2]);
    expect(deps.publisher.ofType('ScalingDecision')).toEqual([
      expect.objectContaining({ pool: 'default', decision: expect.objectContaining({ kind: 'scale-out', launch: 2, scheduledWeight: 40, scheduleCaused: true }) }),
    ]);
  });

  it('forgets a no-show after its grace', async () => {
    // Prepare
    const { deps, handler, pool } = setup();
    await handler(roomScheduled('e1', { roomId: 'web-1', startAt: isoTime(T0 + MIN) }));

    // Act
    const during = await readScheduledDemand(deps, pool, T0 + MIN + NO_SHOW_GRACE_MS);
    const after = await readScheduledDemand(deps, pool, T0 + MIN + NO_SHOW_GRACE_MS + MIN);

    // Assess
    expect(during).toMatchObject({ weight: 1, noShows: [] });
    expect(after).toMatchObject({ weight: 0, noShows: ['web-1'] });
    expect(await deps.schedule.listScheduled('default', T0 + 60 * MIN, 10)).toEqual([]);
  });
});

describe('Pre-warming in a replay through the handlers', () => {
  // No scale-in margin: every node the schedule does not need is drained.
  const config = parseAutoscalerConfig({ pools: [testPool({ maxNodes: 40, scaleInMargin: 0 })] });
  const pool = config.pools[0] as PoolConfig;
  const START = 3600; // s from trace start
  /** 150 webinar rooms joining within 2 minutes of START, leaving after 30 min. */
  const webinar = webinarTrace(150, START);
  const announced = announce(webinar, { match: (e) => e.tenantId === 'webinar', startAtSec: START, aheadSec: 15 * 60 });

  /** Ready free capacity of the pool after each sweep, by virtual time. */
  const readyFreeBySweep = async (events: readonly TraceEvent[]) => {
    const free: { now: number; readyFree: number; accepting: number }[] = [];
    const result = await replayOurPolicy(events, config, 1, async ({ now, store }) => {
      const nodes = await store.listNodes(pool.name);
      const accepting = nodes.filter(nodeAccepts);
      free.push({ now, readyFree: accepting.reduce((s, n) => s + n.containers.reduce((c, x) => c + containerFree(x), 0), 0), accepting: accepting.length });
    });
    return { result, free };
  };

  it('has the nodes of a webinar announced 15 min ahead ready before it starts, and no room of it waits', async () => {
    // Act
    const { result, free } = await readyFreeBySweep(announced);

    // Assess: ready by startAt, launched within the lead (not much earlier), nobody waited
    const before = free.filter((f) => f.now < traceTimeMs(START));
    expect(before.at(-1)?.readyFree).toBeGreaterThanOrEqual(150);
    const firstAccepting = before.find((f) => f.accepting > 0);
    expect(firstAccepting?.now).toBeGreaterThanOrEqual(traceTimeMs(START) - scheduleLeadMs(pool, false) - 2 * MIN);
    expect(result.run.waited).toBe(0);
    expect(result.run.placements).toBe(150);
    // The nodes the webinar needs (150 / 20 units), none more: its arrivals are not read as a burst to come
    expect(result.run.launches).toBe(8);
    expect(result.overbooked).toBe(0);
    expect(result.leakedCapacity).toBe(0);
  });

  it('makes the same webinar wait without the announcement', async () => {
    // Act
    const { result } = await readyFreeBySweep(webinar);

    // Assess
    expect(result.run.waited).toBeGreaterThan(0);
  });

  it("drains a no-show's capacity after the grace", async () => {
    // Prepare: 40 rooms announced, none arrives; a late unrelated release keeps the replay running
    const noShow = announce(
      [
        ...Array.from({ length: 40 }, (_, i) => ({ t: START, type: 'RoomCreated' as const, roomId: `ghost-${i}`, tenantId: 'webinar' })),
        { t: START + 3600, type: 'RoomReleased' as const, roomId: 'late-marker' },
      ],
      { match: (e) => e.tenantId === 'webinar', startAtSec: START, aheadSec: 15 * 60 },
    ).filter((e) => e.type !== 'RoomCreated');

    // Act
    const { free } = await readyFreeBySweep(noShow);

    // Assess: ready for the start, kept through the grace, drained after it
    const at = (ms: number) => free.filter((f) => f.now <= ms).at(-1);
    expect(at(traceTimeMs(START))?.readyFree).toBeGreaterThanOrEqual(40);
    expect(at(traceTimeMs(START) + NO_SHOW_GRACE_MS - MIN)?.readyFree).toBeGreaterThanOrEqual(40);
    expect(at(traceTimeMs(START) + NO_SHOW_GRACE_MS + 2 * MIN)?.accepting).toBe(0);
  });
});
