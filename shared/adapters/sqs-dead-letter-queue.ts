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

/** Body budget: the SQS limit less room for the message attributes. */
const MAX_BODY_BYTES = SQS_MAX_MESSAGE_BYTES - 4096;

/**
 * A body for an event too large for SQS: its serialized head, cut by bytes (not characters:
 * escaping and multi-byte characters grow when encoded again) until the whole body fits.
 */
function truncatedBody(event: unknown, reason: string, source: string): string {
  const text = JSON.stringify(event) ?? String(event);
  const build = (head: string) => JSON.stringify({ reason, source, event: '(event larger than 256 KiB; truncated)', head });
  let keep = Math.min(text.length, MAX_BODY_BYTES);
  let body = build(text.slice(0, keep));
  while (Buffer.byteLength(body) > MAX_BODY_BYTES && keep > 0) {
    keep = Math.floor(keep * (MAX_BODY_BYTES / Buffer.byteLength(body)) * 0.98);
    body = build(text.slice(0, keep));
  }
  return body;
}

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
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) body = truncatedBody(event, reason, source);
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
