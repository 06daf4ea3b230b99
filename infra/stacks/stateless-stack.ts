/**
 * The stateless stack: the bus and its rules, the three functions with their dead-letter
 * queues, the sweep schedule, the media nodes' network, security group, role and launch
 * template, the dashboard and the alarms. It can be destroyed and redeployed; the state lives in
 * {@link StatefulStack}.
 *
 * @module
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { routeRules, type EventPattern as RoutePattern, type FunctionName, type RouteRule } from '../../shared/events/routing.ts';
import { NODE_STATE_METRICS, PoolGaugeMetric, RoomMetric, roomOutcomeMetric, SweepMetric } from '../../lambdas/shared/fleet-metrics.ts';
import { PublishedEventMetric } from '../../lambdas/shared/metered-publisher.ts';
import { FLEET_DIMENSION, METRICS_NAMESPACE, POOL_DIMENSION, SERVICE_NAME } from '../../lambdas/shared/observability.ts';
import type { DeploymentConfig } from '../config.ts';
import { AutoscalerFunction } from '../constructs/autoscaler-function.ts';
import { ALL_COMPUTE_USES, MediaNodes, type ComputeUse } from '../constructs/media-nodes.ts';
import { poolCostRateExpression, poolCostThresholds, reserveConcurrency, restrictBusSources } from '../constructs/fleet-guards.ts';
import { NODE_SENDER_ENV } from '../../shared/events/parse.ts';
import { NodeEndpoints } from '../constructs/node-endpoints.ts';
import { sweepShards } from '../../shared/app/sweep-scope.ts';
import { dashboardName, eventBusName, nodeAlarmNamePrefix, opsAlarmNamePrefix } from '../naming.ts';
import type { StatefulStack } from './stateful-stack.ts';

/** The sweep's timeout: every minute's run must end before the next. */
const SWEEP_TIMEOUT = Duration.seconds(60);

/** Props of {@link StatelessStack}. */
export interface StatelessStackProps extends StackProps {
  /** The validated deployment configuration. */
  readonly config: DeploymentConfig;
  /** The fleet's stateful stack (tables, parameters, secret names). */
  readonly stateful: StatefulStack;
}

/**
 * A rule's pattern for this fleet: the pattern of `shared/events/routing.ts`, narrowed where a
 * fleet can be told apart — CloudWatch alarm changes only for alarms named with
 * {@link nodeAlarmNamePrefix}. EC2 state-change, Spot interruption and rebalance events carry no
 * tags, so they cannot be narrowed in EventBridge: node-events ignores instances it does not
 * know (not in the fleet table).
 *
 * @returns the pattern in EventBridge JSON form (`detail-type`, prefix matchers)
 */
export function fleetRulePattern(rule: RouteRule, fleetName: string): Record<string, unknown> {
  const pattern: Record<string, unknown> = { ...rule.pattern };
  if (rule.pattern.source?.includes('aws.cloudwatch')) {
    pattern.detail = { ...(rule.pattern.detail ?? {}), alarmName: [{ prefix: nodeAlarmNamePrefix(fleetName) }] };
  }
  return pattern;
}

/** Whether a rule matches AWS service events, which are delivered to the default bus only. */
export function isAwsServiceRule(pattern: RoutePattern): boolean {
  return (pattern.source ?? []).some((s) => typeof s === 'string' && s.startsWith('aws.'));
}

function toCdkPattern(json: Record<string, unknown>): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = json as { 'detail-type'?: string[] } & Record<string, unknown>;
  return { ...rest, ...(detailType ? { detailType } : {}) } as events.EventPattern;
}

/**
 * Bus, rules, functions, DLQs, schedule, media node launch template and observability of a fleet.
 *
 * @example
 * const stateless = new StatelessStack(app, 'wcs-autoscaler-prod-stateless', { config, stateful });
 */
export class StatelessStack extends Stack {
  /** The fleet's custom bus (apps put room events; the autoscaler publishes its events here). */
  public readonly bus: events.EventBus;
  /** The functions by entry point name. */
  public readonly functions: Readonly<Record<FunctionName, AutoscalerFunction>>;
  /** Security group, role and launch template of the media nodes. */
  public readonly mediaNodes: MediaNodes;
  /** The operational dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The VPC the media nodes run in. */
  public readonly vpc: ec2.IVpc;
  /** The nodes' VPC endpoints (with `network.vpcEndpoints`). */
  public readonly nodeEndpoints?: NodeEndpoints;

  public constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const fleet = config.fleetName;

    // --- network -------------------------------------------------------------------------
    let subnets: ec2.ISubnet[];
    if (config.network.vpcId) {
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: config.network.vpcId });
      subnets = config.network.subnetIds
        ? config.network.subnetIds.map((subnetId, i) => ec2.Subnet.fromSubnetId(this, `MediaSubnet${i}`, subnetId))
        : [...this.vpc.publicSubnets];
    } else {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(config.network.vpcCidr),
        maxAzs: config.network.maxAzs,
        natGateways: 0,
        restrictDefaultSecurityGroup: false,
        subnetConfiguration: [{ name: 'media', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20, mapPublicIpOnLaunch: true }],
      });
      const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
      vpc.addFlowLog('RejectedFlowLog', { trafficType: ec2.FlowLogTrafficType.REJECT, destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) });
      this.vpc = vpc;
      subnets = [...vpc.publicSubnets];
    }

    // --- bus and media nodes ---------------------------------------------------------------
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: eventBusName(fleet), description: `wcs-autoscaler ${fleet}: room and node events` });

    this.mediaNodes = new MediaNodes(this, 'MediaNodes', {
      fleetName: fleet,
      vpc: this.vpc,
      subnets,
      pools: config.autoscaler.pools,
      nodeSettings: config.nodeSettings,
      clientCidrs: config.access.clientCidrs,
      operatorCidrs: config.access.operatorCidrs,
      architecture: config.node.architecture,
      hibernationInstanceFamilies: config.node.hibernationInstanceFamilies,
      bus: this.bus,
      secretParameterNames: stateful.secretParameterNames,
      secretsKeyArn: stateful.secretsKey.keyArn,
      parameterPrefix: stateful.parameterPrefix,
      adminSecurityGroupId: config.access.adminSecurityGroupId,
      nodeEventSender: config.access.nodeEventSender,
    });
    // Opt-in: the nodes' AWS calls without internet egress (docs/public-addressing.md).
    if (config.network.vpcEndpoints) {
      this.nodeEndpoints = new NodeEndpoints(this, 'NodeEndpoints', { vpc: this.vpc, subnets, clients: this.mediaNodes.securityGroup, ecr: config.network.ecrEndpoints });
    }

    // --- functions -------------------------------------------------------------------------
    const make = (id: string, name: FunctionName, timeout: Duration, uses: ReadonlySet<ComputeUse>, memoryMiB = config.functions.memoryMiB) =>
      new AutoscalerFunction(this, id, {
        name,
        fleetName: fleet,
        memoryMiB,
        timeout,
        logRetention: config.functions.logRetentionDays as logs.RetentionDays,
        ...(config.node.elasticIpPool.length > 0 ? { environment: { ELASTIC_IP_POOL: config.node.elasticIpPool.join(',') } } : {}),
      })
        .bindFleetTable(stateful.fleetTable)
        .bindIdempotencyTable(stateful.idempotencyTable)
        .bindEventBus(this.bus)
        .bindParameters(stateful.configParameter, [stateful.bootstrapTemplateParameter, ...Object.values(stateful.nodeSettingsParameters)])
        .bindCompute(this.mediaNodes, uses);
    // Each function gets the EC2 actions it uses: room-events only scales out (starts warm-pool
    // nodes, launches new ones).
    this.functions = {
      'room-events': make('RoomEvents', 'room-events', Duration.seconds(30), new Set<ComputeUse>(['launch', 'start'])),
      // NodeReady creates a node's alarms; termination (node-events, sweep) deletes them.
      'node-events': make('NodeEvents', 'node-events', Duration.seconds(30), ALL_COMPUTE_USES).bindNodeAlarms(fleet),
      sweep: make('Sweep', 'sweep', SWEEP_TIMEOUT, ALL_COMPUTE_USES, config.functions.sweepMemoryMiB).bindNodeAlarms(fleet),
    };
    // One sweep invocation per shard of NODES_PER_SWEEP_SHARD nodes of the largest pool, all at once.
    const shards = sweepShards(Math.max(...config.autoscaler.pools.map((p) => p.maxNodes)));
    this.functions['node-events'].addEnvironment(NODE_SENDER_ENV, config.access.nodeEventSender);
    // docs/security.md: only the node role may put node sources, only the functions ours; node-events
    // and the sweep keep executions under a room flood.
    restrictBusSources(this.bus, this.mediaNodes.role.roleArn, Object.values(this.functions).map((f) => f.executionRole.roleArn));
    // The shards' sweeps run at once; one more for a run that overlaps the next minute's.
    const reserved = config.functions.reservedConcurrency;
    reserveConcurrency(this.functions, { ...reserved, sweep: Math.max(reserved.sweep, shards + 1) });

    // --- rules (shared/events/routing.ts) ----------------------------------------------------
    for (const rule of routeRules(config.autoscaler.eventSource)) {
      const fn = this.functions[rule.target];
      const aws = isAwsServiceRule(rule.pattern);
      new events.Rule(this, `Rule-${rule.name}`, {
        description: `wcs-autoscaler ${fleet}: ${rule.name} → ${rule.target}${aws ? ' (AWS events, default bus)' : ''}`,
        eventBus: aws ? undefined : this.bus,
        eventPattern: toCdkPattern(fleetRulePattern(rule, fleet)),
        targets: [
          new targets.LambdaFunction(fn, { deadLetterQueue: fn.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(2) }),
        ],
      });
    }

    // --- sweep every minute (EventBridge Scheduler), one schedule per shard ------------------
    for (let shard = 0; shard < shards; shard++) {
      new scheduler.Schedule(this, shard === 0 ? 'SweepSchedule' : `SweepSchedule-${shard}`, {
        description: `wcs-autoscaler ${fleet}: sweep (scale-in, reconcile) every minute${shards > 1 ? `, shard ${shard} of ${shards}` : ''}`,
        schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
        target: new schedulerTargets.LambdaInvoke(this.functions.sweep, {
          deadLetterQueue: this.functions.sweep.deadLetterQueue,
          input: scheduler.ScheduleTargetInput.fromObject({ shard, shards }),
          // A missed tick is not worth replaying: the next one comes a minute later.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      });
    }

    // --- alarms and dashboard ----------------------------------------------------------------
    // The metrics are the functions' own (EMF, lambdas/shared/fleet-metrics.ts and
    // metered-publisher.ts), every one with the Fleet dimension so two fleets never mix.
    const period = Duration.minutes(config.alarms.periodMinutes);
    const topic = config.alarms.topicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.topicArn) : undefined;
    const alarm = (id: string, name: string, props: Omit<cloudwatch.CreateAlarmOptions, 'alarmName'>, metric: cloudwatch.Metric | cloudwatch.MathExpression) => {
      const a = metric.createAlarm(this, id, { alarmName: `${opsAlarmNamePrefix(fleet)}${name}`, ...props });
      if (topic) {
        a.addAlarmAction(new cwActions.SnsAction(topic));
        a.addOkAction(new cwActions.SnsAction(topic));
      }
      return a;
    };
    const fleetDimensions = { service: SERVICE_NAME, [FLEET_DIMENSION]: fleet };
    /** A per-fleet metric (dimensions service, Fleet). */
    const emf = (metricName: string, statistic = 'Sum', label?: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: fleetDimensions, statistic, period, ...(label ? { label } : {}) });
    /** A per-pool metric (dimensions service, Fleet, Pool). */
    const poolMetric = (pool: string, metricName: string, statistic: string, label = `${pool} ${metricName}`) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { ...fleetDimensions, [POOL_DIMENSION]: pool }, statistic, period, label });
    const pools = config.autoscaler.pools;
    /** One line per pool. */
    const perPool = (metricName: string, statistic: string, label?: (pool: string) => string) =>
      pools.map((p) => poolMetric(p.name, metricName, statistic, label?.(p.name)));

    const scalingBlocked = emf(PublishedEventMetric.ScalingBlocked, 'Sum', 'ScalingBlocked (all pools)');
    alarm(
      'ScalingBlockedAlarm',
      'scaling-blocked',
      {
        alarmDescription:
          'A limit (maxNodes, launch rate, EC2 quota or capacity) stopped a scale-out: rooms may queue. The ScalingBlocked events on the fleet bus name the pool, limit and reason; LaunchFailures counts those where EC2 refused.',
        threshold: config.alarms.scalingBlocked,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      scalingBlocked,
    );
    for (const p of pools) {
      // With scale-out working a queued room waits about one boot time for its node; two boot
      // times means capacity is not arriving (blocked, failing launches, or demand past maxNodes).
      alarm(
        `QueueAgeAlarm-${p.name}`,
        `${p.name}-queue-age`,
        {
          alarmDescription: `Pool ${p.name}: a queued room has waited more than two boot times (${(2 * p.bootTimeMs) / 1000} s); capacity is not arriving. Queued rooms are rejected after ${p.queueTimeoutMs / 1000} s.`,
          threshold: 2 * p.bootTimeMs,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        poolMetric(p.name, PoolGaugeMetric.OldestQueuedAge, 'Maximum'),
      );
    }

    // Cost: a pool whose nodes cost more than its share of `alarms.costRateUsdPerHour` (default:
    // half the fleet's ceiling Σ maxNodes × hourlyPriceUsd) — a flood of rooms, or a runaway.
    const costThresholds = poolCostThresholds(pools, config.alarms.costRateUsdPerHour);
    for (const p of pools) {
      const threshold = costThresholds.get(p.name)!;
      alarm(
        `CostRateAlarm-${p.name}`,
        `${p.name}-cost-rate`,
        {
          alarmDescription: `Pool ${p.name}: live nodes × ${p.hourlyPriceUsd} USD/h exceed ${threshold} USD/h (${Math.floor(threshold / p.hourlyPriceUsd)} nodes; maxNodes ${p.maxNodes}). Check the rooms per tenant (limits.tenantMaxWeight) and the ScalingDecision events.`,
          threshold,
          evaluationPeriods: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        poolCostRateExpression(fleet, p, period),
      );
    }

    // The sweep nearing its timeout: at 70% there is time to add shards or memory before runs
    // time out (a timed-out sweep skips scale-in, queue placement and repairs).
    const sweepDuration = emf(SweepMetric.SweepDuration, 'Maximum', 'sweep run (max, ms)');
    alarm(
      'SweepDurationAlarm',
      'sweep-duration',
      {
        alarmDescription: `A sweep run took more than 70% of its ${SWEEP_TIMEOUT.toSeconds()} s timeout. Add shards (lower pools' maxNodes per shard) or sweep memory (functions.sweepMemoryMiB); docs/performance.md.`,
        threshold: 0.7 * SWEEP_TIMEOUT.toMilliseconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      sweepDuration,
    );

    const dlqWidgets: cloudwatch.IMetric[] = [];
    const fnErrorWidgets: cloudwatch.IMetric[] = [];
    for (const [name, fn] of Object.entries(this.functions)) {
      const depth = fn.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: `${name} DLQ` });
      dlqWidgets.push(depth);
      alarm(
        `${fn.node.id}DlqDepthAlarm`,
        `${name}-dlq-depth`,
        {
          alarmDescription: `Events for ${name} ended in its dead-letter queue (rejected as malformed, or failed every retry). Inspect, fix, redrive.`,
          threshold: config.alarms.dlqDepth,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        depth,
      );
      const errors = fn.metricErrors({ period, statistic: 'Sum', label: `${name} errors` });
      fnErrorWidgets.push(errors);
      alarm(
        `${fn.node.id}ErrorsAlarm`,
        `${name}-errors`,
        {
          alarmDescription: `${name} invocations failed (Lambda retries, then the dead-letter queue).`,
          threshold: config.alarms.functionErrors,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        errors,
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: dashboardName(fleet), defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rooms placed and queued (per pool)',
        left: [...perPool(PoolGaugeMetric.PlacedRooms, 'Maximum', (p) => `${p} placed`), ...perPool(PoolGaugeMetric.QueuedRooms, 'Maximum', (p) => `${p} queued`)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Announced demand counted by the sweep (pre-warming, per pool)',
        left: perPool(PoolGaugeMetric.ScheduledWeight, 'Maximum', (p) => `${p} scheduled weight`),
        right: perPool(PoolGaugeMetric.ScheduledRooms, 'Maximum', (p) => `${p} scheduled rooms`),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'RoomCreated outcomes (per period)',
        left: [
          ...perPool(RoomMetric.RoomsPlaced, 'Sum', (p) => `${p} placed`),
          ...perPool(RoomMetric.RoomsQueued, 'Sum', (p) => `${p} queued`),
          ...(['rejected', 'duplicate', 'stale', 'released-meanwhile'] as const).map((k) => emf(roomOutcomeMetric(k), 'Sum', k)),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Placement latency (ms): handler time and the room\'s wait',
        left: [
          ...perPool(RoomMetric.PlacementLatency, 'p50', (p) => `${p} handler p50`),
          ...perPool(RoomMetric.PlacementLatency, 'p99', (p) => `${p} handler p99`),
          ...perPool(RoomMetric.PlacementWait, 'p50', (p) => `${p} waited p50`),
          ...perPool(RoomMetric.PlacementWait, 'p99', (p) => `${p} waited p99`),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Capacity (units): used, free, headroom target, pending',
        left: [
          ...perPool(PoolGaugeMetric.UsedCapacity, 'Average', (p) => `${p} used`),
          ...perPool(PoolGaugeMetric.FreeCapacity, 'Average', (p) => `${p} free`),
          ...perPool(PoolGaugeMetric.HeadroomTarget, 'Average', (p) => `${p} headroom target`),
          ...perPool(PoolGaugeMetric.PendingCapacity, 'Average', (p) => `${p} pending`),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Nodes by state',
        stacked: true,
        left: pools.flatMap((p) => Object.entries(NODE_STATE_METRICS).map(([state, name]) => poolMetric(p.name, name, 'Maximum', `${p.name} ${state}`))),
        right: perPool(PoolGaugeMetric.NodesHot, 'Maximum', (p) => `${p} hot`),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue: rooms waiting, oldest wait (ms)',
        left: perPool(PoolGaugeMetric.QueuedRooms, 'Maximum', (p) => `${p} queued`),
        right: perPool(PoolGaugeMetric.OldestQueuedAge, 'Maximum', (p) => `${p} oldest (ms)`),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Launches, launch failures, scaling blocked (per period)',
        left: [
          emf(SweepMetric.NodesLaunched, 'Sum', 'launched'),
          emf(SweepMetric.NodesTerminated, 'Sum', 'terminated'),
          emf(PublishedEventMetric.LaunchFailures, 'Sum', 'launch failures'),
          scalingBlocked,
          emf(PublishedEventMetric.ScalingBlockedQuota, 'Sum', 'blocked by quota'),
          emf(PublishedEventMetric.NodesUnreachable, 'Sum', 'closed unreachable (status check)'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Dead-letter queue depth (messages)', left: dlqWidgets, width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Function errors', left: fnErrorWidgets, width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99, sweep run max (ms)',
        left: Object.entries(this.functions).map(([name, fn]) => fn.metricDuration({ period, statistic: 'p99', label: name })),
        right: [sweepDuration],
        width: 12,
      }),
    );

    // --- outputs -----------------------------------------------------------------------------
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'Apps put RoomCreated / RoomReleased here and subscribe to RoomPlaced' });
    new CfnOutput(this, 'EventBusArn', { value: this.bus.eventBusArn });
    new CfnOutput(this, 'FleetTableName', { value: stateful.fleetTable.tableName, description: 'DynamoDB fleet table' });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${dashboardName(fleet)}`,
    });
    new CfnOutput(this, 'LaunchTemplateId', { value: this.mediaNodes.launchTemplate.launchTemplateId! });
    new CfnOutput(this, 'MediaSecurityGroupId', { value: this.mediaNodes.securityGroup.securityGroupId });
  }
}
