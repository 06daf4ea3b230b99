/**
 * {@link LifetimeStore} on the fleet table: one item per pool, hour band and room kind
 * (`LIFETIME#<pool>` / `B<band>#<kind>`, kind empty for rooms without one) holding the
 * predictor's counters as number attributes (`d<i>`, `s<i>`, `r<j>`, `q<j>`,
 * shared/domain/lifetime.ts). A release adds to one item with `ADD` (no read, no condition:
 * concurrent releases both count); the placement path reads a pool's items with one Query per
 * model load (cached, shared/app/lifetimes.ts), never per placement.
 *
 * Size: keys ≤ 2 + 73 + 2 + 67 bytes (64-character pool and kind, the longest the schemas
 * accept), 29 + 29 + 18 + 18 counters of ≤ 3-byte names; with every counter populated at
 * 36.5 million samples in one cell (100 000 a day for a year) the item stays ≤ 1 KB, one write
 * unit per release (test/shared/adapters/dynamodb/item-size.test.ts). All of a pool's items share
 * a partition key: DynamoDB's per-partition limit of 1 000 write units per second ("Best
 * practices for designing and using partition keys effectively", DynamoDB developer guide)
 * bounds a pool at about 1 000 releases per second before split-for-heat spreads the sort keys.
 *
 * @module
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LifetimeCell } from '../../domain/lifetime.ts';
import type { LifetimeStore } from '../../ports/lifetime-store.ts';
import type { Item, ItemKey } from './items.ts';
import type { FleetTableClient } from './table-client.ts';

/** Partition key of a pool's lifetime items. */
export const lifetimePk = (pool: string): string => `LIFETIME#${pool}`;
/** Key of one lifetime cell's item. */
export const lifetimeKey = (pool: string, kind: string, band: number): ItemKey => ({ pk: lifetimePk(pool), sk: `B${band}#${kind}` });

const COUNTER = /^[dsrq]\d{1,2}$/;

/** A lifetime item as a cell, or undefined when its sort key is not `B<band>#<kind>`. */
export function toLifetimeCell(item: Item): LifetimeCell | undefined {
  const m = /^B(\d+)#(.*)$/.exec(String(item.sk ?? ''));
  if (!m) return undefined;
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(item)) if (COUNTER.test(k) && typeof v === 'number') counts[k] = v;
  return { kind: m[2] ?? '', band: Number(m[1]), counts };
}

/**
 * Lifetime counters on DynamoDB: `lifetimeCells` one eventually consistent Query (all pages),
 * `addLifetime` one UpdateItem with `ADD`. Failures throw {@link FleetStoreError}.
 *
 * @example
 * const lifetimes = new DynamoDbLifetimeStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * await lifetimes.addLifetime('default', { kind: 'meeting', band: 2 }, { d13: 1, s13: 3900 });
 * await lifetimes.lifetimeCells('default'); // → [{ kind: 'meeting', band: 2, counts: { d13: 1, s13: 3900 } }]
 */
export class DynamoDbLifetimeStore implements LifetimeStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async lifetimeCells(pool: string): Promise<readonly LifetimeCell[]> {
    const items = await this.table.queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': lifetimePk(pool) } });
    return items.map(toLifetimeCell).filter((c): c is LifetimeCell => c !== undefined);
  }

  public async addLifetime(pool: string, cell: { readonly kind: string; readonly band: number }, add: Readonly<Record<string, number>>): Promise<void> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const adds: string[] = [];
    for (const [k, v] of Object.entries(add)) {
      if (!COUNTER.test(k)) throw new RangeError(`addLifetime: "${k}" is not a lifetime counter (d|s|r|q + bucket)`);
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      adds.push(`#${k} :${k}`);
    }
    if (adds.length === 0) return;
    await this.table.call('AddLifetime', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: lifetimeKey(pool, cell.kind, cell.band),
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
