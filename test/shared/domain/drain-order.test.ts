/**
 * Lifetime-aware drain and undrain (drain-order.ts, and planSweep / decideScaleOut under the
 * pool setting `lifetimeDrain`).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { PoolConfigSchema, type PoolConfig } from '../../../shared/domain/config.ts';
import { drainOrder, MIN_OVERRUN_MS, nodeExpectedEmptyAt, repredictOverrun, undrainOrder } from '../../../shared/domain/drain-order.ts';
import type { NodeView } from '../../../shared/domain/model.ts';
import { decideScaleOut, planSweep, summarizePool, type PoolDemand } from '../../../shared/domain/scaling.ts';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const NO_DEMAND: PoolDemand = { arrivedWeight: 0, windowMs: 600_000 };

const pool = (overrides: Partial<PoolConfig> = {}): PoolConfig =>
  PoolConfigSchema.parse({ name: 'media', minNodes: 0, headroomMin: 0, scaleInMargin: 0, warmPool: { state: 'none' }, ...overrides });

/** A node of two 10-unit containers: `used` on container 0, its rooms predicted to end `ends` minutes from now. */
const node = (nodeId: string, used: number, ends: readonly number[] = [], state: NodeView['state'] = 'ready'): NodeView => ({
  nodeId,
  pool: 'media',
  state,
  instanceType: 'c6i.2xlarge',
  launchedAt: NOW - 3_600_000,
  hot: false,
  ...(state === 'draining' ? { drainReason: 'surplus', drainingSince: NOW - MIN } : {}),
  containers: [
    { nodeId, index: 0, capacity: 10, used, accepting: state === 'ready', ...(ends.length ? { roomEnds: ends.map((m) => NOW + m * MIN) } : {}) },
    { nodeId, index: 1, capacity: 10, used: 0, accepting: state === 'ready' },
  ],
});

describe('Function: repredictOverrun', () => {
  it.each([
    { name: 'keeps a prediction still ahead', end: NOW + 30 * MIN, expected: NOW + 30 * MIN },
    { name: 'expects a room 20 min over its end to run 20 min more', end: NOW - 20 * MIN, expected: NOW + 20 * MIN },
    { name: 'gives a room just past its end at least the minimum overrun', end: NOW - 1_000, expected: NOW + MIN_OVERRUN_MS },
  ])('$name', ({ end, expected }) => {
    expect(repredictOverrun(end, NOW)).toBe(expected);
  });
});

describe('Function: nodeExpectedEmptyAt', () => {
  it.each([
    { name: 'is now for a node hosting nothing', n: node('a', 0), expected: NOW },
    { name: 'is the latest of its rooms’ ends', n: node('a', 4, [10, 50, 20]), expected: NOW + 50 * MIN },
    { name: 're-predicts ends already past', n: node('a', 2, [-30, 10]), expected: NOW + 30 * MIN },
    { name: 'is unknown when its rooms have no predicted end', n: node('a', 3), expected: undefined },
  ])('$name', ({ n, expected }) => {
    expect(nodeExpectedEmptyAt(n, NOW)).toBe(expected);
  });

  it('uses the injected re-prediction', () => {
    expect(nodeExpectedEmptyAt(node('a', 2, [-30]), NOW, (_end, now) => now + 99)).toBe(NOW + 99);
  });
});

describe('Function: drainOrder', () => {
  it('puts the nodes expected to empty soonest first, nodes without a prediction last', () => {
    // Prepare: the least loaded node (light) hosts a room for 3 h
    const nodes = [node('light', 1, [180]), node('soon', 9, [5]), node('unknown', 2), node('empty', 0), node('mid', 6, [40])];

    // Act / Assess
    expect(drainOrder(nodes, NOW).map((n) => n.nodeId)).toEqual(['empty', 'soon', 'mid', 'light', 'unknown']);
  });

  it('orders equal expectations by load, then node id', () => {
    expect(drainOrder([node('b', 3, [30]), node('a', 3, [30]), node('c', 1, [30])], NOW).map((n) => n.nodeId)).toEqual(['c', 'a', 'b']);
  });
});

describe('Function: undrainOrder', () => {
  it('undrains the node expected to last longest first; without predictions, the most free first', () => {
    // Prepare
    const draining = [
      { nodeId: 'short', free: 18, expectedEmptyAt: NOW + 5 * MIN },
      { nodeId: 'none', free: 19 },
      { nodeId: 'long', free: 4, expectedEmptyAt: NOW + 200 * MIN },
      { nodeId: 'none-2', free: 12 },
    ];

    // Act / Assess
    expect(undrainOrder(draining).map((d) => d.nodeId)).toEqual(['long', 'short', 'none', 'none-2']);
  });
});

describe('Function: planSweep with lifetimeDrain', () => {
  it('drains the node expected to empty soonest instead of the least loaded', () => {
    // Prepare: 60 units of capacity, 14 used; headroom 0 + margin 0 leaves room to drain one node
    // of up to 20 free units only once the other two cover the rest
    const nodes = [node('light', 1, [240]), node('soon', 5, [10]), node('busy', 8, [120])];
    const off = pool({ headroomMin: 25 });
    const on = pool({ headroomMin: 25, lifetimeDrain: true });

    // Act
    const byLoad = planSweep(off, nodes, 0, NO_DEMAND, 0, NOW);
    const byLifetime = planSweep(on, nodes, 0, NO_DEMAND, 0, NOW);

    // Assess
    expect(byLoad.actions.filter((a) => a.kind === 'drain').map((a) => a.nodeId)).toEqual(['light']);
    expect(byLifetime.actions.filter((a) => a.kind === 'drain').map((a) => a.nodeId)).toEqual(['soon']);
  });

  it('never terminates a draining node that still hosts rooms', () => {
    // Prepare: a draining node past its rooms' predicted ends, long idle otherwise
    const nodes = [{ ...node('d', 3, [-60], 'draining'), emptySince: NOW - 3_600_000 }, node('r', 0)];

    // Act
    const plan = planSweep(pool({ lifetimeDrain: true }), nodes, 0, NO_DEMAND, 0, NOW);

    // Assess
    expect(plan.actions.filter((a) => a.nodeId === 'd' && (a.kind === 'terminate' || a.kind === 'stop'))).toEqual([]);
  });
});

describe('Function: decideScaleOut undrain order', () => {
  it('with expected ends from summarizePool, undrains the node expected to last longest first', () => {
    // Prepare: a deficit of 10 units, two draining nodes with free capacity
    const nodes = [node('short', 2, [5], 'draining'), node('long', 6, [300], 'draining')];
    const withEnds = summarizePool(nodes, 10, 0, { now: NOW });
    const byFree = summarizePool(nodes, 10, 0);

    // Act
    const lifetime = decideScaleOut(pool(), withEnds, NO_DEMAND);
    const legacy = decideScaleOut(pool(), byFree, NO_DEMAND);

    // Assess
    expect(withEnds.drainingNodes.map((d) => d.expectedEmptyAt)).toEqual([NOW + 5 * MIN, NOW + 300 * MIN]);
    expect(lifetime).toMatchObject({ kind: 'scale-out', undrain: ['long'], launch: 0 });
    expect(legacy).toMatchObject({ kind: 'scale-out', undrain: ['short'], launch: 0 });
  });
});
