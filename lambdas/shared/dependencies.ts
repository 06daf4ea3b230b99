/**
 * Composition root: the one place that picks implementations. In Lambda it builds the AWS
 * adapters from the environment (clients at module scope, once per container); the embedded
 * runtime installs its local set with {@link setDependencies} before invoking the handlers.
 *
 * Environment (set by the CDK stack): `FLEET_TABLE`, `EVENT_BUS_NAME`, `CONFIG_PARAMETER`,
 * `LAUNCH_TEMPLATE_ID`, `SUBNET_IDS` (comma-separated), `SECURITY_GROUP_IDS`, `FLEET_NAME`,
 * `DLQ_URL`; optional `ELASTIC_IP_POOL` (comma-separated Elastic IP allocation ids to use before
 * allocating new ones). `AWS_REGION` (set by Lambda) is rendered into the node user-data.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { createEc2Client, Ec2ComputeProvider } from '../../shared/adapters/ec2/compute-provider.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { CloudWatchNodeAlarms, createCloudWatchClient } from '../../shared/adapters/cloudwatch-node-alarms.ts';
import { SqsDeadLetterQueue } from '../../shared/adapters/sqs-dead-letter-queue.ts';
import { SsmConfigSource } from '../../shared/adapters/ssm-config-source.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import { ConfigSourceError } from '../../shared/errors.ts';
import { nodeAlarmNamePrefix } from '../../shared/events/routing.ts';
import { NODE_SOURCE } from '../../shared/events/schemas.ts';
import { MeteredPublisher } from './metered-publisher.ts';
import { logger, METRICS_NAMESPACE, metrics } from './observability.ts';

/** The DynamoDB client every function shares (fleet table and idempotency table). */
export const dynamoDbClient = new DynamoDBClient({});

let installed: AppDeps | undefined;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new ConfigSourceError(name, 'environment variable is not set');
  return v;
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Build the AWS dependencies from the environment. */
export function awsDependencies(): AppDeps {
  const clock = { now: () => Date.now() };
  return {
    store: new DynamoDbFleetStore({ client: dynamoDbClient, tableName: env('FLEET_TABLE') }),
    compute: new Ec2ComputeProvider({
      client: createEc2Client(),
      launchTemplate: { id: env('LAUNCH_TEMPLATE_ID') },
      subnetIds: list(process.env.SUBNET_IDS),
      securityGroupIds: list(process.env.SECURITY_GROUP_IDS),
      fleet: env('FLEET_NAME'),
      addressPool: list(process.env.ELASTIC_IP_POOL),
      // Elastic IP quota check before launches of 'elastic-ip' pools (falls back to EC2 DescribeAccountAttributes).
      serviceQuotas: new ServiceQuotasClient({}),
    }),
    publisher: new MeteredPublisher(new EventBridgePublisher({ client: new EventBridgeClient({}), busName: env('EVENT_BUS_NAME'), clock }), metrics),
    config: new SsmConfigSource({
      client: new SSMClient({}),
      configParameter: env('CONFIG_PARAMETER'),
      clock,
      // The launch path renders the bootstrap template per pool (same renderer as render-bootstrap).
      bootstrap: {
        fleet: env('FLEET_NAME'),
        eventBusName: env('EVENT_BUS_NAME'),
        nodeSource: NODE_SOURCE,
        metricsNamespace: METRICS_NAMESPACE,
        region: env('AWS_REGION'),
      },
    }),
    deadLetters: new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: env('DLQ_URL') }),
    nodeAlarms: new CloudWatchNodeAlarms({
      client: createCloudWatchClient(),
      namePrefix: nodeAlarmNamePrefix(env('FLEET_NAME')),
      nodeMetricsNamespace: METRICS_NAMESPACE,
    }),
    clock,
    random: () => randomInt(0, 2 ** 31) / 2 ** 31,
    logger,
  };
}

/** The dependencies in force: those installed, else the AWS set (built on first use). */
export function getDependencies(): AppDeps {
  installed ??= awsDependencies();
  return installed;
}

/** Install dependencies (embedded runtime, tests); `undefined` reverts to the AWS set. */
export function setDependencies(deps: AppDeps | undefined): void {
  installed = deps;
}
