/**
 * Refusing bad input: one place that answers it with `RoomRejected` (built by
 * `publishRoomRejected`, shared/app/rejections.ts), counts it and sends the event with its reason
 * to the dead-letter queue — without retrying and without touching other rooms.
 *
 * @module
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AppDeps } from '../../shared/app/deps.ts';
import { publishRoomRejected } from '../../shared/app/rejections.ts';
import { InvalidEventError } from '../../shared/errors.ts';
import { metrics } from './observability.ts';

/** The result a handler returns for a refused event. */
export interface RejectedResult {
  readonly kind: 'rejected';
  readonly reason: string;
}

/**
 * Parse an event, or refuse it when it is invalid.
 *
 * @returns the parsed event, or the {@link RejectedResult} to return from the handler
 * @throws whatever the parser throws besides {@link InvalidEventError}
 */
export async function parseOrReject<T>(deps: AppDeps, event: unknown, parse: (event: unknown) => T, source: string): Promise<T | RejectedResult> {
  try {
    return parse(event);
  } catch (e) {
    if (e instanceof InvalidEventError) return rejectInvalidEvent(deps, event, e, source);
    throw e;
  }
}

/**
 * Refuse an invalid event: `RoomRejected` (when it names a room or is a room event), a metric,
 * a log line, and the event in the dead-letter queue.
 *
 * @throws {AutoscalerError} (retryable) when the dead-letter queue cannot be reached
 */
export async function rejectInvalidEvent(deps: AppDeps, event: unknown, error: InvalidEventError, source: string): Promise<RejectedResult> {
  deps.logger.warn('event rejected', { reason: error.message, field: error.field, detailType: error.detailType, source });
  metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
  if (error.roomId !== undefined || error.detailType === 'RoomCreated' || error.detailType === 'RoomReleased') {
    await publishRoomRejected(deps.publisher, [{ roomId: error.roomId, reason: error.message }]);
  }
  await deps.deadLetters.send(event, error.message, source);
  return { kind: 'rejected', reason: error.message };
}
