/**
 * An `EventPublisher` decorator that turns the outbound events operators alarm on into
 * CloudWatch metrics (embedded metric format, namespace `WcsAutoscaler`, dimensions `service` and
 * `Fleet` — the sink's default dimensions, lambdas/shared/observability.ts):
 *
 * | event | metric (Count) |
 * |---|---|
 * | `ScalingBlocked` (any limit) | `ScalingBlocked` |
 * | `ScalingBlocked` with limit `quota` (InstanceLimitExceeded, VcpuLimitExceeded, …) | `ScalingBlockedQuota` |
 * | `ScalingBlocked` from EC2 refusing a launch — limit `quota`, `capacity` (no offering had capacity, or a partial launch) or `error` | `LaunchFailures` |
 * | `RoomRejected` | `RoomsRejected` |
 * | `RoomInterrupted` | `RoomsInterrupted` |
 * | `NodeTerminated` with reason `unreachable: EC2 status check failed` (its status-check alarm closed it) | `NodesUnreachable` |
 *
 * @module
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { UNREACHABLE_REASON } from '../../shared/domain/node-alarms.ts';
import type { OutboundEvent } from '../../shared/events/schemas.ts';
import type { EventPublisher } from '../../shared/ports/index.ts';

/** Metric names, for the stack's alarms. */
export const PublishedEventMetric = {
  ScalingBlocked: 'ScalingBlocked',
  ScalingBlockedQuota: 'ScalingBlockedQuota',
  LaunchFailures: 'LaunchFailures',
  RoomsRejected: 'RoomsRejected',
  RoomsInterrupted: 'RoomsInterrupted',
  NodesUnreachable: 'NodesUnreachable',
} as const;

/**
 * `ScalingBlocked` limits that mean EC2 refused a launch (shared/app/scaling-executor.ts
 * `executeScaleOut`), as opposed to the policy's own `max-nodes` / `launch-rate`.
 */
export const LAUNCH_FAILURE_LIMITS: ReadonlySet<string> = new Set(['quota', 'capacity', 'error']);

/** What the decorator needs of Powertools' `Metrics`. */
export interface MetricSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
}

/**
 * Publishes through `inner`, then counts the events of the table above (only once they are
 * published: a failed publish is retried and counted then).
 *
 * @example
 * const publisher = new MeteredPublisher(new EventBridgePublisher({ … }), metrics);
 */
export class MeteredPublisher implements EventPublisher {
  public constructor(
    private readonly inner: EventPublisher,
    private readonly metrics: MetricSink,
  ) {}

  public async publish(events: readonly OutboundEvent[]): Promise<void> {
    await this.inner.publish(events);
    for (const e of events) {
      if (e.detailType === 'ScalingBlocked') {
        this.metrics.addMetric(PublishedEventMetric.ScalingBlocked, MetricUnit.Count, 1);
        if (e.detail.limit === 'quota') this.metrics.addMetric(PublishedEventMetric.ScalingBlockedQuota, MetricUnit.Count, 1);
        if (LAUNCH_FAILURE_LIMITS.has(e.detail.limit)) this.metrics.addMetric(PublishedEventMetric.LaunchFailures, MetricUnit.Count, 1);
      } else if (e.detailType === 'RoomRejected') {
        this.metrics.addMetric(PublishedEventMetric.RoomsRejected, MetricUnit.Count, 1);
      } else if (e.detailType === 'RoomInterrupted') {
        this.metrics.addMetric(PublishedEventMetric.RoomsInterrupted, MetricUnit.Count, 1);
      } else if (e.detailType === 'NodeTerminated' && e.detail.reason === UNREACHABLE_REASON) {
        this.metrics.addMetric(PublishedEventMetric.NodesUnreachable, MetricUnit.Count, 1);
      }
    }
  }
}
