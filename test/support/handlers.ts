/**
 * Test support for the Lambda handler tests: dynalite per test file with a fresh fleet table per
 * test, event builders over the real AWS fixtures, recording fakes of the ports, and an
 * `AppDeps` builder with a fixed clock.
 *
 * The fakes implement the ports (shared/ports), so the compiler catches any drift.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import type { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { LocalDeadLetterQueue } from '../../sim/adapters/local-dead-letter-queue.ts';
import { LocalNodeAlarms } from '../../sim/adapters/local-node-alarms.ts';
import { MemoryLifetimeStore } from '../../sim/adapters/memory-lifetime-store.ts';
import { localLambdaContext } from '../../sim/adapters/local-lambda-context.ts';
import type { LocalDynamoDb } from '../../sim/adapters/local-dynamodb.ts';
import { StaticConfigSource } from '../../sim/adapters/local-config-source.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import { FakeClock as FixedClock, RecordingEventPublisher as RecordingPublisher, scanAll, scheduleFor, useFleetTable, type DetailOf } from './fleet.ts';
import { parseAutoscalerConfig, type AutoscalerConfig } from '../../shared/domain/config.ts';
import type { NodeView } from '../../shared/domain/model.ts';
import type { RandomSource } from '../../shared/domain/placement.ts';
import type {
  AppLogger,
  ComputeProvider,
  FleetStore,
  InstanceDescription,
  LaunchRequest,
  LaunchResult,
  LaunchedInstance,
} from '../../shared/ports/index.ts';

/** 2026-03-02T12:00:00Z, epoch ms: where every test clock starts. */
export const T0 = Date.parse('2026-03-02T12:00:00Z');

/** EventBridge `time` (whole seconds, as EventBridge writes it) of an epoch-ms instant. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ------------------------------------------------------------------------------------ events

/** A fixture event: a fresh deep copy of `test/fixtures/events/<path>` (data, never mutated). */
export function fixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/**
 * An AWS fixture with a per-test event `id` and, for EC2 events, another instance id (in the
 * detail and the resource ARN).
 */
export function awsEvent(path: string, overrides: { id: string; instanceId?: string; time?: number }): Record<string, unknown> {
  const event = fixture(path);
  event.id = overrides.id;
  if (overrides.time !== undefined) event.time = isoTime(overrides.time);
  if (overrides.instanceId !== undefined) {
    const detail = event.detail as Record<string, unknown>;
    const previous = detail['instance-id'] as string;
    detail['instance-id'] = overrides.instanceId;
    event.resources = (event.resources as string[]).map((r) => r.replace(previous, overrides.instanceId as string));
  }
  return event;
}

/** An EventBridge envelope around an application's or a node's event. */
export function envelope(
  source: string,
  detailType: string,
  detail: unknown,
  options: { id: string; time?: number; resources?: string[] },
): Record<string, unknown> {
  return {
    version: '0',
    id: options.id,
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: isoTime(options.time ?? T0),
    region: 'eu-central-1',
    resources: options.resources ?? [],
    detail,
  };
}

/** A `RoomCreated` from the default application source. */
export function roomCreated(id: string, detail: Record<string, unknown>, time = T0): Record<string, unknown> {
  return envelope('app.rooms', 'RoomCreated', detail, { id, time });
}

/** A `RoomReleased` from the default application source. */
export function roomReleased(id: string, roomId: string, time = T0): Record<string, unknown> {
  return envelope('app.rooms', 'RoomReleased', { roomId }, { id, time });
}

/** A Lambda context good enough for Powertools (logger, idempotency timeout). */
export function lambdaContext(functionName: string): Context {
  return localLambdaContext(functionName);
}

// ------------------------------------------------------------------------------------- fakes

// The clock, the detail type and the event recorder are the fleet harness's (./fleet.ts).
export { FixedClock, RecordingPublisher };
export type { DetailOf };

/** Records launches and terminations; launches are idempotent per decision id (EC2 ClientToken). */
export class RecordingCompute implements ComputeProvider {
  public readonly launches: LaunchRequest[] = [];
  public readonly terminations: string[][] = [];
  /** What `describeFleet` reports (the test sets it). */
  public readonly fleet: InstanceDescription[] = [];
  private readonly byDecision = new Map<string, LaunchedInstance[]>();
  private next = 1;

  public async launch(request: LaunchRequest): Promise<LaunchResult> {
    this.launches.push(request);
    const known = this.byDecision.get(request.decisionId);
    if (known) return { instances: known, failures: [] };
    const instances = Array.from({ length: request.count }, () => ({
      instanceId: `i-0fake${String(this.next++).padStart(12, '0')}`,
      instanceType: request.pool.instanceTypes[0] ?? 'c6i.2xlarge',
      subnetId: 'subnet-test',
    }));
    this.byDecision.set(request.decisionId, instances);
    for (const i of instances) {
      this.fleet.push({ instanceId: i.instanceId, pool: request.pool.name, state: 'pending', instanceType: i.instanceType, launchTime: request.now });
    }
    return { instances, failures: [] };
  }

  public async terminate(instanceIds: readonly string[]): Promise<void> {
    this.terminations.push([...instanceIds]);
    for (const i of this.fleet) if (instanceIds.includes(i.instanceId)) Object.assign(i, { state: 'shutting-down' });
  }

  public async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    return this.fleet.filter((i) => pool === undefined || i.pool === pool);
  }
}

/** A logger that keeps what it is told. */
export class RecordingLogger implements AppLogger {
  public readonly entries: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];

  public debug(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'debug', message, extra });
  }

  public info(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'info', message, extra });
  }

  public warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'warn', message, extra });
  }

  public error(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'error', message, extra });
  }
}

/** `AppDeps` with the concrete fakes exposed for assertions. */
export interface HandlerTestDeps extends AppDeps {
  readonly clock: FixedClock;
  readonly compute: RecordingCompute;
  readonly publisher: RecordingPublisher;
  readonly deadLetters: LocalDeadLetterQueue;
  readonly nodeAlarms: LocalNodeAlarms;
  readonly logger: RecordingLogger;
  readonly autoscalerConfig: AutoscalerConfig;
}

/**
 * A pool that is easy to reason about: 2 containers × 10 units, no minimum nodes, no minimum
 * headroom, WSS on 8443. Overrides are merged in.
 */
export function testPool(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'default', containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, wssPort: 8443, ...overrides };
}

/** Build the dependencies over a store: recording fakes, a fixed clock, random() = 0. */
export function makeDeps(options: { store: FleetStore; config?: unknown; clock?: FixedClock; random?: RandomSource }): HandlerTestDeps {
  const autoscalerConfig = parseAutoscalerConfig(options.config ?? { pools: [testPool()] });
  return {
    store: options.store,
    compute: new RecordingCompute(),
    publisher: new RecordingPublisher(),
    config: new StaticConfigSource(autoscalerConfig),
    deadLetters: new LocalDeadLetterQueue(),
    nodeAlarms: new LocalNodeAlarms(),
    lifetimes: new MemoryLifetimeStore(),
    schedule: scheduleFor(options.store),
    clock: options.clock ?? new FixedClock(T0),
    random: options.random ?? (() => 0),
    logger: new RecordingLogger(),
    autoscalerConfig,
  };
}

// ---------------------------------------------------------------------------------- dynalite

/** What {@link useDynalite} gives each test. */
export interface DynaliteContext {
  readonly db: LocalDynamoDb;
  /** This test's fleet table (fresh and empty). */
  readonly tableName: string;
  readonly store: DynamoDbFleetStore;
  /** Every item of this test's fleet table, sorted by key (to compare before / after). */
  snapshot(): Promise<Record<string, unknown>[]>;
}

/**
 * Start dynalite (127.0.0.1, free port) before the file's tests and close it after them; give
 * each test a fresh fleet table and store (test/support/fleet.ts does the work).
 */
export function useDynalite(): DynaliteContext {
  const fleet = useFleetTable();
  return {
    get db() {
      return fleet.db;
    },
    get tableName() {
      return fleet.tableName;
    },
    get store() {
      return fleet.store;
    },
    async snapshot() {
      const items = await scanAll(fleet.doc, fleet.tableName);
      const key = (i: Record<string, unknown>) => `${String(i.pk)}|${String(i.sk)}`;
      return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    },
  };
}

// ----------------------------------------------------------------------------------- seeding

/** One container as a node reports it in NodeReady. */
export interface SeedContainer {
  readonly index: number;
  readonly privateIp: string;
  readonly publicIp?: string;
  readonly cpuset: string;
}

/** Containers `0..n-1` with IPs derived from `octet` (10.0.<octet>.1x / 203.0.113.<octet·10+x>). */
export function seedContainers(n: number, octet: number): SeedContainer[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    privateIp: `10.0.${octet}.${10 + index}`,
    publicIp: `203.0.113.${(octet * 10 + index) % 250}`,
    cpuset: `${index * 4}-${index * 4 + 3}`,
  }));
}

/**
 * Seed a launching node as a launch would: the node item and the pool summary (liveNodes +1,
 * pendingCapacity + its capacity).
 */
export async function seedLaunchingNode(
  deps: Pick<HandlerTestDeps, 'store' | 'autoscalerConfig' | 'clock'>,
  nodeId: string,
  poolName = 'default',
): Promise<void> {
  const pool = await recordLaunch(deps, nodeId, poolName);
  await deps.store.adjustSummary(pool.name, { liveNodes: 1, pendingCapacity: pool.containersPerNode * pool.capacityPerContainer }, deps.clock.now());
  registerInstance(deps, nodeId, pool.name, 'pending');
}

/** Record the instance of a seeded node with the recording compute, when the deps have one. */
function registerInstance(deps: object, nodeId: string, pool: string, state: string): void {
  const compute = (deps as { compute?: unknown }).compute;
  if (!(compute instanceof RecordingCompute) || compute.fleet.some((i) => i.instanceId === nodeId)) return;
  compute.fleet.push({ instanceId: nodeId, pool, state, instanceType: 'c6i.2xlarge', launchTime: (deps as { clock: FixedClock }).clock.now() });
}

/** The node item of a launch (state `launching`) for a pool of the test configuration. */
async function recordLaunch(deps: Pick<HandlerTestDeps, 'store' | 'autoscalerConfig' | 'clock'>, nodeId: string, poolName: string) {
  const pool = deps.autoscalerConfig.pools.find((p) => p.name === poolName);
  if (!pool) throw new Error(`no pool ${poolName}`);
  const now = deps.clock.now();
  await deps.store.createNode(
    {
      nodeId,
      pool: pool.name,
      state: 'launching',
      instanceType: pool.instanceTypes[0] ?? 'c6i.2xlarge',
      launchedAt: now,
      decisionId: `seed:${nodeId}`,
      containersPerNode: pool.containersPerNode,
      capacityPerContainer: pool.capacityPerContainer,
    },
    now,
  );
  return pool;
}

/**
 * Seed a ready node through the store's lifecycle (`createNode` then `markReady`) and record it
 * in the pool summary as NodeReady would (liveNodes +1, readyFree + its capacity).
 */
export async function seedReadyNode(
  deps: Pick<HandlerTestDeps, 'store' | 'autoscalerConfig' | 'clock'>,
  nodeId: string,
  options: { pool?: string; octet?: number; containers?: SeedContainer[] } = {},
): Promise<NodeView> {
  const pool = await recordLaunch(deps, nodeId, options.pool ?? 'default');
  const now = deps.clock.now();
  const node = await deps.store.markReady(nodeId, options.containers ?? seedContainers(pool.containersPerNode, options.octet ?? 1), now);
  if (!node || node.state !== 'ready') throw new Error(`markReady(${nodeId}) did not make it ready`);
  registerInstance(deps, nodeId, pool.name, 'running');
  await deps.store.adjustSummary(pool.name, { liveNodes: 1, readyFree: pool.containersPerNode * pool.capacityPerContainer }, now);
  return node;
}
