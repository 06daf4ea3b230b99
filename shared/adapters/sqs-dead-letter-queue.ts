/**
 * `DeadLetterQueue` on SQS: refused events are kept with their reason for operators.
 *
 * @module
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AutoscalerError } from '../errors.ts';
import type { DeadLetterQueue } from '../ports/index.ts';

/** SQS's message size limit, bytes (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 262_144;

/**
 * Sends each refused event as one SQS message: body `{ reason, source, event }`, with `reason`
 * and `source` also as message attributes for filtering.
 *
 * @example
 * const dlq = new SqsDeadLetterQueue({ client: new SQSClient({}), queueUrl: process.env.DLQ_URL! });
 * await dlq.send(event, 'detail.roomId: roomId must not be empty', 'room-events');
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  public constructor(private readonly options: { readonly client: SQSClient; readonly queueUrl: string }) {}

  /** @throws {AutoscalerError} (retryable) when SQS refuses the message */
  public async send(event: unknown, reason: string, source: string): Promise<void> {
    let body = JSON.stringify({ reason, source, event });
    if (Buffer.byteLength(body) > SQS_MAX_MESSAGE_BYTES) {
      body = JSON.stringify({ reason, source, event: '(event larger than 256 KiB; truncated)', head: JSON.stringify(event).slice(0, 200_000) });
    }
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reason.slice(0, 1024) },
            source: { DataType: 'String', StringValue: source },
          },
        }),
      );
    } catch (e) {
      throw new AutoscalerError(`dead-letter queue send failed: ${(e as Error).message}`, { cause: e, retryable: true });
    }
  }
}
