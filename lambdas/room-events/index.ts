/**
 * room-events: `RoomCreated` → place or queue (and scale out when headroom is short);
 * `RoomReleased` → release (or tombstone) and place queued rooms; a tombstone (the room never
 * started) cancels its announcement. `RoomScheduled` → store the announcement for pre-warming
 * (shared/app/schedule.ts).
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import type { AppDeps } from '../../shared/app/deps.ts';
import { releaseRoom, type ReleaseRoomOutcome } from '../../shared/app/room-release.ts';
import { createRoom, type CreateRoomOutcome } from '../../shared/app/rooms.ts';
import { cancelScheduledRoom, scheduleRoom, type ScheduleRoomOutcome } from '../../shared/app/schedule.ts';
import { parseRoomEvent } from '../../shared/events/parse.ts';
import { getDependencies } from '../shared/dependencies.ts';
import { wrap } from '../shared/middleware.ts';
import { recordRoomCreated } from '../shared/fleet-metrics.ts';
import { handlerMetrics, type HandlerMetrics } from '../shared/observability.ts';
import { parseOrReject, type RejectedResult } from '../shared/reject.ts';
import { tracePhase } from '../shared/tracing.ts';

/** What the function returns (recorded by idempotency; duplicates get the same). */
export type RoomEventsResult = CreateRoomOutcome | ReleaseRoomOutcome | ScheduleRoomOutcome | RejectedResult;

/**
 * Build the handler over injected dependencies (tests pass fakes; Lambda passes the AWS set).
 *
 * @param deps - the dependencies, or a function that returns them on each invocation
 * @param sink - where the metrics go (lambdas/shared/fleet-metrics.ts); the Lambda set unless given
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures, so Lambda retries and
 *   then sends the event to the on-failure dead-letter queue; invalid events are not thrown but
 *   rejected (RoomRejected + dead-letter queue) at once
 */
export function makeHandler(deps: AppDeps | (() => AppDeps), sink: HandlerMetrics = handlerMetrics) {
  return async (event: unknown, context?: Context): Promise<RoomEventsResult> => {
    const d = typeof deps === 'function' ? deps() : deps;
    const started = d.clock.now();
    // The lease on the rooms this invocation claims ends with its deadline (shared/app/rooms.ts).
    const leaseUntil = context ? started + context.getRemainingTimeInMillis() : undefined;
    const parsed = await tracePhase('parse', () => parseOrReject(d, event, parseRoomEvent, 'room-events'));
    if (parsed.kind === 'rejected') return parsed;
    if (parsed.kind === 'created') {
      const outcome = await createRoom(d, {
        roomId: parsed.detail.roomId,
        weight: parsed.detail.weight,
        pool: parsed.detail.pool,
        tenantId: parsed.detail.tenantId,
        kind: parsed.detail.kind,
        expectedDurationMs: parsed.detail.expectedDurationMs,
        eventId: parsed.id,
        eventTime: parsed.time,
        leaseUntil,
      });
      d.logger.info('RoomCreated', { roomId: parsed.detail.roomId, outcome });
      recordRoomCreated(sink, outcome, d.clock.now() - started);
      // Valid but unservable (too heavy for any container, unknown pool): RoomRejected is
      // published; operators find the event with its reason in the dead-letter queue.
      if (outcome.kind === 'rejected') await d.deadLetters.send(event, outcome.reason, 'room-events');
      return outcome;
    }
    if (parsed.kind === 'scheduled') {
      const { roomId, weight, pool, expectedDurationMs, kind, tenantId } = parsed.detail;
      const outcome = await scheduleRoom(d, { roomId, weight, pool, expectedDurationMs, kind, tenantId, startAt: parsed.startAt, announcedAt: parsed.time });
      d.logger.info('RoomScheduled', { roomId, outcome });
      // Valid but unservable (unknown pool, too heavy): operators find it with its reason.
      if (outcome.kind === 'rejected') await d.deadLetters.send(event, outcome.reason, 'room-events');
      return outcome;
    }
    const outcome = await releaseRoom(d, parsed.detail.roomId, parsed.time, parsed.id, leaseUntil);
    // No room to release: it never started, so a scheduled one is cancelled (ordinary releases pay nothing).
    if (outcome.kind === 'tombstoned') await cancelScheduledRoom(d, parsed.detail.roomId);
    d.logger.info('RoomReleased', { roomId: parsed.detail.roomId, outcome });
    return outcome;
  };
}

/** The Lambda entry point. */
export const handler = wrap(makeHandler(getDependencies), { idempotent: true });
