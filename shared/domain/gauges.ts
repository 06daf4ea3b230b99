/**
 * A pool's gauges for the dashboard, computed from what the sweep already reads each minute
 * (the pool's nodes, its queued rooms, the headroom target). Pure: time is a parameter.
 *
 * @module
 */
import { containerFree, nodeAccepts, nodeCapacityOf, type NodeState, type NodeView } from './model.ts';

/** Node states the gauges count (a terminated node is history, not fleet). */
export const GAUGED_NODE_STATES = ['launching', 'booting', 'ready', 'draining', 'stopping', 'stopped', 'starting', 'terminating'] as const satisfies readonly NodeState[];

/** One pool's state at one instant. Capacity figures are capacity units. */
export interface PoolGauges {
  /** Rooms on the pool's nodes (any state but terminated). */
  readonly placedRooms: number;
  /** Weight of those rooms, capacity units. */
  readonly usedCapacity: number;
  /** Free capacity on nodes that accept rooms (ready, not hot), capacity units — `readyFree` of the scaling policy. */
  readonly freeCapacity: number;
  /** Capacity of nodes launching or booting, capacity units. */
  readonly pendingCapacity: number;
  /** Free capacity the policy keeps ready (`headroomTarget` of domain/scaling.ts), capacity units. */
  readonly headroomTarget: number;
  /** Nodes by state. */
  readonly nodes: Readonly<Record<(typeof GAUGED_NODE_STATES)[number], number>>;
  /** Live nodes marked hot by a CloudWatch alarm. */
  readonly hotNodes: number;
  /** Rooms waiting for capacity. */
  readonly queuedRooms: number;
  /** Their weight, capacity units. */
  readonly queuedWeight: number;
  /** How long the longest-waiting queued room has waited (since its first delivery), ms; 0 when none. */
  readonly oldestQueuedAgeMs: number;
}

/** What {@link poolGauges} needs of a queued room. */
export interface QueuedRoomView {
  readonly weight: number;
  /** First delivery of its RoomCreated, epoch ms (the start of its wait). */
  readonly requestedAt: number;
}

/**
 * Gauges of one pool.
 *
 * @param nodes - the pool's nodes as listed (any state; containers with `used` and, when the
 *   store read them, `rooms`)
 * @param queued - its queued rooms (the sweep reads at most `SWEEP_QUEUE_READ_LIMIT`, so beyond
 *   that the count is a lower bound; the oldest is still right when the store lists oldest first)
 * @param headroomTarget - capacity units, from the same demand the sweep plans with
 * @param now - epoch ms
 * @example
 * const g = poolGauges(nodes, queued, headroomTarget(pool, demand), now);
 * g.nodes.ready; // 3
 */
export function poolGauges(nodes: readonly NodeView[], queued: readonly QueuedRoomView[], headroomTarget: number, now: number): PoolGauges {
  const byState = Object.fromEntries(GAUGED_NODE_STATES.map((s) => [s, 0])) as Record<(typeof GAUGED_NODE_STATES)[number], number>;
  let placedRooms = 0;
  let usedCapacity = 0;
  let freeCapacity = 0;
  let pendingCapacity = 0;
  let hotNodes = 0;
  for (const n of nodes) {
    if (n.state === 'terminated') continue;
    byState[n.state] += 1;
    if (n.hot && n.state !== 'terminating') hotNodes += 1;
    if (n.state === 'launching' || n.state === 'booting') pendingCapacity += nodeCapacityOf(n);
    const accepts = nodeAccepts(n);
    for (const c of n.containers) {
      usedCapacity += c.used;
      placedRooms += Object.keys(c.rooms ?? {}).length;
      if (accepts) freeCapacity += containerFree(c);
    }
  }
  const oldest = queued.reduce((min, r) => Math.min(min, r.requestedAt), Number.POSITIVE_INFINITY);
  return {
    placedRooms,
    usedCapacity,
    freeCapacity,
    pendingCapacity,
    headroomTarget,
    nodes: byState,
    hotNodes,
    queuedRooms: queued.length,
    queuedWeight: queued.reduce((s, r) => s + r.weight, 0),
    oldestQueuedAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
  };
}
