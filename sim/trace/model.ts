/**
 * Demand traces: the `TraceEvent` shape (one line of a JSON Lines trace file), its schema, and
 * the ordering rules every reader of a trace shares.
 *
 * A trace is a list of `RoomCreated` / `RoomReleased` / `RoomScheduled` events ordered by delivery time `t`
 * (seconds from trace start; t = 0 is Monday 00:00 local time — traces are timezone-free).
 * `time` is when the event happened (EventBridge's `time`), default `t`. Lines sharing an `id`
 * are duplicate deliveries of one event; a `RoomCreated` whose `time` is not later than an
 * already delivered `RoomReleased` of the same room is stale (see `isStaleCreate`).
 *
 * @module
 */
import * as z from 'zod';
import { MAX_EXPECTED_DURATION_MS } from '../../shared/events/schemas.ts';

/** Seconds in one trace day. */
export const TRACE_DAY_SEC = 86_400;

/** Largest `t` / `time` a trace may hold, s (~31 years; anything larger is a unit mistake). */
export const MAX_TRACE_SEC = 1_000_000_000;

/** Room id rule of the event contract (docs/design.md#event-contract): 1–128 chars of `[A-Za-z0-9._:-]`. */
export const TRACE_ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The event types a trace holds. */
export type TraceEventType = 'RoomCreated' | 'RoomReleased' | 'RoomScheduled';

/** One line of a trace file. Times are seconds from trace start; weight is capacity units. */
export interface TraceEvent {
  /** When the event is delivered to the autoscaler, s from trace start (≥ 0). */
  readonly t: number;
  readonly type: TraceEventType;
  /** 1–128 chars of `[A-Za-z0-9._:-]`. */
  readonly roomId: string;
  /** Capacity units the room needs, integer ≥ 1; default 1. Ignored on `RoomReleased`. */
  readonly weight?: number | undefined;
  /** Event id; lines sharing an id are duplicate deliveries of one event. */
  readonly id?: string | undefined;
  /** When the event happened (EventBridge `time`), s from trace start; default `t`. */
  readonly time?: number | undefined;
  /** Tenant the room belongs to (passed through as the `RoomCreated` detail's `tenantId`). */
  readonly tenantId?: string | undefined;
  /**
   * Lifetime hint of a `RoomCreated` or `RoomScheduled` line, ms (the event's `expectedDurationMs`):
   * what the application believes, not the room's true length, which the simulator never reads.
   */
  readonly expectedDurationMs?: number | undefined;
  /** What the room is (`meeting`, `webinar`, `camera`, …), on `RoomCreated` and `RoomScheduled` lines. */
  readonly kind?: string | undefined;
  /** When a `RoomScheduled` room is expected to start, s from trace start (required on those lines). */
  readonly startAt?: number | undefined;
}

/** zod error option that tells a missing field from a mistyped one, naming the field. */
function fieldError(field: string, expected: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be ${expected}`) };
}

/**
 * zod schema of one trace line. Unknown keys are dropped; every message names its field
 * (e.g. `roomId must be at most 128 characters`, `weight must be an integer ≥ 1`).
 */
export const TraceEventSchema = z.object({
  t: z
    .number(fieldError('t', 'a number of seconds'))
    .min(0, 't must be ≥ 0')
    .max(MAX_TRACE_SEC, `t must be at most ${MAX_TRACE_SEC} s`),
  type: z.enum(['RoomCreated', 'RoomReleased', 'RoomScheduled'], fieldError('type', '"RoomCreated", "RoomReleased" or "RoomScheduled"')),
  roomId: z
    .string(fieldError('roomId', 'a string'))
    .min(1, 'roomId must not be empty')
    .max(128, 'roomId must be at most 128 characters')
    .regex(/^[A-Za-z0-9._:-]*$/, 'roomId may contain only A-Z a-z 0-9 . _ : -'),
  weight: z
    .number(fieldError('weight', 'an integer ≥ 1'))
    .int('weight must be an integer ≥ 1')
    .min(1, 'weight must be an integer ≥ 1')
    .max(10_000, 'weight must be at most 10000')
    .optional(),
  id: z
    .string(fieldError('id', 'a string'))
    .min(1, 'id must not be empty')
    .max(256, 'id must be at most 256 characters')
    .optional(),
  time: z
    .number(fieldError('time', 'a number of seconds'))
    .min(0, 'time must be ≥ 0')
    .max(MAX_TRACE_SEC, `time must be at most ${MAX_TRACE_SEC} s`)
    .optional(),
  tenantId: z
    .string(fieldError('tenantId', 'a string'))
    .min(1, 'tenantId must not be empty')
    .max(128, 'tenantId must be at most 128 characters')
    .optional(),
  expectedDurationMs: z
    .number(fieldError('expectedDurationMs', 'an integer number of ms'))
    .int('expectedDurationMs must be an integer number of ms')
    .positive('expectedDurationMs must be > 0')
    .max(MAX_EXPECTED_DURATION_MS, 'expectedDurationMs must be at most 7 days')
    .optional(),
  kind: z
    .string(fieldError('kind', 'a string'))
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'kind must be 1–64 chars of [A-Za-z0-9._-]')
    .optional(),
  startAt: z
    .number(fieldError('startAt', 'a number of seconds'))
    .min(0, 'startAt must be ≥ 0')
    .max(MAX_TRACE_SEC, `startAt must be at most ${MAX_TRACE_SEC} s`)
    .optional(),
})
  .refine((e) => e.type !== 'RoomScheduled' || e.startAt !== undefined, { message: 'startAt is required on RoomScheduled', path: ['startAt'] })
  .refine((e) => e.type === 'RoomScheduled' || e.startAt === undefined, { message: 'startAt belongs on RoomScheduled lines only', path: ['startAt'] }) satisfies z.ZodType<TraceEvent>;

/** When an event happened, s: its `time`, or its delivery time `t` when it has none. */
export function eventTime(event: Pick<TraceEvent, 't' | 'time'>): number {
  return event.time ?? event.t;
}

/** An event's weight, capacity units: its `weight`, default 1. */
export function eventWeight(event: Pick<TraceEvent, 'weight'>): number {
  return event.weight ?? 1;
}

/**
 * Order events by delivery time `t`; events with equal `t` keep their input order (stable).
 *
 * @returns a new array
 */
export function sortByDelivery<E extends Pick<TraceEvent, 't'>>(events: readonly E[]): E[] {
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i += 1) sorted = (events[i - 1] as E).t <= (events[i] as E).t;
  if (sorted) return events.slice();
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.t - b.event.t || a.index - b.index)
    .map((x) => x.event);
}
