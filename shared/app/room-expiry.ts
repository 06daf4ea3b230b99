/**
 * The optional maximum room age (`limits.maxRoomAgeMs`, docs/security.md#cost-limits): a room
 * placed longer ago than that is released by the sweep, which publishes `RoomExpired` so its
 * application knows why. Without it a forgotten `RoomReleased` (a crashed application, a bug)
 * holds its capacity — and the nodes under it — for ever.
 *
 * @module
 */
import type { OutboundEvent } from '../events/schemas.ts';
import type { AppDeps } from './deps.ts';
import { releaseRoom } from './room-release.ts';

/**
 * Release every placed room older than `limits.maxRoomAgeMs` (age from `requestedAt`, the
 * room's first delivery). `RoomExpired` is published before the release: a crash between the
 * two leaves the room placed, and the next sweep announces and releases it again
 * (at-least-once; applications dedupe by room id).
 *
 * @returns the ids of the rooms expired (none when no maximum age is configured)
 * @throws {FleetStoreError} when the rooms cannot be read or released (the next sweep retries)
 */
export async function expireOldRooms(deps: AppDeps): Promise<string[]> {
  const { limits } = await deps.config.getConfig();
  const maxAgeMs = limits.maxRoomAgeMs;
  if (maxAgeMs === undefined) return [];
  const now = deps.clock.now();
  const old = (await deps.store.listRooms(['placed'])).filter((r) => now - r.requestedAt > maxAgeMs);
  const expired: string[] = [];
  for (const room of old) {
    const event: OutboundEvent = {
      detailType: 'RoomExpired',
      detail: { roomId: room.roomId, pool: room.pool, ...(room.placement ? { nodeId: room.placement.nodeId } : {}), ageMs: now - room.requestedAt, maxAgeMs },
    };
    await deps.publisher.publish([event]);
    await releaseRoom(deps, room.roomId, now, `expire:${room.roomId}`);
    expired.push(room.roomId);
  }
  if (expired.length > 0) deps.logger.warn('rooms past the maximum age released', { maxAgeMs, rooms: expired });
  return expired;
}
