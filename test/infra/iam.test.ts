import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FLEET_TABLE_ACTIONS, IDEMPOTENCY_TABLE_ACTIONS, NODE_ALARM_ACTIONS } from '../../infra/constructs/autoscaler-function.ts';
import { FLEET_TAG, POOL_TAG } from '../../shared/adapters/ec2/compute-provider.ts';
import { SESSION_MANAGER_ACTIONS } from '../../infra/constructs/media-nodes.ts';
import { AUTOSCALER_SOURCE, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/observability.ts';
import { actionsOf, iamStatements, resourcesOfType, synthFleet, type StatementJson, type SynthesizedFleet } from './support.ts';

const INPUT = {
  fleetName: 'prod',
  account: '123456789012',
  region: 'eu-central-1',
  autoscaler: { pools: [{ name: 'default' }, { name: 'tenant-b' }] },
  nodeSettings: { 'tenant-b': { licenseParameter: '/tenant-b/wcs-license' } },
  node: { elasticIpPool: ['eipalloc-0abc12345'] },
};

/** EC2 actions that read only; everything else in `ec2:` changes something. */
const EC2_READ_ONLY = /^ec2:(Describe|Get|List)/;
/** Condition keys that tie an EC2 action to this fleet's tag. */
const TAG_CONDITION = /^(aws:RequestTag|aws:ResourceTag|ec2:ResourceTag)\//;

function conditionKeys(statement: StatementJson): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
}

function resourcesOf(statement: StatementJson): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

function isLaunchTemplateArn(resource: unknown): boolean {
  return JSON.stringify(resource).includes(':launch-template/');
}

describe('IAM of the fleet (least privilege)', () => {
  let fleet: SynthesizedFleet;
  let stateless: Template;
  let statements: Array<{ owner: string; statement: StatementJson }>;

  beforeAll(() => {
    fleet = synthFleet(INPUT);
    stateless = fleet.statelessTemplate;
    statements = [...iamStatements(fleet.statefulTemplate), ...iamStatements(stateless)];
  });

  describe('security: EC2 mutations are scoped', () => {
    it('grants no EC2 mutating action without a fleet tag condition or a launch-template restriction, in any stack', () => {
      // Prepare
      const mutating = statements.filter(({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).some((a) => a.startsWith('ec2:') && !EC2_READ_ONLY.test(a)));

      // Assess
      expect(mutating.length).toBeGreaterThan(0);
      for (const { owner, statement } of mutating) {
        const tagged = conditionKeys(statement).some((k) => TAG_CONDITION.test(k));
        const byTemplate = conditionKeys(statement).includes('ec2:LaunchTemplate') || resourcesOf(statement).every(isLaunchTemplateArn);
        expect(tagged || byTemplate, `${owner} ${statement.Sid ?? ''}: ${actionsOf(statement).join(', ')}`).toBe(true);
        expect(actionsOf(statement).some((a) => a.includes('*')), `${owner}: wildcard action`).toBe(false);
      }
    });

    it('grants no IAM action but iam:PassRole of the node role to EC2', () => {
      // Act
      const iamGrants = statements.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('iam:')));

      // Assess
      expect(iamGrants.length).toBe(3);
      for (const { statement } of iamGrants) {
        expect(actionsOf(statement)).toEqual(['iam:PassRole']);
        expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/NodeRole/), 'Arn'] });
      }
    });
  });

  describe('function roles', () => {
    let functionRoles: string[];
    let byRole: (role: string) => StatementJson[];

    beforeAll(() => {
      functionRoles = resourcesOfType(stateless, 'AWS::Lambda::Function').map(([, fn]) => (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
      byRole = (role) =>
        resourcesOfType(stateless, 'AWS::IAM::Policy')
          .filter(([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: role }]))
          .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: StatementJson[] }).Statement);
    });

    it('passes the operator Elastic IP pool to every function', () => {
      for (const [, fn] of resourcesOfType(stateless, 'AWS::Lambda::Function')) {
        expect((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.ELASTIC_IP_POOL).toBe('eipalloc-0abc12345');
      }
    });

    it('gives each function its own role with no managed policy', () => {
      expect(new Set(functionRoles).size).toBe(3);
      for (const role of functionRoles) {
        expect(stateless.findResources('AWS::IAM::Role')[role]?.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    });

    it('allows RunInstances only with this launch template, creating resources tagged with the fleet and a pool, of the pools\' instance types, with the template\'s AMI', () => {
      for (const role of functionRoles) {
        const run = byRole(role).filter((s) => actionsOf(s).includes('ec2:RunInstances'));
        const fromTemplate = { 'ec2:LaunchTemplate': expect.anything() };
        const instance = run.find((s) => s.Sid === 'RunInstancesCreateFleetInstance')!;
        expect(instance.Condition).toEqual({
          ArnEquals: fromTemplate,
          StringEquals: { [`aws:RequestTag/${FLEET_TAG}`]: 'prod', 'ec2:InstanceType': ['c6i.2xlarge', 'c5.2xlarge', 'm6i.2xlarge'] },
          Null: { [`aws:RequestTag/${POOL_TAG}`]: 'false' },
        });
        expect(JSON.stringify(instance.Resource)).toMatch(/instance\/\*"\]\]\}$/);
        const create = run.find((s) => s.Sid === 'RunInstancesCreateFleetTagged')!;
        expect(create.Condition).toEqual({
          ArnEquals: fromTemplate,
          StringEquals: { [`aws:RequestTag/${FLEET_TAG}`]: 'prod' },
          Null: { [`aws:RequestTag/${POOL_TAG}`]: 'false' },
        });
        expect(JSON.stringify(create.Resource)).toMatch(/volume\/\*.*network-interface\/\*/);
        expect(JSON.stringify(create.Resource)).not.toContain('instance/');
        const template = run.find((s) => s.Sid === 'RunInstancesWithLaunchTemplate')!;
        expect(JSON.stringify(template.Resource)).toContain(':launch-template/');
        const network = run.find((s) => s.Sid === 'RunInstancesUseNetwork')!;
        expect(network.Condition).toEqual({ ArnEquals: { 'ec2:LaunchTemplate': create.Condition!.ArnEquals!['ec2:LaunchTemplate'] } });
        expect(JSON.stringify(network.Resource)).not.toMatch(/subnet\/\*|security-group\/\*|image/);
        // The AMI only as the launch template gives it: an ImageId in the request is not allowed.
        const image = run.find((s) => s.Sid === 'RunInstancesTemplateImageOnly')!;
        expect(JSON.stringify(image.Resource)).toContain(':image/*');
        expect(image.Condition).toEqual({
          ArnEquals: { 'ec2:LaunchTemplate': create.Condition!.ArnEquals!['ec2:LaunchTemplate'] },
          Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
        });
        expect(run.filter((s) => JSON.stringify(s.Resource).includes(':image/'))).toEqual([image]);
      }
    });

    it('gives each function only the EC2 actions it uses: room-events launches and starts warm nodes, node-events and sweep also stop, terminate and address', () => {
      // Prepare
      const functions = resourcesOfType(stateless, 'AWS::Lambda::Function');
      const roleOf = (name: string) =>
        (functions.find(([, fn]) => fn.Properties?.Description === `wcs-autoscaler prod: ${name}`)![1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const ec2Actions = (name: string) => new Set(byRole(roleOf(name)).flatMap(actionsOf).filter((a) => a.startsWith('ec2:')));

      // Assess
      const room = ec2Actions('room-events');
      expect(room.has('ec2:RunInstances')).toBe(true);
      expect(room.has('ec2:StartInstances')).toBe(true);
      for (const a of ['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:AssociateAddress', 'ec2:DisassociateAddress', 'ec2:AllocateAddress', 'ec2:ReleaseAddress']) expect(room.has(a), a).toBe(false);
      for (const name of ['node-events', 'sweep']) {
        for (const a of ['ec2:RunInstances', 'ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:AssociateAddress', 'ec2:AllocateAddress', 'ec2:ReleaseAddress']) expect(ec2Actions(name).has(a), `${name} ${a}`).toBe(true);
      }
    });

    it('allows start, stop (hibernate), terminate and Elastic IP address changes only on resources carrying this fleet\'s tag', () => {
      for (const role of functionRoles) {
        const policy = byRole(role);
        const terminates = policy.some((s) => s.Sid === 'TerminateFleetInstances');
        const startStop = policy.find((s) => s.Sid === 'StartStopFleetInstances');
        expect(startStop?.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${FLEET_TAG}`]: 'prod' } });
        expect(JSON.stringify(startStop?.Resource)).toMatch(/instance\/\*"\]\]\}$/);
        for (const sid of ['TerminateFleetInstances', 'AddressFleetNodes', 'ReleaseFleetElasticIps']) {
          const statement = policy.find((s) => s.Sid === sid);
          if (statement) expect(statement.Condition, sid).toEqual({ StringEquals: { [`aws:ResourceTag/${FLEET_TAG}`]: 'prod' } });
        }
        const allocate = policy.find((s) => s.Sid === 'AllocateFleetElasticIps');
        if (allocate) expect(allocate.Condition).toEqual({ StringEquals: { [`aws:RequestTag/${FLEET_TAG}`]: 'prod' } });
        expect(policy.find((s) => s.Sid === 'TagOnCreateOnly')?.Condition).toEqual({
          StringEquals: { [`aws:RequestTag/${FLEET_TAG}`]: 'prod', 'ec2:CreateAction': terminates ? ['RunInstances', 'AllocateAddress'] : ['RunInstances'] },
        });
        expect(actionsOf(policy.find((s) => s.Sid === 'DescribeUnscopable')!)).toEqual(['ec2:DescribeInstances', 'ec2:DescribeAddresses', 'ec2:DescribeAccountAttributes']);
        expect(policy.find((s) => s.Sid === 'ReadElasticIpQuota')).toMatchObject({ Action: 'servicequotas:GetServiceQuota', Resource: '*' });
      }
    });

    it('scopes table access to the two tables (and the fleet table\'s indexes by name) with the actions the code uses', () => {
      for (const role of functionRoles) {
        const dynamo = byRole(role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
        expect(dynamo.map((s) => s.Sid).sort()).toEqual(['FleetTable', 'IdempotencyTable']);
        expect(actionsOf(dynamo.find((s) => s.Sid === 'FleetTable')!)).toEqual([...FLEET_TABLE_ACTIONS]);
        expect(actionsOf(dynamo.find((s) => s.Sid === 'IdempotencyTable')!)).toEqual([...IDEMPOTENCY_TABLE_ACTIONS]);
        const resources = JSON.stringify(dynamo.map((s) => s.Resource));
        expect(resources).toContain('/index/placement');
        expect(resources).not.toContain('/index/*');
      }
    });

    it('puts events only on the fleet bus with the autoscaler source, and reads only its own parameters', () => {
      for (const role of functionRoles) {
        const policy = byRole(role);
        const put = policy.find((s) => s.Sid === 'PutAutoscalerEvents')!;
        expect(put.Condition).toEqual({ StringEquals: { 'events:source': AUTOSCALER_SOURCE } });
        expect(put.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] });
        const read = policy.find((s) => s.Sid === 'ReadParameters')!;
        expect(actionsOf(read)).toEqual(['ssm:GetParameter']);
        expect(resourcesOf(read)).toHaveLength(1 + 1 + 2); // config, template, node settings × 2 pools
        expect(JSON.stringify(read.Resource)).not.toContain('secrets');
      }
    });

    it('lets node-events and sweep put and delete only the fleet\'s per-node alarms; room-events none', () => {
      // Prepare
      const functions = resourcesOfType(stateless, 'AWS::Lambda::Function');
      const roleOf = (name: string) =>
        (functions.find(([, fn]) => fn.Properties?.Description === `wcs-autoscaler prod: ${name}`)![1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const cloudwatch = (role: string) => byRole(role).filter((s) => actionsOf(s).some((a) => a.startsWith('cloudwatch:')));

      // Assess
      for (const name of ['node-events', 'sweep']) {
        const statements = cloudwatch(roleOf(name));
        expect(statements, name).toHaveLength(1);
        expect(statements[0]!.Sid).toBe('FleetNodeAlarms');
        expect(actionsOf(statements[0]!)).toEqual([...NODE_ALARM_ACTIONS]);
        expect(statements[0]!.Condition).toBeUndefined();
        expect(JSON.stringify(statements[0]!.Resource)).toMatch(/":cloudwatch:[a-z0-9-]+:\d{12}:alarm:wcs-autoscaler-prod-node-\*"\]\]\}$/);
      }
      expect(cloudwatch(roleOf('room-events'))).toEqual([]);
    });
  });

  describe('node role', () => {
    let nodeStatements: StatementJson[];

    beforeAll(() => {
      nodeStatements = iamStatements(stateless)
        .filter(({ owner, statement }) => owner.includes('NodeRole') && statement.Sid !== undefined)
        .map(({ statement }) => statement);
    });

    it('reads exactly the SecureString names (defaults and per-pool overrides), decrypting only via SSM for those parameters', () => {
      // Prepare
      const arn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-central-1:123456789012:parameter${name}`]] });
      const names = ['/wcs-autoscaler/prod/secrets/wcs-license', '/wcs-autoscaler/prod/secrets/wcs-password', '/tenant-b/wcs-license'];

      // Assess
      const read = nodeStatements.find((s) => s.Sid === 'ReadWcsSecrets')!;
      expect(read.Action).toBe('ssm:GetParameter');
      expect(read.Resource).toEqual(names.map(arn));
      const decrypt = nodeStatements.find((s) => s.Sid === 'DecryptWcsSecretsViaSsm')!;
      expect(decrypt.Action).toBe('kms:Decrypt');
      // The fleet's own key (stateful stack export), not every key of the account.
      expect(JSON.stringify(decrypt.Resource)).toMatch(/Fn::ImportValue.*SecretsKey/);
      expect(decrypt.Condition).toEqual({
        StringEquals: { 'kms:ViaService': 'ssm.eu-central-1.amazonaws.com' },
        'ForAnyValue:StringEquals': { 'kms:EncryptionContext:PARAMETER_ARN': names.map(arn) },
      });
    });

    it('cannot read parameters outside the fleet\'s prefix and its secrets: an explicit deny, no managed policy', () => {
      // Prepare
      const arn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-central-1:123456789012:parameter${name}`]] });
      const deny = nodeStatements.find((s) => s.Sid === 'DenyParametersOutsideFleet') as StatementJson & { NotResource?: unknown };

      // Assess
      expect(deny.Effect).toBe('Deny');
      expect(actionsOf(deny)).toEqual(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory']);
      expect(deny.Resource).toBeUndefined();
      expect(deny.NotResource).toEqual([
        ...['/wcs-autoscaler/prod/secrets/wcs-license', '/wcs-autoscaler/prod/secrets/wcs-password', '/tenant-b/wcs-license'].map(arn),
        arn('/wcs-autoscaler/prod/*'),
      ]);
      const role = Object.values(stateless.findResources('AWS::IAM::Role')).find((r) => r.Properties?.RoleName === 'wcs-autoscaler-prod-node-eu-central-1')!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      // No allow of a parameter read on a wildcard resource.
      for (const s of nodeStatements.filter((x) => x.Effect === 'Allow' && actionsOf(x).some((a) => a.startsWith('ssm:GetParameter')))) {
        expect(JSON.stringify(s.Resource)).not.toContain('*');
      }
    });

    it('puts NodeReady / NodeUnhealthy on this bus only with the source naming its own instance (the default), and metrics only in the fleet namespace', () => {
      const put = nodeStatements.find((s) => s.Sid === 'PutNodeEvents')!;
      expect(put.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] });
      expect(put.Condition).toEqual({
        StringEquals: { 'events:source': `${NODE_SOURCE}/\${ec2:SourceInstanceARN}` },
        'ForAllValues:StringEquals': { 'events:detail-type': ['NodeReady', 'NodeUnhealthy'] },
      });
      const metrics = nodeStatements.find((s) => s.Sid === 'PutWcsMetrics')!;
      expect(metrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } });
    });

    it('requires the sender by default; nodeEventSender optional (an upgrade from unbound bootstraps) also allows the unbound source', () => {
      // Prepare
      const nodeEventsEnv = (template: typeof stateless) =>
        (resourcesOfType(template, 'AWS::Lambda::Function').find(([, f]) => f.Properties?.Description === 'wcs-autoscaler prod: node-events')![1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      const lax = synthFleet({ ...INPUT, access: { nodeEventSender: 'optional' } });
      const put = iamStatements(lax.statelessTemplate).find(({ owner, statement }) => owner.includes('NodeRole') && statement.Sid === 'PutNodeEvents')!.statement;

      // Assess
      expect(nodeEventsEnv(stateless).NODE_EVENT_SENDER).toBe('required');
      expect(put.Condition?.StringEquals).toEqual({ 'events:source': [`${NODE_SOURCE}/\${ec2:SourceInstanceARN}`, NODE_SOURCE] });
      expect(nodeEventsEnv(lax.statelessTemplate).NODE_EVENT_SENDER).toBe('optional');
    });

    it('uses Session Manager through its own actions (no AmazonSSMManagedInstanceCore), needs no EC2 API and has no SSH ingress', () => {
      stateless.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'wcs-autoscaler-prod-node-eu-central-1',
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      });
      expect(JSON.stringify(stateless.toJSON())).not.toContain('AmazonSSMManagedInstanceCore');
      expect(actionsOf(nodeStatements.find((s) => s.Sid === 'SessionManager')!)).toEqual([...SESSION_MANAGER_ACTIONS]);
      expect(nodeStatements.flatMap(actionsOf).filter((a) => a.startsWith('ec2:'))).toEqual([]);
      expect(nodeStatements.map((s) => s.Sid).sort()).toEqual(['DecryptWcsSecretsViaSsm', 'DenyParametersOutsideFleet', 'PutNodeEvents', 'PutWcsMetrics', 'ReadWcsSecrets', 'SessionManager']);
    });
  });
});
