/**
 * Everything a media node is launched with: the media security group, the node instance role
 * and profile, and the launch template the functions pass to `RunInstances` — plus the IAM
 * statements that let the functions launch, tag, address and terminate exactly these nodes.
 *
 * @module
 */
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FLEET_TAG, POOL_TAG } from '../../shared/adapters/ec2/compute-provider.ts';
import type { NodeSettings } from '../../shared/bootstrap/parameters.ts';
import type { PoolConfig } from '../../shared/domain/config.ts';
import { DetailType, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/observability.ts';

/**
 * The public SSM parameter with the current Amazon Linux 2023 AMI id (default kernel), resolved
 * by CloudFormation at each deploy. Source: Amazon Linux 2023 User Guide, "Launching AL2023 using
 * the SSM parameter" (`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`).
 */
export function amazonLinux2023Parameter(architecture: 'x86_64' | 'arm64'): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/** Props of {@link MediaNodes}. */
export interface MediaNodesProps {
  /** Fleet name: the value of the `wcs-autoscaler:fleet` tag every node and Elastic IP carries. */
  readonly fleetName: string;
  /** VPC of the media nodes. */
  readonly vpc: ec2.IVpc;
  /** Subnets the functions launch nodes into (public, one per AZ). */
  readonly subnets: readonly ec2.ISubnet[];
  /** Pools of the fleet: their WSS ports are opened to clients. */
  readonly pools: readonly PoolConfig[];
  /** Node settings per pool: REST port (operators only) and UDP media range (clients). */
  readonly nodeSettings: Readonly<Record<string, NodeSettings>>;
  /** CIDRs of WebRTC clients (WSS port and UDP media range). */
  readonly clientCidrs: readonly string[];
  /** Operator CIDRs allowed on the REST port, besides the VPC CIDR. Never 0.0.0.0/0. */
  readonly operatorCidrs: readonly string[];
  /** CPU architecture of the AMI (and of every pool's instance types). */
  readonly architecture: 'x86_64' | 'arm64';
  /** Root volume size, GiB. */
  readonly rootVolumeGiB: number;
  /** The bus nodes put `NodeReady` / `NodeUnhealthy` on. */
  readonly bus: events.IEventBus;
  /** SecureString names the nodes read (WCS licence, the containers' SSH password). */
  readonly secretParameterNames: readonly string[];
}

/**
 * Security group, instance role and launch template of a fleet's media nodes.
 *
 * Launch template: the current Amazon Linux 2023 AMI (public SSM parameter, resolved at deploy),
 * IMDSv2 required with a PUT response hop limit of 1 (so the WCS containers cannot fetch the
 * instance role's credentials), encrypted gp3 root volume, detailed monitoring, the node
 * instance profile. It sets no subnet, security group or network interface: the functions
 * attach the primary network interface with one secondary private IP per container themselves
 * (`Ec2ComputeProvider`), so the media security group travels in `SECURITY_GROUP_IDS`. No key
 * pair and no SSH ingress: operators use Session Manager.
 *
 * @example
 * const nodes = new MediaNodes(this, 'MediaNodes', { fleetName: 'prod', vpc, subnets, pools, nodeSettings, clientCidrs: ['0.0.0.0/0'], operatorCidrs: [], architecture: 'x86_64', rootVolumeGiB: 30, bus, secretParameterNames });
 * fn.bindCompute(nodes);
 */
export class MediaNodes extends Construct {
  /** The media security group (WSS, UDP media, REST from the VPC and operators). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The node instance role. */
  public readonly role: iam.Role;
  /** The launch template. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** ARN of the launch template (the `ec2:LaunchTemplate` condition value). */
  public readonly launchTemplateArn: string;
  /** Subnets the functions launch into. */
  public readonly subnets: readonly ec2.ISubnet[];
  /** Fleet tag value. */
  public readonly fleetName: string;

  public constructor(scope: Construct, id: string, props: MediaNodesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.fleetName = props.fleetName;
    this.subnets = props.subnets;
    this.usesElasticIps = props.pools.some((p) => (props.nodeSettings[p.name]?.publicAddressing ?? 'elastic-ip') === 'elastic-ip');

    this.securityGroup = new ec2.SecurityGroup(this, 'MediaSecurityGroup', {
      vpc: props.vpc,
      description: `wcs-autoscaler ${props.fleetName}: WCS media nodes (WSS, WebRTC UDP media, REST from VPC/operators)`,
      allowAllOutbound: true,
    });
    for (const port of new Set(props.pools.map((p) => p.wssPort))) {
      for (const cidr of props.clientCidrs) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `WCS WSS (WebRTC signalling) from clients ${cidr}`);
      }
    }
    const settings = props.pools.map((p) => props.nodeSettings[p.name]).filter((s): s is NodeSettings => s !== undefined);
    const mediaRanges = new Map(settings.map((s) => [`${s.mediaPorts.from}-${s.mediaPorts.to}`, s.mediaPorts]));
    for (const range of mediaRanges.values()) {
      for (const cidr of props.clientCidrs) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udpRange(range.from, range.to), `WebRTC media (UDP) from clients ${cidr}`);
      }
    }
    for (const port of new Set(settings.map((s) => s.restPort))) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(port), 'WCS REST API (HTTPS) from inside the VPC');
      for (const cidr of props.operatorCidrs) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `WCS REST API (HTTPS) from operators ${cidr}`);
      }
    }

    this.role = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `wcs-autoscaler ${props.fleetName}: media node instance role`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const secretArns = props.secretParameterNames.map((name) =>
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadWcsSecrets', actions: ['ssm:GetParameter'], resources: secretArns }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptWcsSecretsViaSsm',
        actions: ['kms:Decrypt'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        conditions: {
          StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:EncryptionContext:PARAMETER_ARN': secretArns },
        },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutNodeEvents',
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': NODE_SOURCE },
          'ForAllValues:StringEquals': { 'events:detail-type': [DetailType.NodeReady, DetailType.NodeUnhealthy] },
        },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutWcsMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: `wcs-autoscaler-${props.fleetName}-node`,
      machineImage: ec2.MachineImage.fromSsmParameter(amazonLinux2023Parameter(props.architecture)),
      role: this.role,
      requireImdsv2: true,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    // The functions pass each pool's user-data (rendered bootstrap) and tags on RunInstances: the
    // template carries neither, so nothing in it competes with the tag-on-create conditions.
    const cfnTemplate = this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
    cfnTemplate.addPropertyDeletionOverride('LaunchTemplateData.UserData');
    cfnTemplate.addPropertyDeletionOverride('LaunchTemplateData.TagSpecifications');
    this.launchTemplateArn = stack.formatArn({
      service: 'ec2',
      resource: 'launch-template',
      resourceName: this.launchTemplate.launchTemplateId!,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** Whether any pool gives its containers Elastic IPs (node settings `publicAddressing`, default `'elastic-ip'`). */
  public readonly usesElasticIps: boolean;

  /**
   * The functions' EC2 and IAM permissions, each scoped by this launch template or this fleet's
   * tag (see the Sids):
   * - `RunInstances` only with this launch template, into these subnets with the media security
   *   group, creating instances / volumes / network interfaces that carry the fleet tag (exact
   *   value) and a pool tag (tag on create, `aws:RequestTag`);
   * - `CreateTags` only as part of `RunInstances` / `AllocateAddress` (`ec2:CreateAction`);
   * - `TerminateInstances`, `AssociateAddress`, `DisassociateAddress`, `ReleaseAddress` only on
   *   resources carrying the fleet tag (`aws:ResourceTag`); `AllocateAddress` only tagged;
   * - `iam:PassRole` only for the node role, only to EC2;
   * - `DescribeInstances` / `DescribeAddresses`: resource-level permissions are not supported;
   * - when a pool uses Elastic IPs, the quota check before launching: `servicequotas:GetServiceQuota`
   *   (read-only) and `ec2:DescribeAccountAttributes` (its fallback; no resource-level permissions),
   *   both on `*` — left out when every pool is private-only (`publicAddressing: 'none'`).
   */
  public computeStatements(): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const arn = (resource: string, name: string) =>
      stack.formatArn({ service: 'ec2', resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const fleetRequestTag = { [`aws:RequestTag/${FLEET_TAG}`]: this.fleetName };
    const fleetResourceTag = { [`aws:ResourceTag/${FLEET_TAG}`]: this.fleetName };
    const fromTemplate = { 'ec2:LaunchTemplate': this.launchTemplateArn };
    return [
      new iam.PolicyStatement({ sid: 'RunInstancesWithLaunchTemplate', actions: ['ec2:RunInstances'], resources: [this.launchTemplateArn] }),
      new iam.PolicyStatement({
        sid: 'RunInstancesCreateFleetTagged',
        actions: ['ec2:RunInstances'],
        resources: [arn('instance', '*'), arn('volume', '*'), arn('network-interface', '*')],
        conditions: {
          ArnEquals: fromTemplate,
          StringEquals: fleetRequestTag,
          Null: { [`aws:RequestTag/${POOL_TAG}`]: 'false' },
        },
      }),
      new iam.PolicyStatement({
        sid: 'RunInstancesUseNetworkAndImage',
        actions: ['ec2:RunInstances'],
        resources: [
          ...this.subnets.map((s) => arn('subnet', s.subnetId)),
          arn('security-group', this.securityGroup.securityGroupId),
          Arn.format({ service: 'ec2', account: '', resource: 'image', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack),
        ],
        conditions: { ArnEquals: fromTemplate },
      }),
      new iam.PolicyStatement({
        sid: 'TagOnCreateOnly',
        actions: ['ec2:CreateTags'],
        resources: [arn('instance', '*'), arn('volume', '*'), arn('network-interface', '*'), arn('elastic-ip', '*')],
        conditions: {
          StringEquals: { ...fleetRequestTag, 'ec2:CreateAction': ['RunInstances', 'AllocateAddress'] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'TerminateFleetInstances',
        actions: ['ec2:TerminateInstances'],
        resources: [arn('instance', '*')],
        conditions: { StringEquals: fleetResourceTag },
      }),
      new iam.PolicyStatement({
        sid: 'AllocateFleetElasticIps',
        actions: ['ec2:AllocateAddress'],
        resources: [arn('elastic-ip', '*')],
        conditions: { StringEquals: fleetRequestTag },
      }),
      new iam.PolicyStatement({
        sid: 'AddressFleetNodes',
        actions: ['ec2:AssociateAddress', 'ec2:DisassociateAddress'],
        resources: [arn('elastic-ip', '*'), arn('instance', '*'), arn('network-interface', '*')],
        conditions: { StringEquals: fleetResourceTag },
      }),
      new iam.PolicyStatement({
        sid: 'ReleaseFleetElasticIps',
        actions: ['ec2:ReleaseAddress'],
        resources: [arn('elastic-ip', '*')],
        conditions: { StringEquals: fleetResourceTag },
      }),
      new iam.PolicyStatement({
        sid: 'DescribeUnscopable',
        actions: ['ec2:DescribeInstances', 'ec2:DescribeAddresses', ...(this.usesElasticIps ? ['ec2:DescribeAccountAttributes'] : [])],
        resources: ['*'],
      }),
      ...(this.usesElasticIps
        ? [new iam.PolicyStatement({ sid: 'ReadElasticIpQuota', actions: ['servicequotas:GetServiceQuota'], resources: ['*'] })]
        : []),
      new iam.PolicyStatement({
        sid: 'PassNodeRole',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    ];
  }
}
