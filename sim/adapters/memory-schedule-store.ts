/**
 * {@link ScheduleStore} in process memory, with the semantics of `DynamoDbScheduleStore`: one
 * announcement per room, a later announcement replaces an earlier one (an older one is `stale`),
 * reads by pool in start order.
 *
 * @module
 */
import type { ScheduledRoom, ScheduleRoomResult, ScheduleStore } from '../../shared/ports/schedule-store.ts';

/**
 * Scheduled rooms by room id.
 *
 * @example
 * const schedule = new MemoryScheduleStore();
 * await schedule.scheduleRoom({ roomId: 'web-1', pool: 'default', weight: 1, startAt: 600_000, announcedAt: 0 });
 * await schedule.listScheduled('default', 600_000, 10); // → [{ roomId: 'web-1', … }]
 */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly rooms = new Map<string, ScheduledRoom>();

  public async scheduleRoom(room: ScheduledRoom): Promise<ScheduleRoomResult> {
    const old = this.rooms.get(room.roomId);
    if (old && old.announcedAt > room.announcedAt) return 'stale';
    this.rooms.set(room.roomId, { ...room });
    return 'stored';
  }

  public async listScheduled(pool: string, startBy: number, limit: number): Promise<readonly ScheduledRoom[]> {
    return [...this.rooms.values()]
      .filter((r) => r.pool === pool && r.startAt <= startBy)
      .sort((a, b) => a.startAt - b.startAt || (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0))
      .slice(0, limit);
  }

  public async removeScheduled(roomIds: readonly string[]): Promise<void> {
    for (const id of roomIds) this.rooms.delete(id);
  }

  /** Every stored announcement (tests, simulation checks). */
  public all(): readonly ScheduledRoom[] {
    return [...this.rooms.values()];
  }
}
