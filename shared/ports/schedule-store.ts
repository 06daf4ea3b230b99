/**
 * Port: rooms announced ahead of their start (`RoomScheduled`), for pre-warming
 * (shared/app/schedule.ts, shared/domain/schedule.ts).
 *
 * A scheduled room is kept until the sweep sees it arrive (a room record exists), until its
 * no-show grace has passed, or until a `RoomReleased` cancels it before it started. The create
 * hot path never reads nor writes it.
 *
 * @module
 */

/** A room announced ahead of its start. Times are epoch ms; weight in capacity units. */
export interface ScheduledRoom {
  readonly roomId: string;
  readonly pool: string;
  readonly weight: number;
  /** When the room is expected to start (`RoomScheduled.startAt`). */
  readonly startAt: number;
  /** When it was announced (the event's `time`): a later announcement of the same room replaces it. */
  readonly announcedAt: number;
  /** The application's lifetime hint, ms. */
  readonly expectedDurationMs?: number | undefined;
  /** Free-form label (`meeting`, `webinar`, …). */
  readonly kind?: string | undefined;
  readonly tenantId?: string | undefined;
}

/** Outcome of storing an announcement: `stale` when a later announcement of the room is stored. */
export type ScheduleRoomResult = 'stored' | 'stale';

/** Scheduled rooms by pool and start time. */
export interface ScheduleStore {
  /**
   * Store (or replace) a room's announcement; idempotent. An announcement older than the one
   * stored (`announcedAt` lower) is `stale` and changes nothing, so out-of-order deliveries keep
   * the latest start time.
   *
   * @throws {FleetStoreError} on infrastructure failures
   */
  scheduleRoom(room: ScheduledRoom): Promise<ScheduleRoomResult>;
  /**
   * The pool's scheduled rooms that start at or before `startBy` (epoch ms), soonest first, at
   * most `limit` — one Query (DynamoDB) whatever the number of pools.
   *
   * @throws {FleetStoreError} on infrastructure failures
   */
  listScheduled(pool: string, startBy: number, limit: number): Promise<readonly ScheduledRoom[]>;
  /**
   * Forget rooms' announcements (arrived, no-show or cancelled); absent ids are ignored.
   *
   * @throws {FleetStoreError} on infrastructure failures
   */
  removeScheduled(roomIds: readonly string[]): Promise<void>;
}
