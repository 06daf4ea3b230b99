/**
 * The low-level calls of the fleet store: one document client on the fleet table, and the few
 * call shapes every role uses (a read by key, a conditional update, all pages of a Query or a
 * Scan). SDK failures become {@link FleetStoreError} with `cause`; a lost condition becomes a
 * value (`false`, the item as it was), never an exception.
 *
 * @module
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { FleetStoreError } from '../../errors.ts';
import { nodePk, oldItem, type Item, type ItemKey } from './items.ts';

/** Options of the DynamoDB fleet store and of {@link FleetTableClient}. */
export interface DynamoDbFleetStoreOptions {
  /** A DynamoDB client (built once at module scope by the caller). */
  readonly client: DynamoDBClient;
  /** The fleet table's name. */
  readonly tableName: string;
  /**
   * Shards S of a pool's index partitions (`placement`, `queue`, `pool-nodes`; see
   * `fleet-table.ts`), ≥ 1; default 1 for every pool (today's keys). S may grow while the fleet
   * runs (readers query shards 0…S−1, which hold every item written with a smaller S) but must
   * not shrink: items in shards ≥ the new S would no longer be found.
   */
  readonly shards?: ((pool: string) => number | Promise<number>) | undefined;
}

/** Input of an `UpdateItem` on the fleet table (the table name is added). */
export type UpdateInput = Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>;

/** Whether an SDK error is a failed `ConditionExpression` (a lost race, not a failure). */
export function isConditionFailure(e: unknown): e is ConditionalCheckFailedException {
  return e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * The fleet table through the document client (undefined attributes dropped), shared by the
 * store's roles so they share one client and one connection pool.
 *
 * @example
 * const table = new FleetTableClient({ client: new DynamoDBClient({}), tableName: 'fleet' });
 * const ok = await table.conditional('SetHot', { Key: nodeKey('i-1'), UpdateExpression: 'SET hot = :h', ... });
 */
export class FleetTableClient {
  /** The document client; callers set `TableName: table.name`. */
  public readonly doc: DynamoDBDocumentClient;
  /** The fleet table's name. */
  public readonly name: string;

  public constructor(options: DynamoDbFleetStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.name = options.tableName;
    this.shardsOf = options.shards ?? (() => 1);
  }

  private readonly shardsOf: (pool: string) => number | Promise<number>;

  /** Shards of a pool's index partitions (≥ 1, whole). */
  public async shards(pool: string): Promise<number> {
    const s = await this.shardsOf(pool);
    return Number.isFinite(s) && s >= 1 ? Math.floor(s) : 1;
  }

  /**
   * One item by key, or undefined.
   *
   * @param consistent - strongly consistent read (twice the read units). Default true.
   * @throws {FleetStoreError} named `op` on any SDK failure
   */
  public async getItem(op: string, key: ItemKey, consistent = true): Promise<Item | undefined> {
    const out = await this.call(op, () =>
      this.doc.send(new GetCommand({ TableName: this.name, Key: key, ...(consistent ? { ConsistentRead: true } : {}) })),
    );
    return out.Item;
  }

  /**
   * The item as it was when a condition failed: DynamoDB returns it with
   * ReturnValuesOnConditionCheckFailure; emulators that do not (dynalite) get a consistent read.
   */
  public async itemAfterConditionFailure(e: ConditionalCheckFailedException, key: ItemKey): Promise<Item | undefined> {
    return oldItem(e) ?? (await this.getItem('GetItem', key));
  }

  /** A node's item and its container items (one consistent Query on the node's partition). */
  public async nodeItems(nodeId: string): Promise<Item[]> {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': nodePk(nodeId) },
      ConsistentRead: true,
    });
  }

  /** Every item of a Query, all pages (the SDK's paginator). */
  public async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return this.collect('Query', paginateQuery({ client: this.doc }, { TableName: this.name, ...input }));
  }

  /** Every item of a Scan, all pages (the SDK's paginator). */
  public async scanAll(input: Omit<ScanCommandInput, 'TableName'>): Promise<Item[]> {
    return this.collect('Scan', paginateScan({ client: this.doc }, { TableName: this.name, ...input }));
  }

  /**
   * A conditional update: true when applied, false when the condition failed.
   *
   * @throws {FleetStoreError} named `op` on any other SDK failure
   */
  public async conditional(op: string, input: UpdateInput): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.name, ...input }));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw new FleetStoreError(`${op} failed`, e);
    }
  }

  /**
   * Run one SDK call, rethrowing any failure as {@link FleetStoreError} named `op`.
   *
   * @throws {FleetStoreError} with the SDK error as `cause`
   */
  public async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new FleetStoreError(`${op} failed`, e);
    }
  }

  private async collect(op: string, pages: AsyncIterable<{ Items?: Item[] }>): Promise<Item[]> {
    const items: Item[] = [];
    try {
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (e) {
      throw new FleetStoreError(`${op} failed`, e);
    }
    return items;
  }
}
