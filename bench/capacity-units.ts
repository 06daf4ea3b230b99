/**
 * Capacity units of every DynamoDB call a store makes, from the real items (bench only): SDK
 * middleware on a client reads each written item before and after the write (through a second,
 * uncounted client) and sizes it by DynamoDB's rules (`shared/adapters/dynamodb/item-size.ts`),
 * and sizes the items each read returns; every unit is charged to the partition that serves it.
 *
 * Rules applied (Amazon DynamoDB Developer Guide):
 * - a write costs 1 WCU per 1 KB of the larger of the item before and after, at least 1, also
 *   when its condition fails ("Item sizes and formats",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html);
 * - each global secondary index whose entry the write touches costs more: a put when the item
 *   enters the index, a delete when it leaves, a delete plus a put when an index key attribute
 *   changes, one write when only projected attributes change ("Provisioned throughput
 *   considerations for Global Secondary Indexes",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations);
 *   every index projects ALL attributes, so an entry is sized as its item;
 * - a read costs 1 RCU per 4 KB (a Query: of all items it returns together), half when
 *   eventually consistent (every index read is).
 *
 * @module
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { FleetTable } from '../shared/adapters/dynamodb/fleet-table.ts';
import { itemSize, readUnits, writeUnits } from '../shared/adapters/dynamodb/item-size.ts';

type Item = Record<string, unknown>;

/** Units charged to one partition. */
export interface PartitionUnits {
  wcu: number;
  rcu: number;
}

/** What one phase (e.g. the placements) cost. */
export interface PhaseUnits {
  tableWcu: number;
  indexWcu: number;
  rcu: number;
  calls: number;
  /** Largest item size of any write (before or after), bytes, by item kind (`type`). */
  maxWriteBytes: Record<string, number>;
  /** Units by partition: `table <pk>` or `<index> <index pk>`. */
  partitions: Map<string, PartitionUnits>;
}

const emptyPhase = (): PhaseUnits => ({ tableWcu: 0, indexWcu: 0, rcu: 0, calls: 0, maxWriteBytes: {}, partitions: new Map() });

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

/** A document-client or marshalled attribute map as plain values. */
function plain(v: unknown): Item | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const first = Object.values(o)[0];
  const marshalled = first !== undefined && typeof first === 'object' && first !== null && Object.keys(first).length === 1 && ['S', 'N', 'BOOL', 'M', 'L', 'NULL', 'B', 'SS', 'NS'].includes(Object.keys(first)[0] as string);
  return marshalled ? (unmarshall(o as never) as Item) : o;
}

/**
 * Counts capacity units of the calls made through `client`, charged to the current phase.
 *
 * @example
 * const units = new CapacityMeter(client, rawClient, 'fleet');
 * units.phase = 'placement'; … ; units.phases.get('placement')?.tableWcu
 */
export class CapacityMeter {
  /** Units by phase name. */
  public readonly phases = new Map<string, PhaseUnits>();
  /** Phase the next calls are charged to; calls made while undefined are not counted. */
  public phase: string | undefined;
  private readonly raw: DynamoDBDocumentClient;

  public constructor(client: DynamoDBClient, rawClient: DynamoDBClient, private readonly tableName: string) {
    this.raw = DynamoDBDocumentClient.from(rawClient);
    client.middlewareStack.add(
      ((next: (a: unknown) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
        const phase = this.phase === undefined ? undefined : this.current(this.phase);
        const name = context.commandName ?? '';
        if (!phase) return next(args);
        phase.calls += 1;
        if (WRITES.has(name)) return this.write(phase, args, next);
        const out = await next(args);
        this.read(phase, name, args.input, out.output);
        return out;
      }) as never,
      { step: 'serialize', priority: 'high', name: 'capacityMeter' } as never,
    );
  }

  private current(name: string): PhaseUnits {
    let p = this.phases.get(name);
    if (!p) this.phases.set(name, (p = emptyPhase()));
    return p;
  }

  private charge(phase: PhaseUnits, partition: string, wcu: number, rcu: number): void {
    const p = phase.partitions.get(partition) ?? { wcu: 0, rcu: 0 };
    p.wcu += wcu;
    p.rcu += rcu;
    phase.partitions.set(partition, p);
  }

  private async get(key: Item): Promise<Item | undefined> {
    return (await this.raw.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item;
  }

  private async write(phase: PhaseUnits, args: { input: Record<string, unknown> }, next: (a: unknown) => Promise<unknown>): Promise<unknown> {
    const source = plain(args.input.Key) ?? plain(args.input.Item) ?? {};
    const key = { pk: source.pk, sk: source.sk };
    const before = await this.get(key);
    let out: unknown;
    let failed: unknown;
    try {
      out = await next(args);
    } catch (e) {
      failed = e;
    }
    const after = failed ? before : await this.get(key);
    const sizes = [before, after].map((i) => (i ? itemSize(i) : 0));
    const bytes = Math.max(...sizes);
    const kind = String((after ?? before)?.type ?? 'other');
    phase.maxWriteBytes[kind] = Math.max(phase.maxWriteBytes[kind] ?? 0, bytes);
    const wcu = writeUnits(bytes);
    phase.tableWcu += wcu;
    this.charge(phase, `table ${String(key.pk)}`, wcu, 0);
    if (!failed) {
      for (const index of Object.values(FleetTable.indexes)) {
        const entry = (i: Item | undefined) => (i && i[index.partitionKey] !== undefined && i[index.sortKey] !== undefined ? i : undefined);
        const [b, a] = [entry(before), entry(after)];
        const ipk = (i: Item) => `${index.indexName} ${String(i[index.partitionKey])}`;
        const sameKey = b && a && b[index.partitionKey] === a[index.partitionKey] && b[index.sortKey] === a[index.sortKey];
        if (b && a && sameKey) {
          if (JSON.stringify(b) === JSON.stringify(a)) continue;
          const u = writeUnits(Math.max(itemSize(b), itemSize(a)));
          phase.indexWcu += u;
          this.charge(phase, ipk(a), u, 0);
          continue;
        }
        if (b) {
          const u = writeUnits(itemSize(b));
          phase.indexWcu += u;
          this.charge(phase, ipk(b), u, 0);
        }
        if (a) {
          const u = writeUnits(itemSize(a));
          phase.indexWcu += u;
          this.charge(phase, ipk(a), u, 0);
        }
      }
    }
    if (failed) throw failed;
    return out;
  }

  private read(phase: PhaseUnits, name: string, input: Record<string, unknown>, output: Record<string, unknown>): void {
    const consistent = input.ConsistentRead === true;
    if (name === 'GetItemCommand') {
      const item = plain(output.Item);
      const key = plain(input.Key) ?? {};
      const u = readUnits(item ? itemSize(item) : 0, consistent);
      phase.rcu += u;
      this.charge(phase, `table ${String(key.pk)}`, 0, u);
    } else if (name === 'QueryCommand') {
      const items = ((output.Items as unknown[] | undefined) ?? []).map((i) => plain(i) ?? {});
      const u = readUnits(items.reduce((s, i) => s + itemSize(i), 0), consistent);
      phase.rcu += u;
      const values = plain(input.ExpressionAttributeValues) ?? {};
      const pk = Object.entries(values).find(([k]) => [':p', ':q', ':pk'].includes(k))?.[1];
      this.charge(phase, `${typeof input.IndexName === 'string' ? input.IndexName : 'table'} ${String(pk)}`, 0, u);
    } else if (name === 'BatchGetItemCommand') {
      const responses = (output.Responses as Record<string, unknown[]> | undefined) ?? {};
      for (const item of Object.values(responses).flat()) {
        const i = plain(item) ?? {};
        const u = readUnits(itemSize(i), true);
        phase.rcu += u;
        this.charge(phase, `table ${String(i.pk)}`, 0, u);
      }
    }
  }
}
