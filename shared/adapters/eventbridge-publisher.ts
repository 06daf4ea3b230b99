/**
 * `EventPublisher` on Amazon EventBridge: `PutEvents` in batches of at most 10 entries, retrying
 * only the entries EventBridge reports as failed.
 *
 * `PutEvents` is not all-or-nothing: a 200 response can carry `FailedEntryCount > 0` with an
 * `ErrorCode` on each failed entry (e.g. `ThrottlingException`, `InternalFailure`), and the SDK
 * does not retry those — this adapter does. Sources: EventBridge API Reference, `PutEvents`
 * (at most 10 entries per request) and "Handling failures with PutEvents"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html).
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PublishError } from '../errors.ts';
import { AUTOSCALER_SOURCE, type OutboundEvent } from '../events/schemas.ts';
import type { Clock, EventPublisher } from '../ports/index.ts';

/** Most entries one `PutEvents` request accepts (EventBridge API limit). */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** How many times failed entries are re-sent after the first attempt. */
export const PUBLISH_MAX_RETRIES = 3;
/** Default base of the exponential backoff between retries of failed entries, ms. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 100;

/** Options of {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions {
  /** EventBridge client, built once at module scope. */
  readonly client: EventBridgeClient;
  /** Name or ARN of the event bus. */
  readonly busName: string;
  /** `source` of every entry. @default AUTOSCALER_SOURCE ('wcs-autoscaler') */
  readonly source?: string;
  /** When given, each entry's `Time` is the clock's now (virtual time); else EventBridge stamps it. */
  readonly clock?: Clock;
  /**
   * Base of the backoff before retry n (base × 2^(n-1)), ms; 0 disables waiting (tests).
   * @default DEFAULT_RETRY_BASE_DELAY_MS (100)
   */
  readonly retryBaseDelayMs?: number;
}

interface BatchOutcome {
  readonly failed: number;
  readonly codes: ReadonlySet<string>;
  readonly cause?: unknown;
}

/**
 * Publishes the autoscaler's outbound events to an EventBridge bus.
 *
 * Batches are sent in order; within a batch, failed entries are re-sent up to
 * {@link PUBLISH_MAX_RETRIES} times with exponential backoff. A request that throws (after the
 * SDK's own retries) fails its whole batch without further retries; later batches are still
 * sent. At-least-once: a retry may publish an entry twice.
 *
 * @example
 * const publisher = new EventBridgePublisher({ client: new EventBridgeClient({}), busName: 'wcs-autoscaler' });
 * await publisher.publish([{ detailType: 'RoomQueued', detail: { roomId: 'r1', pool: 'default', weight: 1 } }]);
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly source: string;
  private readonly clock: Clock | undefined;
  private readonly retryBaseDelayMs: number;

  public constructor(options: EventBridgePublisherOptions) {
    this.client = options.client;
    this.busName = options.busName;
    this.source = options.source ?? AUTOSCALER_SOURCE;
    this.clock = options.clock;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS;
  }

  /**
   * Publish events: `DetailType` = the event's `detailType`, `Detail` = its detail as JSON.
   *
   * @throws {PublishError} (retryable) when some entries still failed after the retries;
   *   `failed` counts them, `cause` is the last thrown SDK error if any
   */
  public async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    const entries = events.map((e) => this.entry(e));
    let failed = 0;
    const codes = new Set<string>();
    let cause: unknown;
    for (let i = 0; i < entries.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const outcome = await this.putBatch(entries.slice(i, i + PUT_EVENTS_MAX_ENTRIES));
      failed += outcome.failed;
      for (const code of outcome.codes) codes.add(code);
      if (outcome.cause !== undefined) cause = outcome.cause;
    }
    if (failed > 0) {
      throw new PublishError(
        failed,
        `${failed} of ${entries.length} events could not be published to ${this.busName} (${[...codes].join(', ') || 'unknown error'})`,
        cause,
      );
    }
  }

  private entry(event: OutboundEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: this.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      ...(this.clock ? { Time: new Date(this.clock.now()) } : {}),
    };
  }

  private async putBatch(batch: readonly PutEventsRequestEntry[]): Promise<BatchOutcome> {
    let pending = [...batch];
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && this.retryBaseDelayMs > 0) await sleep(this.retryBaseDelayMs * 2 ** (attempt - 1));
      let results;
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: pending }));
        if (!out.FailedEntryCount) return { failed: 0, codes: new Set() };
        results = out.Entries ?? [];
      } catch (error) {
        const code = error instanceof Error ? error.name : 'Error';
        return { failed: pending.length, codes: new Set([code]), cause: error };
      }
      // Results are positional; an entry without an EventId (or with an ErrorCode) failed.
      const codes = new Set<string>();
      const failedEntries = pending.filter((_, i) => {
        const r = results[i];
        if (r?.EventId && !r.ErrorCode) return false;
        codes.add(r?.ErrorCode ?? 'Unknown');
        return true;
      });
      if (failedEntries.length === 0) return { failed: 0, codes };
      if (attempt >= PUBLISH_MAX_RETRIES) return { failed: failedEntries.length, codes };
      pending = failedEntries;
    }
  }
}
