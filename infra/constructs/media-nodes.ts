/**
 * Everything a media node is launched with: the media security group, the node instance role
 * and profile, and the launch template the functions pass to `RunInstances` — plus the IAM
 * statements that let the functions launch, tag, address and terminate exactly these nodes.
 *
 * @module
 */
import { Annotations, Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FLEET_TAG, POOL_TAG } from '../../shared/adapters/ec2/compute-provider.ts';
import type { NodeSettings } from '../../shared/bootstrap/parameters.ts';
import { warmPoolStateOf, type PoolConfig } from '../../shared/domain/config.ts';
import { DetailType, NODE_SOURCE } from '../../shared/events/schemas.ts';
import { METRICS_NAMESPACE } from '../../lambdas/shared/observability.ts';
import { hibernationRefusals } from '../hibernation.ts';
import { nodeRoleName } from '../naming.ts';

/**
 * The public SSM parameter with the current Amazon Linux 2023 AMI id (default kernel), resolved
 * by CloudFormation at each deploy. Source: Amazon Linux 2023 User Guide, "Launching AL2023 using
 * the SSM parameter" (`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<arch>`).
 */
export function amazonLinux2023Parameter(architecture: 'x86_64' | 'arm64'): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/**
 * What a function does with media nodes, for {@link MediaNodes.computeStatements}: `launch`
 * (room-events, node-events, sweep scale out), `terminate` (node-events, sweep), `address`
 * (Elastic IPs: node-events on `running` / `stopped` / `terminated`, the sweep's reconciliation),
 * `start` (scale-out starts warm-pool nodes before launching: room-events, node-events, sweep),
 * `stop` (scale-in stops empty nodes into the warm pool: node-events, sweep).
 */
export type ComputeUse = 'launch' | 'terminate' | 'address' | 'start' | 'stop';

/** Every {@link ComputeUse}. */
export const ALL_COMPUTE_USES: ReadonlySet<ComputeUse> = new Set(['launch', 'terminate', 'address', 'start', 'stop']);

/** `Annotations` id of the synth warning for a Spot pool whose warm pool is not `'none'`. */
export const SPOT_WARM_POOL_WARNING = 'wcs-autoscaler:spotWarmPool';

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
  /** Operator CIDRs allowed on the REST port (nothing else is, see `adminSecurityGroupId`). Never 0.0.0.0/0. */
  readonly operatorCidrs: readonly string[];
  /** CPU architecture of the AMI (and of every pool's instance types). */
  readonly architecture: 'x86_64' | 'arm64';
  /**
   * Instance families allowed to hibernate beyond `HIBERNATION_INSTANCE_FAMILIES`
   * (deployment setting `node.hibernationInstanceFamilies`). @default []
   */
  readonly hibernationInstanceFamilies?: readonly string[] | undefined;
  /** The bus nodes put `NodeReady` / `NodeUnhealthy` on. */
  readonly bus: events.IEventBus;
  /** SecureString names the nodes read (WCS licence, the containers' SSH password). */
  readonly secretParameterNames: readonly string[];
  /** ARN of the customer-managed KMS key of those SecureStrings (stateful stack). */
  readonly secretsKeyArn: string;
  /** The fleet's SSM parameter prefix (`/wcs-autoscaler/<fleet>`): the node role may read nothing outside it but the secrets. */
  readonly parameterPrefix: string;
  /** Security group allowed on the REST port besides the operator CIDRs. */
  readonly adminSecurityGroupId?: string | undefined;
  /**
   * `required`: the node role may put node events only with the source naming its own instance
   * (`boundNodeSource`); `optional`: also the unbound `wcs-autoscaler.node`. @default 'optional'
   */
  readonly nodeEventSender?: 'required' | 'optional';
}

/** Session Manager's actions of the SSM agent (AWS Systems Manager User Guide, "Step 2: Verify or add instance permissions for Session Manager"). */
export const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
] as const;

/** Every SSM action that reads a parameter's value; the node role is denied them outside its own. */
export const PARAMETER_READ_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'] as const;

/**
 * The `events:source` a node may put: its own instance's bound source, written with the IAM
 * policy variable `${ec2:SourceInstanceARN}` (filled in by IAM from the instance profile's
 * credentials; IAM User Guide, "IAM policy elements: Variables and tags").
 */
export const BOUND_NODE_SOURCE_CONDITION = `${NODE_SOURCE}/\${ec2:SourceInstanceARN}`;

/**
 * Security group, instance role and launch template of a fleet's media nodes.
 *
 * Launch templates, one per pool: the current Amazon Linux 2023 AMI (public SSM parameter,
 * resolved at deploy), IMDSv2 required with a PUT response hop limit of 1 (so the WCS containers
 * cannot fetch the instance role's credentials), an encrypted gp3 root volume of the pool's
 * `rootVolumeGiB`, hibernation enabled when the pool's warm pool hibernates (after the checks of
 * `infra/hibernation.ts`), detailed monitoring, the node instance profile (one for all). They set
 * no subnet, security group or network interface: the functions attach the primary network interface with one secondary private IP per container themselves
 * (`Ec2ComputeProvider`), so the media security group travels in `SECURITY_GROUP_IDS`. No key
 * pair and no SSH ingress: operators use Session Manager.
 *
 * @example
 * const nodes = new MediaNodes(this, 'MediaNodes', { fleetName: 'prod', vpc, subnets, pools, nodeSettings, clientCidrs: ['0.0.0.0/0'], operatorCidrs: [], architecture: 'x86_64', bus, secretParameterNames });
 * fn.bindCompute(nodes);
 */
export class MediaNodes extends Construct {
  /** The media security group (WSS, UDP media, REST from the VPC and operators). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The node instance role. */
  public readonly role: iam.Role;
  /** Launch template of each pool, by pool name (`LAUNCH_TEMPLATE_IDS`). */
  public readonly launchTemplates: ReadonlyMap<string, ec2.LaunchTemplate>;
  /** The first pool's launch template: the fallback for a pool not in {@link launchTemplates} (`LAUNCH_TEMPLATE_ID`). */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** ARNs of the launch templates (the `ec2:LaunchTemplate` condition values). */
  public readonly launchTemplateArns: readonly string[];
  /** Subnets the functions launch into. */
  public readonly subnets: readonly ec2.ISubnet[];
  /** Fleet tag value. */
  public readonly fleetName: string;
  /** Every pool's instance types: the only ones `RunInstances` may launch (`ec2:InstanceType`). */
  public readonly instanceTypes: readonly string[];

  public constructor(scope: Construct, id: string, props: MediaNodesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.fleetName = props.fleetName;
    this.subnets = props.subnets;
    this.instanceTypes = [...new Set(props.pools.flatMap((p) => p.instanceTypes))];
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
    // REST only from operators (CIDRs or an admin security group), never the whole VPC: the
    // node's own health check reaches WCS inside the container's network namespace.
    for (const port of new Set(settings.map((s) => s.restPort))) {
      for (const cidr of props.operatorCidrs) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `WCS REST API (HTTPS) from operators ${cidr}`);
      }
      if (props.adminSecurityGroupId) {
        this.securityGroup.addIngressRule(ec2.Peer.securityGroupId(props.adminSecurityGroupId), ec2.Port.tcp(port), 'WCS REST API (HTTPS) from the admin security group');
      }
    }

    // No AmazonSSMManagedInstanceCore: it grants ssm:GetParameter(s) on every parameter of the
    // account. Session Manager's own actions instead, and an explicit deny of parameter reads
    // outside the fleet's prefix and the secrets (docs/security.md#node-role).
    this.role = new iam.Role(this, 'NodeRole', {
      roleName: nodeRoleName(props.fleetName, stack.region),
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `wcs-autoscaler ${props.fleetName}: media node instance role`,
    });
    const parameterArn = (name: string) =>
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const secretArns = props.secretParameterNames.map(parameterArn);
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'SessionManager', actions: [...SESSION_MANAGER_ACTIONS], resources: ['*'] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadWcsSecrets', actions: ['ssm:GetParameter'], resources: secretArns }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DenyParametersOutsideFleet',
        effect: iam.Effect.DENY,
        actions: [...PARAMETER_READ_ACTIONS],
        notResources: [...secretArns, parameterArn(`${props.parameterPrefix}/*`)],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptWcsSecretsViaSsm',
        actions: ['kms:Decrypt'],
        resources: [props.secretsKeyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:EncryptionContext:PARAMETER_ARN': secretArns },
        },
      }),
    );
    const sources = props.nodeEventSender === 'required' ? BOUND_NODE_SOURCE_CONDITION : [BOUND_NODE_SOURCE_CONDITION, NODE_SOURCE];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutNodeEvents',
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': sources },
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

    // One instance profile shared by every pool's launch template.
    const instanceProfile = new iam.InstanceProfile(this, 'NodeInstanceProfile', { role: this.role });
    const templates = new Map<string, ec2.LaunchTemplate>();
    for (const pool of props.pools) templates.set(pool.name, this.poolLaunchTemplate(pool, props, instanceProfile));
    this.launchTemplates = templates;
    this.launchTemplate = templates.get(props.pools[0]!.name)!;
    this.launchTemplateArns = [...templates.values()].map((t) =>
      stack.formatArn({ service: 'ec2', resource: 'launch-template', resourceName: t.launchTemplateId!, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    );
  }

  /**
   * A pool's launch template: root volume of its `rootVolumeGiB`, hibernation enabled when its
   * warm pool hibernates. A Spot pool gets none (one-time Spot instances cannot be stopped) and a
   * synth warning when its `warmPool.state` says otherwise.
   *
   * @throws {Error} naming each failed prerequisite when the pool asks for hibernation it cannot have
   */
  private poolLaunchTemplate(pool: PoolConfig, props: MediaNodesProps, instanceProfile: iam.IInstanceProfile): ec2.LaunchTemplate {
    const refusals = hibernationRefusals(pool, props.hibernationInstanceFamilies ?? []);
    if (refusals.length > 0) throw new Error(`wcs-autoscaler: pool ${pool.name}: hibernation refused: ${refusals.join('; ')}`);
    if (pool.spot && pool.warmPool.state !== 'none') {
      Annotations.of(this).addWarningV2(
        SPOT_WARM_POOL_WARNING,
        `pool ${pool.name}: a Spot pool has no warm pool (one-time Spot instances cannot be stopped): warmPool.state '${pool.warmPool.state}' acts as 'none'; set it to 'none' to say so`,
      );
    }
    const template = new ec2.LaunchTemplate(this, `LaunchTemplate-${pool.name}`, {
      launchTemplateName: `wcs-autoscaler-${props.fleetName}-${pool.name}`,
      machineImage: ec2.MachineImage.fromSsmParameter(amazonLinux2023Parameter(props.architecture)),
      instanceProfile,
      requireImdsv2: true,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      // Hibernation saves RAM to the root volume: it must be encrypted and large enough (checked above).
      ...(warmPoolStateOf(pool) === 'hibernated' ? { hibernationConfigured: true } : {}),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(pool.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    // The functions pass each pool's user-data (rendered bootstrap) and tags on RunInstances: the
    // template carries neither, so nothing in it competes with the tag-on-create conditions.
    const cfnTemplate = template.node.defaultChild as ec2.CfnLaunchTemplate;
    cfnTemplate.addPropertyDeletionOverride('LaunchTemplateData.UserData');
    cfnTemplate.addPropertyDeletionOverride('LaunchTemplateData.TagSpecifications');
    return template;
  }

  /** Whether any pool gives its containers Elastic IPs (node settings `publicAddressing`, default `'elastic-ip'`). */
  public readonly usesElasticIps: boolean;

  /**
   * The functions' EC2 and IAM permissions, each scoped by this launch template or this fleet's
   * tag (see the Sids):
   * - `RunInstances` only with these launch templates, into these subnets with the media security
   *   group, creating instances / volumes / network interfaces that carry the fleet tag (exact
   *   value) and a pool tag (tag on create, `aws:RequestTag`);
   * - `CreateTags` only as part of `RunInstances` / `AllocateAddress` (`ec2:CreateAction`);
   * - `TerminateInstances`, `StartInstances`, `StopInstances` (hibernation included),
   *   `AssociateAddress`, `DisassociateAddress`, `ReleaseAddress` only on resources carrying the
   *   fleet tag (`aws:ResourceTag`); `AllocateAddress` only tagged;
   * - `iam:PassRole` only for the node role, only to EC2;
   * - `DescribeInstances` / `DescribeAddresses`: resource-level permissions are not supported;
   * - when a pool uses Elastic IPs, the quota check before launching: `servicequotas:GetServiceQuota`
   *   (read-only) and `ec2:DescribeAccountAttributes` (its fallback; no resource-level permissions),
   *   both on `*` — left out when every pool is private-only (`publicAddressing: 'none'`).
   */
  public computeStatements(uses: ReadonlySet<ComputeUse> = ALL_COMPUTE_USES): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const arn = (resource: string, name: string) =>
      stack.formatArn({ service: 'ec2', resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const fleetRequestTag = { [`aws:RequestTag/${FLEET_TAG}`]: this.fleetName };
    const fleetResourceTag = { [`aws:ResourceTag/${FLEET_TAG}`]: this.fleetName };
    const fromTemplate = { 'ec2:LaunchTemplate': [...this.launchTemplateArns] };
    const addressing = uses.has('address') && this.usesElasticIps;
    const launch = uses.has('launch')
      ? [
          new iam.PolicyStatement({ sid: 'RunInstancesWithLaunchTemplate', actions: ['ec2:RunInstances'], resources: [...this.launchTemplateArns] }),
          new iam.PolicyStatement({
            sid: 'RunInstancesCreateFleetInstance',
            actions: ['ec2:RunInstances'],
            resources: [arn('instance', '*')],
            conditions: {
              ArnEquals: fromTemplate,
              StringEquals: { ...fleetRequestTag, 'ec2:InstanceType': this.instanceTypes },
              Null: { [`aws:RequestTag/${POOL_TAG}`]: 'false' },
            },
          }),
          new iam.PolicyStatement({
            sid: 'RunInstancesCreateFleetTagged',
            actions: ['ec2:RunInstances'],
            resources: [arn('volume', '*'), arn('network-interface', '*')],
            conditions: {
              ArnEquals: fromTemplate,
              StringEquals: fleetRequestTag,
              Null: { [`aws:RequestTag/${POOL_TAG}`]: 'false' },
            },
          }),
          new iam.PolicyStatement({
            sid: 'RunInstancesUseNetwork',
            actions: ['ec2:RunInstances'],
            resources: [...this.subnets.map((s) => arn('subnet', s.subnetId)), arn('security-group', this.securityGroup.securityGroupId)],
            conditions: { ArnEquals: fromTemplate },
          }),
          // The AMI only as the launch template names it: a RunInstances that passes its own
          // ImageId is refused (ec2:IsLaunchTemplateResource is true only for a resource taken
          // from the template, not overridden in the request; Amazon EC2 User Guide, "Use Amazon
          // EC2 launch templates to control launching Amazon EC2 instances" and its example
          // policies for launch templates).
          new iam.PolicyStatement({
            sid: 'RunInstancesTemplateImageOnly',
            actions: ['ec2:RunInstances'],
            resources: [Arn.format({ service: 'ec2', account: '', resource: 'image', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack)],
            conditions: { ArnEquals: fromTemplate, Bool: { 'ec2:IsLaunchTemplateResource': 'true' } },
          }),
          new iam.PolicyStatement({
            sid: 'PassNodeRole',
            actions: ['iam:PassRole'],
            resources: [this.role.roleArn],
            conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          }),
        ]
      : [];
    const createActions = [...(uses.has('launch') ? ['RunInstances'] : []), ...(addressing ? ['AllocateAddress'] : [])];
    return [
      ...launch,
      ...(createActions.length > 0
        ? [
            new iam.PolicyStatement({
              sid: 'TagOnCreateOnly',
              actions: ['ec2:CreateTags'],
              resources: [
                ...(uses.has('launch') ? [arn('instance', '*'), arn('volume', '*'), arn('network-interface', '*')] : []),
                ...(addressing ? [arn('elastic-ip', '*')] : []),
              ],
              conditions: { StringEquals: { ...fleetRequestTag, 'ec2:CreateAction': createActions } },
            }),
          ]
        : []),
      ...(uses.has('terminate')
        ? [
            new iam.PolicyStatement({
              sid: 'TerminateFleetInstances',
              actions: ['ec2:TerminateInstances'],
              resources: [arn('instance', '*')],
              conditions: { StringEquals: fleetResourceTag },
            }),
          ]
        : []),
      ...(uses.has('start') || uses.has('stop')
        ? [
            // Warm pool: the same condition as TerminateInstances (StopInstances with Hibernate too).
            new iam.PolicyStatement({
              sid: 'StartStopFleetInstances',
              actions: [...(uses.has('start') ? ['ec2:StartInstances'] : []), ...(uses.has('stop') ? ['ec2:StopInstances'] : [])],
              resources: [arn('instance', '*')],
              conditions: { StringEquals: fleetResourceTag },
            }),
          ]
        : []),
      ...(addressing ? this.addressStatements(arn, fleetRequestTag, fleetResourceTag) : []),
      new iam.PolicyStatement({
        sid: 'DescribeUnscopable',
        actions: ['ec2:DescribeInstances', 'ec2:DescribeAddresses', ...(this.usesElasticIps && uses.has('launch') ? ['ec2:DescribeAccountAttributes'] : [])],
        resources: ['*'],
      }),
      ...(this.usesElasticIps && uses.has('launch')
        ? [new iam.PolicyStatement({ sid: 'ReadElasticIpQuota', actions: ['servicequotas:GetServiceQuota'], resources: ['*'] })]
        : []),
    ];
  }

  private addressStatements(
    arn: (resource: string, name: string) => string,
    fleetRequestTag: Record<string, string>,
    fleetResourceTag: Record<string, string>,
  ): iam.PolicyStatement[] {
    return [
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
    ];
  }
}
