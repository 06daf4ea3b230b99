/**
 * Scheduled rooms (`RoomScheduled`) and pre-warming: store announcements, cancel them, and give
 * the sweep each pool's scheduled demand (shared/domain/schedule.ts).
 *
 * The create hot path never touches the schedule: a room that arrives is noticed by the sweep
 * (its room record exists) and its announcement forgotten then. A `RoomReleased` that finds no
 * room (the release path's tombstone) cancels the announcement.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import { BUCKET_MS } from '../domain/buckets.ts';
import { arrivalsByMinute, scheduledDemand, scheduleHorizonMs, type ScheduledDemand } from '../domain/schedule.ts';
import type { RoomRecord } from '../ports/fleet-store.ts';
import type { ScheduledRoom } from '../ports/schedule-store.ts';
import type { AppDeps } from './deps.ts';

/** Most scheduled rooms of a pool the sweep reads per run (within the schedule horizon). */
export const SCHEDULE_READ_LIMIT = 10_000;

/** What {@link scheduleRoom} did. */
export type ScheduleRoomOutcome =
  | { readonly kind: 'scheduled'; readonly pool: string; readonly startAt: number }
  /** A later announcement of the room is stored; this one changed nothing. */
  | { readonly kind: 'stale' }
  /** Valid but unservable: unknown pool, heavier than a container. The reason names the field. */
  | { readonly kind: 'rejected'; readonly reason: string };

/** A parsed `RoomScheduled` (times epoch ms, weight capacity units). */
export interface ScheduleRoomCommand {
  readonly roomId: string;
  readonly startAt: number;
  readonly weight: number;
  readonly pool?: string | undefined;
  /** The event's time: a later announcement of the same room replaces this one. */
  readonly announcedAt: number;
  readonly expectedDurationMs?: number | undefined;
  readonly kind?: string | undefined;
  readonly tenantId?: string | undefined;
}

/**
 * Store a room's announcement (idempotent: the same room again replaces its start and hints).
 *
 * @returns `scheduled`, `stale` (a later announcement is stored) or `rejected` (unknown pool,
 *   weight over a container's capacity), never throwing for the event's content
 * @throws {FleetStoreError} on infrastructure failures (the event is retried)
 */
export async function scheduleRoom(deps: AppDeps, cmd: ScheduleRoomCommand): Promise<ScheduleRoomOutcome> {
  const config = await deps.config.getConfig();
  const poolName = cmd.pool ?? config.defaultPool;
  const pool = config.pools.find((p) => p.name === poolName);
  if (!pool) return { kind: 'rejected', reason: `detail.pool: unknown pool "${poolName}"` };
  if (cmd.weight > pool.capacityPerContainer) {
    return { kind: 'rejected', reason: `detail.weight: ${cmd.weight} exceeds a container's capacity (${pool.capacityPerContainer} units)` };
  }
  const room: ScheduledRoom = {
    roomId: cmd.roomId,
    pool: pool.name,
    weight: cmd.weight,
    startAt: cmd.startAt,
    announcedAt: cmd.announcedAt,
    expectedDurationMs: cmd.expectedDurationMs,
    kind: cmd.kind,
    tenantId: cmd.tenantId,
  };
  if ((await deps.schedule.scheduleRoom(room)) === 'stale') return { kind: 'stale' };
  return { kind: 'scheduled', pool: pool.name, startAt: cmd.startAt };
}

/**
 * Cancel a room's announcement: called when a `RoomReleased` found no room (it never started).
 * Absent announcements are ignored.
 *
 * @throws {FleetStoreError} on infrastructure failures
 */
export async function cancelScheduledRoom(deps: Pick<AppDeps, 'schedule'>, roomId: string): Promise<void> {
  await deps.schedule.removeScheduled([roomId]);
}

/** A pool's scheduled demand as the sweep read it. */
export interface PoolScheduledDemand extends ScheduledDemand {
  /** Announced rooms found arrived (or cancelled by a tombstone), forgotten by this read. */
  readonly arrived: number;
  /** Weight of the announced rooms that arrived, by minute of their first delivery (`arrivalsByMinute`). */
  readonly arrivedByMinute: Readonly<Record<string, number>>;
}

/**
 * Whether a room record shows the announced room arrived or was cancelled: any record, but a
 * release older than the announcement (an earlier room with the same id).
 */
function hasArrived(record: RoomRecord | undefined, room: ScheduledRoom): boolean {
  if (!record) return false;
  return !(record.state === 'released' && (record.releasedAt ?? 0) < room.announcedAt);
}

/**
 * The pool's scheduled demand now: one Query of its announcements within the schedule horizon
 * (`scheduleHorizonMs`), one batched read of their room records (rooms that arrived, or were
 * cancelled before they started, stop counting), then {@link scheduledDemand}. Forgets the
 * announcements of arrived rooms and no-shows (one batched delete when there are any).
 *
 * @param stoppedNodes - the pool's stopped warm-pool nodes (a warm start shortens the lead)
 * @throws {FleetStoreError} on infrastructure failures
 */
export async function readScheduledDemand(deps: AppDeps, pool: PoolConfig, now: number, stoppedNodes = 0): Promise<PoolScheduledDemand> {
  const listed = await deps.schedule.listScheduled(pool.name, now + scheduleHorizonMs(pool), SCHEDULE_READ_LIMIT);
  if (listed.length === 0) return { weight: 0, rooms: 0, noShows: [], arrivingWeight: 0, arrived: 0, arrivedByMinute: {} };
  const records = await deps.store.getRooms(listed.map((r) => r.roomId));
  const arrivedRooms = listed.filter((r) => hasArrived(records.get(r.roomId), r));
  const arrived = arrivedRooms.map((r) => r.roomId);
  const gone = new Set(arrived);
  // Rooms that really started, whose create counted an arrival (a release's tombstone, a cancel,
  // has no first delivery: requestedAt 0).
  const started = arrivedRooms.flatMap((r) => {
    const rec = records.get(r.roomId);
    return rec && rec.requestedAt > 0 ? [{ weight: rec.weight, requestedAt: rec.requestedAt }] : [];
  });
  const demand = scheduledDemand(listed.filter((r) => !gone.has(r.roomId)), pool, now, stoppedNodes);
  if (arrived.length + demand.noShows.length > 0) await deps.schedule.removeScheduled([...arrived, ...demand.noShows]);
  if (demand.weight > 0 || demand.noShows.length > 0) {
    deps.logger.info('scheduled demand', { pool: pool.name, weight: demand.weight, rooms: demand.rooms, noShows: demand.noShows.length, arrived: arrived.length });
  }
  return { ...demand, arrived: arrived.length, arrivedByMinute: arrivalsByMinute(started) };
}

/**
 * Take announced arrivals out of the pool's arrival buckets (one summary adjustment per minute
 * within `windowMs`), so the hot path's and later sweeps' headroom target and the predictor see
 * unannounced arrivals only (`schedule.ts` `unannouncedArrivals`). Called by the sweep after it
 * read the summary, with {@link readScheduledDemand}'s `arrivedByMinute`.
 *
 * @param windowMs - the oldest minute adjusted is within this window before `now` (older ones are trimmed)
 * @throws {FleetStoreError} on infrastructure failures
 */
export async function discountAnnouncedArrivals(deps: AppDeps, pool: string, arrivedByMinute: Readonly<Record<string, number>>, now: number, windowMs: number): Promise<void> {
  const oldest = Math.floor((now - windowMs) / BUCKET_MS) + 1;
  for (const [minute, weight] of Object.entries(arrivedByMinute)) {
    if (Number(minute) < oldest || weight <= 0) continue;
    await deps.store.adjustSummary(pool, { arrivals: -weight }, Number(minute) * BUCKET_MS);
  }
}
