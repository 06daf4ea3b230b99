/**
 * The CDK side of public addressing: the quota read is granted only when a pool uses Elastic
 * IPs, and the opt-in VPC endpoints give nodes their AWS calls without internet egress — each
 * synthesized with cdk-nag on (an unacknowledged finding throws in `synthFleet`).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig } from '../../infra/config.ts';
import { ECR_INTERFACE_ENDPOINTS, NODE_INTERFACE_ENDPOINTS } from '../../infra/constructs/node-endpoints.ts';
import { actionsOf, iamStatements, resourcesOfType, synthFleet, type SynthesizedFleet } from './support.ts';

const quotaActions = (fleet: SynthesizedFleet) =>
  iamStatements(fleet.statelessTemplate)
    .map(({ statement }) => statement)
    .filter((s) => actionsOf(s).some((a) => a === 'servicequotas:GetServiceQuota' || a === 'ec2:DescribeAccountAttributes'));

/** The VPC endpoints of the stateless stack of a given type. */
function endpoints(fleet: SynthesizedFleet, type: 'Interface' | 'Gateway') {
  return resourcesOfType(fleet.statelessTemplate, 'AWS::EC2::VPCEndpoint').filter(([, r]) => (r.Properties?.VpcEndpointType ?? 'Gateway') === type);
}

describe('Public addressing in the CDK app', () => {
  describe('IAM of the Elastic IP quota check', () => {
    it('grants GetServiceQuota and DescribeAccountAttributes (read-only) to the functions when a pool uses Elastic IPs', () => {
      // Act
      const fleet = synthFleet({ fleetName: 'eip', autoscaler: { pools: [{ name: 'default' }] } });

      // Assess
      const statements = quotaActions(fleet);
      expect(statements.length).toBeGreaterThan(0);
      const actions = new Set(statements.flatMap(actionsOf));
      expect([...actions].filter((a) => a.startsWith('servicequotas:') || a === 'ec2:DescribeAccountAttributes').sort()).toEqual(['ec2:DescribeAccountAttributes', 'servicequotas:GetServiceQuota']);
    });

    it('grants neither when every pool is private-only', () => {
      // Act
      const fleet = synthFleet({ fleetName: 'priv', autoscaler: { pools: [{ name: 'default' }] }, nodeSettings: { default: { publicAddressing: 'none' } } });

      // Assess
      expect(quotaActions(fleet)).toEqual([]);
    });
  });

  describe('VPC endpoints (network.vpcEndpoints)', () => {
    it('creates none by default', () => {
      // Act
      const fleet = synthFleet({ fleetName: 'noep' });

      // Assess
      fleet.statelessTemplate.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    });

    it('creates the nodes\' interface endpoints with private DNS in the media subnets, HTTPS from the media nodes only', () => {
      // Act
      const fleet = synthFleet({ fleetName: 'ep', network: { vpcEndpoints: true } });

      // Assess
      const template = fleet.statelessTemplate;
      template.resourceCountIs('AWS::EC2::VPCEndpoint', NODE_INTERFACE_ENDPOINTS.length);
      for (const service of NODE_INTERFACE_ENDPOINTS) {
        template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }),
        });
      }
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NodeEndpointsEndpointSecurityGroup'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MediaNodesMediaSecurityGroup'), 'GroupId'] },
      });
      expect(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties?.GroupId).includes('NodeEndpoints'))).toHaveLength(1);
      expect(endpoints(fleet, 'Gateway')).toEqual([]);
      // One network interface per AZ: the new VPC's two media subnets.
      for (const [, r] of endpoints(fleet, 'Interface')) expect(r.Properties?.SubnetIds).toHaveLength(2);
    });

    it('adds ECR and the S3 gateway endpoint with network.ecrEndpoints', () => {
      // Act
      const fleet = synthFleet({ fleetName: 'ecr', network: { vpcEndpoints: true, ecrEndpoints: true } });

      // Assess
      const template = fleet.statelessTemplate;
      template.resourceCountIs('AWS::EC2::VPCEndpoint', NODE_INTERFACE_ENDPOINTS.length + ECR_INTERFACE_ENDPOINTS.length + 1);
      for (const service of ECR_INTERFACE_ENDPOINTS) {
        template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }) });
      }
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }) });
    });

    it('refuses ecrEndpoints without vpcEndpoints', () => {
      // Act
      const error = (() => {
        try {
          parseDeploymentConfig({ network: { ecrEndpoints: true } });
        } catch (e) {
          return e;
        }
        return undefined;
      })();

      // Assess
      expect(error).toBeInstanceOf(DeploymentConfigError);
      expect((error as DeploymentConfigError).issues).toEqual([expect.stringContaining('network.ecrEndpoints: ecrEndpoints needs network.vpcEndpoints')]);
    });
  });
});
