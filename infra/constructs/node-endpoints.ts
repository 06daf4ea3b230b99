/**
 * VPC endpoints that give media nodes their AWS calls without internet egress: for nodes whose
 * host has no public IPv4 in a VPC without a NAT gateway (private subnets, or accounts that keep
 * public IPv4 off). Opt-in (`network.vpcEndpoints`), because interface endpoints are billed per
 * endpoint per AZ-hour; see `docs/public-addressing.md`.
 *
 * What a node calls (infra/bootstrap, the SSM agent): SSM Parameter Store (`ssm`), Session
 * Manager (`ssmmessages`, `ec2messages`), EventBridge `PutEvents` (`events`), CloudWatch
 * `PutMetricData` (`monitoring`) and CloudWatch Logs (`logs`). A WCS image in ECR adds
 * `ecr.api`, `ecr.dkr` and the S3 gateway endpoint (ECR keeps image layers in S3). Docker Hub
 * has no endpoint: private-only hosts pulling from it need NAT or a registry mirror.
 *
 * @module
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Interface endpoints every node needs (service name suffixes, `com.amazonaws.<region>.<name>`). */
export const NODE_INTERFACE_ENDPOINTS = ['ssm', 'ssmmessages', 'ec2messages', 'events', 'monitoring', 'logs'] as const;

/** Interface endpoints for pulling the WCS image from ECR (with the S3 gateway endpoint). */
export const ECR_INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr'] as const;

/** Props of {@link NodeEndpoints}. */
export interface NodeEndpointsProps {
  /** VPC of the media nodes. */
  readonly vpc: ec2.IVpc;
  /** Subnets the endpoint network interfaces go into: the media subnets, at most one per AZ. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The media nodes' security group: the only source admitted to the endpoints (HTTPS). */
  readonly clients: ec2.ISecurityGroup;
  /** Also the ECR interface endpoints and the S3 gateway endpoint. @default false */
  readonly ecr?: boolean;
}

/**
 * Interface endpoints (private DNS on, so the AWS CLI on the node needs no endpoint URL) with one
 * security group admitting HTTPS from the media nodes' security group only, and optionally
 * ECR + S3.
 *
 * @example
 * new NodeEndpoints(this, 'NodeEndpoints', { vpc, subnets, clients: mediaNodes.securityGroup, ecr: true });
 */
export class NodeEndpoints extends Construct {
  /** The interface endpoints by service name suffix. */
  public readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  /** The S3 gateway endpoint (with `ecr`). */
  public readonly s3?: ec2.GatewayVpcEndpoint;
  /** The endpoints' security group. */
  public readonly securityGroup: ec2.SecurityGroup;

  public constructor(scope: Construct, id: string, props: NodeEndpointsProps) {
    super(scope, id);
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'wcs-autoscaler: HTTPS from the media nodes to their interface endpoints',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(props.clients, ec2.Port.tcp(443), 'HTTPS from the media nodes');
    this.securityGroup = securityGroup;
    const names = [...NODE_INTERFACE_ENDPOINTS, ...(props.ecr ? ECR_INTERFACE_ENDPOINTS : [])];
    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    for (const name of names) {
      endpoints[name] = new ec2.InterfaceVpcEndpoint(this, `Endpoint-${name.replace('.', '-')}`, {
        vpc: props.vpc,
        service: new ec2.InterfaceVpcEndpointAwsService(name),
        subnets: { subnets: [...props.subnets] },
        privateDnsEnabled: true,
        securityGroups: [securityGroup],
        open: false,
      });
    }
    this.interfaceEndpoints = endpoints;
    if (props.ecr) {
      this.s3 = new ec2.GatewayVpcEndpoint(this, 'EndpointS3', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    }
  }
}
