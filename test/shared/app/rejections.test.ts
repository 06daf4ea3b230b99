import { describe, expect, it } from 'vitest';
import { publishRoomRejected } from '../../../shared/app/rejections.ts';
import type { OutboundEvent } from '../../../shared/events/schemas.ts';
import type { EventPublisher } from '../../../shared/ports/index.ts';

class RecordingPublisher implements EventPublisher {
  public readonly calls: (readonly OutboundEvent[])[] = [];
  public async publish(events: readonly OutboundEvent[]): Promise<void> {
    this.calls.push(events);
  }
}

describe('Function: publishRoomRejected', () => {
  it('publishes one RoomRejected per rejection, in order, in one call, leaving out an unknown room id', async () => {
    // Prepare
    const publisher = new RecordingPublisher();

    // Act
    await publishRoomRejected(publisher, [
      { roomId: 'room-1', reason: 'unknown pool "x"' },
      { roomId: undefined, reason: 'detail.roomId: required' },
    ]);

    // Assess
    expect(publisher.calls).toEqual([
      [
        { detailType: 'RoomRejected', detail: { roomId: 'room-1', reason: 'unknown pool "x"' } },
        { detailType: 'RoomRejected', detail: { reason: 'detail.roomId: required' } },
      ],
    ]);
    expect(Object.keys(publisher.calls[0]![1]!.detail)).toEqual(['reason']);
  });

  it('publishes nothing when there is no rejection', async () => {
    // Prepare
    const publisher = new RecordingPublisher();

    // Act
    await publishRoomRejected(publisher, []);

    // Assess
    expect(publisher.calls).toEqual([]);
  });
});
