/**
 * An in-memory dead-letter queue for the embedded runtime and tests.
 *
 * @module
 */
import type { DeadLetterQueue } from '../../shared/ports/index.ts';

/** Keeps refused events with their reasons in memory. */
export class LocalDeadLetterQueue implements DeadLetterQueue {
  public readonly messages: { event: unknown; reason: string; source: string }[] = [];

  public async send(event: unknown, reason: string, source: string): Promise<void> {
    this.messages.push({ event, reason, source });
  }
}
