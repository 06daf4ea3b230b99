/**
 * The sweep at fleet scale: `sweepAll` (the sweep Lambda's work) over `DynamoDbFleetStore` on
 * 1,000 and 10,000 ready nodes with {@link ROOMS_PER_NODE} placed rooms each, seeded directly
 * with BatchWriteItem (node, container and room items as the store writes them).
 *
 * dynalite runs in a child process, so this process's CPU time (`process.cpuUsage`) is the
 * sweep's own work — application, SDK marshalling, HTTP — as a Lambda would spend it, and the
 * rest of the wall time is waiting for the store. Measured per fleet size, each twice (the
 * larger reported):
 * - `spread`: an ordinary minute of the deployed sweep — its leak check covers the nodes whose
 *   id hashes into this minute's fifth;
 * - `all`: the leak check over every node (the `leakCheck: 'all'` option; before the spread,
 *   every fifth minute's sweep did this).
 *
 * Projection for Lambda ({@link projectLambdaMs}): CPU ms × (1,769 MB ÷ the function's memory,
 * at least 1) + the wall time spent waiting here. Lambda allocates CPU in proportion to memory
 * and 1,769 MB has the equivalent of one full vCPU (AWS Lambda Developer Guide, "Configure
 * Lambda function memory": https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html);
 * this machine's core counts as one vCPU (an assumption: the stack's arm64 Graviton cores are
 * taken as fast as this machine's). The waits are dynalite's as measured here — one
 * single-threaded process, on a shared machine — standing in for DynamoDB's single-digit-ms
 * calls, so the projection is an upper bound.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFleetStore } from '../shared/adapters/dynamodb/fleet-store.ts';
import { dynamoDbScheduleStore } from '../shared/adapters/dynamodb/schedule-store.ts';
import { fleetTableCreateInput } from '../shared/adapters/dynamodb/fleet-table.ts';
import { containerKey, containerSk, nodeKey, poolPk, roomKey } from '../shared/adapters/dynamodb/items.ts';
import { silentLogger, type AppDeps } from '../shared/app/deps.ts';
import { sweepAll } from '../shared/app/sweep.ts';
import { parseAutoscalerConfig, poolByName } from '../shared/domain/config.ts';
import type { InstanceDescription } from '../shared/ports/compute-provider.ts';
import { StaticConfigSource } from '../sim/adapters/local-config-source.ts';
import { LocalComputeProvider, type LocalComputeOptions } from '../sim/adapters/local-compute-provider.ts';
import { LocalDeadLetterQueue } from '../sim/adapters/local-dead-letter-queue.ts';
import { createTable, localClientConfig } from '../sim/adapters/local-dynamodb.ts';
import { LocalEventBus } from '../sim/adapters/local-event-bus.ts';
import { LocalNodeAlarms } from '../sim/adapters/local-node-alarms.ts';
import { seededRandom } from '../sim/random.ts';

/** Fleet sizes measured (ready nodes). */
export const SWEEP_FLEET_SIZES = [1_000, 10_000] as const;
/** Placed rooms per node (weight 1, 36-character ids), 4 per container. */
export const ROOMS_PER_NODE = 8;
/** Memory of one vCPU in Lambda, MB (Lambda Developer Guide, "Configure Lambda function memory"). */
export const LAMBDA_MB_PER_VCPU = 1_769;

/** One measured sweep. */
export interface SweepScaleRow {
  readonly nodes: number;
  readonly rooms: number;
  /** `spread`: an ordinary minute (a fifth of the nodes' rooms checked); `all`: every room checked. */
  readonly leakCheck: 'spread' | 'all';
  /** Wall time of `sweepAll`, ms. */
  readonly sweepMs: number;
  /** This process's CPU time during it (user + system), ms. */
  readonly cpuMs: number;
  /** DynamoDB calls it made. */
  readonly calls: number;
  /** Projected duration in a Lambda of the given memory, ms ({@link projectLambdaMs}). */
  readonly projectedMs: number;
}

/** The figures `bench/main.ts` prints (and puts under `scale` with `--json`). */
export interface SweepScaleFigures {
  /** Wall ms of an ordinary (spread) sweep by fleet size: `{ "1000": …, "10000": … }`. */
  readonly sweepMs: Record<string, number>;
  /** Projected ms of the largest fleet's deployed (spread) sweep at {@link SweepScaleFigures.memoryMiB}. */
  readonly sweepProjectedMs: number;
  /** The function memory the projection is for, MB. */
  readonly memoryMiB: number;
  readonly rows: readonly SweepScaleRow[];
}

/**
 * A sweep's duration in a Lambda of `memoryMiB`: `cpuMs × max(1, 1769 / memoryMiB) + (wallMs −
 * cpuMs)` — the CPU part stretched by the function's vCPU share (1,769 MB = one vCPU), the wait
 * part as measured.
 */
export function projectLambdaMs(wallMs: number, cpuMs: number, memoryMiB: number): number {
  return cpuMs * Math.max(1, LAMBDA_MB_PER_VCPU / memoryMiB) + Math.max(0, wallMs - cpuMs);
}

const T0 = Date.UTC(2026, 0, 5, 9); // 09:00, a minute divisible by 5
const ROOM_ID = (n: number, r: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${r.toString(16).padStart(12, '0')}`;
const NODE_ID = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;

/** dynalite in a child process on a free port. */
async function startDynaliteProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const code = `import dynalite from 'dynalite';
const s = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`dynalite exited (${c})`)));
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** Node, container and placed-room items of `nodes` ready nodes, as the store writes them. */
function fleetItems(nodes: number, pool: string, containers: number, capacity: number): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  const perContainer = ROOMS_PER_NODE / containers;
  for (let n = 0; n < nodes; n++) {
    const nodeId = NODE_ID(n);
    items.push({
      ...nodeKey(nodeId),
      type: 'node',
      nodeId,
      pool,
      state: 'ready',
      instanceType: 'c6i.2xlarge',
      launchedAt: T0 - 3_600_000,
      readyAt: T0 - 3_500_000,
      stateChangedAt: T0 - 3_500_000,
      decisionId: 'seed',
      containersPerNode: containers,
      capacityPerContainer: capacity,
      hot: false,
      npk: poolPk(pool),
      nsk: `${nodeId}#NODE`,
    });
    for (let c = 0; c < containers; c++) {
      const rooms: Record<string, number> = {};
      for (let r = 0; r < perContainer; r++) {
        const roomId = ROOM_ID(n, c * perContainer + r);
        rooms[roomId] = 1;
        items.push({
          ...roomKey(roomId),
          type: 'room',
          roomId,
          pool,
          weight: 1,
          state: 'placed',
          eventId: `seed-${roomId}`,
          createdAt: T0 - 600_000,
          requestedAt: T0 - 600_000,
          placedAt: T0 - 600_000,
          nodeId,
          container: c,
        });
      }
      items.push({
        ...containerKey(nodeId, c),
        type: 'container',
        nodeId,
        pool,
        idx: c,
        capacity,
        used: perContainer,
        free: capacity - perContainer,
        accepting: true,
        rooms,
        privateIp: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        gpk: poolPk(pool),
        npk: poolPk(pool),
        nsk: `${nodeId}#${containerSk(c)}`,
      });
    }
  }
  return items;
}

async function batchWrite(doc: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const start = next;
      next += 25;
      let pending = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

class SeededFleet extends LocalComputeProvider {
  public constructor(
    options: LocalComputeOptions,
    private readonly seeded: readonly InstanceDescription[],
  ) {
    super(options);
  }

  public override async describeFleet(): Promise<readonly InstanceDescription[]> {
    return this.seeded;
  }
}

/**
 * Measure the sweep on each fleet size.
 *
 * @param memoryMiB - the sweep function's memory to project for (MB)
 * @param sizes - fleet sizes (ready nodes)
 * @param onProgress - called with a line of progress
 */
export async function measureSweepScale(memoryMiB: number, sizes: readonly number[] = SWEEP_FLEET_SIZES, onProgress: (line: string) => void = () => undefined): Promise<SweepScaleFigures> {
  const { endpoint, child } = await startDynaliteProcess();
  const rows: SweepScaleRow[] = [];
  try {
    for (const nodes of sizes) {
      const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 10 });
      const counter = { calls: 0 };
      client.middlewareStack.add(((next: (a: unknown) => Promise<unknown>) => (a: unknown) => ((counter.calls += 1), next(a))) as never, { step: 'initialize', name: 'benchSweepCounter' } as never);
      const table = await createTable(client, fleetTableCreateInput(`sweep-${nodes}`));
      // Nodes of 10 units with 8 placed: the headroom wanted equals the free units, so the plan
      // neither drains nor launches and every run sweeps the same fleet.
      const free = nodes * (10 - ROOMS_PER_NODE);
      const config = parseAutoscalerConfig({
        pools: [{ name: 'default', containersPerNode: 2, capacityPerContainer: 5, maxNodes: 20_000, minNodes: 0, headroomMin: free, scaleInMargin: free }],
      });
      const pool = poolByName(config, 'default');
      const seedStart = performance.now();
      await batchWrite(DynamoDBDocumentClient.from(client), table, fleetItems(nodes, pool.name, 2, 5));
      onProgress(`sweep: ${nodes} nodes seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
      let now = T0;
      const clock = { now: () => now };
      const instances = Array.from({ length: nodes }, (_, n) => ({ instanceId: NODE_ID(n), pool: pool.name, state: 'running', instanceType: 'c6i.2xlarge', launchTime: T0 - 3_600_000 }));
      const deps: AppDeps = {
        store: new DynamoDbFleetStore({ client, tableName: table }),
        schedule: dynamoDbScheduleStore({ client, tableName: table }),
        compute: new SeededFleet({ clock, random: seededRandom(1, 2), emit: () => undefined }, instances),
        publisher: new LocalEventBus({ appSource: config.eventSource, clock, keepPublished: false, deliver: () => undefined }),
        config: new StaticConfigSource(config),
        deadLetters: new LocalDeadLetterQueue(),
        nodeAlarms: new LocalNodeAlarms(),
        clock,
        random: seededRandom(nodes, 1),
        logger: silentLogger,
      };
      // Warm-up (connections, JIT, the arrival history's first write), then the measured runs;
      // each on its own minute: `all` on a multiple of 5, `spread` on the minute after.
      now = T0 + 60_000;
      await sweepAll(deps);
      for (const leakCheck of ['spread', 'all'] as const) {
        let worst: SweepScaleRow | undefined;
        for (let run = 0; run < 2; run++) {
          now = T0 + (run + 1) * 600_000 + (leakCheck === 'all' ? 0 : 60_000);
          counter.calls = 0;
          const cpu = process.cpuUsage();
          const start = performance.now();
          const { errors } = await sweepAll(deps, { leakCheck });
          const sweepMs = performance.now() - start;
          const used = process.cpuUsage(cpu);
          if (errors.length > 0) throw new Error(`sweep bench: ${errors.map((e) => e.error.message).join('; ')}`);
          const cpuMs = (used.user + used.system) / 1000;
          const row = { nodes, rooms: nodes * ROOMS_PER_NODE, leakCheck, sweepMs, cpuMs, calls: counter.calls, projectedMs: projectLambdaMs(sweepMs, cpuMs, memoryMiB) };
          if (!worst || row.sweepMs > worst.sweepMs) worst = row;
        }
        rows.push(worst as SweepScaleRow);
        onProgress(`sweep: ${nodes} nodes, leak check ${leakCheck}: ${((worst as SweepScaleRow).sweepMs / 1000).toFixed(1)} s`);
      }
      client.destroy();
    }
  } finally {
    child.kill();
  }
  const spread = rows.filter((r) => r.leakCheck === 'spread');
  const largest = spread.find((r) => r.nodes === Math.max(...spread.map((x) => x.nodes)));
  return {
    sweepMs: Object.fromEntries(spread.map((r) => [String(r.nodes), Math.round(r.sweepMs)])),
    sweepProjectedMs: Math.round(largest?.projectedMs ?? 0),
    memoryMiB,
    rows,
  };
}
