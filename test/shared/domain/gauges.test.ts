import { describe, expect, it } from 'vitest';
import { poolGauges } from '../../../shared/domain/gauges.ts';
import type { ContainerView, NodeState, NodeView } from '../../../shared/domain/model.ts';

const NOW = Date.parse('2026-03-02T12:00:00Z');

function node(nodeId: string, state: NodeState, containers: Array<Partial<ContainerView>> = [], extra: Partial<NodeView> = {}): NodeView {
  return {
    nodeId,
    pool: 'default',
    state,
    instanceType: 'c6i.2xlarge',
    launchedAt: NOW - 600_000,
    hot: false,
    containers: containers.map((c, index) => ({ nodeId, index, capacity: 10, used: 0, accepting: state === 'ready', ...c })),
    ...extra,
  };
}

describe('Function: poolGauges', () => {
  it('counts nodes by state, rooms, used and free capacity, pending capacity and the queue', () => {
    // Prepare
    const nodes = [
      node('i-ready', 'ready', [{ used: 3, rooms: { a: 1, b: 2 } }, { used: 0, rooms: {} }]),
      node('i-hot', 'ready', [{ used: 4, rooms: { c: 4 } }], { hot: true }),
      node('i-draining', 'draining', [{ used: 1, rooms: { d: 1 } }]),
      node('i-launching', 'launching', [], { plannedCapacity: 20 }),
      node('i-booting', 'booting', [], { plannedCapacity: 20 }),
      node('i-terminating', 'terminating', [{ used: 0 }]),
      node('i-gone', 'terminated', [{ used: 5, rooms: { e: 5 } }]),
    ];
    const queued = [
      { weight: 2, requestedAt: NOW - 30_000 },
      { weight: 1, requestedAt: NOW - 95_000 },
    ];

    // Act
    const g = poolGauges(nodes, queued, 12, NOW);

    // Assess
    expect(g).toEqual({
      placedRooms: 4,
      usedCapacity: 8,
      freeCapacity: 17, // the accepting node only: (10 − 3) + 10
      pendingCapacity: 40,
      headroomTarget: 12,
      nodes: { launching: 1, booting: 1, ready: 2, draining: 1, stopping: 0, stopped: 0, starting: 0, terminating: 1 },
      hotNodes: 1,
      queuedRooms: 2,
      queuedWeight: 3,
      oldestQueuedAgeMs: 95_000,
    });
  });

  it('reports an empty pool as zeros', () => {
    expect(poolGauges([], [], 0, NOW)).toEqual({
      placedRooms: 0,
      usedCapacity: 0,
      freeCapacity: 0,
      pendingCapacity: 0,
      headroomTarget: 0,
      nodes: { launching: 0, booting: 0, ready: 0, draining: 0, stopping: 0, stopped: 0, starting: 0, terminating: 0 },
      hotNodes: 0,
      queuedRooms: 0,
      queuedWeight: 0,
      oldestQueuedAgeMs: 0,
    });
  });
});
