/**
 * Composition root: the one place that picks implementations. In Lambda it builds the AWS
 * adapters from the environment (clients at module scope, once per container); the embedded
 * runtime installs its local set with {@link setDependencies} before invoking the handlers.
 *
 * What loads when (the cold-start budget, docs/performance.md): only the DynamoDB client (fleet
 * and idempotency tables) is imported with the handler. The EventBridge publisher is needed by
 * most invocations but not before their first DynamoDB round trips, so its import starts when
 * the environment's first invocation starts ({@link prefetchClients}) and overlaps those round
 * trips. The EC2 compute provider, the CloudWatch node alarms and the SQS dead-letter queue are
 * imported by dynamic `import()` — separate chunks of the function's asset (infra/bundling.ts) —
 * on the first call of their port, inside the invocation that needs them: a RoomCreated that
 * scales out launches in that same invocation. Configuration is read through
 * the Parameters and Secrets extension (shared/adapters/parameters-extension.ts), so no SSM
 * client is loaded at all.
 *
 * Environment (set by the CDK stack): `FLEET_TABLE`, `EVENT_BUS_NAME`, `CONFIG_PARAMETER`,
 * `LAUNCH_TEMPLATE_ID`, `SUBNET_IDS` (comma-separated), `SECURITY_GROUP_IDS`, `FLEET_NAME`,
 * `DLQ_URL`; optional `ELASTIC_IP_POOL` (comma-separated Elastic IP allocation ids to use before
 * allocating new ones) and `LAUNCH_TEMPLATE_IDS` (comma-separated `pool=lt-…`: each pool's own
 * launch template, its root volume and hibernation; a pool not listed uses `LAUNCH_TEMPLATE_ID`). `AWS_REGION` (set by Lambda) is rendered into the node user-data.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { extensionParameterReader } from '../../shared/adapters/parameters-extension.ts';
import { SsmConfigSource } from '../../shared/adapters/ssm-config-source.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import { shardsOfPool } from '../../shared/domain/shards.ts';
import { ConfigSourceError } from '../../shared/errors.ts';
import { nodeAlarmNamePrefix } from '../../shared/events/routing.ts';
import { NODE_SOURCE } from '../../shared/events/schemas.ts';
import type { ComputeProvider, DeadLetterQueue, EventPublisher, NodeAlarms } from '../../shared/ports/index.ts';
import { MeteredPublisher } from './metered-publisher.ts';
import { logger, METRICS_NAMESPACE, metrics } from './observability.ts';
import { traceClient, tracePorts } from './tracing.ts';

/** The DynamoDB client every function shares (fleet table and idempotency table). */
export const dynamoDbClient = traceClient(new DynamoDBClient({}));

/**
 * How long a function keeps the configuration and bootstrap parameters in memory, ms. Together
 * with the extension's own cache (`EXTENSION_CACHE_TTL_SECONDS`, 30 s) an operator's change to
 * a parameter reaches every execution environment within 60 s.
 */
export const FUNCTION_CONFIG_TTL_MS = 30_000;

let installed: AppDeps | undefined;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new ConfigSourceError(name, 'environment variable is not set');
  return v;
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * `LAUNCH_TEMPLATE_IDS` (`pool=lt-…,pool2=lt-…`) as the provider's `launchTemplatesByPool`.
 *
 * @throws {ConfigSourceError} when an entry is not `pool=id`
 */
export function launchTemplatesByPool(v: string | undefined): Record<string, { id: string }> {
  const out: Record<string, { id: string }> = {};
  for (const entry of list(v)) {
    const [pool, id, ...rest] = entry.split('=').map((s) => s.trim());
    if (!pool || !id || rest.length > 0) throw new ConfigSourceError('LAUNCH_TEMPLATE_IDS', `"${entry}" is not pool=launch-template-id`);
    out[pool] = { id };
  }
  return out;
}

/** The lazily loaded adapters, by the SDK client they bring. */
export type LazyClientName = 'eventbridge' | 'ec2' | 'cloudwatch' | 'sqs';

const loadEventBridge = () => Promise.all([import('@aws-sdk/client-eventbridge'), import('../../shared/adapters/eventbridge-publisher.ts')]);
let prefetched: Promise<unknown> | undefined;

/**
 * Start importing the EventBridge publisher without waiting for it (once per process): the
 * middleware calls this when an invocation starts, so the import runs while the invocation
 * waits for its first DynamoDB and configuration round trips. A failed prefetch is ignored (the
 * publisher's own load reports it).
 */
export function prefetchClients(): void {
  prefetched ??= loadEventBridge().catch(() => undefined);
}

const loadedClients = new Set<LazyClientName>();

/** Which lazily loaded adapters (and their SDK clients) this process has loaded so far. */
export function loadedLazyClients(): ReadonlySet<LazyClientName> {
  return loadedClients;
}

/**
 * A port whose adapter is built by `load` on the first call of any of `methods` (concurrent
 * first calls share one load; a failed load is retried on the next call).
 */
export function lazyPort<T extends object>(name: LazyClientName, methods: readonly (keyof T & string)[], load: () => Promise<T>): T {
  let adapter: Promise<T> | undefined;
  const get = () => {
    adapter ??= load().then(
      (a) => {
        loadedClients.add(name);
        return a;
      },
      (error: unknown) => {
        adapter = undefined;
        throw error;
      },
    );
    return adapter;
  };
  const port: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of methods) port[m] = async (...args) => ((await get())[m] as (...a: unknown[]) => Promise<unknown>)(...args);
  return port as T;
}

/** Build the AWS dependencies from the environment. */
export function awsDependencies(): AppDeps {
  const clock = { now: () => Date.now() };
  const fleet = env('FLEET_NAME');
  const launchTemplateId = env('LAUNCH_TEMPLATE_ID');
  const queueUrl = env('DLQ_URL');
  const compute = lazyPort<ComputeProvider>(
    'ec2',
    ['launch', 'terminate', 'start', 'stop', 'describeFleet', 'associateAddresses', 'releaseAddresses', 'releaseStoppedAddresses', 'describeAddresses', 'releaseAddress', 'addressQuota'],
    async () => {
      const [{ createEc2Client, Ec2ComputeProvider }, { ServiceQuotasClient }] = await Promise.all([
        import('../../shared/adapters/ec2/compute-provider.ts'),
        import('@aws-sdk/client-service-quotas'),
      ]);
      return new Ec2ComputeProvider({
        client: traceClient(createEc2Client()),
        launchTemplate: { id: launchTemplateId },
        launchTemplatesByPool: launchTemplatesByPool(process.env.LAUNCH_TEMPLATE_IDS),
        subnetIds: list(process.env.SUBNET_IDS),
        securityGroupIds: list(process.env.SECURITY_GROUP_IDS),
        fleet,
        addressPool: list(process.env.ELASTIC_IP_POOL),
        // Elastic IP quota check before launches of 'elastic-ip' pools (falls back to EC2 DescribeAccountAttributes).
        serviceQuotas: traceClient(new ServiceQuotasClient({})),
      });
    },
  );
  const nodeAlarms = lazyPort<NodeAlarms>('cloudwatch', ['ensure', 'remove'], async () => {
    const { CloudWatchNodeAlarms, createCloudWatchClient } = await import('../../shared/adapters/cloudwatch-node-alarms.ts');
    return new CloudWatchNodeAlarms({ client: traceClient(createCloudWatchClient()), namePrefix: nodeAlarmNamePrefix(fleet), nodeMetricsNamespace: METRICS_NAMESPACE });
  });
  const deadLetters = lazyPort<DeadLetterQueue>('sqs', ['send'], async () => {
    const [{ SQSClient }, { SqsDeadLetterQueue }] = await Promise.all([import('@aws-sdk/client-sqs'), import('../../shared/adapters/sqs-dead-letter-queue.ts')]);
    return new SqsDeadLetterQueue({ client: traceClient(new SQSClient({})), queueUrl });
  });
  const busName = env('EVENT_BUS_NAME');
  const eventBridge = lazyPort<EventPublisher>('eventbridge', ['publish'], async () => {
    const [{ EventBridgeClient }, { EventBridgePublisher }] = await loadEventBridge();
    return new EventBridgePublisher({ client: traceClient(new EventBridgeClient({})), busName, clock });
  });
  const publisher = new MeteredPublisher(eventBridge, metrics);
  const config = new SsmConfigSource({
    reader: extensionParameterReader(),
    configParameter: env('CONFIG_PARAMETER'),
    clock,
    ttlMs: FUNCTION_CONFIG_TTL_MS,
    // The launch path renders the bootstrap template per pool (same renderer as render-bootstrap).
    bootstrap: { fleet, eventBusName: busName, nodeSource: NODE_SOURCE, metricsNamespace: METRICS_NAMESPACE, region: env('AWS_REGION') },
  });
  // Each pool's index shards follow its configured peak placement rate (shared/domain/shards.ts).
  const store = new DynamoDbFleetStore({ client: dynamoDbClient, tableName: env('FLEET_TABLE'), shards: async (pool) => shardsOfPool(await config.getConfig(), pool) });
  return {
    // Handler phases as X-Ray subsegments when the invocation is traced (lambdas/shared/tracing.ts).
    store: tracePorts(store, {
      findCandidates: 'decide',
      beginRoom: 'claim',
      setTarget: 'claim',
      claimCapacity: 'claim',
      claimQueued: 'claim',
      confirmPlaced: 'claim',
      adjustSummary: 'summary',
    }),
    compute: tracePorts(compute, { launch: 'scale-out' }),
    publisher: tracePorts(publisher, { publish: 'publish' }),
    config: tracePorts(config, { getConfig: 'config', getUserData: 'user-data' }),
    deadLetters,
    nodeAlarms,
    // Learned room lifetimes (one Query per pool per 5 min, one ADD per release: shared/app/lifetimes.ts).
    lifetimes: store.lifetimes,
    schedule: store.schedule,
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
