/**
 * The pool summary's write sizes at 0, 30 and 1,000 draining nodes, on dynalite through
 * `DynamoDbFleetStore`: for each summary write a placement, a release and a drain make, the
 * items it wrote, each one's size by DynamoDB's rules (the larger of before and after the write)
 * and the write capacity units that size costs. Sizes follow "DynamoDB item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 * (`itemSize` in `shared/adapters/dynamodb/item-size.ts`); a write costs 1 WCU per started KB.
 *
 * Run alone: `node --import tsx bench/summary-size.ts` (prints the object as JSON).
 *
 * @module
 */
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbFleetStore } from '../shared/adapters/dynamodb/fleet-store.ts';
import { fleetTableCreateInput } from '../shared/adapters/dynamodb/fleet-table.ts';
import { itemSize as itemBytes, writeUnits } from '../shared/adapters/dynamodb/item-size.ts';
import type { SummaryDelta } from '../shared/ports/fleet-store.ts';
import { createTable, startLocalDynamoDb } from '../sim/adapters/local-dynamodb.ts';

/** Draining-node counts measured. */
export const SUMMARY_DRAINING_COUNTS = [0, 30, 1000] as const;

/** One summary write as measured: the largest item it wrote, bytes, and the WCU of all its items. */
export interface SummaryWriteSize {
  /** Write requests (UpdateItem, PutItem, DeleteItem) the call made. */
  readonly writes: number;
  /** Largest item written, bytes (max of before and after the write). */
  readonly maxItemBytes: number;
  /** Write capacity units of the call: the sum over its writes of 1 per started KB. */
  readonly wcu: number;
}

/** Figures at one draining-node count. */
export interface SummarySizeRow {
  readonly drainingNodes: number;
  /** A placement's delta: `{ readyFree: −1, arrivals: 1 }`. */
  readonly placement: SummaryWriteSize;
  /** A release's delta: `{ readyFree: +1 }`. */
  readonly release: SummaryWriteSize;
  /** A drain's delta: `{ readyFree: −96, drainingSet: { <node>: 96 } }`. */
  readonly drain: SummaryWriteSize;
}

const POOL = 'default';
const T0 = 1_700_000_000_000;
const nodeId = (i: number) => `i-${String(i).padStart(17, '0')}`;

/**
 * Measure the summary's write sizes on a fresh dynalite table per draining-node count.
 *
 * @returns one row per count of {@link SUMMARY_DRAINING_COUNTS}
 */
export async function measureSummarySizes(): Promise<{ rows: SummarySizeRow[] }> {
  const db = await startLocalDynamoDb();
  try {
    const rows: SummarySizeRow[] = [];
    for (const draining of SUMMARY_DRAINING_COUNTS) rows.push(await measureAt(db.client, draining));
    return { rows };
  } finally {
    await db.close();
  }
}

async function measureAt(client: DynamoDBClient, draining: number): Promise<SummarySizeRow> {
  const tableName = await createTable(client, fleetTableCreateInput(`summary-size-${draining}`));
  // Shard 0 always, so that a repeated call writes the same items (stores without the option ignore it).
  const store = new DynamoDbFleetStore({ client, tableName, summary: { random: () => 0 } });
  for (let i = 0; i < draining; i += 50) {
    const set = Object.fromEntries(Array.from({ length: Math.min(50, draining - i) }, (_, j) => [nodeId(i + j), 96]));
    await store.adjustSummary(POOL, { readyFree: -96 * Object.keys(set).length, drainingSet: set }, T0);
  }
  // Ten minutes of arrivals and a launch, as a busy pool's summary holds between sweeps.
  for (let m = 0; m < 10; m++) await store.adjustSummary(POOL, { arrivals: 250, launches: 1, readyFree: 10_000 }, T0 + m * 60_000);
  const now = T0 + 10 * 60_000;
  const writeOf = (delta: SummaryDelta) => measureWrite(client, tableName, () => store.adjustSummary(POOL, delta, now));
  return {
    drainingNodes: draining,
    placement: await writeOf({ readyFree: -1, arrivals: 1 }),
    release: await writeOf({ readyFree: 1 }),
    drain: await writeOf({ readyFree: -96, drainingSet: { [nodeId(draining)]: 96 } }),
  };
}

/** Keys of the write requests `call` makes (captured on the client), then sizes before and after a second, identical call. */
async function measureWrite(client: DynamoDBClient, tableName: string, call: () => Promise<unknown>): Promise<SummaryWriteSize> {
  const keys: Record<string, AttributeValue>[] = [];
  const name = `summarySizeCapture${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue> };
      if (['UpdateItemCommand', 'PutItemCommand', 'DeleteItemCommand'].includes(context.commandName ?? '')) {
        const key = input.Key ?? (input.Item ? { pk: input.Item.pk as AttributeValue, sk: input.Item.sk as AttributeValue } : undefined);
        if (key) keys.push(key);
      }
      return next(args);
    },
    { step: 'build', name },
  );
  try {
    await call(); // learn the keys
    const unique = [...new Map(keys.map((k) => [JSON.stringify(k), k])).values()];
    const sizes = async () => Promise.all(unique.map(async (Key) => sizeOf((await client.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item)));
    const before = await sizes();
    keys.length = 0;
    await call();
    const after = await sizes();
    const bytes = unique.map((_, i) => Math.max(before[i] ?? 0, after[i] ?? 0));
    return { writes: keys.length, maxItemBytes: Math.max(0, ...bytes), wcu: bytes.reduce((s, b) => s + writeUnits(b), 0) };
  } finally {
    client.middlewareStack.remove(name);
  }
}

/** Size of a raw item; summary items hold strings and numbers only. */
const sizeOf = (item: Record<string, AttributeValue> | undefined): number =>
  item ? itemBytes(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.S ?? Number(v.N)]))) : 0;

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await measureSummarySizes(), null, 2)}\n`);
}
