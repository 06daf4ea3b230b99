/**
 * cdk-nag acknowledgements, each with its reason, kept in one place so a review sees every
 * exception at once. Each one names the exact finding (`AwsSolutions-IAM5[Resource::…]`), never
 * a whole rule; any finding not listed here fails the synth.
 *
 * @module
 */
import { Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { nodeAlarmNamePrefix } from './naming.ts';
import type { StatefulStack } from './stacks/stateful-stack.ts';
import type { StatelessStack } from './stacks/stateless-stack.ts';

/** One acknowledgement: the construct it is scoped to, the finding id, the reason. */
export interface NagAcknowledgement {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

/** How cdk-nag prints an ARN built with `Stack.formatArn`: pseudo parameters as `<AWS::…>`. */
function arnAsNagPrints(stack: Stack, service: string, resource: string, withAccount = true): string {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = withAccount ? (Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account) : '';
  return `arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
}

/**
 * The fleet's acknowledgements (exported for the tests, which check every reason is given).
 *
 * @param fleet - the two stacks of {@link addFleet}
 */
export function fleetNagAcknowledgements(fleet: { readonly stateful: StatefulStack; readonly stateless: StatelessStack }): NagAcknowledgement[] {
  const { stateless } = fleet;
  const acks: NagAcknowledgement[] = [];
  const ec2Wildcards: Array<[string, string]> = [
    ['instance/*', 'RunInstances creates instances whose ids are unknown in advance; allowed only from the fleet launch templates with the fleet and pool tags on create (aws:RequestTag, ec2:LaunchTemplate). TerminateInstances / StartInstances / StopInstances (warm pool) / Associate / DisassociateAddress only on instances carrying this fleet tag (aws:ResourceTag).'],
    ['volume/*', 'RunInstances creates the root volume; allowed only from this launch template with the fleet tag on create (aws:RequestTag, ec2:LaunchTemplate); CreateTags only as part of RunInstances (ec2:CreateAction).'],
    ['network-interface/*', 'RunInstances creates the primary network interface (with one secondary private IP per container); allowed only tagged on create from this launch template. Associate / DisassociateAddress only on interfaces carrying this fleet tag.'],
    ['elastic-ip/*', 'AllocateAddress creates Elastic IPs whose allocation ids are unknown in advance; allowed only with the fleet tag on create (aws:RequestTag); Associate / Disassociate / ReleaseAddress only on Elastic IPs carrying this fleet tag (aws:ResourceTag).'],
  ];
  for (const fn of Object.values(stateless.functions)) {
    const stack = Stack.of(fn);
    for (const [resource, reason] of ec2Wildcards) {
      acks.push({ scope: fn.executionRole, id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arnAsNagPrints(stack, 'ec2', resource)}]`, reason });
    }
    acks.push({
      scope: fn.executionRole,
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arnAsNagPrints(stack, 'ec2', 'image/*', false)}]`,
      reason: 'The AMI comes from the launch template (current Amazon Linux 2023, resolved at deploy); RunInstances may use an image only together with this launch template (ec2:LaunchTemplate condition).',
    });
    acks.push({
      scope: fn.executionRole,
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only read actions without resource-level permissions: ec2:DescribeInstances, ec2:DescribeAddresses (reconciliation by fleet tag filter), ec2:DescribeAccountAttributes and servicequotas:GetServiceQuota (the Elastic IP quota checked before launching; only when a pool uses Elastic IPs) and xray:PutTraceSegments / PutTelemetryRecords (active tracing).',
    });
    acks.push({
      scope: fn,
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the project is built and tested on (engines, esbuild target node22); moving to a newer runtime is a deliberate upgrade, not a deploy-time default.',
    });
  }

  // Per-node alarms: created on NodeReady and deleted on termination, named after instances
  // whose ids are unknown in advance; only node-events and sweep hold the statement.
  for (const fn of [stateless.functions['node-events'], stateless.functions.sweep]) {
    acks.push({
      scope: fn.executionRole,
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arnAsNagPrints(Stack.of(fn), 'cloudwatch', `alarm:${nodeAlarmNamePrefix(stateless.mediaNodes.fleetName)}*`)}]`,
      reason:
        'cloudwatch:PutMetricAlarm / DeleteAlarms on the per-node alarms, whose names end in instance ids unknown in advance: only alarms named with this fleet\'s node prefix (the prefix the node-events rule routes), no other alarm in the account.',
    });
  }

  const nodes = stateless.mediaNodes;
  acks.push({
    scope: nodes.role,
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    reason: 'Session Manager replaces SSH (no key pair, no port 22): AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent.',
  });
  acks.push({
    scope: nodes.role,
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'cloudwatch:PutMetricData has no resource-level permissions; it is limited to the fleet metrics namespace by the cloudwatch:namespace condition.',
  });
  acks.push({
    scope: nodes.role,
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arnAsNagPrints(Stack.of(nodes), 'kms', 'key/*')}]`,
    reason: 'Decrypting the WCS SecureStrings: the key (aws/ssm or the operator\'s) is not known to the stack; kms:Decrypt is allowed only through SSM (kms:ViaService) and only for these parameters (kms:EncryptionContext:PARAMETER_ARN).',
  });
  acks.push({
    scope: nodes.securityGroup,
    id: 'AwsSolutions::AwsSolutions-EC23',
    reason: 'Media servers serve WebRTC clients on the internet: the WSS port and the UDP media range are open to the configured client CIDRs (default 0.0.0.0/0). The REST port is open only to the VPC and operator CIDRs; there is no SSH.',
  });

  const sweep = stateless.functions.sweep;
  const sweepLogicalId = Stack.of(sweep).getLogicalId(sweep.node.defaultChild as CfnResource);
  for (const child of stateless.node.children) {
    if (child.node.id.startsWith('SchedulerRoleForTarget')) {
      acks.push({
        scope: child,
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${sweepLogicalId}.Arn>:*]`,
        reason: 'The EventBridge Scheduler target role may invoke the sweep function and its versions / aliases (function ARN + ":*", as granted by LambdaInvoke); nothing else.',
      });
    }
  }
  acks.push({
    scope: stateless,
    id: 'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong',
    reason: 'Strong cross-stack references are intended: the stateful stack cannot drop a table or parameter the functions still use.',
  });
  return acks;
}

/** Register the fleet's acknowledgements with `Validations.of(scope).acknowledge`. */
export function acknowledgeNagFindings(fleet: { readonly stateful: StatefulStack; readonly stateless: StatelessStack }): void {
  for (const ack of fleetNagAcknowledgements(fleet)) Validations.of(ack.scope).acknowledge({ id: ack.id, reason: ack.reason });
}
