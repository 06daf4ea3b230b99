import { SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { SQS_MAX_MESSAGE_BYTES, SqsDeadLetterQueue } from '../../../shared/adapters/sqs-dead-letter-queue.ts';
import { AutoscalerError } from '../../../shared/errors.ts';
import { roomCreated } from '../../support/handlers.ts';

const sqsMock = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.eu-central-1.amazonaws.com/123456789012/wcs-autoscaler-dlq';

function dlq(): SqsDeadLetterQueue {
  return new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: QUEUE_URL });
}

function sentBody(): Record<string, unknown> {
  const body = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}';
  return JSON.parse(body) as Record<string, unknown>;
}

function sentBodyBytes(): number {
  return Buffer.byteLength(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '');
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('Class: SqsDeadLetterQueue', () => {
  it('sends one message whose body holds the reason, source and event, with reason and source attributes', async () => {
    // Prepare
    const event = roomCreated('evt-1', { roomId: 'bad room' });
    const reason = 'detail.roomId: roomId may contain only A-Z a-z 0-9 . _ : -';

    // Act
    await dlq().send(event, reason, 'room-events');

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: QUEUE_URL,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason },
        source: { DataType: 'String', StringValue: 'room-events' },
      },
    });
    expect(sentBody()).toEqual({ reason, source: 'room-events', event });
  });

  it('keeps events that are not objects', async () => {
    // Act
    await dlq().send('not json at all', 'event: Invalid input', 'node-events');

    // Assess
    expect(sentBody()).toEqual({ reason: 'event: Invalid input', source: 'node-events', event: 'not json at all' });
  });

  it('cuts the reason attribute to 1024 characters and keeps the full reason in the body', async () => {
    // Prepare
    const reason = `detail.x: ${'y'.repeat(3000)}`;

    // Act
    await dlq().send({ id: 'e' }, reason, 'room-events');

    // Assess
    const input = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes?.reason?.StringValue).toBe(reason.slice(0, 1024));
    expect(sentBody().reason).toBe(reason);
  });

  it('truncates an event larger than 256 KiB and says so', async () => {
    // Prepare
    const event = { ...roomCreated('evt-big', { roomId: 'r1' }), detail: { roomId: 'r1', blob: 'x'.repeat(400_000) } };

    // Act
    await dlq().send(event, 'detail: too big', 'room-events');

    // Assess
    expect(sentBodyBytes()).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    const body = sentBody();
    expect(body).toMatchObject({ reason: 'detail: too big', source: 'room-events', event: expect.stringContaining('truncated') });
    expect(body.head).toEqual(expect.stringMatching(/^\{"version":"0","id":"evt-big"/));
  });

  it('keeps the truncated body within 256 KiB when the event is full of quotes', async () => {
    // Prepare: ~100 000 short strings, a quarter of the JSON text is `"`.
    const event = { ...roomCreated('evt-quotes', { roomId: 'r1' }), detail: { roomId: 'r1', tags: Array.from({ length: 100_000 }, () => 'a') } };

    // Act
    await dlq().send(event, 'detail: too big', 'room-events');

    // Assess
    expect(sentBodyBytes()).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  it('throws a retryable AutoscalerError with the cause when SQS fails', async () => {
    // Prepare
    const cause = new SQSServiceException({ name: 'QueueDoesNotExist', $fault: 'client', $metadata: {}, message: 'The specified queue does not exist.' });
    sqsMock.on(SendMessageCommand).rejects(cause);

    // Act
    const error = await dlq().send({ id: 'e' }, 'reason', 'room-events').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AutoscalerError);
    expect(error).toMatchObject({
      name: 'AutoscalerError',
      retryable: true,
      message: expect.stringContaining('dead-letter queue send failed: The specified queue does not exist.'),
    });
    expect((error as AutoscalerError).cause).toBe(cause);
  });
});
