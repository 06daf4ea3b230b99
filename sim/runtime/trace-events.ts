/**
 * One trace line as the application event it stands for: the `detail` a `RoomCreated`,
 * `RoomReleased` or `RoomScheduled` carries on the bus (docs/design.md#event-contract). Used by
 * `simulate` and the bench's policy replay, so both deliver the same events.
 *
 * @module
 */
import type { TraceEvent } from '../trace/model.ts';
import { traceTimeMs } from './event-loop.ts';

/**
 * The event detail of a trace line. Lifetime hints (`expectedDurationMs`, `kind`) and the tenant
 * pass through when the line has them; a `RoomScheduled` line's `startAt` (trace seconds) becomes
 * the ISO 8601 date-time of that instant in virtual time ({@link traceTimeMs}).
 *
 * @param e - a trace line (validated by `TraceEventSchema`)
 * @returns the detail object, e.g. `{ roomId: 'r1', weight: 2, kind: 'meeting', expectedDurationMs: 1800000 }`
 * @throws {Error} for a `RoomScheduled` line without `startAt` (the trace schema refuses such lines)
 */
export function traceEventDetail(e: TraceEvent): Record<string, unknown> {
  if (e.type === 'RoomReleased') return { roomId: e.roomId };
  const hints = {
    ...(e.tenantId !== undefined ? { tenantId: e.tenantId } : {}),
    ...(e.expectedDurationMs !== undefined ? { expectedDurationMs: e.expectedDurationMs } : {}),
    ...(e.kind !== undefined ? { kind: e.kind } : {}),
  };
  if (e.type === 'RoomCreated') return { roomId: e.roomId, weight: e.weight ?? 1, ...hints };
  if (e.startAt === undefined) throw new Error(`RoomScheduled ${e.roomId}: startAt is required`);
  return { roomId: e.roomId, weight: e.weight ?? 1, startAt: new Date(traceTimeMs(e.startAt)).toISOString(), ...hints };
}
