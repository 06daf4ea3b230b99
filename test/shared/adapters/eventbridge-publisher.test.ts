import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher, type EventBridgePublisherOptions } from '../../../shared/adapters/eventbridge-publisher.ts';
import { PublishError } from '../../../shared/errors.ts';
import { AUTOSCALER_SOURCE, type OutboundEvent } from '../../../shared/events/schemas.ts';

const ebMock = mockClient(EventBridgeClient);
const BUS = 'wcs-autoscaler-bus';

function publisher(overrides: Partial<EventBridgePublisherOptions> = {}): EventBridgePublisher {
  return new EventBridgePublisher({ client: new EventBridgeClient({}), busName: BUS, retryBaseDelayMs: 0, ...overrides });
}

function queued(n: number): OutboundEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    detailType: 'RoomQueued' as const,
    detail: { roomId: `room-${i}`, pool: 'default', weight: 1 },
  }));
}

function roomIdOf(entry: PutEventsRequestEntry | undefined): string {
  return (JSON.parse(entry?.Detail ?? '{}') as { roomId: string }).roomId;
}

/** Answer PutEvents, failing the entries whose roomId `fails` says (per call) with ErrorCode. */
function putEventsFailing(fails: (roomId: string, call: number) => string | undefined): void {
  let call = 0;
  ebMock.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    call += 1;
    const entries: PutEventsResultEntry[] = (input.Entries ?? []).map((e, i) => {
      const code = fails(roomIdOf(e), call);
      return code ? { ErrorCode: code, ErrorMessage: `${code} (test)` } : { EventId: `evt-${call}-${i}` };
    });
    return { FailedEntryCount: entries.filter((e) => e.ErrorCode).length, Entries: entries };
  });
}

function sentRoomIds(): string[][] {
  return ebMock.commandCalls(PutEventsCommand).map((c) => (c.args[0].input.Entries ?? []).map(roomIdOf));
}

beforeEach(() => {
  ebMock.reset();
});

describe('Class: EventBridgePublisher', () => {
  it('sends each event as one entry with source, detail type, JSON detail and bus', async () => {
    // Prepare
    putEventsFailing(() => undefined);
    const event: OutboundEvent = {
      detailType: 'RoomPlaced',
      detail: { roomId: 'r1', pool: 'default', nodeId: 'i-1', container: 0, privateIp: '10.0.0.5', weight: 1, waitedMs: 12 },
    };

    // Act
    await publisher().publish([event]);

    // Assess
    expect(ebMock).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [{ EventBusName: BUS, Source: AUTOSCALER_SOURCE, DetailType: 'RoomPlaced', Detail: JSON.stringify(event.detail) }],
    });
    const entry = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).not.toHaveProperty('Time');
  });

  it('sets Time from the clock and uses a custom source when given', async () => {
    // Prepare
    putEventsFailing(() => undefined);
    const now = Date.parse('2026-03-01T12:00:00Z');

    // Act
    await publisher({ clock: { now: () => now }, source: 'wcs-autoscaler.test' }).publish(queued(1));

    // Assess
    const entry = ebMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry?.Time).toEqual(new Date(now));
    expect(entry?.Source).toBe('wcs-autoscaler.test');
  });

  it('sends batches of at most 10 entries, in order', async () => {
    // Prepare
    putEventsFailing(() => undefined);

    // Act
    await publisher().publish(queued(23));

    // Assess
    const batches = sentRoomIds();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(queued(23).map((e) => (e.detail as { roomId: string }).roomId));
  });

  it('does not call EventBridge for an empty list', async () => {
    // Prepare / Act
    await publisher().publish([]);

    // Assess
    expect(ebMock).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('re-sends only the failed entries until they succeed', async () => {
    // Prepare
    putEventsFailing((roomId, call) =>
      (roomId === 'room-1' && call <= 2) || (roomId === 'room-3' && call === 1) ? 'ThrottlingException' : undefined,
    );

    // Act
    await publisher().publish(queued(4));

    // Assess
    expect(sentRoomIds()).toEqual([['room-0', 'room-1', 'room-2', 'room-3'], ['room-1', 'room-3'], ['room-1']]);
  });

  it('gives up after 3 retries and throws PublishError with the count still failing', async () => {
    // Prepare
    putEventsFailing((roomId) => (roomId === 'room-2' || roomId === 'room-12' ? 'InternalFailure' : undefined));

    // Act
    const error = await publisher().publish(queued(15)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ failed: 2, retryable: true });
    expect((error as Error).message).toContain('InternalFailure');
    expect((error as Error).message).toContain(BUS);
    // batch 1: 1 + 3 retries of room-2; batch 2: 1 + 3 retries of room-12
    expect(sentRoomIds()).toEqual([
      queued(10).map((e) => (e.detail as { roomId: string }).roomId),
      ['room-2'],
      ['room-2'],
      ['room-2'],
      ['room-10', 'room-11', 'room-12', 'room-13', 'room-14'],
      ['room-12'],
      ['room-12'],
      ['room-12'],
    ]);
  });

  it('counts a whole batch as failed when the call throws, still sends later batches, and keeps the cause', async () => {
    // Prepare
    const sdkError = new EventBridgeServiceException({
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: {},
      message: 'Event bus does not exist.',
    });
    ebMock.on(PutEventsCommand).rejectsOnce(sdkError).resolves({ FailedEntryCount: 0, Entries: [] });

    // Act
    const error = await publisher().publish(queued(12)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ failed: 10, cause: sdkError });
    expect((error as Error).message).toContain('ResourceNotFoundException');
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });
});
