/**
 * The fleet's dashboard figures as CloudWatch metrics (embedded metric format, namespace
 * `METRICS_NAMESPACE`), defined once for the handlers that emit them and the stack that draws
 * and alarms on them.
 *
 * Per pool — dimensions `service`, `Fleet`, `Pool`:
 *
 * | metric | unit | emitted by | meaning |
 * |---|---|---|---|
 * | `PlacedRooms` | Count | sweep, every minute | rooms on the pool's nodes |
 * | `UsedCapacity` | Count | sweep | their weight, capacity units |
 * | `FreeCapacity` | Count | sweep | free capacity on accepting nodes, capacity units |
 * | `PendingCapacity` | Count | sweep | capacity of nodes launching or booting |
 * | `HeadroomTarget` | Count | sweep | free capacity the policy keeps ready |
 * | `NodesLaunching` … `NodesTerminating` | Count | sweep | nodes by state |
 * | `NodesHot` | Count | sweep | live nodes marked hot by their alarms |
 * | `QueuedRooms` | Count | sweep | rooms waiting for capacity |
 * | `OldestQueuedAge` | Milliseconds | sweep | wait of the longest-waiting queued room |
 * | `ScheduledWeight` | Count | sweep | announced rooms' weight counted as demand (pre-warming), capacity units |
 * | `ScheduledRooms` | Count | sweep | announced rooms counted as demand |
 * | `RoomsPlaced` | Count | room-events | RoomCreated placed at once |
 * | `RoomsQueued` | Count | room-events | RoomCreated queued |
 * | `PlacementLatency` | Milliseconds | room-events | handler time of a RoomCreated that was placed |
 * | `PlacementWait` | Milliseconds | room-events | the placed room's `waitedMs` (first delivery → placed) |
 *
 * Per fleet — dimensions `service`, `Fleet`: `Rooms_<outcome>` (room-events, every outcome),
 * `NodesLaunched` / `NodesTerminated` (sweep), the published-event counts of
 * `metered-publisher.ts` (`ScalingBlocked`, `ScalingBlockedQuota`, `LaunchFailures`,
 * `RoomsRejected`, `RoomsInterrupted`), `InvalidEvents`, `Invocations` and the error classes.
 *
 * @module
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { CreateRoomOutcome } from '../../shared/app/rooms.ts';
import type { PoolGauges } from '../../shared/domain/gauges.ts';
import type { HandlerMetrics } from './observability.ts';

/** Gauges the sweep publishes per pool each minute. */
export const PoolGaugeMetric = {
  PlacedRooms: 'PlacedRooms',
  UsedCapacity: 'UsedCapacity',
  FreeCapacity: 'FreeCapacity',
  PendingCapacity: 'PendingCapacity',
  HeadroomTarget: 'HeadroomTarget',
  NodesLaunching: 'NodesLaunching',
  NodesBooting: 'NodesBooting',
  NodesReady: 'NodesReady',
  NodesDraining: 'NodesDraining',
  NodesStopping: 'NodesStopping',
  NodesStopped: 'NodesStopped',
  NodesStarting: 'NodesStarting',
  NodesTerminating: 'NodesTerminating',
  NodesHot: 'NodesHot',
  QueuedRooms: 'QueuedRooms',
  OldestQueuedAge: 'OldestQueuedAge',
  ScheduledWeight: 'ScheduledWeight',
  ScheduledRooms: 'ScheduledRooms',
} as const;

/** Per-pool counts and latencies room-events publishes for each RoomCreated placed or queued. */
export const RoomMetric = {
  RoomsPlaced: 'RoomsPlaced',
  RoomsQueued: 'RoomsQueued',
  PlacementLatency: 'PlacementLatency',
  PlacementWait: 'PlacementWait',
} as const;

/** Per-fleet figures of the sweep: nodes launched and terminated (counts), each invocation's `SweepDuration` (ms, wall time of the run). */
export const SweepMetric = { NodesLaunched: 'NodesLaunched', NodesTerminated: 'NodesTerminated', SweepDuration: 'SweepDuration' } as const;

/** Per-fleet count of each RoomCreated outcome: `Rooms_placed`, `Rooms_queued`, `Rooms_rejected`, … */
export function roomOutcomeMetric(kind: CreateRoomOutcome['kind']): string {
  return `Rooms_${kind}`;
}

/** Node-state gauge names by state. */
export const NODE_STATE_METRICS = {
  launching: PoolGaugeMetric.NodesLaunching,
  booting: PoolGaugeMetric.NodesBooting,
  ready: PoolGaugeMetric.NodesReady,
  draining: PoolGaugeMetric.NodesDraining,
  stopping: PoolGaugeMetric.NodesStopping,
  stopped: PoolGaugeMetric.NodesStopped,
  starting: PoolGaugeMetric.NodesStarting,
  terminating: PoolGaugeMetric.NodesTerminating,
} as const satisfies Record<keyof PoolGauges['nodes'], string>;

function publish(m: Metrics, add: (m: Metrics) => void): void {
  add(m);
  m.publishStoredMetrics();
}

/**
 * Publish one pool's gauges as one EMF document (dimensions `service`, `Fleet`, `Pool`).
 *
 * @example
 * for (const r of results) publishPoolGauges(handlerMetrics, r.pool, r.gauges);
 */
export function publishPoolGauges(sink: HandlerMetrics, pool: string, g: PoolGauges, scheduled?: { readonly weight: number; readonly rooms: number }): void {
  publish(sink.poolMetrics(pool), (m) => {
    m.addMetric(PoolGaugeMetric.PlacedRooms, MetricUnit.Count, g.placedRooms);
    m.addMetric(PoolGaugeMetric.UsedCapacity, MetricUnit.Count, g.usedCapacity);
    m.addMetric(PoolGaugeMetric.FreeCapacity, MetricUnit.Count, g.freeCapacity);
    m.addMetric(PoolGaugeMetric.PendingCapacity, MetricUnit.Count, g.pendingCapacity);
    m.addMetric(PoolGaugeMetric.HeadroomTarget, MetricUnit.Count, g.headroomTarget);
    for (const [state, name] of Object.entries(NODE_STATE_METRICS)) m.addMetric(name, MetricUnit.Count, g.nodes[state as keyof typeof NODE_STATE_METRICS]);
    m.addMetric(PoolGaugeMetric.NodesHot, MetricUnit.Count, g.hotNodes);
    m.addMetric(PoolGaugeMetric.QueuedRooms, MetricUnit.Count, g.queuedRooms);
    m.addMetric(PoolGaugeMetric.OldestQueuedAge, MetricUnit.Milliseconds, g.oldestQueuedAgeMs);
    if (scheduled) {
      m.addMetric(PoolGaugeMetric.ScheduledWeight, MetricUnit.Count, scheduled.weight);
      m.addMetric(PoolGaugeMetric.ScheduledRooms, MetricUnit.Count, scheduled.rooms);
    }
  });
}

/**
 * Count a RoomCreated's outcome (per fleet) and, when it was placed or queued in a pool, publish
 * the pool's figures: `RoomsPlaced` with `PlacementLatency` (handler ms) and `PlacementWait`
 * (`waitedMs`), or `RoomsQueued`. Other outcomes name no configured pool, so they are counted
 * per fleet only (a pool dimension per unknown pool name would let bad input create metrics).
 *
 * @param handlerMs - time the handler took for this event, ms
 */
export function recordRoomCreated(sink: HandlerMetrics, outcome: CreateRoomOutcome, handlerMs: number): void {
  sink.metrics.addMetric(roomOutcomeMetric(outcome.kind), MetricUnit.Count, 1);
  if (outcome.kind === 'placed') {
    publish(sink.poolMetrics(outcome.placement.pool), (m) => {
      m.addMetric(RoomMetric.RoomsPlaced, MetricUnit.Count, 1);
      m.addMetric(RoomMetric.PlacementLatency, MetricUnit.Milliseconds, Math.max(0, handlerMs));
      m.addMetric(RoomMetric.PlacementWait, MetricUnit.Milliseconds, Math.max(0, outcome.placement.waitedMs));
    });
  } else if (outcome.kind === 'queued') {
    publish(sink.poolMetrics(outcome.pool), (m) => m.addMetric(RoomMetric.RoomsQueued, MetricUnit.Count, 1));
  }
}
