import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeAlarmNamePrefix } from '../../infra/naming.ts';
import { EXTENSION_CACHE_TTL_SECONDS } from '../../shared/adapters/parameters-extension.ts';
import { fleetRulePattern, isAwsServiceRule } from '../../infra/stacks/stateless-stack.ts';
import { matchesPattern, routeRules } from '../../shared/events/routing.ts';
import { AUTOSCALER_SOURCE, DetailType, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { PoolGaugeMetric, RoomMetric, SweepMetric } from '../../lambdas/shared/fleet-metrics.ts';
import { PublishedEventMetric } from '../../lambdas/shared/metered-publisher.ts';
import { FLEET_DIMENSION, METRICS_NAMESPACE, POOL_DIMENSION, SERVICE_NAME } from '../../lambdas/shared/observability.ts';
import { awsEventFixtures, matchesEventPattern, resourcesOfType, synthFleet, type CfnResourceJson, type SynthesizedFleet } from './support.ts';

const INPUT = {
  fleetName: 'prod',
  access: { operatorCidrs: ['198.51.100.0/24'] },
  autoscaler: { eventSource: 'com.example.rooms', pools: [{ name: 'default' }] },
};

/** The env contract of `lambdas/shared/dependencies.ts` and `lambdas/shared/middleware.ts`. */
const ENV_CONTRACT = [
  'FLEET_TABLE',
  'IDEMPOTENCY_TABLE',
  'EVENT_BUS_NAME',
  'CONFIG_PARAMETER',
  'LAUNCH_TEMPLATE_ID',
  'LAUNCH_TEMPLATE_IDS',
  'SUBNET_IDS',
  'SECURITY_GROUP_IDS',
  'FLEET_NAME',
  'DLQ_URL',
];

function envelope(source: string, detailType: string, detail: Record<string, unknown>): Record<string, unknown> {
  return { version: '0', id: 'e-1', 'detail-type': detailType, source, account: '123456789012', time: '2026-01-05T12:00:00Z', region: 'eu-central-1', resources: [], detail };
}

describe('Class: StatelessStack', () => {
  let fleet: SynthesizedFleet;
  let template: Template;
  let rules: Array<[string, CfnResourceJson]>;

  beforeAll(() => {
    fleet = synthFleet(INPUT, { bundle: true });
    template = fleet.statelessTemplate;
    rules = resourcesOfType(template, 'AWS::Events::Rule');
  });

  describe('functions', () => {
    it('runs the three handlers on Node.js 22, arm64, with active tracing and ESM bundles', () => {
      // Act
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');

      // Assess
      expect(functions).toHaveLength(3);
      for (const [, fn] of functions) {
        expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' }, Handler: 'index.handler' });
      }
      expect(functions.map(([, fn]) => fn.Properties?.Description).sort()).toEqual(['wcs-autoscaler prod: node-events', 'wcs-autoscaler prod: room-events', 'wcs-autoscaler prod: sweep']);
    });

    it('sets every variable of the env contract, with source maps enabled', () => {
      for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        const vars = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(Object.keys(vars)).toEqual(expect.arrayContaining(ENV_CONTRACT));
        expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
        expect(vars.FLEET_NAME).toBe('prod');
      }
    });

    it('deploys each function from its code-split asset folder: index.mjs, lazily loaded chunks, the EC2 client only in a chunk', () => {
      // Act
      const assembly = fleet.app.synth();

      // Assess: every function's S3 key names a staged asset folder (asset.<hash>), built as infra/bundling.ts builds
      for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        const key = (fn.Properties?.Code as { S3Key: string }).S3Key;
        const dir = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
        const index = readFileSync(join(dir, 'index.mjs'), 'utf8');
        const chunks = readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.mjs'));
        expect(index).toContain('@aws-sdk/client-dynamodb');
        expect(index).not.toContain('@aws-sdk/client-ec2');
        expect(chunks.some((c) => readFileSync(join(dir, 'chunks', c), 'utf8').includes('@aws-sdk/client-ec2'))).toBe(true);
      }
    });

    it('reads configuration through the Parameters and Secrets extension, cached 30 s', () => {
      for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        // Region-agnostic stack: the layer ARN comes from CDK's per-region mapping (arm64 build).
        const [layer] = fn.Properties?.Layers as [{ 'Fn::FindInMap': [string, unknown, string] }];
        const [mapName, , version] = layer['Fn::FindInMap'];
        expect(version).toMatch(/arm64$/);
        const mapping = (template.toJSON() as { Mappings: Record<string, Record<string, Record<string, string>>> }).Mappings[mapName] ?? {};
        expect(mapping['eu-central-1']?.[version]).toMatch(/^arn:aws:lambda:eu-central-1:\d+:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/);
        const vars = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(vars).toMatchObject({ PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'true', SSM_PARAMETER_STORE_TTL: String(EXTENSION_CACHE_TTL_SECONDS) });
      }
    });

    it('gives each function a log group with the configured retention (30 days by default)', () => {
      const logGroups = template.findResources('AWS::Logs::LogGroup');
      for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        expect(fn.Properties?.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
        const ref = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(logGroups[ref]?.Properties).toMatchObject({ RetentionInDays: 30 });
      }
    });

    it('sends failed asynchronous invocations to the function\'s dead-letter queue after Lambda\'s retries', () => {
      // Act
      const functions = resourcesOfType(template, 'AWS::Lambda::Function');

      // Assess
      for (const [, fn] of functions) {
        expect(fn.Properties?.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
      }
      template.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 }, 3);
    });
  });

  describe('dead-letter queues', () => {
    it('encrypts every queue, refuses plain HTTP and keeps messages 14 days', () => {
      // Act
      const queues = resourcesOfType(template, 'AWS::SQS::Queue');

      // Assess
      expect(queues).toHaveLength(3);
      for (const [id, q] of queues) {
        expect(q.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
          },
        });
      }
    });

    it('has a depth alarm on every dead-letter queue', () => {
      for (const [id] of resourcesOfType(template, 'AWS::SQS::Queue')) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: [
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }] },
                Stat: 'Maximum',
              }),
            }),
          ],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmName: Match.stringLikeRegexp('^wcs-autoscaler-prod-ops-.*-dlq-depth$'),
        });
      }
    });
  });

  describe('rules', () => {
    it('creates one rule per entry of shared/events/routing.ts with the fleet-narrowed pattern, and no other', () => {
      for (const route of routeRules('com.example.rooms')) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: fleetRulePattern(route, 'prod'),
          ...(isAwsServiceRule(route.pattern) ? {} : { EventBusName: { Ref: Match.anyValue() } }),
        });
      }
      expect(rules).toHaveLength(routeRules('x').length);
    });

    it('puts AWS service rules on the default bus and app / node rules on the fleet bus', () => {
      for (const [, rule] of rules) {
        const pattern = rule.Properties?.EventPattern as { source: unknown[] };
        expect(rule.Properties?.EventBusName === undefined).toBe(pattern.source.some((s) => typeof s === 'string' && s.startsWith('aws.')));
      }
    });

    it('gives every function target a dead-letter queue and a retry policy', () => {
      for (const [, rule] of rules) {
        for (const target of rule.Properties?.Targets as Array<Record<string, unknown>>) {
          if (JSON.stringify(target.Arn).includes('LogGroup')) continue;
          expect(target).toMatchObject({
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          });
        }
      }
    });

    it('routes every real AWS sample event to node-events (alarms only when named for this fleet\'s nodes)', () => {
      // Prepare
      const patterns = rules.map(([, r]) => r.Properties?.EventPattern as Record<string, unknown>);
      const fixtures = awsEventFixtures();
      const alarm = fixtures['aws.cloudwatch/alarm-state-change']!;
      const ours = { ...alarm, detail: { ...(alarm.detail as object), alarmName: `${nodeAlarmNamePrefix('prod')}i-12345678901234567-cpu` } };
      const otherFleet = { ...alarm, detail: { ...(alarm.detail as object), alarmName: `${nodeAlarmNamePrefix('staging')}i-12345678901234567-cpu` } };

      // Assess
      for (const [name, event] of Object.entries(fixtures)) {
        const matched = patterns.filter((p) => matchesEventPattern(p, event));
        expect(matched, name).toHaveLength(name.startsWith('aws.cloudwatch/') ? 0 : 1);
      }
      expect(patterns.filter((p) => matchesEventPattern(p, ours))).toHaveLength(1);
      expect(patterns.filter((p) => matchesEventPattern(p, otherFleet))).toHaveLength(0);
    });

    it('delivers every EC2 instance state to node-events (the warm pool needs pending, running, stopping and stopped too)', () => {
      // Prepare
      const ec2Rules = rules.filter(([, r]) => (r.Properties?.EventPattern as { source: unknown[] }).source.includes('aws.ec2'));
      const states = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];

      // Assess: one rule, not narrowed by state, and each state's event matches it
      expect(ec2Rules).toHaveLength(1);
      const pattern = ec2Rules[0]![1].Properties?.EventPattern as Record<string, unknown>;
      expect(pattern.detail).toBeUndefined();
      for (const state of states) {
        expect(matchesEventPattern(pattern, envelope('aws.ec2', DetailType.Ec2StateChange, { 'instance-id': 'i-0abc', state })), state).toBe(true);
      }
    });

    it('routes app room events from the configured source and node reports, never the autoscaler\'s own events', () => {
      // Prepare
      const patterns = rules.map(([, r]) => r.Properties?.EventPattern as Record<string, unknown>);
      const matching = (event: Record<string, unknown>) => patterns.filter((p) => matchesEventPattern(p, event)).length;

      // Assess
      expect(matching(envelope('com.example.rooms', DetailType.RoomCreated, { roomId: 'r1' }))).toBe(1);
      expect(matching(envelope('com.example.rooms', DetailType.RoomReleased, { roomId: 'r1' }))).toBe(1);
      expect(matching(envelope('app.rooms', DetailType.RoomCreated, { roomId: 'r1' }))).toBe(0);
      expect(matching(envelope(NODE_SOURCE, DetailType.NodeReady, { instanceId: 'i-0abc' }))).toBe(1);
      expect(matching(envelope(NODE_SOURCE, DetailType.NodeUnhealthy, { instanceId: 'i-0abc', reason: 'x' }))).toBe(1);
      expect(matching(envelope(AUTOSCALER_SOURCE, DetailType.RoomPlaced, { roomId: 'r1' }))).toBe(0);
      expect(matching(envelope(AUTOSCALER_SOURCE, DetailType.ScalingBlocked, { pool: 'default' }))).toBe(0);
    });

    it('evaluates patterns without prefix exactly as matchesPattern of routing.ts does', () => {
      const events = [...Object.values(awsEventFixtures()), envelope('com.example.rooms', DetailType.RoomCreated, {}), envelope(NODE_SOURCE, DetailType.NodeReady, {})];
      for (const route of routeRules('com.example.rooms')) {
        for (const event of events) {
          expect(matchesEventPattern(route.pattern as Record<string, unknown>, event)).toBe(matchesPattern(route.pattern, event));
        }
      }
    });
  });

  describe('sweep schedule', () => {
    it('invokes the sweep every minute with a dead-letter queue and no stale retries', () => {
      // Prepare
      const sweep = resourcesOfType(template, 'AWS::Lambda::Function').find(([, fn]) => fn.Properties?.Description === 'wcs-autoscaler prod: sweep')![0];

      // Assess
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [sweep, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      });
    });
  });

  describe('media nodes', () => {
    it('launches from a template with IMDSv2 required (hop limit 1), encrypted gp3, detailed monitoring, the node profile and the current AL2023 AMI', () => {
      // Act
      const [[, lt]] = resourcesOfType(template, 'AWS::EC2::LaunchTemplate') as [[string, CfnResourceJson]];
      const data = lt.Properties?.LaunchTemplateData as Record<string, unknown>;
      const parameters = template.toJSON().Parameters as Record<string, { Type: string; Default: string }>;

      // Assess
      expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' });
      expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', Encrypted: true, VolumeSize: 30, DeleteOnTermination: true } }]);
      expect(data.Monitoring).toEqual({ Enabled: true });
      expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
      const image = parameters[(data.ImageId as { Ref: string }).Ref]!;
      expect(image).toEqual({ Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
      // Subnet, security group, user-data and tags come with each RunInstances call.
      expect(data).not.toHaveProperty('UserData');
      expect(data).not.toHaveProperty('NetworkInterfaces');
      expect(data).not.toHaveProperty('SecurityGroupIds');
      expect(data).not.toHaveProperty('KeyName');
    });

    it('opens WSS and the UDP media range to clients, REST only to operators (not the VPC), and no SSH', () => {
      // Act
      const [[, sg]] = resourcesOfType(template, 'AWS::EC2::SecurityGroup') as [[string, CfnResourceJson]];
      const ingress = sg.Properties?.SecurityGroupIngress as Array<{ IpProtocol: string; FromPort: number; ToPort: number; CidrIp: unknown }>;

      // Assess
      expect(ingress).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, CidrIp: '0.0.0.0/0' }),
          expect.objectContaining({ IpProtocol: 'udp', FromPort: 31001, ToPort: 32000, CidrIp: '0.0.0.0/0' }),
          expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8444, ToPort: 8444, CidrIp: '198.51.100.0/24' }),
        ]),
      );
      expect(ingress).toHaveLength(3);
      expect(ingress.filter((r) => r.FromPort === 8444 && typeof r.CidrIp !== 'string')).toEqual([]);
      expect(ingress.filter((r) => r.FromPort === 8444 && r.CidrIp === '0.0.0.0/0')).toEqual([]);
      expect(ingress.filter((r) => r.FromPort <= 22 && r.ToPort >= 22)).toEqual([]);
    });

    it('creates a VPC with public subnets in two AZs and no NAT gateway by default', () => {
      template.resourceCountIs('AWS::EC2::Subnet', 2);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    });
  });

  describe('observability', () => {
    it('alarms on ScalingBlocked from the functions\' own metric with the Fleet dimension (no log-group metric filter)', () => {
      template.resourceCountIs('AWS::Logs::MetricFilter', 0);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'wcs-autoscaler-prod-ops-scaling-blocked',
        Threshold: 1,
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Stat: 'Sum',
              Metric: {
                Namespace: METRICS_NAMESPACE,
                MetricName: PublishedEventMetric.ScalingBlocked,
                Dimensions: [
                  { Name: FLEET_DIMENSION, Value: 'prod' },
                  { Name: 'service', Value: SERVICE_NAME },
                ],
              },
            }),
          }),
        ],
      });
    });

    it('alarms per pool when a queued room has waited more than two boot times', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'wcs-autoscaler-prod-ops-default-queue-age',
        Threshold: 2 * 90_000,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Stat: 'Maximum',
              Metric: {
                Namespace: METRICS_NAMESPACE,
                MetricName: PoolGaugeMetric.OldestQueuedAge,
                Dimensions: [
                  { Name: FLEET_DIMENSION, Value: 'prod' },
                  { Name: POOL_DIMENSION, Value: 'default' },
                  { Name: 'service', Value: SERVICE_NAME },
                ],
              },
            }),
          }),
        ],
      });
    });

    it('alarms on each function\'s errors and draws the dashboard from the emitted metrics, per pool with Fleet and Pool', () => {
      for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: Match.stringLikeRegexp('-errors$'),
          Metrics: [Match.objectLike({ MetricStat: Match.objectLike({ Metric: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }] } }) })],
        });
      }
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(resourcesOfType(template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties?.DashboardBody);
      // The body is a Fn::Join of JSON fragments; each metric is an array [namespace, name, dim, value, …].
      const metricArrays = [...body.replaceAll('\\"', '"').matchAll(/\["WcsAutoscaler","(\w+)"((?:,"[^"]*")*)/g)].map((m) => ({ name: m[1]!, dims: m[2]! }));
      const drawn = new Set(metricArrays.map((m) => m.name));
      for (const name of [...Object.values(PoolGaugeMetric), ...Object.values(RoomMetric), ...Object.values(SweepMetric), 'Rooms_rejected', 'LaunchFailures', 'ScalingBlocked', 'ScalingBlockedQuota', 'NodesUnreachable']) {
        expect(drawn, name).toContain(name);
      }
      for (const m of metricArrays) {
        expect(m.dims, m.name).toContain(`"${FLEET_DIMENSION}","prod"`);
        if ((Object.values(PoolGaugeMetric) as string[]).includes(m.name) || (Object.values(RoomMetric) as string[]).includes(m.name)) expect(m.dims, m.name).toContain(`"${POOL_DIMENSION}","default"`);
      }
      expect(body).toContain('ApproximateNumberOfMessagesVisible');
    });

    it('outputs the bus name and ARN, the table name and the dashboard URL', () => {
      template.hasOutput('EventBusName', { Value: { Ref: Match.anyValue() } });
      template.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
      template.hasOutput('FleetTableName', { Value: { 'Fn::ImportValue': Match.anyValue() } });
      template.hasOutput('DashboardUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'wcs-autoscaler-prod' });
    });
  });
});
