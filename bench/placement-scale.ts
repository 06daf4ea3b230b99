/**
 * Placement at fleet scale against dynalite (in-process DynamoDB on 127.0.0.1): the room-events
 * handler logic (`makeHandler`: parse → `createRoom` → policy) over `DynamoDbFleetStore`, on
 * fleets of 10 to 10,000 ready nodes seeded directly with BatchWriteItem (the items `markReady`
 * writes, not through the handlers), 50 placements in flight at once.
 *
 * Measured per fleet size: p50 / p99 handler latency (ms, wall clock per invocation) with 50 in
 * flight and with one placement at a time, DynamoDB
 * calls per placement (every SDK call the store made, counted by client middleware), critical-
 * path round trips of one placement alone (the same count with nothing else running), and
 * conditional-check conflicts per placement (capacity claims that lost a race).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { type DynamoDBClient, DynamoDBClient as Client } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFleetStore } from '../shared/adapters/dynamodb/fleet-store.ts';
import { fleetTableCreateInput } from '../shared/adapters/dynamodb/fleet-table.ts';
import { StaticConfigSource } from '../sim/adapters/local-config-source.ts';
import { LocalComputeProvider } from '../sim/adapters/local-compute-provider.ts';
import { LocalDeadLetterQueue } from '../sim/adapters/local-dead-letter-queue.ts';
import { LocalNodeAlarms } from '../sim/adapters/local-node-alarms.ts';
import { createTable, localClientConfig, startLocalDynamoDb } from '../sim/adapters/local-dynamodb.ts';
import { busEvent, LocalEventBus } from '../sim/adapters/local-event-bus.ts';
import { silentLogger, type AppDeps } from '../shared/app/deps.ts';
import { parseAutoscalerConfig, poolByName } from '../shared/domain/config.ts';
import { seededRandom } from '../sim/random.ts';
import { makeHandler } from '../lambdas/room-events/index.ts';
import { percentile } from '../sim/percentile.ts';

/** One fleet size's figures. */
export interface PlacementScaleRow {
  readonly nodes: number;
  readonly placements: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Handler latency of one placement with nothing else in flight, ms ({@link ALONE_PLACEMENTS} runs). */
  readonly aloneP50Ms: number;
  readonly aloneP99Ms: number;
  /** All DynamoDB calls / placements (50 in flight). */
  readonly callsPerPlacement: number;
  /** DynamoDB calls of one placement with nothing else running (its sequential round trips). */
  readonly roundTripsAlone: number;
  /** Lost conditional capacity claims / placements. */
  readonly conflictsPerPlacement: number;
  /** Wall time to seed the fleet with BatchWriteItem, ms. */
  readonly seedMs: number;
}

/** Fleet sizes measured. */
export const FLEET_SIZES = [10, 100, 1_000, 10_000] as const;
/** Placements in flight at once. */
export const CONCURRENCY = 50;
/** Placements measured one at a time per fleet size (latency and round trips alone). */
export const ALONE_PLACEMENTS = 20;
/** Placements measured per fleet size (batches of {@link CONCURRENCY}; fewer on a fleet too small to hold them). */
export const PLACEMENTS = 200;

const T0 = Date.UTC(2026, 0, 5, 9);

async function seedFleet(doc: DynamoDBDocumentClient, table: string, nodes: number, pool: string, random: () => number): Promise<number> {
  let totalFree = 0;
  const items: Record<string, unknown>[] = [];
  for (let n = 0; n < nodes; n++) {
    const nodeId = `i-${n.toString(16).padStart(17, '0')}`;
    items.push({
      pk: `NODE#${nodeId}`,
      sk: 'NODE',
      type: 'node',
      nodeId,
      pool,
      state: 'ready',
      instanceType: 'c6i.2xlarge',
      launchedAt: T0 - 3_600_000,
      readyAt: T0 - 3_500_000,
      decisionId: 'seed',
      containersPerNode: 2,
      capacityPerContainer: 10,
      hot: false,
      npk: `POOL#${pool}`,
      nsk: `${nodeId}#NODE`,
    });
    for (let c = 0; c < 2; c++) {
      // Partly used containers (0–8 of 10 units), so the placement index holds every free level.
      const used = Math.floor(random() * 9);
      totalFree += 10 - used;
      const rooms = Object.fromEntries(Array.from({ length: used }, (_, i) => [`seed-${n}-${c}-${i}`, 1]));
      items.push({
        pk: `NODE#${nodeId}`,
        sk: `C#${String(c).padStart(2, '0')}`,
        type: 'container',
        nodeId,
        pool,
        idx: c,
        capacity: 10,
        used,
        free: 10 - used,
        accepting: true,
        rooms,
        privateIp: `10.0.${n >> 8}.${n & 255}`,
        gpk: `POOL#${pool}`,
        npk: `POOL#${pool}`,
        nsk: `${nodeId}#C#${String(c).padStart(2, '0')}`,
      });
    }
  }
  items.push({ pk: `POOL#${pool}`, sk: 'SUMMARY', readyFree: nodes * 20, pendingCapacity: 0, queuedWeight: 0, liveNodes: nodes });
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = (batches[next++] as Record<string, unknown>[]).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return totalFree;
}

/** Count every SDK call, and the capacity claims that lost their condition. */
function instrument(client: DynamoDBClient, counters: { calls: number; conflicts: number }): void {
  client.middlewareStack.add(
    ((next: (args: { input: { Key?: { sk?: string } } }) => Promise<unknown>) => async (args: { input: { Key?: { sk?: string }; UpdateExpression?: string } }) => {
      counters.calls += 1;
      try {
        return await next(args);
      } catch (e) {
        const sk = args.input.Key?.sk;
        if ((e as { name?: string }).name === 'ConditionalCheckFailedException' && typeof sk === 'string' && sk.startsWith('C#') && args.input.UpdateExpression?.includes('rooms.#r =')) {
          counters.conflicts += 1;
        }
        throw e;
      }
    }) as never,
    { step: 'initialize', name: 'benchCounter' } as never,
  );
}

/**
 * Measure placement on each fleet size.
 *
 * @param sizes - fleet sizes (nodes)
 * @param onProgress - called with a line of progress
 */
export async function measurePlacementScale(sizes: readonly number[] = FLEET_SIZES, onProgress: (line: string) => void = () => undefined): Promise<PlacementScaleRow[]> {
  const db = await startLocalDynamoDb();
  const rows: PlacementScaleRow[] = [];
  try {
    for (const nodes of sizes) {
      const table = await createTable(db.client, fleetTableCreateInput(`bench-${nodes}`));
      const config = parseAutoscalerConfig({ pools: [{ name: 'default', maxNodes: 20_000 }] });
      const pool = poolByName(config, 'default');
      const seedStart = performance.now();
      const totalFree = await seedFleet(DynamoDBDocumentClient.from(db.client), table, nodes, pool.name, seededRandom(nodes, 5));
      const seedMs = performance.now() - seedStart;

      const counters = { calls: 0, conflicts: 0 };
      const client = new Client(localClientConfig(db.endpoint));
      instrument(client, counters);
      let now = T0;
      const clock = { now: () => now };
      const deps: AppDeps = {
        store: new DynamoDbFleetStore({ client, tableName: table }),
        compute: new LocalComputeProvider({ clock, random: seededRandom(1, 2), emit: () => undefined }),
        publisher: new LocalEventBus({ appSource: config.eventSource, clock, keepPublished: false, deliver: () => undefined }),
        config: new StaticConfigSource(config),
        deadLetters: new LocalDeadLetterQueue(),
        nodeAlarms: new LocalNodeAlarms(),
        clock,
        random: seededRandom(nodes, 1),
        logger: silentLogger,
      };
      const handler = makeHandler(deps);
      const create = (i: number) => busEvent(config.eventSource, 'RoomCreated', { roomId: `bench-${nodes}-${i}`, weight: 1 }, now, { id: `e-${nodes}-${i}` });

      // Placements one at a time (nothing else in flight): each one's sequential round trips
      // (the most any of them made) and latency. A Lambda invocation has its CPU to itself and
      // DynamoDB is another service's; here 50 handlers, the SDK and dynalite share one thread, so
      // the 50-in-flight latency below is mostly waiting for the other 49 (see docs/performance.md).
      await handler(create(-1));
      let roundTripsAlone = 0;
      const aloneLatencies: number[] = [];
      for (let i = 0; i < ALONE_PLACEMENTS; i++) {
        counters.calls = 0;
        const start = performance.now();
        await handler(create(-2 - i));
        aloneLatencies.push(performance.now() - start);
        roundTripsAlone = Math.max(roundTripsAlone, counters.calls);
      }
      aloneLatencies.sort((a, b) => a - b);

      counters.calls = 0;
      counters.conflicts = 0;
      const latencies: number[] = [];
      // At most half the fleet's free units (a 10-node fleet holds ~120), in whole batches.
      const placements = Math.max(CONCURRENCY, Math.min(PLACEMENTS, Math.floor(totalFree / 2 / CONCURRENCY) * CONCURRENCY));
      for (let batch = 0; batch < placements / CONCURRENCY; batch++) {
        now += 1_000;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async (_, k) => {
            const start = performance.now();
            const out = (await handler(create(batch * CONCURRENCY + k))) as { kind: string };
            latencies.push(performance.now() - start);
            if (out.kind !== 'placed') throw new Error(`placement bench: room not placed (${out.kind}) on ${nodes} nodes`);
          }),
        );
      }
      latencies.sort((a, b) => a - b);
      rows.push({
        nodes,
        placements,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        aloneP50Ms: percentile(aloneLatencies, 50),
        aloneP99Ms: percentile(aloneLatencies, 99),
        callsPerPlacement: counters.calls / placements,
        roundTripsAlone,
        conflictsPerPlacement: counters.conflicts / placements,
        seedMs,
      });
      onProgress(`placement: ${nodes} nodes done`);
      client.destroy();
    }
  } finally {
    await db.close();
  }
  return rows;
}
