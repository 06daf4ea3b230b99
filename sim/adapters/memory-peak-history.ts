/**
 * {@link PeakHistoryStore} in process memory, with the semantics of `DynamoDbPeakHistoryStore`:
 * a day's peak only rises, days older than {@link PEAK_HISTORY_DAYS} (and up to a week more) are
 * dropped on each raise, a read takes the highest peak since a day. Used by `MemoryFleetStore`.
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
 * await peaks.recentPeakNodes('default', 19_994); // → 12
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

  public async recentPeakNodes(pool: string, sinceDay: number): Promise<number> {
    let peak = 0;
    for (const [day, nodes] of this.byPool.get(pool) ?? []) if (day >= sinceDay) peak = Math.max(peak, nodes);
    return peak;
  }
}
