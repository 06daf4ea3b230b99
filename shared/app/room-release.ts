/**
 * Releasing a room: its record, its capacity, its tenant share and its lifetime, then the rooms
 * waiting for what it freed (shared/app/rooms.ts places them).
 *
 * @module
 */
import type { RoomRecord, SummaryDelta } from '../ports/fleet-store.ts';
import type { AppDeps } from './deps.ts';
import { recordRoomLifetime } from './lifetimes.ts';
import { returnTenantShare } from './room-limits.ts';
import { placeQueued } from './rooms.ts';

/** What happened to a release. */
export type ReleaseRoomOutcome =
  | { readonly kind: 'released'; readonly previousState: string; readonly placedQueued: number }
  | { readonly kind: 'tombstoned' }
  | { readonly kind: 'ignored'; readonly reason: string };

/**
 * Release a room (or leave a tombstone when its create has not arrived yet), give its capacity
 * back, and place queued rooms on what was freed.
 *
 * @param roomId - the room
 * @param eventTime - when the release happened, epoch ms
 * @param claimPrefix - prefix of claim ids for the queued rooms this release places (the event id)
 * @param leaseUntil - the invocation's deadline, epoch ms (the lease on the rooms it claims)
 * @throws {FleetStoreError} on infrastructure failures
 */
export async function releaseRoom(deps: AppDeps, roomId: string, eventTime: number, claimPrefix: string, leaseUntil?: number): Promise<ReleaseRoomOutcome> {
  const now = deps.clock.now();
  const res = await deps.store.releaseRoom(roomId, eventTime, now);
  if (res.kind === 'tombstoned') return { kind: 'tombstoned' };
  if (res.kind === 'ignored') {
    // A redelivery after a crash between the two writes: free what the room held (idempotent),
    // and drain the queue as the first attempt would have (it may have crashed holding claims).
    if (res.reason === 'already-released') {
      const room = await releaseHeldCapacity(deps, roomId);
      if (room) await placeQueued(deps, await deps.config.getConfig(), room.pool, claimPrefix, undefined, leaseUntil);
    }
    return { kind: 'ignored', reason: res.reason };
  }
  const prev = res.previous;
  const where = prev.state === 'placed' ? prev.placement : prev.state === 'placing' ? prev.target : undefined;
  const container = where ? await deps.store.releaseCapacity(where, roomId, prev.weight) : undefined;
  const freed = container?.accepting === true;
  const delta: SummaryDelta = {
    ...(freed ? { readyFree: prev.weight } : {}),
    ...(prev.state === 'queued' ? { queuedWeight: -prev.weight } : {}),
  };
  const config = await deps.config.getConfig();
  await returnTenantShare(deps, config, prev);
  const pool = config.pools.find((p) => p.name === prev.pool);
  let placedQueued = 0;
  if (pool) {
    const summary = await deps.store.adjustSummary(pool.name, delta, now);
    // Capacity was freed: place who waits, first come first served. Claims stranded by a crashed
    // owner are read always (one Query): the summary counts queued rooms, not them.
    if (freed) placedQueued = await placeQueued(deps, config, pool.name, claimPrefix, undefined, leaseUntil, summary.queuedWeight > 0);
  }
  if (prev.state === 'placed') await recordRoomLifetime(deps, prev, eventTime);
  return { kind: 'released', previousState: prev.state, placedQueued };
}

/**
 * Free the capacity a released room may still hold on its placement or target (idempotent).
 *
 * @returns the room when it is released and had a pool (the caller drains that pool's queue)
 */
async function releaseHeldCapacity(deps: AppDeps, roomId: string): Promise<RoomRecord | undefined> {
  const room = await deps.store.getRoom(roomId);
  if (!room || room.state !== 'released' || !room.pool) return undefined;
  const where = room.placement ?? room.target;
  if (!where || room.weight <= 0) return room;
  const c = await deps.store.releaseCapacity(where, roomId, room.weight);
  if (c?.accepting) await deps.store.adjustSummary(room.pool, { readyFree: room.weight }, deps.clock.now());
  return room;
}
