/**
 * The warm pool's infrastructure: a launch template per pool (root volume, hibernation), the
 * synth-time hibernation checks, Spot pools, and cdk-nag staying clean (`synthFleet` runs it and
 * throws on any unacknowledged finding).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig } from '../../infra/config.ts';
import { MediaNodes, SPOT_WARM_POOL_WARNING } from '../../infra/constructs/media-nodes.ts';
import {
  HIBERNATION_INSTANCE_FAMILIES,
  HIBERNATION_MAX_RAM_GIB,
  hibernationRefusals,
  instanceFamily,
  minimumHibernationRootGiB,
} from '../../infra/hibernation.ts';
import { PoolConfigSchema } from '../../shared/domain/config.ts';
import { resourcesOfType, synthFleet, type CfnResourceJson, type SynthesizedFleet } from './support.ts';

const INPUT = {
  fleetName: 'prod',
  account: '123456789012',
  region: 'eu-central-1',
  autoscaler: {
    pools: [
      { name: 'default' },
      { name: 'webinar', memoryMiB: 32_768, rootVolumeGiB: 48, instanceTypes: ['c6i.4xlarge', 'm5.2xlarge'], vcpus: 16, warmPool: { state: 'hibernated' } },
      { name: 'cheap', spot: true },
    ],
  },
};

function issuesOf(input: unknown): readonly string[] {
  try {
    parseDeploymentConfig(input);
  } catch (error) {
    if (error instanceof DeploymentConfigError) return error.issues;
    throw error;
  }
  return [];
}

function hibernatedPool(overrides: Record<string, unknown> = {}) {
  return PoolConfigSchema.parse({ name: 'p', warmPool: { state: 'hibernated' }, ...overrides });
}

describe('Warm pool infrastructure', () => {
  let fleet: SynthesizedFleet;
  let template: Template;
  let byName: Map<string, Record<string, unknown>>;

  beforeAll(() => {
    fleet = synthFleet(INPUT);
    template = fleet.statelessTemplate;
    byName = new Map(
      resourcesOfType(template, 'AWS::EC2::LaunchTemplate').map(([, lt]: [string, CfnResourceJson]) => [
        lt.Properties?.LaunchTemplateName as string,
        lt.Properties?.LaunchTemplateData as Record<string, unknown>,
      ]),
    );
  });

  describe('launch templates', () => {
    it('creates one launch template per pool, named after it, all with the one node instance profile', () => {
      expect([...byName.keys()].sort()).toEqual(['wcs-autoscaler-prod-cheap', 'wcs-autoscaler-prod-default', 'wcs-autoscaler-prod-webinar']);
      const profiles = resourcesOfType(template, 'AWS::IAM::InstanceProfile');
      expect(profiles).toHaveLength(1);
      for (const data of byName.values()) expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': [profiles[0]![0], 'Arn'] } });
    });

    it("sizes each pool's encrypted gp3 root volume from its rootVolumeGiB", () => {
      const root = (pool: string) => (byName.get(`wcs-autoscaler-prod-${pool}`)!.BlockDeviceMappings as unknown[])[0];
      expect(root('default')).toEqual({ DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', Encrypted: true, VolumeSize: 30, DeleteOnTermination: true } });
      expect(root('webinar')).toEqual({ DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', Encrypted: true, VolumeSize: 48, DeleteOnTermination: true } });
    });

    it("enables hibernation only in the template of a pool whose warm pool hibernates (not for 'stopped', not for Spot)", () => {
      expect(byName.get('wcs-autoscaler-prod-webinar')!.HibernationOptions).toEqual({ Configured: true });
      expect(byName.get('wcs-autoscaler-prod-default')).not.toHaveProperty('HibernationOptions');
      expect(byName.get('wcs-autoscaler-prod-cheap')).not.toHaveProperty('HibernationOptions');
    });

    it("tells every function each pool's launch template (LAUNCH_TEMPLATE_IDS) and the first one as the fallback", () => {
      const ids = Object.fromEntries(resourcesOfType(template, 'AWS::EC2::LaunchTemplate').map(([logicalId, lt]) => [lt.Properties?.LaunchTemplateName as string, logicalId]));
      const ref = (pool: string) => ({ Ref: ids[`wcs-autoscaler-prod-${pool}`] });
      for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
        const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables.LAUNCH_TEMPLATE_ID).toEqual(ref('default'));
        expect(variables.LAUNCH_TEMPLATE_IDS).toEqual({ 'Fn::Join': ['', ['default=', ref('default'), ',webinar=', ref('webinar'), ',cheap=', ref('cheap')]] });
      }
    });

    it('allows RunInstances from every pool template and no other', () => {
      const templateIds = resourcesOfType(template, 'AWS::EC2::LaunchTemplate')
        .map(([logicalId]) => logicalId)
        .sort();
      const named = (value: unknown) => [...JSON.stringify(value).matchAll(/"Ref":"([^"]+)"/g)].map((m) => m[1]).filter((id) => templateIds.includes(id!)).sort();
      const run = resourcesOfType(template, 'AWS::IAM::Policy')
        .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Array<{ Sid?: string; Resource?: unknown; Condition?: { ArnEquals?: Record<string, unknown> } }> }).Statement)
        .filter((s) => s.Sid?.startsWith('RunInstances'));
      expect(run.length).toBeGreaterThan(0);
      for (const statement of run) {
        if (statement.Sid === 'RunInstancesWithLaunchTemplate') expect(named(statement.Resource)).toEqual(templateIds);
        else expect(named(statement.Condition?.ArnEquals?.['ec2:LaunchTemplate']), statement.Sid).toEqual(templateIds);
      }
    });
  });

  describe('Spot pools', () => {
    it("warns at synth that a Spot pool's 'stopped' warm pool acts as 'none'", () => {
      const warnings = Annotations.fromStack(fleet.stateless).findWarning('*', Match.stringLikeRegexp('pool cheap: a Spot pool has no warm pool'));
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings[0]!.entry.data)).toContain(SPOT_WARM_POOL_WARNING);
    });

    it("does not warn for a Spot pool whose warm pool is 'none', nor for On-Demand pools", () => {
      const quiet = synthFleet({ ...INPUT, autoscaler: { pools: [{ name: 'default' }, { name: 'cheap', spot: true, warmPool: { state: 'none' } }] } });
      expect(Annotations.fromStack(quiet.stateless).findWarning('*', Match.stringLikeRegexp('Spot pool has no warm pool'))).toHaveLength(0);
    });

    it('refuses a hibernated Spot pool at synth, saying why', () => {
      expect(issuesOf({ autoscaler: { pools: [{ name: 'default', spot: true, warmPool: { state: 'hibernated' } }] } })).toEqual([
        expect.stringMatching(/^autoscaler\.pools\.0\.warmPool\.state: hibernation refused for pool default: a Spot pool cannot hibernate: its nodes are one-time Spot requests/),
      ]);
    });
  });

  describe('synth-time hibernation checks (parseDeploymentConfig)', () => {
    it('refuses a root volume smaller than RAM plus the OS margin, naming the size needed', () => {
      const issues = issuesOf({ autoscaler: { pools: [{ name: 'default', memoryMiB: 32_768, rootVolumeGiB: 30, warmPool: { state: 'hibernated' } }] } });
      expect(issues).toEqual([
        'autoscaler.pools.0.warmPool.state: hibernation refused for pool default: root volume 30 GiB cannot hold the 32 GiB of RAM plus 8 GiB for the OS ' +
          '(AWS: the root volume must be "large enough to store the RAM contents"): set rootVolumeGiB ≥ 40',
      ]);
    });

    it('refuses an instance type whose family does not support hibernation, and says how to allow one AWS added since', () => {
      const issues = issuesOf({ autoscaler: { pools: [{ name: 'default', instanceTypes: ['c6i.2xlarge', 'c7a.2xlarge'], warmPool: { state: 'hibernated' } }] } });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/c7a\.2xlarge: the c7a family is not on the list of families that support hibernation.*node\.hibernationInstanceFamilies/);
    });

    it('allows a family the operator verified (node.hibernationInstanceFamilies)', () => {
      const config = parseDeploymentConfig({
        node: { hibernationInstanceFamilies: ['c7a'] },
        autoscaler: { pools: [{ name: 'default', instanceTypes: ['c7a.2xlarge'], warmPool: { state: 'hibernated' } }] },
      });
      expect(config.autoscaler.pools[0]!.warmPool.state).toBe('hibernated');
    });

    it('accepts the default pool hibernated (c6i / c5 / m6i, 16 GiB RAM, 30 GiB root)', () => {
      expect(issuesOf({ autoscaler: { pools: [{ name: 'default', warmPool: { state: 'hibernated' } }] } })).toEqual([]);
    });

    it("applies node.rootVolumeGiB to pools without their own rootVolumeGiB, and checks hibernation against it", () => {
      const config = parseDeploymentConfig({ node: { rootVolumeGiB: 40 }, autoscaler: { pools: [{ name: 'default' }, { name: 'own', rootVolumeGiB: 60 }] } });
      expect(config.autoscaler.pools.map((p) => [p.name, p.rootVolumeGiB])).toEqual([
        ['default', 40],
        ['own', 60],
      ]);
      expect(issuesOf({ node: { rootVolumeGiB: 20 }, autoscaler: { pools: [{ name: 'default', warmPool: { state: 'hibernated' } }] } })[0]).toMatch(/root volume 20 GiB/);
    });
  });

  describe('Construct: MediaNodes (used without parseDeploymentConfig)', () => {
    it('refuses to enable hibernation for a pool that cannot hibernate, saying why', () => {
      // Prepare
      const stack = new Stack(new App(), 'Direct', { env: { account: '123456789012', region: 'eu-central-1' } });
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'media', subnetType: ec2.SubnetType.PUBLIC }] });
      const props = {
        fleetName: 'prod',
        vpc,
        subnets: vpc.publicSubnets,
        nodeSettings: {},
        clientCidrs: ['0.0.0.0/0'],
        operatorCidrs: [],
        architecture: 'x86_64' as const,
        bus: new events.EventBus(stack, 'Bus'),
        secretParameterNames: ['/prod/secrets/wcs-license'],
        secretsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555',
        parameterPrefix: '/wcs-autoscaler/prod',
      };

      // Act / Assess
      expect(() => new MediaNodes(stack, 'Nodes', { ...props, pools: [hibernatedPool({ name: 'big', rootVolumeGiB: 20 })] })).toThrow(
        /pool big: hibernation refused: root volume 20 GiB cannot hold the 16 GiB of RAM/,
      );
    });
  });

  describe('Function: hibernationRefusals', () => {
    it.each([
      { name: 'a stopped pool is never checked', pool: { warmPool: { state: 'stopped' }, rootVolumeGiB: 8, instanceTypes: ['c7a.large'] }, refusals: [] },
      { name: 'the default pool hibernated passes', pool: {}, refusals: [] },
      { name: 'bare metal', pool: { instanceTypes: ['c5.metal'] }, refusals: [/c5\.metal: bare metal instances cannot hibernate/] },
      { name: 'unknown family', pool: { instanceTypes: ['c7g.2xlarge'] }, refusals: [/c7g family is not on the list/] },
      {
        name: 'RAM of 150 GiB',
        pool: { instanceTypes: ['r5.8xlarge'], memoryMiB: HIBERNATION_MAX_RAM_GIB * 1024, rootVolumeGiB: 200 },
        refusals: [/less than 150 GiB of RAM/],
      },
      { name: 'RAM just under 150 GiB with room for it', pool: { instanceTypes: ['r5.8xlarge'], memoryMiB: 149 * 1024, rootVolumeGiB: 157 }, refusals: [] },
      { name: 'root one GiB short', pool: { memoryMiB: 16_384, rootVolumeGiB: 23 }, refusals: [/set rootVolumeGiB ≥ 24/] },
      { name: 'Spot', pool: { spot: true }, refusals: [/a Spot pool cannot hibernate/] },
    ])('$name', ({ pool, refusals }) => {
      // Act
      const found = hibernationRefusals(hibernatedPool(pool));

      // Assess
      expect(found).toHaveLength(refusals.length);
      refusals.forEach((pattern, i) => expect(found[i]).toMatch(pattern));
    });

    it('reads the family before the dot, flex sizes included', () => {
      expect(instanceFamily('m7i-flex.large')).toBe('m7i-flex');
      expect(instanceFamily('C6I.2XLARGE')).toBe('c6i');
      expect(HIBERNATION_INSTANCE_FAMILIES.has('m7i-flex')).toBe(true);
    });

    it('needs RAM rounded up to whole GiB plus 8 GiB on the root volume', () => {
      expect(minimumHibernationRootGiB(16_384)).toBe(24);
      expect(minimumHibernationRootGiB(16_385)).toBe(25);
    });
  });
});
