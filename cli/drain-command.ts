/**
 * `wcs-autoscaler drain NODE` / `undrain NODE`: take a node out of placement by hand, or return
 * it, on the fleet table of a deployment (`--table`, or env `FLEET_TABLE`; `--region`).
 * `NodeDraining` is published to the event bus named by `--event-bus` (env `EVENT_BUS_NAME`)
 * when given.
 *
 * @module
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDbFleetStore } from '../shared/adapters/dynamodb/fleet-store.ts';
import { dynamoDbScheduleStore } from '../shared/adapters/dynamodb/schedule-store.ts';
import { EventBridgePublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { StaticConfigSource } from '../sim/adapters/local-config-source.ts';
import { LocalDeadLetterQueue } from '../sim/adapters/local-dead-letter-queue.ts';
import { silentLogger, type AppDeps } from '../shared/app/deps.ts';
import { operatorDrain, operatorUndrain, type OperatorOutcome } from '../shared/app/operator.ts';
import { ConfigError, parseAutoscalerConfig } from '../shared/domain/config.ts';
import type { ComputeProvider, EventPublisher, NodeAlarms } from '../shared/ports/index.ts';
import { ExitCode } from './errors.ts';

/** Options as commander parses them. */
export interface DrainCommandOptions {
  readonly table?: string;
  readonly region?: string;
  readonly eventBus?: string;
  readonly force?: boolean;
  /** DynamoDB endpoint (a local DynamoDB); default: AWS's. */
  readonly endpoint?: string;
}

/** The operator commands never launch or terminate: a compute port that refuses to. */
const noCompute: ComputeProvider = {
  launch: () => Promise.reject(new Error('the operator CLI does not launch instances')),
  terminate: () => Promise.reject(new Error('the operator CLI does not terminate instances')),
  describeFleet: () => Promise.resolve([]),
};

const noPublisher: EventPublisher = { publish: () => Promise.resolve() };

/** Nor do they create or delete node alarms (those follow NodeReady and termination). */
const noNodeAlarms: NodeAlarms = {
  ensure: () => Promise.reject(new Error('the operator CLI does not create node alarms')),
  remove: () => Promise.reject(new Error('the operator CLI does not delete node alarms')),
};

/**
 * Build the dependencies the operator actions need.
 *
 * @throws {ConfigError} when no fleet table is named
 */
export function operatorDeps(opts: DrainCommandOptions): { deps: AppDeps; close: () => void } {
  const table = opts.table ?? process.env.FLEET_TABLE;
  if (!table) throw new ConfigError(['--table: name the fleet table (or set FLEET_TABLE)']);
  const region = opts.region ?? process.env.AWS_REGION;
  const dynamo = new DynamoDBClient({ ...(region ? { region } : {}), ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
  const clock = { now: () => Date.now() };
  const busName = opts.eventBus ?? process.env.EVENT_BUS_NAME;
  const bus = busName ? new EventBridgeClient({ ...(region ? { region } : {}) }) : undefined;
  const deps: AppDeps = {
    store: new DynamoDbFleetStore({ client: dynamo, tableName: table }),
    schedule: dynamoDbScheduleStore({ client: dynamo, tableName: table }),
    compute: noCompute,
    publisher: bus && busName ? new EventBridgePublisher({ client: bus, busName, clock }) : noPublisher,
    config: new StaticConfigSource(parseAutoscalerConfig({})),
    deadLetters: new LocalDeadLetterQueue(),
    nodeAlarms: noNodeAlarms,
    clock,
    random: () => 0,
    logger: silentLogger,
  };
  return { deps, close: () => (dynamo.destroy(), bus?.destroy()) };
}

/**
 * Run `drain` or `undrain` on one node.
 *
 * @returns the outcome and the exit code (0 done, 2 refused: no such node, or a state it cannot leave that way)
 * @throws {ConfigError} when no fleet table is named
 */
export async function runDrainCommand(action: 'drain' | 'undrain', nodeId: string, opts: DrainCommandOptions): Promise<{ outcome: OperatorOutcome; exitCode: number }> {
  const { deps, close } = operatorDeps(opts);
  try {
    const outcome = action === 'drain' ? await operatorDrain(deps, nodeId) : await operatorUndrain(deps, nodeId, { force: opts.force === true });
    return { outcome, exitCode: outcome.kind === 'refused' ? ExitCode.Usage : ExitCode.Ok };
  } finally {
    close();
  }
}
