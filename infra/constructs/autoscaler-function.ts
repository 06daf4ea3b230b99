/**
 * The one Lambda function class of the app: it owns every function default (Node.js 22, arm64,
 * the esbuild ESM asset folder of infra/bundling.ts with code-split chunks, X-Ray tracing, the
 * AWS Parameters and Secrets extension for configuration reads, a log group with retention, an
 * SQS dead-letter queue for asynchronous invocations) and the `bind*` helpers that set an
 * environment variable and grant the matching permission together.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { ArnFormat, AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { FleetTable } from '../../shared/adapters/dynamodb/fleet-table.ts';
import { nodeAlarmNamePrefix } from '../../shared/events/routing.ts';
import { AUTOSCALER_SOURCE } from '../../shared/events/schemas.ts';
import type { ComputeUse, MediaNodes } from './media-nodes.ts';
import { buildLambdaAsset, LAMBDA_HANDLER, LAMBDA_RUNTIME_ENVIRONMENT } from '../bundling.ts';
import { EXTENSION_CACHE_TTL_SECONDS } from '../../shared/adapters/parameters-extension.ts';

/** Repository root (the bundler's project root and lock file location). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Lambda entry points of the app (`lambdas/<name>/index.ts`, export `handler`). */
export type AutoscalerFunctionName = 'room-events' | 'node-events' | 'sweep';

/**
 * DynamoDB actions `DynamoDbFleetStore` issues (`shared/adapters/dynamodb/`: Get/Put/Update,
 * Query and Scan through the SDK paginators, BatchGetItem for `getRooms`, which the sweep's
 * repair calls; DeleteItem for a pool summary's draining-node items and BatchWriteItem for the
 * sweep's deletes of aged minute buckets, `pool-summary-store.ts`). No transactions.
 */
export const FLEET_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;

/**
 * DynamoDB actions of the Powertools idempotency persistence layer
 * (`DynamoDBPersistenceLayer`: GetItem, PutItem, UpdateItem, DeleteItem).
 */
export const IDEMPOTENCY_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/**
 * CloudWatch actions of `CloudWatchNodeAlarms` (`shared/adapters/cloudwatch-node-alarms.ts`):
 * create/update and delete the per-node alarms. No DescribeAlarms: names are derived.
 */
export const NODE_ALARM_ACTIONS = ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'] as const;

/**
 * ARN pattern of a fleet's per-node alarms:
 * `arn:<partition>:cloudwatch:<region>:<account>:alarm:wcs-autoscaler-<fleet>-node-*`.
 */
export function nodeAlarmsArn(stack: Stack, fleetName: string): string {
  return stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${nodeAlarmNamePrefix(fleetName)}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * A function's code: the asset folder of infra/bundling.ts (`index.mjs` + `chunks/`), built by
 * esbuild in-process through CDK's local bundling (no Docker; the image is never pulled). The
 * asset hash is the output's, so an unchanged build is not redeployed. Stacks left out of
 * `aws:cdk:bundling-stacks` skip the build, as for any CDK bundled asset.
 */
export function autoscalerFunctionCode(name: AutoscalerFunctionName): lambda.Code {
  return lambda.Code.fromAsset(`${REPOSITORY_ROOT}lambdas/${name}`, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      local: {
        tryBundle(outputDir: string): boolean {
          buildLambdaAsset(REPOSITORY_ROOT, name, outputDir);
          return true;
        },
      },
    },
  });
}

/** Props of {@link AutoscalerFunction}. */
export interface AutoscalerFunctionProps {
  /** Which entry point (`lambdas/<name>/index.ts`). */
  readonly name: AutoscalerFunctionName;
  /** Fleet name, used in the function description and names of its resources. */
  readonly fleetName: string;
  /** Memory, MiB. @default 512 */
  readonly memoryMiB?: number;
  /** Timeout. @default 30 s */
  readonly timeout?: Duration;
  /** Log retention. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Lambda's own retries of a failed asynchronous invocation (0–2). @default 2 */
  readonly retryAttempts?: number;
  /** Extra environment variables. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A wcs-autoscaler Lambda function with its log group, execution role and dead-letter queue.
 *
 * The role starts empty (no managed policy): the function may write only to its own log group
 * and X-Ray, then each `bind*` adds exactly what the environment variable it sets needs.
 *
 * @example
 * const fn = new AutoscalerFunction(this, 'RoomEvents', { name: 'room-events', fleetName: 'prod' });
 * fn.bindFleetTable(stateful.fleetTable);
 * fn.bindEventBus(bus);
 */
export class AutoscalerFunction extends lambda.Function {
  /** Receives asynchronous invocations that failed every retry, and events the handler rejects (`DLQ_URL`). */
  public override readonly deadLetterQueue: sqs.Queue;
  /** The function's log group (retention set). */
  public readonly functionLogGroup: logs.LogGroup;
  /** The function's execution role (inline policies only). */
  public readonly executionRole: iam.Role;

  public constructor(scope: Construct, id: string, props: AutoscalerFunctionProps) {
    const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetterQueue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `wcs-autoscaler ${props.fleetName}: ${props.name} function`,
    });
    super(scope, id, {
      code: autoscalerFunctionCode(props.name),
      handler: LAMBDA_HANDLER,
      description: `wcs-autoscaler ${props.fleetName}: ${props.name}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMiB ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role,
      deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: Duration.hours(6),
      // Configuration reads go through the extension's local cache (shared/adapters/parameters-extension.ts):
      // no SSM client in the function, and a changed parameter is seen within its TTL.
      paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(lambda.ParamsAndSecretsVersions.V1_0_103, {
        cacheEnabled: true,
        parameterStoreTtl: Duration.seconds(EXTENSION_CACHE_TTL_SECONDS),
        logLevel: lambda.ParamsAndSecretsLogLevel.WARN,
      }),
      environment: {
        ...LAMBDA_RUNTIME_ENVIRONMENT,
        DLQ_URL: deadLetterQueue.queueUrl,
        ...props.environment,
      },
    });
    this.deadLetterQueue = deadLetterQueue;
    this.functionLogGroup = logGroup;
    this.executionRole = role;
  }

  /** `FLEET_TABLE`: the fleet store's actions on the table and its indexes (by name, no wildcard). */
  public bindFleetTable(table: dynamodb.ITableV2): this {
    this.addEnvironment('FLEET_TABLE', table.tableName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'FleetTable',
        actions: [...FLEET_TABLE_ACTIONS],
        resources: [table.tableArn, ...Object.values(FleetTable.indexes).map((i) => `${table.tableArn}/index/${i.indexName}`)],
      }),
    );
    return this;
  }

  /** `IDEMPOTENCY_TABLE`: the Powertools persistence layer's actions on that table only. */
  public bindIdempotencyTable(table: dynamodb.ITableV2): this {
    this.addEnvironment('IDEMPOTENCY_TABLE', table.tableName);
    this.addToRolePolicy(new iam.PolicyStatement({ sid: 'IdempotencyTable', actions: [...IDEMPOTENCY_TABLE_ACTIONS], resources: [table.tableArn] }));
    return this;
  }

  /** `EVENT_BUS_NAME`: `events:PutEvents` on this bus only, and only with the autoscaler's `source`. */
  public bindEventBus(bus: events.IEventBus): this {
    this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutAutoscalerEvents',
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': AUTOSCALER_SOURCE } },
      }),
    );
    return this;
  }

  /** `CONFIG_PARAMETER`: `ssm:GetParameter` on the config parameter and the other parameters the function reads. */
  public bindParameters(config: ssm.IStringParameter, others: readonly ssm.IStringParameter[]): this {
    this.addEnvironment('CONFIG_PARAMETER', config.parameterName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadParameters',
        actions: ['ssm:GetParameter'],
        resources: [config, ...others].map((p) => p.parameterArn),
      }),
    );
    return this;
  }

  /**
   * Create and delete the fleet's per-node CloudWatch alarms (NodeReady creates them, termination
   * deletes them): {@link NODE_ALARM_ACTIONS} only on alarms named with the fleet's node prefix
   * ({@link nodeAlarmsArn}). The adapter reads the fleet name from `FLEET_NAME` ({@link bindCompute}).
   */
  public bindNodeAlarms(fleetName: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'FleetNodeAlarms', actions: [...NODE_ALARM_ACTIONS], resources: [nodeAlarmsArn(Stack.of(this), fleetName)] }),
    );
    return this;
  }

  /**
   * `LAUNCH_TEMPLATE_ID`, `LAUNCH_TEMPLATE_IDS` (`pool=lt-…` per pool), `SUBNET_IDS`,
   * `SECURITY_GROUP_IDS`, `FLEET_NAME`: launch, start, stop, address and terminate this fleet's media nodes, with the statements of {@link MediaNodes.computeStatements}
   * for what this function does (`uses`; all by default).
   */
  public bindCompute(nodes: MediaNodes, uses?: ReadonlySet<ComputeUse>): this {
    this.addEnvironment('LAUNCH_TEMPLATE_ID', nodes.launchTemplate.launchTemplateId!);
    this.addEnvironment('LAUNCH_TEMPLATE_IDS', [...nodes.launchTemplates].map(([pool, t]) => `${pool}=${t.launchTemplateId!}`).join(','));
    this.addEnvironment('SUBNET_IDS', nodes.subnets.map((s) => s.subnetId).join(','));
    this.addEnvironment('SECURITY_GROUP_IDS', nodes.securityGroup.securityGroupId);
    this.addEnvironment('FLEET_NAME', nodes.fleetName);
    for (const statement of nodes.computeStatements(uses)) this.addToRolePolicy(statement);
    return this;
  }
}
