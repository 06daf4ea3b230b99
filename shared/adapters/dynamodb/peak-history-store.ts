/**
 * {@link PeakHistoryStore} on the fleet table: one item per pool (`POOL#<pool>` / `PEAKS`), one
 * attribute per UTC day (`d_<day>` = most live nodes seen that day). At most
 * {@link PEAK_HISTORY_DAYS} + a week of day attributes of ≤ 20 bytes each: the item stays far
 * below 1 KB (one write unit, half a read unit eventually consistent).
 *
 * @module
 */
import { PEAK_HISTORY_DAYS, type PeakHistoryStore } from '../../ports/fleet-store.ts';
import { bucketsOf, type ItemKey } from './items.ts';
import type { FleetTableClient } from './table-client.ts';

/** Prefix of a day's peak attribute. */
export const PEAK_PREFIX = 'd_';

/** Key of a pool's peak-history item. */
export const peakKey = (pool: string): ItemKey => ({ pk: `POOL#${pool}`, sk: 'PEAKS' });

/** Day attributes removed on each write: the 7 days just past the kept window (covers a week without sweeps). */
const PRUNE_SPAN_DAYS = 7;

/**
 * Peak history on DynamoDB. `recordPeakNodes` is one conditional UpdateItem (applied only when
 * the day has no peak yet or a lower one; a failed condition is the normal "not a new peak"
 * outcome, not an error); `peakNodesByDay` one eventually consistent GetItem. Other SDK failures
 * throw {@link FleetStoreError}.
 *
 * @example
 * const peaks = new DynamoDbPeakHistoryStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * await peaks.recordPeakNodes('default', 20_000, 12);
 * await peaks.peakNodesByDay('default', 19_994); // → Map { 20000 => 12 }
 */
export class DynamoDbPeakHistoryStore implements Required<PeakHistoryStore> {
  public constructor(private readonly table: FleetTableClient) {}

  public async recordPeakNodes(pool: string, day: number, nodes: number): Promise<void> {
    const names: Record<string, string> = { '#d': `${PEAK_PREFIX}${day}` };
    const removes: string[] = [];
    for (let i = 0; i < PRUNE_SPAN_DAYS; i++) {
      names[`#o${i}`] = `${PEAK_PREFIX}${day - PEAK_HISTORY_DAYS - i}`;
      removes.push(`#o${i}`);
    }
    await this.table.conditional('RecordPeakNodes', {
      Key: peakKey(pool),
      UpdateExpression: `SET #d = :n REMOVE ${removes.join(', ')}`,
      ConditionExpression: 'attribute_not_exists(#d) OR #d < :n',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':n': nodes },
    });
  }

  public async peakNodesByDay(pool: string, sinceDay: number): Promise<ReadonlyMap<number, number>> {
    // Eventually consistent: a peak a second late changes nothing.
    const item = await this.table.getItem('GetPeakNodes', peakKey(pool), false);
    const days = new Map<number, number>();
    for (const [day, nodes] of Object.entries(bucketsOf(item, PEAK_PREFIX))) if (Number(day) >= sinceDay) days.set(Number(day), nodes);
    return days;
  }
}
