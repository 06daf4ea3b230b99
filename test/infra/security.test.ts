/**
 * Template tests of the fleet's guards (docs/security.md): who may put which source on the bus,
 * the secrets key, reserved concurrency, the cost alarms, and the REST port's ingress.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { costCeilingUsdPerHour, poolCostThresholds } from '../../infra/constructs/fleet-guards.ts';
import { parseAutoscalerConfig } from '../../shared/domain/config.ts';
import { AUTOSCALER_SOURCE, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { resourcesOfType, synthFleet, type SynthesizedFleet } from './support.ts';

const INPUT = {
  fleetName: 'prod',
  account: '123456789012',
  region: 'eu-central-1',
  autoscaler: { pools: [{ name: 'default', maxNodes: 100 }, { name: 'tenant-b', maxNodes: 20, hourlyPriceUsd: 0.5 }] },
  access: { operatorCidrs: ['198.51.100.0/24'], adminSecurityGroupId: 'sg-0abc12345', operatorRoleArns: ['arn:aws:iam::123456789012:role/ops'] },
  functions: { reservedConcurrency: { 'node-events': 7, sweep: 2, 'room-events': 50 } },
  alarms: { costRateUsdPerHour: 20 },
};

interface PolicyStatement {
  Sid: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Condition: Record<string, Record<string, unknown>>;
}

describe('Security guards of the synthesized fleet', () => {
  let fleet: SynthesizedFleet;

  beforeAll(() => {
    fleet = synthFleet(INPUT);
  });

  it('bus policy: only the node role may put a node source, only the function roles the autoscaler source', () => {
    // Prepare
    const policies = resourcesOfType(fleet.statelessTemplate, 'AWS::Events::EventBusPolicy');
    const statements = policies.map(([, p]) => p.Properties?.Statement as PolicyStatement);
    const node = statements.find((s) => s.Sid === 'cdk-NodeSourceOnlyFromNodeRole')!;
    const ours = statements.find((s) => s.Sid === 'cdk-AutoscalerSourceOnlyFromFunctions')!;
    const functionRoles = resourcesOfType(fleet.statelessTemplate, 'AWS::Lambda::Function').map(([, f]) => JSON.stringify(f.Properties?.Role));

    // Assess
    expect(node).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'events:PutEvents' });
    expect(node.Condition['ForAnyValue:StringLike']).toEqual({ 'events:source': [NODE_SOURCE, `${NODE_SOURCE}/*`] });
    expect(JSON.stringify(node.Condition.ArnNotEquals)).toMatch(/NodeRole/);
    expect(ours).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'events:PutEvents' });
    expect(ours.Condition['ForAnyValue:StringEquals']).toEqual({ 'events:source': [AUTOSCALER_SOURCE] });
    const allowed = (ours.Condition.ArnNotEquals as { 'aws:PrincipalArn': unknown[] })['aws:PrincipalArn'].map((r) => JSON.stringify(r));
    expect(allowed.sort()).toEqual(functionRoles.sort());
  });

  it('secrets key: customer-managed, rotated, retained, Decrypt denied to all but the node role and the operators\' roles', () => {
    // Prepare
    const [[, key]] = resourcesOfType(fleet.statefulTemplate, 'AWS::KMS::Key') as unknown as [[string, { Properties: Record<string, unknown>; DeletionPolicy?: string }]];
    const statements = (key.Properties.KeyPolicy as { Statement: PolicyStatement[] }).Statement;
    const deny = statements.find((s) => s.Sid === 'DecryptOnlyByNodeRoleAndOperators')!;

    // Assess
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt' });
    const principals = JSON.stringify(deny.Condition.ArnNotEquals);
    expect(principals).toContain(':iam::123456789012:role/wcs-autoscaler-prod-node-eu-central-1');
    expect(principals).toContain('arn:aws:iam::123456789012:role/ops');
    fleet.statefulTemplate.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/wcs-autoscaler-prod-secrets' });
  });

  it('reserves concurrency for node-events and the sweep (and caps room-events when configured)', () => {
    // Prepare
    const byName = new Map(
      resourcesOfType(fleet.statelessTemplate, 'AWS::Lambda::Function').map(([, f]) => [String(f.Properties?.Description).replace('wcs-autoscaler prod: ', ''), f.Properties?.ReservedConcurrentExecutions]),
    );

    // Assess
    expect(Object.fromEntries(byName)).toEqual({ 'room-events': 50, 'node-events': 7, sweep: 2 });
  });

  it('reserves 5 for node-events and 2 for the sweep by default, and leaves room-events uncapped', () => {
    // Prepare
    const plain = synthFleet({ fleetName: 'prod', account: '123456789012', region: 'eu-central-1' });
    const byName = new Map(
      resourcesOfType(plain.statelessTemplate, 'AWS::Lambda::Function').map(([, f]) => [String(f.Properties?.Description).replace('wcs-autoscaler prod: ', ''), f.Properties?.ReservedConcurrentExecutions]),
    );

    // Assess
    expect(Object.fromEntries(byName)).toEqual({ 'room-events': undefined, 'node-events': 5, sweep: 2 });
  });

  it('alarms when a pool\'s node cost rate passes its share of the configured threshold', () => {
    // Prepare
    const alarms = resourcesOfType(fleet.statelessTemplate, 'AWS::CloudWatch::Alarm').filter(([, a]) => String(a.Properties?.AlarmName).endsWith('-cost-rate'));

    // Assess: 20 USD/h split by ceilings 100 × 0.348 = 34.8 and 20 × 0.5 = 10
    expect(alarms.map(([, a]) => [a.Properties?.AlarmName, a.Properties?.Threshold])).toEqual([
      ['wcs-autoscaler-prod-ops-default-cost-rate', 15.536],
      ['wcs-autoscaler-prod-ops-tenant-b-cost-rate', 4.464],
    ]);
    const metrics = alarms[0]![1].Properties?.Metrics as Array<{ Expression?: string; MetricStat?: { Metric: { MetricName: string } } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toMatch(/\* 0\.348$/);
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.MetricName).sort()).toEqual(
      ['NodesBooting', 'NodesDraining', 'NodesLaunching', 'NodesReady', 'NodesStarting', 'NodesTerminating'].sort(),
    );
  });

  it('splits the default threshold (half the ceiling) across pools in proportion to their ceilings', () => {
    // Prepare
    const pools = parseAutoscalerConfig({ defaultPool: 'a', pools: [{ name: 'a', maxNodes: 10, hourlyPriceUsd: 1 }, { name: 'b', maxNodes: 30, hourlyPriceUsd: 1 }] }).pools;

    // Act
    const thresholds = poolCostThresholds(pools);

    // Assess
    expect(costCeilingUsdPerHour(pools)).toBe(40);
    expect(Object.fromEntries(thresholds)).toEqual({ a: 5, b: 15 });
  });

  it('opens the REST port only to operator CIDRs and the admin security group', () => {
    // Prepare
    const [[, sg]] = resourcesOfType(fleet.statelessTemplate, 'AWS::EC2::SecurityGroup') as unknown as [[string, { Properties: { SecurityGroupIngress: Array<Record<string, unknown>> } }]];
    const rest = sg.Properties.SecurityGroupIngress.filter((r) => r.FromPort === 8444);

    // Assess
    expect(rest).toEqual([
      expect.objectContaining({ CidrIp: '198.51.100.0/24' }),
      expect.objectContaining({ SourceSecurityGroupId: 'sg-0abc12345' }),
    ]);
  });
});
