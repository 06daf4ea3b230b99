/**
 * Test support for the fleet: dynalite per test file, a fresh fleet table per test, seeding
 * helpers, and in-memory fakes of the ports (compute, publisher) plus an `AppDeps` builder with a
 * clock the test advances and a seeded random source.
 *
 * @module
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { MemoryScheduleStore } from '../../sim/adapters/memory-schedule-store.ts';
import type { ScheduleStore } from '../../shared/ports/schedule-store.ts';
import { fleetTableCreateInput } from '../../shared/adapters/dynamodb/fleet-table.ts';
import { freeUnits, heldRooms } from '../../shared/adapters/dynamodb/items.ts';
import { LocalDeadLetterQueue } from '../../sim/adapters/local-dead-letter-queue.ts';
import { LocalNodeAlarms } from '../../sim/adapters/local-node-alarms.ts';
import { MemoryLifetimeStore } from '../../sim/adapters/memory-lifetime-store.ts';
import { createTable, localClientConfig, startLocalDynamoDb, type LocalDynamoDb } from '../../sim/adapters/local-dynamodb.ts';
import { StaticConfigSource } from '../../sim/adapters/local-config-source.ts';
import { silentLogger, type AppDeps } from '../../shared/app/deps.ts';
import { parseAutoscalerConfig, type AutoscalerConfig } from '../../shared/domain/config.ts';
import type { NodeView } from '../../shared/domain/model.ts';
import { seededRandom, type RandomSource } from '../../sim/random.ts';
import type { OutboundEvent } from '../../shared/events/schemas.ts';
import type {
  Clock,
  ComputeProvider,
  EventPublisher,
  FleetStore,
  InstanceDescription,
  LaunchRequest,
  LaunchResult,
  LaunchedInstance,
} from '../../shared/ports/index.ts';

/** A fixed instant (2023-11-14T22:13:20Z), epoch ms; tests start their clocks here. */
export const T0 = 1_700_000_000_000;

// ------------------------------------------------------------------------------------ dynalite

/** What {@link useFleetTable} gives each test: a server per file, a table per test. */
export interface FleetTableContext {
  /** The dynalite server of this test file. */
  readonly db: LocalDynamoDb;
  /** This test's fleet table. */
  readonly tableName: string;
  /** A `DynamoDbFleetStore` on this test's table (shares the file's client). */
  readonly store: DynamoDbFleetStore;
  /** A document client for raw reads of this test's table. */
  readonly doc: DynamoDBDocumentClient;
  /** A new client on the file's server (for middleware such as call counting); destroyed after the file. */
  newClient(): DynamoDBClient;
  /** Create another fleet table (unique name) and return its name. */
  createTable(): Promise<string>;
}

let tableCounter = 0;

/**
 * Instances of nodes seeded straight into the store (no launch): every
 * {@link FakeComputeProvider} describes them as running until it terminates them, as EC2 would
 * for an instance the fleet launched. Cleared before each test by {@link useFleetTable}.
 */
const seededInstances = new Map<string, InstanceDescription>();

/** Describe an instance as running for every {@link FakeComputeProvider} (a node seeded by hand). */
export function seedInstance(instanceId: string, pool: string, launchTime: number): void {
  seededInstances.set(instanceId, { instanceId, pool, state: 'running', instanceType: 'c6i.2xlarge', launchTime });
}

/** A table name unique within this process (dynalite servers are per file anyway). */
export function uniqueTableName(prefix = 'fleet'): string {
  tableCounter += 1;
  return `${prefix}-${process.pid}-${tableCounter}`;
}

/** Create a fleet table from `fleetTableCreateInput` and wait until it is ACTIVE. */
export async function createFleetTable(client: DynamoDBClient, tableName = uniqueTableName()): Promise<string> {
  return createTable(client, fleetTableCreateInput(tableName));
}

/**
 * Start dynalite (127.0.0.1, free port) before the file's tests and close it after them; create a
 * fresh fleet table and store before each test.
 *
 * @example
 * const fleet = useFleetTable();
 * it('…', async () => { await fleet.store.createNode(…); });
 */
export function useFleetTable(): FleetTableContext {
  let db: LocalDynamoDb | undefined;
  let tableName: string | undefined;
  let store: DynamoDbFleetStore | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  const extraClients: DynamoDBClient[] = [];

  beforeAll(async () => {
    db = await startLocalDynamoDb({ fleetTable: uniqueTableName(), idempotencyTable: uniqueTableName('idem') });
  });
  afterAll(async () => {
    for (const c of extraClients) c.destroy();
    await db?.close();
  });
  beforeEach(async () => {
    seededInstances.clear();
    if (!db) throw new Error('dynalite not started');
    tableName = await createFleetTable(db.client);
    store = new DynamoDbFleetStore({ client: db.client, tableName });
    doc = DynamoDBDocumentClient.from(db.client);
  });

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is only available inside a test`);
    return v;
  };
  return {
    get db() {
      return need(db, 'db');
    },
    get tableName() {
      return need(tableName, 'tableName');
    },
    get store() {
      return need(store, 'store');
    },
    get doc() {
      return need(doc, 'doc');
    },
    newClient() {
      const client = new DynamoDBClient(localClientConfig(need(db, 'db').endpoint));
      extraClients.push(client);
      return client;
    },
    createTable() {
      return createFleetTable(need(db, 'db').client);
    },
  };
}

/** Every raw item of a table (Scan, all pages). */
export async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** A container item as stored (the fields the invariants need). */
export interface RawContainer {
  readonly nodeId: string;
  readonly idx: number;
  readonly capacity: number;
  readonly used: number;
  /** Free capacity units (the stored `free` without its placement tie-break). */
  readonly free: number;
  /** The stored `free`: the `placement` index's sort key, tie-break included. */
  readonly freeKey: number;
  readonly accepting: boolean;
  readonly rooms: Readonly<Record<string, number>>;
}

/**
 * The raw container items among `items`, each with `rooms` = the room ids it holds (its compact
 * `rh` map joined with its hold items, as the store reads them).
 */
export function rawContainers(items: readonly Record<string, unknown>[]): RawContainer[] {
  const holds = items.filter((i) => i.type === 'hold');
  return items.filter((i) => i.type === 'container').map((c) => ({ ...c, free: freeUnits(c), freeKey: c.free, rooms: heldRooms(c, holds) })) as unknown as RawContainer[];
}

/** The raw container items of a table (rooms joined from their hold items). */
export async function scanContainers(doc: DynamoDBDocumentClient, tableName: string): Promise<RawContainer[]> {
  return rawContainers(await scanAll(doc, tableName));
}

// ------------------------------------------------------------------------------------ seeding

/** Options of {@link seedReadyNode}. */
export interface SeedNodeOptions {
  readonly nodeId: string;
  readonly pool: string;
  /** Containers on the node. */
  readonly containers: number;
  /** Capacity of each container, capacity units. */
  readonly capacityPerContainer: number;
  /** Epoch ms of launch and readiness. */
  readonly now: number;
  readonly instanceType?: string;
  /**
   * Also add the node to the pool summary as a launch followed by NodeReady would
   * (liveNodes +1, readyFree + capacity). Default true.
   */
  readonly recordInSummary?: boolean;
}

let ipCounter = 0;

/**
 * Seed a ready node through the store's own lifecycle: `createNode` (launching) then `markReady`
 * with one private / public IP and cpuset per container.
 *
 * @returns the node as stored after `markReady`
 */
export async function seedReadyNode(store: FleetStore, options: SeedNodeOptions): Promise<NodeView> {
  const { nodeId, pool, containers, capacityPerContainer, now } = options;
  seededInstances.set(nodeId, { instanceId: nodeId, pool, state: 'running', instanceType: options.instanceType ?? 'c6i.2xlarge', launchTime: now });
  await store.createNode(
    {
      nodeId,
      pool,
      state: 'launching',
      instanceType: options.instanceType ?? 'c6i.2xlarge',
      launchedAt: now,
      decisionId: `seed:${nodeId}`,
      containersPerNode: containers,
      capacityPerContainer,
    },
    now,
  );
  const specs = Array.from({ length: containers }, (_, index) => {
    ipCounter += 1;
    const k = ipCounter;
    return {
      index,
      privateIp: `10.0.${(k >> 8) & 255}.${k & 255}`,
      publicIp: `203.0.${113 + ((k >> 8) & 1)}.${k & 255}`,
      cpuset: `${index * 4}-${index * 4 + 3}`,
    };
  });
  const node = await store.markReady(nodeId, specs, now);
  if (!node) throw new Error(`markReady(${nodeId}) returned undefined`);
  if (options.recordInSummary ?? true) {
    await store.adjustSummary(pool, { liveNodes: 1, readyFree: containers * capacityPerContainer }, now);
  }
  return node;
}

// ------------------------------------------------------------------------------------- fakes

/** A clock the test sets and advances. */
export class FakeClock implements Clock {
  public constructor(private current: number = T0) {}

  public now(): number {
    return this.current;
  }

  /** Move forward by `ms`. */
  public advance(ms: number): number {
    this.current += ms;
    return this.current;
  }

  public set(ms: number): void {
    this.current = ms;
  }
}

/**
 * In-memory compute: records every launch and termination. Launches are idempotent per decision
 * id (as EC2's ClientToken). In `launch-nothing` mode every launch returns no instances.
 */
export class FakeComputeProvider implements ComputeProvider {
  public readonly launches: LaunchRequest[] = [];
  public readonly terminations: string[][] = [];
  private readonly byDecision = new Map<string, LaunchedInstance[]>();
  private readonly instances = new Map<string, InstanceDescription>();
  private readonly gone = new Set<string>();
  private next = 1;

  public constructor(
    public mode: 'launch' | 'launch-nothing' = 'launch',
    private readonly clock?: Clock,
  ) {}

  public async launch(request: LaunchRequest): Promise<LaunchResult> {
    this.launches.push(request);
    if (this.mode === 'launch-nothing') return { instances: [], failures: [] };
    const known = this.byDecision.get(request.decisionId);
    if (known) return { instances: known, failures: [] };
    const launched: LaunchedInstance[] = [];
    for (let i = 0; i < request.count; i++) {
      const instanceId = `i-fake${String(this.next++).padStart(12, '0')}`;
      const instanceType = request.pool.instanceTypes[0] ?? 'c6i.2xlarge';
      launched.push({ instanceId, instanceType, subnetId: 'subnet-fake' });
      this.instances.set(instanceId, {
        instanceId,
        pool: request.pool.name,
        state: 'pending',
        instanceType,
        launchTime: this.clock?.now() ?? request.now,
      });
    }
    this.byDecision.set(request.decisionId, launched);
    return { instances: launched, failures: [] };
  }

  public async terminate(instanceIds: readonly string[]): Promise<void> {
    this.terminations.push([...instanceIds]);
    for (const id of instanceIds) {
      this.instances.delete(id);
      this.gone.add(id);
    }
  }

  public async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    const seeded = [...seededInstances.values()].filter((i) => !this.gone.has(i.instanceId) && !this.instances.has(i.instanceId));
    return [...this.instances.values(), ...seeded].filter((i) => pool === undefined || i.pool === pool);
  }

  /** Make an instance vanish without a termination (a lost instance: hardware, Spot, operator). */
  public lose(instanceId: string): void {
    this.instances.delete(instanceId);
    this.gone.add(instanceId);
  }

  /** Every instance id passed to `terminate`, in order. */
  public get terminated(): string[] {
    return this.terminations.flat();
  }
}

/** The detail of an outbound event type. */
export type DetailOf<T extends OutboundEvent['detailType']> = Extract<OutboundEvent, { detailType: T }>['detail'];

/** In-memory publisher: records every event; can be told to fail the next calls. */
export class RecordingEventPublisher implements EventPublisher {
  public readonly events: OutboundEvent[] = [];
  /** Number of upcoming `publish` calls that throw (simulates an EventBridge outage). */
  public failNext = 0;

  public async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('simulated publish failure');
    }
    this.events.push(...events);
  }

  /** Details of the recorded events of one type, in order. */
  public ofType<T extends OutboundEvent['detailType']>(detailType: T): DetailOf<T>[] {
    return this.events.filter((e) => e.detailType === detailType).map((e) => e.detail as DetailOf<T>);
  }

  public clear(): void {
    this.events.length = 0;
  }

  /** Detail types, in order. */
  public get types(): string[] {
    return this.events.map((e) => e.detailType);
  }
}

/** `AppDeps` with the concrete fakes exposed. */
export interface TestDeps extends AppDeps {
  readonly clock: FakeClock;
  readonly compute: FakeComputeProvider;
  readonly publisher: RecordingEventPublisher;
  readonly deadLetters: LocalDeadLetterQueue;
  readonly nodeAlarms: LocalNodeAlarms;
}

/** Options of {@link makeDeps}. */
export interface MakeDepsOptions {
  readonly store: FleetStore;
  /** Raw configuration (validated with `parseAutoscalerConfig`, defaults applied). */
  readonly config?: unknown;
  readonly clock?: FakeClock;
  readonly random?: RandomSource;
  readonly compute?: FakeComputeProvider;
  readonly publisher?: RecordingEventPublisher;
  /** The schedule store; default: the DynamoDB store's own, else a fresh {@link MemoryScheduleStore}. */
  readonly schedule?: ScheduleStore;
}

/**
 * Build `AppDeps` for a use-case test: the given store, a `StaticConfigSource`, a
 * `LocalDeadLetterQueue`, a fixed clock starting at {@link T0}, a seeded random and fakes.
 */
export function makeDeps(options: MakeDepsOptions): TestDeps {
  const clock = options.clock ?? new FakeClock();
  const config: AutoscalerConfig = parseAutoscalerConfig(options.config);
  return {
    store: options.store,
    compute: options.compute ?? new FakeComputeProvider('launch', clock),
    publisher: options.publisher ?? new RecordingEventPublisher(),
    config: new StaticConfigSource(config),
    deadLetters: new LocalDeadLetterQueue(),
    nodeAlarms: new LocalNodeAlarms(),
    lifetimes: new MemoryLifetimeStore(),
    schedule: scheduleFor(options.store, options.schedule),
    clock,
    random: options.random ?? seededRandom(42),
    logger: silentLogger,
  };
}

/** The schedule store a test's deps get: the one given, the DynamoDB store's own, else one in memory. */
export function scheduleFor(store: FleetStore, schedule?: ScheduleStore): ScheduleStore {
  return schedule ?? (store instanceof DynamoDbFleetStore ? store.schedule : new MemoryScheduleStore());
}
