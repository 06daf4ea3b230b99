/**
 * {@link PeakHistoryStore} in process memory, with the semantics of `DynamoDbPeakHistoryStore`:
 * a day's peak only rises, days older than {@link PEAK_HISTORY_DAYS} (and up to a week more) are
 * dropped on each raise, a read returns the peaks since a day. Used by `MemoryFleetStore`.
 *
 * @module
 */
import { PEAK_HISTORY_DAYS, type PeakHistoryStore } from '../../shared/ports/fleet-store.ts';

/**
 * Peaks per pool and UTC day.
 *
 * @example
 * const peaks = new MemoryPeakHistory();
 * await peaks.recordPeakNodes('default', 20_000, 12);
 * await peaks.peakNodesByDay('default', 19_994); // → Map { 20000 => 12 }
 */
export class MemoryPeakHistory implements Required<PeakHistoryStore> {
  private readonly byPool = new Map<string, Map<number, number>>();

  public async recordPeakNodes(pool: string, day: number, nodes: number): Promise<void> {
    let days = this.byPool.get(pool);
    if (!days) this.byPool.set(pool, (days = new Map()));
    const old = days.get(day);
    if (old !== undefined && old >= nodes) return;
    days.set(day, nodes);
    for (let i = 0; i < 7; i++) days.delete(day - PEAK_HISTORY_DAYS - i);
  }

  public async peakNodesByDay(pool: string, sinceDay: number): Promise<ReadonlyMap<number, number>> {
    return new Map([...(this.byPool.get(pool) ?? [])].filter(([day]) => day >= sinceDay));
  }
}
