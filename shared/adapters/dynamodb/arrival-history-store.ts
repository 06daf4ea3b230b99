/**
 * {@link ArrivalHistoryStore} on the fleet table: one history item per pool (`POOL#<pool>` /
 * `HISTORY`), one attribute per predictor counter (`h_<slot key>`) and the last folded minute.
 *
 * @module
 */
import type { ArrivalHistory, ArrivalHistoryStore, ArrivalHistoryUpdate } from '../../ports/fleet-store.ts';
import { bucketsOf, HISTORY_PREFIX, historyKey, type Item } from './items.ts';
import type { FleetTableClient } from './table-client.ts';

/**
 * Arrival history on DynamoDB: one eventually consistent GetItem to read, one conditional
 * UpdateItem per fold (false when another sweep folded the same minutes first). Failures throw
 * {@link FleetStoreError}.
 *
 * @example
 * const history = new DynamoDbArrivalHistoryStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const { slots, throughMinute } = await history.getArrivalHistory('default');
 */
export class DynamoDbArrivalHistoryStore implements ArrivalHistoryStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async getArrivalHistory(pool: string): Promise<ArrivalHistory> {
    // Eventually consistent (half the read units): a fold a second late changes nothing.
    const item = await this.table.getItem('GetArrivalHistory', historyKey(pool), false);
    return { pool, slots: bucketsOf(item, HISTORY_PREFIX), throughMinute: item?.throughMinute as number | undefined };
  }

  public async recordArrivalHistory(pool: string, update: ArrivalHistoryUpdate): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = { ':through': update.throughMinute };
    const adds: string[] = [];
    const sets = ['throughMinute = :through'];
    const removes: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(update.add)) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      values[`:h${i}`] = v;
      adds.push(`#h${i} :h${i++}`);
    }
    for (const [k, v] of Object.entries(update.set)) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      values[`:h${i}`] = v;
      sets.push(`#h${i} = :h${i++}`);
    }
    for (const k of update.remove) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      removes.push(`#h${i++}`);
    }
    let condition = 'attribute_not_exists(throughMinute)';
    if (update.expectedThroughMinute !== undefined) {
      condition = 'throughMinute = :expected';
      values[':expected'] = update.expectedThroughMinute;
    }
    return this.table.conditional('RecordArrivalHistory', {
      Key: historyKey(pool),
      UpdateExpression: [`SET ${sets.join(', ')}`, adds.length ? `ADD ${adds.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
        .filter(Boolean)
        .join(' '),
      ConditionExpression: condition,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    });
  }
}
