/**
 * Pre-warming from the schedule (shared/domain/schedule.ts) and how the scaling policy counts it
 * (shared/domain/scaling.ts): the window [startAt − lead, startAt + grace], no-shows, the
 * launch-rate ramp of a large webinar, the warm lead, and scheduled weight as deficit that the
 * drain leaves alone.
 */
import { describe, expect, it } from 'vitest';
import { PoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { NodeState, NodeView } from '../../../shared/domain/model.ts';
import { decideScaleOut, headroomTarget, planSweep, type PoolCapacity, type PoolDemand } from '../../../shared/domain/scaling.ts';
import {
  EARLY_START_MS,
  NO_SHOW_GRACE_MS,
  arrivalsByMinute,
  scheduledDemand,
  scheduleHorizonMs,
  unannouncedArrivals,
  scheduleLeadMs,
  SWEEP_PERIOD_MS,
  type ScheduledDemandRoom,
} from '../../../shared/domain/schedule.ts';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** 2 containers × 10 units = 20 units per node; boot 90 s; 3 launches a minute. */
const pool = (overrides: Partial<PoolConfig> = {}): PoolConfig =>
  PoolConfigSchema.parse({
    name: 'media',
    containersPerNode: 2,
    capacityPerContainer: 10,
    minNodes: 0,
    maxNodes: 30,
    headroomMin: 0,
    bootTimeMs: 90_000,
    maxLaunchesPerMinute: 3,
    idleGraceMs: 600_000,
    readyTimeoutMs: 600_000,
    arrivalWindowMs: 600_000,
    ...overrides,
  });

/** Cold lead of the pool above: 90 s boot + 60 s sweep period + 120 s early start. */
const LEAD = 90_000 + SWEEP_PERIOD_MS + EARLY_START_MS;

const rooms = (n: number, startAt: number, prefix = 'w'): ScheduledDemandRoom[] =>
  Array.from({ length: n }, (_, i) => ({ roomId: `${prefix}-${String(i).padStart(3, '0')}`, weight: 1, startAt }));

const capacity = (overrides: Partial<PoolCapacity> = {}): PoolCapacity => ({
  readyFree: 0,
  pendingCapacity: 0,
  queuedWeight: 0,
  liveNodes: 0,
  launchesLastMinute: 0,
  drainingNodes: [],
  ...overrides,
});

const NO_DEMAND: PoolDemand = { arrivedWeight: 0, windowMs: 600_000 };

const readyNode = (nodeId: string, used: readonly number[], state: NodeState = 'ready'): NodeView => ({
  nodeId,
  pool: 'media',
  state,
  instanceType: 'c6i.2xlarge',
  launchedAt: NOW - 3_600_000,
  hot: false,
  containers: used.map((u, index) => ({ nodeId, index, capacity: 10, used: u, accepting: state === 'ready' })),
});

describe('Function: scheduleLeadMs', () => {
  it('is the boot time plus the sweep period plus the early-start window', () => {
    // Act / Assess
    expect(scheduleLeadMs(pool(), false)).toBe(LEAD);
  });

  it('is the warm start time instead of the boot when stopped nodes serve', () => {
    // Act / Assess: the default warm pool starts a stopped node in 40 s
    expect(scheduleLeadMs(pool(), true)).toBe(40_000 + SWEEP_PERIOD_MS + EARLY_START_MS);
  });

  it('reads far enough ahead to launch maxNodes under the rate limit', () => {
    // Act / Assess: 30 nodes at 3 a minute = 10 minutes of launches
    expect(scheduleHorizonMs(pool())).toBe(LEAD + 10 * MIN);
  });
});

describe('Function: scheduledDemand', () => {
  it.each([
    { name: 'counts a room that starts exactly one lead from now', startIn: LEAD, counted: 1 },
    { name: 'does not count a room that starts later than one lead', startIn: LEAD + 1, counted: 0 },
    { name: 'counts a room that starts now', startIn: 0, counted: 1 },
    { name: 'counts a late room within the no-show grace', startIn: -NO_SHOW_GRACE_MS, counted: 1 },
    { name: 'stops counting a room past its no-show grace', startIn: -NO_SHOW_GRACE_MS - 1, counted: 0 },
  ])('$name', ({ startIn, counted }) => {
    // Act
    const d = scheduledDemand(rooms(1, NOW + startIn), pool(), NOW);

    // Assess
    expect(d.weight).toBe(counted);
    expect(d.rooms).toBe(counted);
  });

  it('names the no-shows to forget and counts the rest', () => {
    // Prepare
    const late = { roomId: 'gone', weight: 3, startAt: NOW - NO_SHOW_GRACE_MS - MIN };

    // Act
    const d = scheduledDemand([late, ...rooms(2, NOW + MIN)], pool(), NOW);

    // Assess
    expect(d.noShows).toEqual(['gone']);
    expect(d.weight).toBe(2);
  });

  it('tells when the next room starts counting', () => {
    // Act
    const d = scheduledDemand(rooms(1, NOW + 15 * MIN), pool(), NOW);

    // Assess
    expect(d).toEqual({ weight: 0, rooms: 0, noShows: [], arrivingWeight: 0, nextCountAt: NOW + 15 * MIN - LEAD });
  });

  it('is zero without scheduled rooms', () => {
    // Act / Assess
    expect(scheduledDemand([], pool(), NOW)).toEqual({ weight: 0, rooms: 0, noShows: [], arrivingWeight: 0 });
  });

  it('names the weight that may arrive before the next sweep: counted rooms starting within a sweep period and the early-start window', () => {
    // Prepare: starts in 3 min (may arrive 2 min early, before the next sweep), in 3 min 1 s, late by 10 min, past the grace
    const r = [
      { roomId: 'a', weight: 2, startAt: NOW + SWEEP_PERIOD_MS + EARLY_START_MS },
      { roomId: 'b', weight: 3, startAt: NOW + SWEEP_PERIOD_MS + EARLY_START_MS + 1_000 },
      { roomId: 'c', weight: 5, startAt: NOW - 10 * MIN },
      { roomId: 'd', weight: 7, startAt: NOW - NO_SHOW_GRACE_MS - 1 },
    ];

    // Act
    const d = scheduledDemand(r, pool(), NOW);

    // Assess
    expect(d.arrivingWeight).toBe(7);
    expect(d.weight).toBe(10);
  });

  it('counts a webinar larger than one minute of launches over the minutes before its lead', () => {
    // Prepare: 150 rooms of 1 unit = 8 nodes; 3 launches a minute → launches in 3 minutes
    const start = NOW + 30 * MIN;
    const webinar = rooms(150, start);
    const at = (before: number) => scheduledDemand(webinar, pool(), start - LEAD - before).weight;

    // Act / Assess: nodes 7–8 (30 units) two minutes before the lead, 4–8 one minute before, all at the lead
    expect(at(2 * MIN + 1)).toBe(0);
    expect(at(2 * MIN)).toBe(30);
    expect(at(MIN)).toBe(90);
    expect(at(0)).toBe(150);
  });

  it('plans each webinar of a schedule back from its own start', () => {
    // Prepare: 20 rooms at +20 min, 20 at +40 min, rate no limit here (3 a minute, one node each)
    const early = rooms(20, NOW + 20 * MIN, 'a');
    const late = rooms(20, NOW + 40 * MIN, 'b');

    // Act
    const d = scheduledDemand([...late, ...early], pool(), NOW + 20 * MIN - LEAD);

    // Assess: only the first webinar counts
    expect(d.weight).toBe(20);
  });

  it('uses the warm lead only when stopped nodes can serve the whole schedule', () => {
    // Prepare: one node's worth of rooms starting in 4 min (within the cold lead, not the warm one)
    const webinar = rooms(20, NOW + 4 * MIN);

    // Act / Assess
    expect(scheduledDemand(webinar, pool(), NOW, 0).weight).toBe(20);
    expect(scheduledDemand(webinar, pool(), NOW, 1).weight).toBe(0);
    expect(scheduledDemand(rooms(40, NOW + 4 * MIN), pool(), NOW, 1).weight).toBe(40);
  });
});

describe('Scheduled weight in the scaling policy', () => {
  it('launches for scheduled weight and says the schedule caused it', () => {
    // Act
    const d = decideScaleOut(pool(), capacity(), { ...NO_DEMAND, scheduledWeight: 150 });

    // Assess: 150 units / 20 per node = 8 nodes, cut to 3 by the launch rate
    expect(d).toMatchObject({ kind: 'scale-out', launch: 3, deficit: 150, scheduledWeight: 150, scheduleCaused: true, limitedBy: { limit: 'launch-rate', wanted: 8 } });
  });

  it('counts scheduled weight as covered by ready free and pending capacity', () => {
    // Act
    const d = decideScaleOut(pool(), capacity({ readyFree: 20, pendingCapacity: 20 }), { ...NO_DEMAND, scheduledWeight: 40 });

    // Assess
    expect(d).toMatchObject({ kind: 'noop', deficit: 0 });
  });

  it('does not name the schedule as the cause when the queue alone needs the launch', () => {
    // Act
    const d = decideScaleOut(pool(), capacity({ queuedWeight: 20 }), { ...NO_DEMAND, scheduledWeight: 5 });

    // Assess
    expect(d).toMatchObject({ kind: 'scale-out', launch: 2, scheduledWeight: 5, scheduleCaused: false });
  });

  it('adds nothing to a decision without scheduled weight', () => {
    // Act
    const d = decideScaleOut(pool(), capacity({ queuedWeight: 20 }), NO_DEMAND);

    // Assess
    expect(d).not.toHaveProperty('scheduledWeight');
    expect(d).not.toHaveProperty('scheduleCaused');
  });

  it('does not drain the capacity the schedule needs', () => {
    // Prepare: three empty ready nodes (60 units free), no other demand, margin 0
    const nodes = [readyNode('i-a', [0, 0]), readyNode('i-b', [0, 0]), readyNode('i-c', [0, 0])];
    const drains = (scheduledWeight: number) =>
      planSweep(pool({ scaleInMargin: 0 }), nodes, 0, { ...NO_DEMAND, scheduledWeight }, 0, NOW).actions.filter((a) => a.kind === 'drain').length;

    // Act / Assess: without the schedule all three drain; 40 scheduled units keep two
    expect(drains(0)).toBe(3);
    expect(drains(40)).toBe(1);
    expect(drains(60)).toBe(0);
  });

  it('does not drain ready capacity the schedule needs on the strength of booting nodes', () => {
    // Prepare: two empty ready nodes (40 free) and two booting (40 pending); 40 units start soon
    const nodes = [readyNode('i-a', [0, 0]), readyNode('i-b', [0, 0]), readyNode('i-c', [0, 0], 'booting'), readyNode('i-d', [0, 0], 'booting')];

    // Act
    const plan = planSweep(pool({ scaleInMargin: 0 }), nodes, 0, { ...NO_DEMAND, scheduledWeight: 40 }, 0, NOW);

    // Assess
    expect(plan.actions.filter((a) => a.kind === 'drain')).toEqual([]);
  });
});

describe('Announced arrivals and the arrival rate', () => {
  it('groups announced arrivals by the minute of their first delivery', () => {
    // Act / Assess
    expect(arrivalsByMinute([{ weight: 2, requestedAt: 61_000 }, { weight: 1, requestedAt: 119_999 }, { weight: 5, requestedAt: 120_000 }])).toEqual({ '1': 3, '2': 5 });
  });

  it('takes announced arrivals out of the arrival buckets, never below zero', () => {
    // Act / Assess
    expect(unannouncedArrivals({ '1': 405, '2': 3, '3': 7 }, { '1': 400, '2': 5, '9': 1 })).toEqual({ '1': 5, '2': 0, '3': 7 });
  });

  it.each([
    { name: 'leaves announced arrivals out of the burst rate', announced: 400, expected: 10 },
    { name: 'keeps the arrivals beyond the announced weight', announced: 300, expected: 75 },
    { name: 'is the measured rate without announcements', announced: 0, expected: 300 },
  ])('headroom target $name', ({ announced, expected }) => {
    // Prepare: 400 units in a 120 s burst window, boot 90 s → 300 units without announcements
    const demand: PoolDemand = { arrivedWeight: 400, windowMs: 600_000, burstWeight: 400, burstWindowMs: 120_000, announcedWeight: announced };

    // Act / Assess
    expect(headroomTarget({ headroomMin: 10, bootTimeMs: 90_000 }, demand)).toBe(expected);
  });

  it('leaves the buckets as they are without announced arrivals', () => {
    // Prepare
    const buckets = { '1': 4 };

    // Act / Assess
    expect(unannouncedArrivals(buckets, {})).toBe(buckets);
  });
});
