import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../infra/config.ts';
import { addFleet } from '../../infra/fleet-app.ts';
import { SweepMetric } from '../../lambdas/shared/fleet-metrics.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/observability.ts';
import { resourcesOfType, synthFleet, TEST_BOOTSTRAP_TEMPLATE, type SynthesizedFleet } from './support.ts';

const input = (maxNodes: number) => ({
  fleetName: 'prod',
  access: { operatorCidrs: ['198.51.100.0/24'] },
  autoscaler: { pools: [{ name: 'default', maxNodes }, { name: 'small', maxNodes: 50 }] },
});

const sweepOf = (fleet: SynthesizedFleet) =>
  resourcesOfType(fleet.statelessTemplate, 'AWS::Lambda::Function').find(([, fn]) => fn.Properties?.Description === 'wcs-autoscaler prod: sweep')!;

describe('Sweep sharding, memory and duration alarm (StatelessStack)', () => {
  let large: SynthesizedFleet;
  let small: SynthesizedFleet;

  beforeAll(() => {
    large = synthFleet(input(25_000));
    small = synthFleet(input(200));
  });

  it('schedules one sweep per 10,000 nodes of the largest pool, each with its shard as input', () => {
    // Act
    const schedules = resourcesOfType(large.statelessTemplate, 'AWS::Scheduler::Schedule');
    const inputs = schedules.map(([, s]) => JSON.parse((s.Properties?.Target as { Input: string }).Input) as unknown);

    // Assess
    expect(schedules).toHaveLength(3);
    expect(inputs).toEqual(expect.arrayContaining([{ shard: 0, shards: 3 }, { shard: 1, shards: 3 }, { shard: 2, shards: 3 }]));
    for (const [, s] of schedules) expect(s.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', Target: { Arn: { 'Fn::GetAtt': [sweepOf(large)[0], 'Arn'] } } });
    expect(sweepOf(large)[1].Properties?.ReservedConcurrentExecutions).toBeGreaterThanOrEqual(3);
  });

  it('runs a single shard for a pool of up to 10,000 nodes', () => {
    // Act
    const schedules = resourcesOfType(small.statelessTemplate, 'AWS::Scheduler::Schedule');

    // Assess
    expect(schedules).toHaveLength(1);
    expect(JSON.parse((schedules[0]![1].Properties?.Target as { Input: string }).Input)).toEqual({ shard: 0, shards: 1 });
  });

  it('gives the sweep one full vCPU of memory (1,769 MB) and the other functions the default', () => {
    // Act
    const memory = Object.fromEntries(
      resourcesOfType(small.statelessTemplate, 'AWS::Lambda::Function').map(([, fn]) => [String(fn.Properties?.Description).replace('wcs-autoscaler prod: ', ''), fn.Properties?.MemorySize]),
    );

    // Assess
    expect(memory).toEqual({ 'room-events': 512, 'node-events': 512, sweep: 1769 });
    expect(sweepOf(small)[1].Properties?.Timeout).toBe(60);
  });

  it('alarms when a sweep run takes more than 70% of its 60 s timeout, on the SweepDuration the handler publishes', () => {
    // Assess
    small.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('sweep-duration$'),
      Threshold: 42_000,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { MetricName: SweepMetric.SweepDuration, Namespace: METRICS_NAMESPACE, Dimensions: Match.arrayWith([{ Name: 'Fleet', Value: 'prod' }]) },
            Stat: 'Maximum',
          }),
        }),
      ],
    });
  });

  it('keeps cdk-nag clean with several sweep schedules', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    addFleet(app, parseDeploymentConfig({ ...input(25_000), fleetName: 'nag' }), { bootstrapTemplate: TEST_BOOTSTRAP_TEMPLATE });

    // Act / Assess: the app's nag aspects fail the synth on any unacknowledged finding
    expect(() => app.synth({ force: true })).not.toThrow();
  });
});
