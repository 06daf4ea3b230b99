/**
 * Guards of a fleet against its own parts and against a flood (docs/security.md): the bus
 * policy that reserves each `source` to the one role allowed to put it, reserved concurrency
 * for node-events and the sweep, and the cost alarm on the fleet's node count.
 *
 * @module
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { PoolConfig } from '../../shared/domain/config.ts';
import { AUTOSCALER_SOURCE, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { NODE_STATE_METRICS } from '../../lambdas/shared/fleet-metrics.ts';
import { FLEET_DIMENSION, METRICS_NAMESPACE, POOL_DIMENSION, SERVICE_NAME } from '../../lambdas/shared/observability.ts';

/**
 * Deny `events:PutEvents` on the fleet bus with a node source (`wcs-autoscaler.node`, bound or
 * not) to every principal but the node role, and with the autoscaler's source to every principal
 * but the functions' roles. The roles' own policies already allow only their source; this makes
 * the bus refuse the same to any other principal of the account (an application role, an
 * operator with `events:PutEvents` on `*`). Conditions: `events:source` (EventBridge User Guide,
 * "Using IAM policy conditions in Amazon EventBridge") and `aws:PrincipalArn` (the role ARN for
 * a role session; IAM User Guide, "AWS global condition context keys").
 */
export function restrictBusSources(bus: events.EventBus, nodeRoleArn: string, functionRoleArns: readonly string[]): void {
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'NodeSourceOnlyFromNodeRole',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        'ForAnyValue:StringLike': { 'events:source': [NODE_SOURCE, `${NODE_SOURCE}/*`] },
        ArnNotEquals: { 'aws:PrincipalArn': nodeRoleArn },
      },
    }),
  );
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AutoscalerSourceOnlyFromFunctions',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        'ForAnyValue:StringEquals': { 'events:source': [AUTOSCALER_SOURCE] },
        ArnNotEquals: { 'aws:PrincipalArn': [...functionRoleArns] },
      },
    }),
  );
}

/**
 * Reserve concurrency (`ReservedConcurrentExecutions`): node-events and the sweep keep their
 * executions however many `RoomCreated` arrive, and room-events is capped when a figure is given
 * (a flood then waits in Lambda's asynchronous queue rather than taking every execution).
 */
export function reserveConcurrency(functions: Readonly<Record<string, lambda.Function>>, reserved: Readonly<Record<string, number | undefined>>): void {
  for (const [name, fn] of Object.entries(functions)) {
    const n = reserved[name];
    if (n !== undefined) (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = n;
  }
}

/** The fleet's cost ceiling: every pool at `maxNodes`, USD/h. */
export function costCeilingUsdPerHour(pools: readonly PoolConfig[]): number {
  return pools.reduce((sum, p) => sum + p.maxNodes * p.hourlyPriceUsd, 0);
}

/** Node states paid at the instance's hourly price (stopped warm-pool nodes pay only EBS and IPv4). */
const RUNNING_STATES = ['launching', 'booting', 'ready', 'draining', 'starting', 'terminating'] as const;

/**
 * A pool's node cost rate as a metric expression, USD/h: its running nodes (the sweep's node
 * gauges by state — launching, booting, ready, draining, starting, terminating — Maximum per
 * period) × its `hourlyPriceUsd`. One expression per pool keeps each alarm at six metrics.
 */
export function poolCostRateExpression(fleet: string, pool: PoolConfig, period: Duration = Duration.minutes(5)): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  const ids = RUNNING_STATES.map((state) => NODE_STATE_METRICS[state]).map((metricName, j) => {
    const id = `s${j}`;
    usingMetrics[id] = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: SERVICE_NAME, [FLEET_DIMENSION]: fleet, [POOL_DIMENSION]: pool.name },
      statistic: 'Maximum',
      period,
    });
    return `FILL(${id}, 0)`;
  });
  return new cloudwatch.MathExpression({ expression: `(${ids.join(' + ')}) * ${pool.hourlyPriceUsd}`, usingMetrics, label: `${pool.name} node cost rate (USD/h)`, period });
}

/**
 * Each pool's share of the fleet's cost-rate threshold, USD/h: the threshold split in proportion
 * to the pools' ceilings ({@link costCeilingUsdPerHour}); half the ceiling when none is configured.
 */
export function poolCostThresholds(pools: readonly PoolConfig[], fleetThresholdUsdPerHour?: number): Map<string, number> {
  const ceiling = costCeilingUsdPerHour(pools);
  const threshold = fleetThresholdUsdPerHour ?? ceiling / 2;
  return new Map(pools.map((p) => [p.name, Math.round(((threshold * p.maxNodes * p.hourlyPriceUsd) / ceiling) * 1000) / 1000]));
}
