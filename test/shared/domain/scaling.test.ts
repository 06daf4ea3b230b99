import { describe, expect, it } from 'vitest';
import { PoolConfigSchema, WarmPoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import type { NodeState, NodeView } from '../../../shared/domain/model.ts';
import {
  decideScaleOut,
  headroomTarget,
  poolDemand,
  planSweep,
  summarizePool,
  type PoolCapacity,
  type PoolDemand,
} from '../../../shared/domain/scaling.ts';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** 2 containers × 10 units = 20 units per node. */
const pool = (overrides: Partial<PoolConfig> = {}): PoolConfig =>
  PoolConfigSchema.parse({
    name: 'media',
    containersPerNode: 2,
    capacityPerContainer: 10,
    minNodes: 1,
    maxNodes: 10,
    headroomMin: 10,
    bootTimeMs: 90_000,
    maxLaunchesPerMinute: 3,
    idleGraceMs: 600_000,
    readyTimeoutMs: 600_000,
    arrivalWindowMs: 600_000,
    ...overrides,
  });

const capacity = (overrides: Partial<PoolCapacity> = {}): PoolCapacity => ({
  readyFree: 0,
  pendingCapacity: 0,
  queuedWeight: 0,
  liveNodes: 1,
  launchesLastMinute: 0,
  drainingNodes: [],
  ...overrides,
});

/** A pool without a warm pool: scale-in terminates after `idleGraceMs`, as before the warm pool. */
const NO_WARM_POOL = WarmPoolConfigSchema.parse({ state: 'none' });

const NO_DEMAND: PoolDemand = { arrivedWeight: 0, windowMs: 600_000 };

/** A node with one container per entry of `used` (10 units each). */
const node = (
  nodeId: string,
  state: NodeState,
  used: readonly number[],
  extra: Partial<Pick<NodeView, 'hot' | 'emptySince' | 'launchedAt' | 'drainingSince'>> = {},
): NodeView => ({
  nodeId,
  pool: 'media',
  state,
  instanceType: 'c6i.2xlarge',
  launchedAt: extra.launchedAt ?? NOW - 3_600_000,
  hot: extra.hot ?? false,
  emptySince: extra.emptySince,
  drainingSince: extra.drainingSince,
  containers: used.map((u, index) => ({ nodeId, index, capacity: 10, used: u, accepting: state === 'ready' && !extra.hot })),
});

describe('Function: headroomTarget', () => {
  it.each([
    { name: 'is the configured minimum without arrivals', min: 10, arrived: 0, windowMs: 600_000, expected: 10 },
    { name: 'is the expected arrivals during one boot, rounded up', min: 2, arrived: 30, windowMs: 600_000, expected: 5 },
    { name: 'does not round an exact figure up (40/600 s × 90 s = 6)', min: 2, arrived: 40, windowMs: 600_000, expected: 6 },
    { name: 'is the minimum when arrivals expect less', min: 10, arrived: 10, windowMs: 600_000, expected: 10 },
    { name: 'is the minimum for an empty window', min: 7, arrived: 100, windowMs: 0, expected: 7 },
    { name: 'can be zero', min: 0, arrived: 0, windowMs: 600_000, expected: 0 },
    { name: 'scales with a shorter window', min: 0, arrived: 30, windowMs: 60_000, expected: 45 },
    { name: 'follows a burst the long window averages away', min: 0, arrived: 40, windowMs: 600_000, burst: 40, burstWindowMs: 80_000, expected: 45 },
    { name: 'keeps the long window when it is higher than the burst', min: 0, arrived: 600, windowMs: 600_000, burst: 1, burstWindowMs: 60_000, expected: 90 },
  ])('$name', ({ min, arrived, windowMs, expected, burst, burstWindowMs }: { min: number; arrived: number; windowMs: number; expected: number; burst?: number; burstWindowMs?: number }) => {
    // Prepare / Act
    const target = headroomTarget({ headroomMin: min, bootTimeMs: 90_000 }, { arrivedWeight: arrived, windowMs, burstWeight: burst, burstWindowMs });

    // Assess
    expect(target).toBe(expected);
  });
});

describe('Function: decideScaleOut', () => {
  it.each([
    {
      name: 'does nothing when free capacity covers the headroom',
      pool: {},
      capacity: { readyFree: 30 },
      demand: NO_DEMAND,
      expected: { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 10, deficit: 0 },
    },
    {
      name: 'launches for queued rooms even when free units exceed the queue (they do not fit any container)',
      pool: {},
      capacity: { readyFree: 30, queuedWeight: 10 },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 1, undrain: [], targetHeadroom: 10, deficit: 10 },
    },
    {
      name: 'covers queued rooms with pending capacity',
      pool: {},
      capacity: { readyFree: 30, queuedWeight: 10, pendingCapacity: 20 },
      demand: NO_DEMAND,
      expected: { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 10, deficit: -10 },
    },
    {
      name: 'does nothing when free capacity equals the headroom exactly',
      pool: {},
      capacity: { readyFree: 10 },
      demand: NO_DEMAND,
      expected: { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 10, deficit: 0 },
    },
    {
      name: 'launches for the deficit the queue adds',
      pool: {},
      capacity: { readyFree: 5, queuedWeight: 25 },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 2, undrain: [], targetHeadroom: 10, deficit: 30 },
    },
    {
      name: 'counts pending capacity against the deficit',
      pool: {},
      capacity: { readyFree: 0, pendingCapacity: 40, queuedWeight: 25 },
      demand: NO_DEMAND,
      expected: { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 10, deficit: -5 },
    },
    {
      name: 'raises the target with the arrival rate',
      pool: {},
      capacity: { readyFree: 10 },
      demand: { arrivedWeight: 200, windowMs: 600_000 },
      expected: { kind: 'scale-out', launch: 1, undrain: [], targetHeadroom: 30, deficit: 20 },
    },
    {
      name: 'undrains the draining node with the most free capacity before launching',
      pool: {},
      capacity: { readyFree: 0, drainingNodes: [{ nodeId: 'i-a', free: 5 }, { nodeId: 'i-b', free: 15 }] },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 0, undrain: ['i-b'], targetHeadroom: 10, deficit: 10 },
    },
    {
      name: 'undrains every draining node, then launches for what remains',
      pool: {},
      capacity: { readyFree: 0, queuedWeight: 30, drainingNodes: [{ nodeId: 'i-a', free: 5 }, { nodeId: 'i-b', free: 15 }] },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 1, undrain: ['i-b', 'i-a'], targetHeadroom: 10, deficit: 40 },
    },
    {
      name: 'caps launches at maxNodes and says so',
      pool: {},
      capacity: { liveNodes: 9, queuedWeight: 100 },
      demand: NO_DEMAND,
      expected: {
        kind: 'scale-out',
        launch: 1,
        undrain: [],
        targetHeadroom: 10,
        deficit: 110,
        limitedBy: { limit: 'max-nodes', wanted: 6 },
      },
    },
    {
      name: 'caps launches at the launch rate and says so',
      pool: {},
      capacity: { liveNodes: 1, launchesLastMinute: 2, queuedWeight: 100 },
      demand: NO_DEMAND,
      expected: {
        kind: 'scale-out',
        launch: 1,
        undrain: [],
        targetHeadroom: 10,
        deficit: 110,
        limitedBy: { limit: 'launch-rate', wanted: 6 },
      },
    },
    {
      name: 'is blocked by maxNodes when no node may be added',
      pool: {},
      capacity: { liveNodes: 10, queuedWeight: 100 },
      demand: NO_DEMAND,
      expected: { kind: 'blocked', limit: 'max-nodes', wanted: 6, targetHeadroom: 10, deficit: 110 },
    },
    {
      name: 'is blocked by the launch rate when this minute is used up',
      pool: {},
      capacity: { liveNodes: 2, launchesLastMinute: 3, queuedWeight: 100 },
      demand: NO_DEMAND,
      expected: { kind: 'blocked', limit: 'launch-rate', wanted: 6, targetHeadroom: 10, deficit: 110 },
    },
    {
      name: 'still undrains when launches are blocked',
      pool: {},
      capacity: { liveNodes: 10, queuedWeight: 100, drainingNodes: [{ nodeId: 'i-a', free: 5 }] },
      demand: NO_DEMAND,
      expected: {
        kind: 'scale-out',
        launch: 0,
        undrain: ['i-a'],
        targetHeadroom: 10,
        deficit: 110,
        limitedBy: { limit: 'max-nodes', wanted: 6 },
      },
    },
    {
      name: 'launches up to minNodes even without a deficit',
      pool: { minNodes: 3 },
      capacity: { liveNodes: 1, readyFree: 100 },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 2, undrain: [], targetHeadroom: 10, deficit: 0 },
    },
    {
      name: 'launches the larger of the deficit and the minNodes shortfall',
      pool: { minNodes: 3, maxLaunchesPerMinute: 10 },
      capacity: { liveNodes: 1, queuedWeight: 90 },
      demand: NO_DEMAND,
      expected: { kind: 'scale-out', launch: 5, undrain: [], targetHeadroom: 10, deficit: 100 },
    },
    {
      name: 'does nothing at minNodes with enough headroom',
      pool: { minNodes: 2 },
      capacity: { liveNodes: 2, readyFree: 40 },
      demand: NO_DEMAND,
      expected: { kind: 'noop', reason: 'enough-headroom', targetHeadroom: 10, deficit: 0 },
    },
  ])('$name', ({ pool: overrides, capacity: cap, demand, expected }) => {
    // Prepare / Act
    const decision = decideScaleOut(pool(overrides), capacity(cap), demand);

    // Assess
    expect(decision).toEqual(expected);
  });
});

describe('Function: summarizePool', () => {
  it.each([
    {
      name: 'sums the free capacity of ready, accepting nodes',
      nodes: [node('i-a', 'ready', [3, 0]), node('i-b', 'ready', [10, 10])],
      expected: { readyFree: 17, pendingCapacity: 0, liveNodes: 2, drainingNodes: [] },
    },
    {
      name: 'counts launching and booting nodes as pending capacity',
      nodes: [node('i-a', 'launching', [0, 0]), node('i-b', 'booting', [0, 0]), node('i-c', 'ready', [5, 5])],
      expected: { readyFree: 10, pendingCapacity: 40, liveNodes: 3, drainingNodes: [] },
    },
    {
      name: 'leaves a hot ready node out of the free capacity',
      nodes: [node('i-a', 'ready', [0, 0], { hot: true }), node('i-b', 'ready', [5, 0])],
      expected: { readyFree: 15, pendingCapacity: 0, liveNodes: 2, drainingNodes: [] },
    },
    {
      name: 'lists draining nodes (not hot) with their free capacity',
      nodes: [node('i-a', 'draining', [4, 0]), node('i-b', 'draining', [0, 0], { hot: true })],
      expected: { readyFree: 0, pendingCapacity: 0, liveNodes: 2, drainingNodes: [{ nodeId: 'i-a', free: 16 }] },
    },
    {
      name: 'ignores terminating and terminated nodes',
      nodes: [node('i-a', 'terminating', [0, 0]), node('i-b', 'terminated', [0, 0]), node('i-c', 'ready', [0, 0])],
      expected: { readyFree: 20, pendingCapacity: 0, liveNodes: 1, drainingNodes: [] },
    },
    {
      name: 'is all zero for no nodes',
      nodes: [],
      expected: { readyFree: 0, pendingCapacity: 0, liveNodes: 0, drainingNodes: [] },
    },
  ])('$name', ({ nodes, expected }) => {
    // Prepare / Act
    const summary = summarizePool(nodes, 7, 2);

    // Assess
    expect(summary).toEqual({ ...expected, queuedWeight: 7, launchesLastMinute: 2 });
  });
});

describe('Function: planSweep', () => {
  const OLD = NOW - 600_000; // exactly one idle grace / ready timeout ago
  const RECENT = NOW - 599_999; // one ms short of it

  it.each([
    {
      name: 'terminates a launching node past the ready timeout',
      pool: {},
      nodes: [node('i-a', 'launching', [], { launchedAt: OLD }), node('i-r', 'ready', [5, 5], { emptySince: undefined })],
      queued: 0,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'ready-timeout' }],
    },
    {
      name: 'terminates a booting node past the ready timeout',
      pool: {},
      nodes: [node('i-a', 'booting', [], { launchedAt: OLD }), node('i-r', 'ready', [5, 5])],
      queued: 0,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'ready-timeout' }],
    },
    {
      name: 'waits for a pending node within the ready timeout',
      pool: {},
      nodes: [node('i-a', 'launching', [], { launchedAt: RECENT }), node('i-r', 'ready', [5, 5])],
      queued: 0,
      expected: [],
    },
    {
      name: 'marks an empty node and clears the mark of a node with rooms',
      pool: { minNodes: 2 },
      nodes: [node('i-a', 'ready', [0, 0]), node('i-b', 'ready', [10, 1], { emptySince: OLD })],
      queued: 0,
      expected: [
        { kind: 'mark-empty', nodeId: 'i-a' },
        { kind: 'clear-empty', nodeId: 'i-b' },
      ],
    },
    {
      name: 'terminates a draining node empty for the idle grace (no warm pool: warm-pool rows below)',
      pool: { warmPool: NO_WARM_POOL },
      nodes: [node('i-a', 'draining', [0, 0], { emptySince: OLD }), node('i-r', 'ready', [9, 9])],
      queued: 0,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }],
    },
    {
      name: 'keeps a draining node empty for less than the idle grace (no warm pool: warm-pool rows below)',
      pool: { warmPool: NO_WARM_POOL },
      nodes: [node('i-a', 'draining', [0, 0], { emptySince: RECENT }), node('i-r', 'ready', [9, 9])],
      queued: 0,
      expected: [],
    },
    {
      name: 'marks a draining node that just became empty instead of terminating it',
      pool: {},
      nodes: [node('i-a', 'draining', [0, 0]), node('i-r', 'ready', [9, 9])],
      queued: 0,
      expected: [{ kind: 'mark-empty', nodeId: 'i-a' }],
    },
    {
      name: 'never terminates a draining node that hosts rooms, whatever its empty mark says',
      pool: {},
      nodes: [node('i-a', 'draining', [0, 1], { emptySince: OLD - 1 }), node('i-r', 'ready', [9, 9])],
      queued: 0,
      expected: [{ kind: 'clear-empty', nodeId: 'i-a' }],
    },
    {
      name: 'never terminates below minNodes',
      pool: { minNodes: 1 },
      nodes: [node('i-a', 'draining', [0, 0], { emptySince: OLD })],
      queued: 0,
      expected: [],
    },
    {
      name: 'terminates the longest-idle draining nodes first and stops at minNodes',
      pool: { minNodes: 2, warmPool: NO_WARM_POOL },
      nodes: [
        node('i-a', 'draining', [0, 0], { emptySince: OLD }),
        node('i-b', 'draining', [0, 0], { emptySince: OLD - 60_000 }),
        node('i-c', 'draining', [0, 0], { emptySince: OLD - 30_000 }),
      ],
      queued: 0,
      expected: [{ kind: 'terminate', nodeId: 'i-b', reason: 'idle' }],
    },
    {
      name: 'drains the least loaded ready node while the rest still cover the headroom',
      pool: {},
      nodes: [
        node('i-c', 'ready', [10, 5], { emptySince: undefined }),
        node('i-b', 'ready', [5, 0]),
        node('i-a', 'ready', [0, 0], { emptySince: OLD }),
      ],
      queued: 0,
      // free 5 + 15 + 20 = 40, target 10: surplus 30 → drain i-a (20), then i-b (15) would overshoot
      expected: [{ kind: 'drain', nodeId: 'i-a', reason: 'surplus' }],
    },
    {
      name: 'drains several nodes, least loaded first, while surplus remains',
      pool: { headroomMin: 0, scaleInMargin: 0 },
      nodes: [
        node('i-a', 'ready', [0, 0], { emptySince: OLD }),
        node('i-b', 'ready', [1, 0]),
        node('i-c', 'ready', [10, 10]),
      ],
      queued: 0,
      expected: [
        { kind: 'drain', nodeId: 'i-a', reason: 'surplus' },
        { kind: 'drain', nodeId: 'i-b', reason: 'surplus' },
      ],
    },
    {
      name: 'keeps the scale-in margin above the headroom target (no drain/undrain flapping)',
      pool: { headroomMin: 0, scaleInMargin: 10 },
      nodes: [
        node('i-a', 'ready', [0, 0], { emptySince: OLD }),
        node('i-b', 'ready', [1, 0]),
        node('i-c', 'ready', [10, 10]),
      ],
      queued: 0,
      expected: [{ kind: 'drain', nodeId: 'i-a', reason: 'surplus' }],
    },
    {
      name: 'keeps minNodes accepting nodes even with surplus',
      pool: { minNodes: 2, headroomMin: 0 },
      nodes: [
        node('i-a', 'ready', [0, 0], { emptySince: OLD }),
        node('i-b', 'ready', [0, 0], { emptySince: OLD }),
        node('i-c', 'ready', [0, 0], { emptySince: OLD }),
      ],
      queued: 0,
      expected: [{ kind: 'drain', nodeId: 'i-a', reason: 'surplus' }],
    },
    {
      name: 'drains nothing when the free capacity only just covers the headroom',
      pool: {},
      nodes: [node('i-a', 'ready', [10, 5]), node('i-b', 'ready', [10, 5])],
      queued: 0,
      expected: [],
    },
    {
      name: 'counts queued weight against the surplus',
      pool: {},
      nodes: [node('i-a', 'ready', [0, 0], { emptySince: OLD }), node('i-b', 'ready', [0, 0], { emptySince: OLD })],
      queued: 30,
      expected: [],
    },
    {
      name: 'ignores terminating and terminated nodes',
      pool: { minNodes: 0 },
      nodes: [node('i-a', 'terminating', [0, 0]), node('i-b', 'terminated', [0, 0], { emptySince: OLD })],
      queued: 0,
      expected: [],
    },
  ])('$name', ({ pool: overrides, nodes, queued, expected }) => {
    // Prepare / Act
    const plan = planSweep(pool(overrides), nodes, queued, NO_DEMAND, 0, NOW);

    // Assess
    expect(plan.actions).toEqual(expected);
    const terminated = new Set(plan.actions.filter((a) => a.kind === 'terminate').map((a) => a.nodeId));
    for (const n of nodes) if (terminated.has(n.nodeId)) expect(n.containers.every((c) => c.used === 0)).toBe(true);
  });

  it('plans on the capacity left after its own actions and scales out for the node it gave up on', () => {
    // Prepare: a node that never became ready, and a nearly full ready node
    const nodes = [node('i-a', 'launching', [], { launchedAt: OLD }), node('i-r', 'ready', [9, 9])];

    // Act
    const plan = planSweep(pool(), nodes, 0, NO_DEMAND, 0, NOW);

    // Assess
    expect(plan.capacity).toEqual({ readyFree: 2, pendingCapacity: 0, queuedWeight: 0, liveNodes: 1, launchesLastMinute: 0, drainingNodes: [] });
    expect(plan.scaleOut).toMatchObject({ kind: 'scale-out', launch: 1, deficit: 8 });
  });

  it('lists the nodes it drains as draining in the capacity it returns', () => {
    // Prepare
    const nodes = [node('i-a', 'ready', [0, 0], { emptySince: OLD }), node('i-b', 'ready', [0, 0], { emptySince: OLD })];

    // Act
    const plan = planSweep(pool(), nodes, 0, NO_DEMAND, 0, NOW);

    // Assess
    expect(plan.capacity.drainingNodes).toEqual([{ nodeId: 'i-a', free: 20 }]);
    expect(plan.capacity.readyFree).toBe(20);
    expect(plan.scaleOut.kind).toBe('noop');
  });
});

describe('Function: poolDemand', () => {
  it('measures the window and a burst window of the previous plus the current minute', () => {
    // Prepare: 30 s into minute 100; 5 units in minute 95, 20 in 99, 10 in 100
    const now = 100 * MIN + 30_000;
    const buckets = { '95': 5, '99': 20, '100': 10 };

    // Act
    const demand = poolDemand(buckets, now, 10 * MIN);

    // Assess
    // EWMA (α 0.5) over whole minutes 91–99: 5 in minute 95 and 20 in 99 → 10.15625 units/min
    expect(demand).toEqual({ arrivedWeight: 35, windowMs: 10 * MIN, burstWeight: 30, burstWindowMs: 90_000, ewmaRatePerMs: 10.15625 / MIN });
  });
});

describe('Warm pool in scale-out (decideScaleOut with stopped nodes)', () => {
  /** No headroom minimum: the targets are the arrivals of a 90 s cold boot and a 40 s warm start. */
  const warmPool = (overrides: Partial<PoolConfig> = {}) => pool({ headroomMin: 0, maxLaunchesPerMinute: 3, ...overrides });
  const stopped = (n: number) => Array.from({ length: n }, (_, i) => ({ nodeId: `i-s${i}`, launchedAt: NOW - (i + 1) * 3_600_000 }));
  /** 1 unit/s: 90 units over a cold boot, 40 over a warm start. */
  const busy: PoolDemand = { arrivedWeight: 600, windowMs: 600_000 };
  /** 0.1 unit/s: 9 units over a cold boot, 4 over a warm start. */
  const light: PoolDemand = { arrivedWeight: 60, windowMs: 600_000 };

  it.each([
    {
      name: 'keeps the cold-boot target and launches when no node is stopped',
      cap: { stoppedNodes: stopped(0) },
      demand: light,
      expected: { kind: 'scale-out', launch: 1, undrain: [], start: [], targetHeadroom: 9, deficit: 9 },
    },
    {
      name: 'sizes the running headroom for a warm start when a stopped node covers the rest, and starts it',
      cap: { stoppedNodes: stopped(1) },
      demand: light,
      expected: { kind: 'scale-out', launch: 0, undrain: [], start: ['i-s0'], targetHeadroom: 4, deficit: 4 },
    },
    {
      name: 'starts the youngest stopped nodes before launching the rest',
      cap: { stoppedNodes: stopped(3).reverse() },
      demand: busy,
      // running = max(40, 90 − 60) = 40 → 2 nodes, both warm
      expected: { kind: 'scale-out', launch: 0, undrain: [], start: ['i-s0', 'i-s1'], targetHeadroom: 40, deficit: 40 },
    },
    {
      name: 'launches what the stopped nodes cannot cover',
      cap: { stoppedNodes: stopped(1) },
      demand: busy,
      // running = max(40, 90 − 20) = 70 → 4 nodes: 1 start + 3 launches
      expected: { kind: 'scale-out', launch: 3, undrain: [], start: ['i-s0'], targetHeadroom: 70, deficit: 70 },
    },
    {
      name: 'undrains before starting',
      cap: { stoppedNodes: stopped(1), drainingNodes: [{ nodeId: 'i-d', free: 20 }] },
      demand: busy,
      expected: { kind: 'scale-out', launch: 2, undrain: ['i-d'], start: ['i-s0'], targetHeadroom: 70, deficit: 70 },
    },
    {
      name: 'counts starts against maxNodes',
      cap: { stoppedNodes: stopped(3), liveNodes: 9 },
      demand: busy,
      expected: { kind: 'scale-out', launch: 0, undrain: [], start: ['i-s0'], targetHeadroom: 40, deficit: 40, limitedBy: { limit: 'max-nodes', wanted: 2 } },
    },
    {
      name: 'does not count starts against the launch-rate limit',
      cap: { stoppedNodes: stopped(1), launchesLastMinute: 3 },
      demand: busy,
      expected: { kind: 'scale-out', launch: 0, undrain: [], start: ['i-s0'], targetHeadroom: 70, deficit: 70, limitedBy: { limit: 'launch-rate', wanted: 4 } },
    },
    {
      name: 'names no nodes to start when the caller does not know the stopped nodes (the hot path)',
      cap: {},
      demand: light,
      expected: { kind: 'scale-out', launch: 1, undrain: [], targetHeadroom: 9, deficit: 9 },
    },
  ])('$name', ({ cap, demand, expected }: { cap: Partial<PoolCapacity>; demand: PoolDemand; expected: object }) => {
    // Act
    const decision = decideScaleOut(warmPool(), capacity(cap), demand);

    // Assess
    expect(decision).toEqual(expected);
  });

  it.each([
    { name: 'holds only a warm start\'s share of headroomMin running when a node is stopped (10 → 5)', warm: {}, stoppedCount: 1, readyFree: 5, expected: { kind: 'noop', targetHeadroom: 5 } },
    { name: 'holds 3 of 10 running when hibernated nodes resume in 25 s', warm: { state: 'hibernated' }, stoppedCount: 1, readyFree: 3, expected: { kind: 'noop', targetHeadroom: 3 } },
    { name: 'starts the stopped node below that floor', warm: {}, stoppedCount: 1, readyFree: 4, expected: { kind: 'scale-out', start: ['i-s0'], launch: 0, targetHeadroom: 5 } },
    { name: 'keeps the whole floor running with no node stopped', warm: {}, stoppedCount: 0, readyFree: 5, expected: { kind: 'scale-out', launch: 1, targetHeadroom: 10 } },
    { name: 'keeps the whole floor running without a warm pool', warm: { state: 'none' }, stoppedCount: 1, readyFree: 5, expected: { kind: 'scale-out', targetHeadroom: 10 } },
  ])('$name', ({ warm, stoppedCount, readyFree, expected }: { warm: Record<string, unknown>; stoppedCount: number; readyFree: number; expected: object }) => {
    // Prepare: the default floor of 10 units, no arrivals
    const p = PoolConfigSchema.parse({ ...pool({ headroomMin: 10 }), warmPool: warm });

    // Act
    const decision = decideScaleOut(p, capacity({ stoppedNodes: stopped(stoppedCount), readyFree }), NO_DEMAND);

    // Assess
    expect(decision).toMatchObject(expected);
  });

  it('uses resumeTimeMs for a hibernated pool and scales the forecast to the warm start', () => {
    // Prepare: forecast 90 units over a 90 s boot → 25 over a 25 s resume
    const p = PoolConfigSchema.parse({ ...warmPool(), warmPool: { state: 'hibernated', resumeTimeMs: 25_000 } });

    // Act
    const decision = decideScaleOut(p, capacity({ stoppedNodes: stopped(4), readyFree: 25 }), { arrivedWeight: 0, windowMs: 600_000, forecastWeight: 90 });

    // Assess
    expect(decision).toMatchObject({ kind: 'noop', targetHeadroom: 25 });
  });
});

describe('Warm pool in the sweep plan (planSweep)', () => {
  const HOUR = 3_600_000;
  const idle = (nodeId: string, ageHours = 1, extra: Partial<NodeView> = {}): NodeView => ({
    ...node(nodeId, 'draining', [0, 0], { emptySince: NOW - 600_000, launchedAt: NOW - ageHours * HOUR }),
    drainReason: 'surplus',
    ...extra,
  });
  const warmNode = (nodeId: string, state: 'stopped' | 'stopping', ageHours: number): NodeView => ({
    ...node(nodeId, state, [0, 0], { launchedAt: NOW - ageHours * HOUR }),
  });
  const busyNode = node('i-r', 'ready', [10, 10]);

  it.each([
    {
      name: 'stops an idle drained node while the recent peak needs more nodes than are live',
      warm: {},
      nodes: [busyNode, idle('i-a')],
      peak: 4,
      expected: [{ kind: 'stop', nodeId: 'i-a', hibernate: false }],
    },
    {
      name: 'sizes the warm pool on the live nodes left after the scale-in (peak 4, 1 live left → 3 warm)',
      warm: {},
      nodes: [busyNode, idle('i-a'), warmNode('i-s1', 'stopped', 1), warmNode('i-s2', 'stopping', 1)],
      peak: 4,
      expected: [{ kind: 'stop', nodeId: 'i-a', hibernate: false }],
    },
    {
      name: 'hibernates it in a hibernated pool',
      warm: { state: 'hibernated' },
      nodes: [busyNode, idle('i-a')],
      peak: 4,
      expected: [{ kind: 'stop', nodeId: 'i-a', hibernate: true }],
    },
    {
      name: 'terminates it without history (target 0)',
      warm: {},
      nodes: [busyNode, idle('i-a')],
      peak: 0,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }],
    },
    {
      name: 'terminates it once the warm pool is at target (peak 3, 1 live after it leaves → 2 warm)',
      warm: {},
      nodes: [busyNode, idle('i-a'), warmNode('i-s1', 'stopped', 1), warmNode('i-s2', 'stopping', 1)],
      peak: 3,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }],
    },
    {
      name: 'terminates a node drained for a fault',
      warm: {},
      nodes: [busyNode, idle('i-a', 1, { drainReason: 'unhealthy: wcs-0' })],
      peak: 4,
      expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }],
    },
    {
      name: 'recycles a stopped node past maxAgeHours and keeps the younger idle node in its place',
      warm: { maxAgeHours: 24 },
      nodes: [busyNode, idle('i-a', 2), warmNode('i-old', 'stopped', 30)],
      peak: 3,
      expected: [
        { kind: 'terminate', nodeId: 'i-old', reason: 'max-age' },
        { kind: 'stop', nodeId: 'i-a', hibernate: false },
      ],
    },
    {
      name: 'terminates the oldest stopped nodes above the target',
      warm: { maxSize: 1 },
      nodes: [busyNode, warmNode('i-s1', 'stopped', 5), warmNode('i-s2', 'stopped', 9)],
      peak: 6,
      expected: [{ kind: 'terminate', nodeId: 'i-s2', reason: 'warm-surplus' }],
    },
    {
      name: 'terminates every stopped node when the warm pool is turned off',
      warm: { state: 'none' },
      nodes: [busyNode, warmNode('i-s1', 'stopped', 5)],
      peak: 6,
      expected: [{ kind: 'terminate', nodeId: 'i-s1', reason: 'warm-surplus' }],
    },
  ])('$name', ({ warm, nodes, peak, expected }: { warm: Record<string, unknown>; nodes: NodeView[]; peak: number; expected: object[] }) => {
    // Prepare
    const p = PoolConfigSchema.parse({ ...pool({ headroomMin: 0 }), warmPool: warm });

    // Act
    const plan = planSweep(p, nodes, 0, NO_DEMAND, 0, NOW, peak);

    // Assess
    expect(plan.actions.filter((a) => a.kind !== 'mark-empty')).toEqual(expected);
  });

  it.each([
    { name: 'stops a node empty for the stop grace (2 min) that the warm pool keeps', warm: {}, emptyMin: 3, peak: 4, expected: [{ kind: 'stop', nodeId: 'i-a', hibernate: false }] },
    { name: 'leaves a node empty for less than the stop grace', warm: {}, emptyMin: 1, peak: 4, expected: [] },
    { name: 'keeps a node the warm pool does not take until idleGraceMs', warm: {}, emptyMin: 3, peak: 0, expected: [] },
    { name: 'terminates that node after idleGraceMs', warm: {}, emptyMin: 10, peak: 0, expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }] },
    { name: 'waits idleGraceMs before a stop when stopGraceMs is as long', warm: { stopGraceMs: 600_000 }, emptyMin: 3, peak: 4, expected: [] },
    { name: 'waits idleGraceMs without a warm pool', warm: { state: 'none', stopGraceMs: 0 }, emptyMin: 3, peak: 4, expected: [] },
    { name: 'terminates after idleGraceMs without a warm pool', warm: { state: 'none' }, emptyMin: 10, peak: 4, expected: [{ kind: 'terminate', nodeId: 'i-a', reason: 'idle' }] },
  ])('$name', ({ warm, emptyMin, peak, expected }: { warm: Record<string, unknown>; emptyMin: number; peak: number; expected: object[] }) => {
    // Prepare: one busy node and one drained node empty for `emptyMin` minutes
    const p = PoolConfigSchema.parse({ ...pool({ headroomMin: 0 }), warmPool: warm });
    const nodes = [busyNode, idle('i-a', 1, { emptySince: NOW - emptyMin * MIN })];

    // Act
    const plan = planSweep(p, nodes, 0, NO_DEMAND, 0, NOW, peak);

    // Assess
    expect(plan.actions).toEqual(expected);
  });

  it('drains to the warm floor when a node is stopped, and to headroomMin without a warm pool', () => {
    // Prepare: a busy node, a ready node with 5 units used (15 free), one stopped node
    const nodes = [busyNode, node('i-b', 'ready', [5, 0]), node('i-c', 'ready', [10, 5]), warmNode('i-s1', 'stopped', 2)];
    const plan = (warm: Record<string, unknown>) => planSweep(PoolConfigSchema.parse({ ...pool({ headroomMin: 10, scaleInMargin: 0 }), warmPool: warm }), nodes, 0, NO_DEMAND, 0, NOW, 4);

    // Act / Assess: 20 free; the warm floor 5 lets 15 go (i-b), headroomMin 10 does not
    expect(plan({}).actions.filter((a) => a.kind === 'drain')).toEqual([{ kind: 'drain', nodeId: 'i-b', reason: 'surplus' }]);
    expect(plan({ state: 'none' }).actions.filter((a) => a.kind === 'drain')).toEqual([]);
  });

  it('starts a stopped node before launching, and counts it in the running headroom', () => {
    // Prepare: one full ready node, headroom minimum 10, one stopped node
    const p = pool({ headroomMin: 10 });
    const nodes = [busyNode, warmNode('i-s1', 'stopped', 2)];

    // Act
    const plan = planSweep(p, nodes, 0, NO_DEMAND, 0, NOW, 2);

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.scaleOut).toMatchObject({ kind: 'scale-out', launch: 0, start: ['i-s1'] });
    expect(plan.capacity.liveNodes).toBe(1);
  });

  it.each([
    { name: 'keeps a node started from the warm pool, however old its launch', startedAgo: 60_000, expected: [] },
    { name: 'leaves a long start to reconciliation (timeOutStarts, warmPool.startTimeoutMs)', startedAgo: 600_000, expected: [] },
  ])('$name', ({ startedAgo, expected }) => {
    // Prepare: launched a day ago, starting since `startedAgo`
    const starting: NodeView = { ...node('i-s', 'starting', [0, 0], { launchedAt: NOW - 86_400_000 }), stateChangedAt: NOW - startedAgo };

    // Act
    const plan = planSweep(pool(), [node('i-r', 'ready', [0, 0]), starting], 0, NO_DEMAND, 0, NOW);

    // Assess
    expect(plan.actions.filter((a) => a.kind === 'terminate')).toEqual(expected);
  });
});
