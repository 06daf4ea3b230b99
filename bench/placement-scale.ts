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
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type DynamoDBClient, DynamoDBClient as Client } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFleetStore } from '../shared/adapters/dynamodb/fleet-store.ts';
import { dynamoDbScheduleStore } from '../shared/adapters/dynamodb/schedule-store.ts';
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
import { HELD_ATTR, holdKey, holdSk, placementFree, poolPk, roomTag, shardOf } from '../shared/adapters/dynamodb/items.ts';
import { makeHandler } from '../lambdas/room-events/index.ts';
import { percentile } from '../sim/percentile.ts';
import { INDEX_WCU_PER_PLACEMENT, placementShards, shardsOfPool } from '../shared/domain/shards.ts';
import { CapacityMeter, type PhaseUnits } from './capacity-units.ts';

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

/**
 * Seed `nodes` ready nodes of 2 containers × 10 units, partly used, as `markReady` and placements
 * write them: containers with their compact room map and one hold item per room, the index keys
 * in the pool's shard of each node (`shards` shards).
 *
 * @returns the fleet's free capacity, units
 */
async function seedFleet(doc: DynamoDBDocumentClient, table: string, nodes: number, pool: string, random: () => number, shards = 1): Promise<number> {
  let totalFree = 0;
  const items: Record<string, unknown>[] = [];
  for (let n = 0; n < nodes; n++) {
    const nodeId = `i-${n.toString(16).padStart(17, '0')}`;
    const ipk = poolPk(pool, shardOf(nodeId, shards));
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
      npk: ipk,
      nsk: `${nodeId}#NODE`,
    });
    for (let c = 0; c < 2; c++) {
      // Partly used containers (0–8 of 10 units), so the placement index holds every free level.
      const used = Math.floor(random() * 9);
      totalFree += 10 - used;
      const roomIds = Array.from({ length: used }, (_, i) => `seed-${n}-${c}-${i}`);
      for (const roomId of roomIds) items.push({ ...holdKey(nodeId, c, roomId), type: 'hold', nodeId, idx: c, roomId, tok: 'seed', npk: ipk, nsk: `${nodeId}#${holdSk(c, roomId)}` });
      items.push({
        pk: `NODE#${nodeId}`,
        sk: `C#${String(c).padStart(2, '0')}`,
        type: 'container',
        nodeId,
        pool,
        idx: c,
        capacity: 10,
        used,
        free: placementFree(10 - used, T0 - 3_600_000, nodeId, c),
        accepting: true,
        [HELD_ATTR]: Object.fromEntries(roomIds.map((r) => [roomTag(r), 1])),
        privateIp: `10.0.${n >> 8}.${n & 255}`,
        gpk: ipk,
        npk: ipk,
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
        schedule: dynamoDbScheduleStore({ client, tableName: table }),
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

// ------------------------------------------------------------------------ store capacity figures

/** DynamoDB's throughput of one partition (Amazon DynamoDB Developer Guide, "Best practices for designing and using partition keys effectively", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html). */
export const PARTITION_LIMITS = { wcuPerSecond: 1_000, rcuPerSecond: 3_000 } as const;

/** One partition's cost per placement (and its release), and the placement rate it allows. */
export interface PartitionCeiling {
  /** `table POOL#<pool>` or `<index> <index pk>[#0..S−1]` (a family of S shard partitions, each 1/S of it). */
  readonly partition: string;
  readonly wcuPerPlacement: number;
  readonly rcuPerPlacement: number;
  /** min(1,000 WCU/s ÷ WCU, 3,000 RCU/s ÷ RCU). */
  readonly placementsPerSecond: number;
}

/** Store figures of one shard count S. */
export interface StoreCapacityRow {
  readonly shards: number;
  readonly placements: number;
  /** Write units per placement: table + indexes. */
  readonly wcuPerPlacement: number;
  readonly wcuPerPlacementTable: number;
  readonly wcuPerPlacementIndexes: number;
  readonly rcuPerPlacement: number;
  readonly wcuPerRelease: number;
  readonly rcuPerRelease: number;
  /** The binding partition's placements per second with a release per placement alongside. */
  readonly placementsPerSecondPerPool: number;
  /** The same over the index partitions only (the part sharding spreads; the summary item is the pool summary store's). */
  readonly placementsPerSecondPerPoolIndexes: number;
  /** Placements only (a pure burst, no releases). */
  readonly burstPlacementsPerSecondPerPool: number;
  /** The most loaded partitions, placement + release, highest cost first. */
  readonly ceilings: readonly PartitionCeiling[];
  /** Largest item any write touched, bytes, by item kind. */
  readonly maxWriteBytes: Readonly<Record<string, number>>;
}

/** Placements (then as many releases) measured per shard count. */
export const CAPACITY_PLACEMENTS = 100;

/**
 * Partitions every placement of the pool writes, by family: each index's pool key (its S shards
 * together; a node's or room's shard is a hash of its id, so each shard carries 1/S of the
 * family) and the pool's own table partition (`POOL#<pool>`: summary and history items).
 * A node's or room's own partition is written by the placements on it only (a container fills
 * at most its capacity), so it bounds no pool-wide rate and is left out.
 */
function ceilings(phases: readonly (PhaseUnits | undefined)[], placements: number, shards: number): PartitionCeiling[] {
  const sum = new Map<string, { wcu: number; rcu: number; shards: number }>();
  for (const phase of phases) {
    for (const [k, u] of phase?.partitions ?? []) {
      if (k.startsWith('table ') && !k.startsWith('table POOL#')) continue;
      const family = k.startsWith('table ') ? k : k.replace(/#\d+$/, '');
      const s = sum.get(family) ?? { wcu: 0, rcu: 0, shards: k.startsWith('table ') ? 1 : shards };
      s.wcu += u.wcu;
      s.rcu += u.rcu;
      sum.set(family, s);
    }
  }
  return [...sum.entries()]
    .map(([k, u]) => {
      const wcu = u.wcu / placements / u.shards;
      const rcu = u.rcu / placements / u.shards;
      const rate = Math.min(wcu > 0 ? PARTITION_LIMITS.wcuPerSecond / wcu : Infinity, rcu > 0 ? PARTITION_LIMITS.rcuPerSecond / rcu : Infinity);
      return { partition: u.shards > 1 ? `${k}[#0..${u.shards - 1}]` : k, wcuPerPlacement: wcu, rcuPerPlacement: rcu, placementsPerSecond: rate };
    })
    .sort((a, b) => a.placementsPerSecond - b.placementsPerSecond);
}

/** A room id of UUID length (36 characters), deterministic. */
const uuidOf = (n: number): string => {
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * WCU and RCU per placement and per release from the items the store really writes and reads
 * (`bench/capacity-units.ts`), and the placement rate per pool the busiest partition allows, for
 * each shard count: {@link CAPACITY_PLACEMENTS} placements through the room-events handler on a
 * 1,000-node fleet (one at a time, UUID-length room ids), then their releases.
 *
 * @param shardCounts - S values to measure (1 = today's keys)
 * @param onProgress - called with a line of progress
 * @param placements - placements (and releases) per S
 */
export async function measureStoreCapacity(
  shardCounts: readonly number[],
  onProgress: (line: string) => void = () => undefined,
  placements = CAPACITY_PLACEMENTS,
): Promise<StoreCapacityRow[]> {
  const db = await startLocalDynamoDb();
  const rows: StoreCapacityRow[] = [];
  try {
    for (const shards of shardCounts) {
      const table = await createTable(db.client, fleetTableCreateInput(`capacity-${shards}`));
      const peak = (shards * PARTITION_LIMITS.wcuPerSecond) / INDEX_WCU_PER_PLACEMENT;
      const config = parseAutoscalerConfig({ pools: [{ name: 'default', maxNodes: 20_000, ...(shards > 1 ? { peakPlacementsPerSecond: peak } : {}) }] });
      const pool = poolByName(config, 'default');
      if (placementShards(pool) !== shards) throw new Error(`capacity bench: peak ${peak}/s gives ${placementShards(pool)} shards, not ${shards}`);
      await seedFleet(DynamoDBDocumentClient.from(db.client), table, 1_000, pool.name, seededRandom(shards, 5), shards);
      const client = new Client(localClientConfig(db.endpoint));
      const raw = new Client(localClientConfig(db.endpoint));
      const meter = new CapacityMeter(client, raw, table);
      let now = T0;
      const clock = { now: () => now };
      const deps: AppDeps = {
        store: new DynamoDbFleetStore({ client, tableName: table, shards: (p) => shardsOfPool(config, p) }),
        schedule: dynamoDbScheduleStore({ client, tableName: table }),
        compute: new LocalComputeProvider({ clock, random: seededRandom(1, 2), emit: () => undefined }),
        publisher: new LocalEventBus({ appSource: config.eventSource, clock, keepPublished: false, deliver: () => undefined }),
        config: new StaticConfigSource(config),
        deadLetters: new LocalDeadLetterQueue(),
        nodeAlarms: new LocalNodeAlarms(),
        clock,
        random: seededRandom(shards, 1),
        logger: silentLogger,
      };
      const handler = makeHandler(deps);
      // One at a time: the cost of a placement itself (lost races under contention add a hold
      // put and delete and a failed claim each; the latency rows count them per placement).
      const run = async (phase: string, event: (i: number) => ReturnType<typeof busEvent>, expect: string) => {
        meter.phase = phase;
        for (let i = 0; i < placements; i++) {
          now += 10;
          const out = (await handler(event(i))) as { kind: string };
          if (out.kind !== expect) throw new Error(`capacity bench: ${phase} ${out.kind}, expected ${expect}`);
        }
        meter.phase = undefined;
      };
      await run('placement', (i) => busEvent(config.eventSource, 'RoomCreated', { roomId: uuidOf(i), weight: 1 }, now, { id: `c-${shards}-${i}` }), 'placed');
      await run('release', (i) => busEvent(config.eventSource, 'RoomReleased', { roomId: uuidOf(i) }, now, { id: `r-${shards}-${i}` }), 'released');
      const place = meter.phases.get('placement');
      const release = meter.phases.get('release');
      const n = placements;
      const both = ceilings([place, release], n, shards);
      const isIndex = (c: PartitionCeiling) => !c.partition.startsWith('table ');
      rows.push({
        shards,
        placements: n,
        wcuPerPlacement: ((place?.tableWcu ?? 0) + (place?.indexWcu ?? 0)) / n,
        wcuPerPlacementTable: (place?.tableWcu ?? 0) / n,
        wcuPerPlacementIndexes: (place?.indexWcu ?? 0) / n,
        rcuPerPlacement: (place?.rcu ?? 0) / n,
        wcuPerRelease: ((release?.tableWcu ?? 0) + (release?.indexWcu ?? 0)) / n,
        rcuPerRelease: (release?.rcu ?? 0) / n,
        placementsPerSecondPerPool: both[0]?.placementsPerSecond ?? Infinity,
        placementsPerSecondPerPoolIndexes: both.find(isIndex)?.placementsPerSecond ?? Infinity,
        burstPlacementsPerSecondPerPool: ceilings([place], n, shards)[0]?.placementsPerSecond ?? Infinity,
        ceilings: both,
        maxWriteBytes: { ...(place?.maxWriteBytes ?? {}), ...Object.fromEntries(Object.entries(release?.maxWriteBytes ?? {}).map(([k, v]) => [k, Math.max(v, place?.maxWriteBytes[k] ?? 0)])) },
      });
      onProgress(`store capacity: S=${shards} done`);
      client.destroy();
      raw.destroy();
    }
  } finally {
    await db.close();
  }
  return rows;
}

// ---------------------------------------------------------------------- node-hours of sharding

/** Node-hours of the sample trace's replay through the real handlers, unsharded and sharded. */
export interface ShardingNodeHours {
  /** Days of the trace replayed. */
  readonly days: number | undefined;
  readonly shards: number;
  readonly unsharded: number;
  readonly sharded: number;
  /** sharded / unsharded − 1 (the bound: ≤ +1%). */
  readonly change: number;
  /** Invariants of the sharded replay (all 0 expected). */
  readonly overbooked: number;
  readonly leakedCapacity: number;
  readonly orphanInstances: number;
}

/**
 * Replay the trace with `simulate` (room events through the Lambda handlers, `DynamoDbFleetStore`
 * on dynalite) with the default pool unsharded and with `shards` shards (its
 * `peakPlacementsPerSecond` set to need them), and compare node-hours.
 *
 * @param tracePath - JSON Lines trace (the sample week)
 * @param days - replay only the first days (undefined: all)
 */
export async function measureShardingNodeHours(tracePath: string, shards: number, days?: number): Promise<ShardingNodeHours> {
  const { simulate } = await import('../sim/runtime/simulate.ts');
  const dir = await mkdtemp(join(tmpdir(), 'wcs-shards-'));
  const run = async (s: number) => {
    const configPath = join(dir, `s${s}.json`);
    const peak = s > 1 ? (s * PARTITION_LIMITS.wcuPerSecond) / INDEX_WCU_PER_PLACEMENT : 0;
    await writeFile(configPath, JSON.stringify({ pools: [{ name: 'default', peakPlacementsPerSecond: peak }] }));
    return (await simulate({ tracePath, configPath, days })).summary;
  };
  const one = await run(1);
  const many = await run(shards);
  return {
    days,
    shards,
    unsharded: one.nodeHours,
    sharded: many.nodeHours,
    change: many.nodeHours / one.nodeHours - 1,
    overbooked: many.overbooked,
    leakedCapacity: many.leakedCapacity,
    orphanInstances: many.orphanInstances,
  };
}
