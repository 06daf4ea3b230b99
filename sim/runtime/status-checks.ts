/**
 * The `unreachable` fault in the embedded runtime: the simulated CloudWatch that evaluates each
 * node's EC2 status-check alarm against the simulated EC2 (`LocalNodeAlarms` with a
 * `StatusCheckEvaluation`, sim/adapters/local-node-alarms.ts), and what the run reports of it
 * ({@link UnreachableFigures}): how many instances stopped answering, how fast the alarm saw them
 * and node-events closed them, and the rooms that were lost with them.
 *
 * @module
 */
import { UNREACHABLE_REASON } from '../../shared/domain/node-alarms.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import type { NodeAlarms } from '../../shared/ports/index.ts';
import type { BusEvent } from '../adapters/local-event-bus.ts';
import { LocalNodeAlarms, type StatusCheckEvaluation, type StatusCheckSource } from '../adapters/local-node-alarms.ts';
import { percentile } from '../percentile.ts';
import type { UnreachableFigures } from './types.ts';

/** What the figures read of the simulated EC2 (`LocalComputeProvider`). */
export interface UnreachableSource extends StatusCheckSource {
  unreachableInstances(until?: number): readonly { readonly instanceId: string; readonly at: number; readonly endedAt?: number | undefined }[];
}

/**
 * The run's node alarms: status-check alarms evaluated as CloudWatch would, and the published
 * events that tell what became of the unreachable nodes (closures, interruptions, placements on
 * them), recorded as they are published.
 *
 * @example
 * const nodeAlarms = new SimulatedStatusChecks({ clock, ec2: compute, emit: loop.emit, bus });
 * // … run …
 * const figures = unreachableFigures(nodeAlarms, compute, endMs);
 */
export class SimulatedStatusChecks extends LocalNodeAlarms {
  /** When each node closed for being unreachable was announced terminated, epoch ms. */
  public readonly closedAt = new Map<string, number>();
  /** Rooms interrupted by those closures. */
  public readonly interrupted = new Set<string>();
  /** Placements announced on a node while it was unreachable. */
  public placementsWhileUnreachable = 0;

  public constructor(private readonly options: StatusCheckEvaluation & { readonly bus: { onPublished(listener: (event: BusEvent) => void): void } }) {
    super(options);
    options.bus.onPublished((e) => this.observe(e));
  }

  private observe(e: BusEvent): void {
    const d = e.detail as { nodeId?: string; roomId?: string; reason?: string };
    const now = this.options.clock.now();
    if (e['detail-type'] === DetailType.NodeTerminated && d.reason === UNREACHABLE_REASON && d.nodeId && !this.closedAt.has(d.nodeId)) this.closedAt.set(d.nodeId, now);
    else if (e['detail-type'] === DetailType.RoomInterrupted && d.reason === UNREACHABLE_REASON && d.roomId) this.interrupted.add(d.roomId);
    else if (e['detail-type'] === DetailType.RoomPlaced && d.nodeId && this.options.ec2.unreachableSince(d.nodeId, now) !== undefined) this.placementsWhileUnreachable += 1;
  }
}

/**
 * The `unreachable` figures of a run that ended at `endMs` (epoch ms). Node alarms other than
 * {@link SimulatedStatusChecks} (no evaluation) report only the instances.
 */
export function unreachableFigures(nodeAlarms: NodeAlarms, ec2: UnreachableSource, endMs: number): UnreachableFigures {
  const failed = ec2.unreachableInstances(endMs);
  const at = new Map(failed.map((f) => [f.instanceId, f.at]));
  const checks = nodeAlarms instanceof SimulatedStatusChecks ? nodeAlarms : undefined;
  const detections = (checks?.detections ?? []).filter((d) => at.has(d.instanceId));
  const closed = [...(checks?.closedAt ?? [])].filter(([id]) => at.has(id));
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const toAlarm = sorted(detections.map((d) => d.alarmAt - d.unreachableAt));
  const toClosed = sorted(closed.map(([id, t]) => t - (at.get(id) as number)));
  return {
    instances: failed.length,
    detected: new Set(detections.map((d) => d.instanceId)).size,
    closed: closed.length,
    roomsInterrupted: checks?.interrupted.size ?? 0,
    placementsWhileUnreachable: checks?.placementsWhileUnreachable ?? 0,
    detectionP50Ms: percentile(toAlarm, 50),
    detectionMaxMs: toAlarm.length ? (toAlarm[toAlarm.length - 1] as number) : 0,
    closedP50Ms: percentile(toClosed, 50),
    closedMaxMs: toClosed.length ? (toClosed[toClosed.length - 1] as number) : 0,
    nodeHoursUnreachable: failed.reduce((h, f) => h + Math.max(0, Math.min(f.endedAt ?? endMs, endMs) - f.at), 0) / 3_600_000,
  };
}
