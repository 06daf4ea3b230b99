/**
 * Telling the application a room was refused: the one place that builds and publishes
 * `RoomRejected`, whether the event was invalid (lambdas/shared/reject.ts), the room cannot be
 * served (unknown pool, heavier than any container: rooms.ts), or it waited in the queue too
 * long (reconcile.ts).
 *
 * @module
 */
import type { OutboundEvent } from '../events/schemas.ts';
import type { EventPublisher } from '../ports/index.ts';

/** One refused room: its id when known (an invalid event may not name one) and why. */
export interface RoomRejection {
  readonly roomId?: string | undefined;
  readonly reason: string;
}

/**
 * Publish one `RoomRejected` per rejection, in order, in a single publish call; nothing when
 * there is none.
 *
 * @throws {PublishError} when the publisher cannot publish them (the caller's retry publishes again)
 * @example
 * await publishRoomRejected(deps.publisher, [{ roomId: 'room-1', reason: 'unknown pool "x"' }]);
 */
export async function publishRoomRejected(publisher: EventPublisher, rejections: readonly RoomRejection[]): Promise<void> {
  if (rejections.length === 0) return;
  const events: OutboundEvent[] = rejections.map(({ roomId, reason }) => ({
    detailType: 'RoomRejected',
    detail: { ...(roomId !== undefined ? { roomId } : {}), reason },
  }));
  await publisher.publish(events);
}
