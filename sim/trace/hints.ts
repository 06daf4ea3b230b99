/**
 * Lifetime hints of a generated trace (issue 15, docs/design.md#event-contract): what the
 * applications know about a room before and when it starts — `RoomScheduled` announcements of
 * scheduled meetings and webinars, and the `kind` / `expectedDurationMs` a `RoomCreated` carries.
 *
 * Hints are drawn from their own random stream, after the room sessions are generated: the
 * sessions, event ids, times, releases and duplicate deliveries are exactly those of the same
 * seed without hints, and {@link stripHints} gives that trace back byte for byte. No-show
 * bookings (scheduled, never created) get their own room ids (`booking-<n>`), so they add no
 * session to the trace.
 *
 * Figures (published where a source exists, assumptions otherwise — each is named here):
 * - Every scheduled meeting is booked in a calendar, so its application knows the slot and the
 *   booked length (inspace.app lengths, `SCHEDULED_LENGTHS` in demand.ts); lateness (26%, mean
 *   9 min, authorea) and early ends / overruns are the room's own and not in the hint.
 * - {@link WRONG_HINT_SHARE}: 10% of meetings carry a wrong booked length (assumption: the
 *   calendar entry was copied or never edited; a different standard length is announced).
 * - {@link NO_SHOW_SHARE}: 5% of bookings are no-shows (assumption). Booked meeting rooms go
 *   unused 18–25% of the time in offices (Worklytics, "7 KPI-Driven Tactics to Cut Meeting-Room
 *   No-Show Rates Below 10%"), but a video room exists as soon as one participant joins, and many
 *   physical no-shows are meetings held online instead, so only meetings nobody joins count here;
 *   we take a quarter of the office figure. {@link CANCELLED_NO_SHOW_SHARE} of them are
 *   cancelled (`RoomReleased` before the slot), the rest simply never start.
 * - {@link BOOKING_LEAD}: how far ahead a meeting is announced (assumption: scheduling tools
 *   allow bookings down to a few minutes ahead, e.g. neetocal's "lead time" setting; most
 *   internal meetings are set up hours to a day before, recurring ones days before).
 * - Webinar attendees register {@link WEBINAR_LEAD_MIN} minutes ahead (the scenario:
 *   "a webinar scheduled at least 10 minutes ahead").
 * - Camera (surveillance) rooms: `kind: "camera"`, no duration (they live until the link drops);
 *   ad-hoc and personal calls: `kind: "call"`, no duration (nobody books them).
 *
 * @module
 */
import { pick, uniform, type RandomSource } from '../random.ts';
import { sampleRoomWeight, sampleScheduledLengthMin, SCHEDULED_LENGTHS } from './demand.ts';
import { sortByDelivery, type TraceEvent } from './model.ts';

/** The `kind` labels a generated trace uses. */
export const TRACE_ROOM_KINDS = { meeting: 'meeting', webinar: 'webinar', camera: 'camera', call: 'call' } as const;

/** Share of scheduled meetings whose hint is a different standard length than booked (assumption). */
export const WRONG_HINT_SHARE = 0.1;
/** Share of bookings that are no-shows: announced, never created (assumption, see the module docs). */
export const NO_SHOW_SHARE = 0.05;
/** Share of no-shows cancelled by a `RoomReleased` between the announcement and the slot (assumption). */
export const CANCELLED_NO_SHOW_SHARE = 0.4;

/**
 * How far ahead of its slot a meeting is announced (assumption): 15% 5–30 min ahead (uniform),
 * 45% 1–24 h ahead and 40% 1–7 days ahead (log-uniform). Announcements that would fall before
 * t = 0 are delivered at t = 0 (the calendar known when the trace starts).
 */
export const BOOKING_LEAD: readonly { readonly share: number; readonly minSec: number; readonly maxSec: number; readonly log: boolean }[] = [
  { share: 0.15, minSec: 5 * 60, maxSec: 30 * 60, log: false },
  { share: 0.45, minSec: 3600, maxSec: 24 * 3600, log: true },
  { share: 0.4, minSec: 24 * 3600, maxSec: 7 * 24 * 3600, log: true },
];

/** Webinar attendees are announced this many minutes before the webinar starts (uniform). */
export const WEBINAR_LEAD_MIN = { min: 10, max: 60 } as const;

/** Room id prefix of no-show bookings (rooms announced and never created). */
export const NO_SHOW_ROOM_PREFIX = 'booking-';

/** Shares of the hint model, each 0–1 (defaults: the constants above). */
export interface TraceHintOptions {
  /** @default WRONG_HINT_SHARE */
  readonly wrongHintShare?: number;
  /** Below 1. @default NO_SHOW_SHARE */
  readonly noShowShare?: number;
  /** @default CANCELLED_NO_SHOW_SHARE */
  readonly cancelledNoShowShare?: number;
}

/** What the hint model reads of a room session (a `GeneratedRoom`). Times in s from t = 0. */
export interface HintableRoom {
  readonly roomId: string;
  /** `scheduled`, `webinar`, `surveillance`, `adhoc` or `personal`. */
  readonly kind: string;
  readonly weight: number;
  readonly start: number;
  /** Booked length, min (scheduled meetings and webinars). */
  readonly scheduledMin?: number;
  /** Booked start, s (scheduled meetings and webinars). */
  readonly scheduledStart?: number;
}

/** The hint a room's `RoomCreated` carries. */
export interface RoomHint {
  readonly kind: string;
  /** ms; absent on camera rooms and calls. */
  readonly expectedDurationMs?: number;
}

/** The hints of a trace. */
export interface TraceHints {
  /** Per input room session (same index), the hint of its `RoomCreated`. */
  readonly hints: readonly RoomHint[];
  /**
   * `RoomScheduled` lines and the cancellations (`RoomReleased`) of no-shows, sorted by `t`, with
   * ids `s<n>` (apart from the `e<n>` ids of the session events).
   */
  readonly announcements: readonly TraceEvent[];
}

/** Resolve and validate hint options. @throws {RangeError} naming the option. */
export function resolveHintOptions(options: TraceHintOptions = {}): Required<TraceHintOptions> {
  const resolved = {
    wrongHintShare: options.wrongHintShare ?? WRONG_HINT_SHARE,
    noShowShare: options.noShowShare ?? NO_SHOW_SHARE,
    cancelledNoShowShare: options.cancelledNoShowShare ?? CANCELLED_NO_SHOW_SHARE,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`generateTrace: hints.${name} must be between 0 and 1`);
  }
  if (resolved.noShowShare >= 1) throw new RangeError('generateTrace: hints.noShowShare must be below 1');
  return resolved;
}

/** A booking lead time, s (integer), from {@link BOOKING_LEAD}. Draws exactly two numbers. */
export function sampleBookingLeadSec(random: RandomSource): number {
  const band = pick(random, BOOKING_LEAD);
  const u = random();
  const sec = band.log ? band.minSec * (band.maxSec / band.minSec) ** u : uniform(() => u, band.minSec, band.maxSec);
  return Math.round(sec);
}

/** A standard length other than `bookedMin`, by the inspace.app shares. */
function otherLengthMin(random: RandomSource, bookedMin: number): number {
  return pick(random, SCHEDULED_LENGTHS.filter((l) => l.minutes !== bookedMin)).minutes;
}

const MIN_MS = 60_000;

/**
 * Draw the hints of a trace's room sessions: per session its `RoomCreated` hint, and the
 * `RoomScheduled` announcements (scheduled meetings: slot and booked length, `kind: "meeting"`;
 * webinars: the webinar's start and length, `kind: "webinar"`), no-show bookings and their
 * cancellations. An announcement is delivered at `max(0, slot − lead)` and only when that is
 * before the room's create (a room booked too close to the trace start is not announced);
 * `startAt` is never before it (so never more than 90 s in the past), at most 7 days after it.
 *
 * @param rooms - sessions sorted by start (e.g. `generateRooms`); only `kind`, `weight`, `start`
 *   and the booked slot are read, never the end
 * @param horizonSec - trace length, s; nothing is announced at or after it
 * @param options - resolved shares ({@link resolveHintOptions})
 * @param random - the hint stream (apart from the session streams)
 * @returns hints aligned with `rooms`, and the extra lines
 */
export function planHints(
  rooms: readonly HintableRoom[],
  horizonSec: number,
  options: Required<TraceHintOptions>,
  random: RandomSource,
): TraceHints {
  const hints: RoomHint[] = [];
  const extra: TraceEvent[] = [];
  const noShowOdds = options.noShowShare / (1 - options.noShowShare);
  let bookings = 0;
  const announce = (roomId: string, slot: number, lead: number, createdAt: number, weight: number, hint: RoomHint): number | undefined => {
    const t = Math.max(0, slot - lead);
    if (t >= createdAt || t >= horizonSec) return undefined;
    extra.push({ t, type: 'RoomScheduled', roomId, startAt: slot, ...(weight === 1 ? {} : { weight }), ...hint });
    return t;
  };
  for (const room of rooms) {
    if (room.kind === 'scheduled' && room.scheduledMin !== undefined && room.scheduledStart !== undefined) {
      const wrong = random() < options.wrongHintShare;
      const other = otherLengthMin(random, room.scheduledMin);
      const hint = { kind: TRACE_ROOM_KINDS.meeting, expectedDurationMs: (wrong ? other : room.scheduledMin) * MIN_MS };
      hints.push(hint);
      announce(room.roomId, room.scheduledStart, sampleBookingLeadSec(random), room.start, room.weight, hint);
      if (random() < noShowOdds) {
        // A booking at the same slot that nobody joins: announced, maybe cancelled, never created.
        bookings += 1;
        const roomId = `${NO_SHOW_ROOM_PREFIX}${bookings}`;
        const slot = room.scheduledStart;
        const noShow = { kind: TRACE_ROOM_KINDS.meeting, expectedDurationMs: sampleScheduledLengthMin(random) * MIN_MS };
        const at = announce(roomId, slot, sampleBookingLeadSec(random), slot + 1, sampleRoomWeight(random), noShow);
        const cancelled = random() < options.cancelledNoShowShare;
        const cancelAt = at === undefined ? slot : at + 1 + Math.floor(random() * (slot - at - 1));
        if (cancelled && cancelAt < slot && cancelAt < horizonSec) extra.push({ t: cancelAt, type: 'RoomReleased', roomId });
      }
    } else if (room.kind === 'webinar' && room.scheduledMin !== undefined && room.scheduledStart !== undefined) {
      const hint = { kind: TRACE_ROOM_KINDS.webinar, expectedDurationMs: room.scheduledMin * MIN_MS };
      hints.push(hint);
      const lead = Math.round(uniform(random, WEBINAR_LEAD_MIN.min, WEBINAR_LEAD_MIN.max) * 60);
      announce(room.roomId, room.scheduledStart, lead, room.start, room.weight, hint);
    } else {
      hints.push({ kind: room.kind === 'surveillance' ? TRACE_ROOM_KINDS.camera : room.kind === 'webinar' ? TRACE_ROOM_KINDS.webinar : TRACE_ROOM_KINDS.call });
    }
  }
  const announcements = sortByDelivery(extra).map((e, i) => ({ ...e, id: `s${i + 1}` }));
  return { hints, announcements };
}

/** A trace line without its hint fields (the same object when it has none). */
function withoutHintFields(event: TraceEvent): TraceEvent {
  if (event.expectedDurationMs === undefined && event.kind === undefined) return event;
  const { expectedDurationMs: _duration, kind: _kind, ...rest } = event;
  return rest;
}

/**
 * A trace without its hints, what an autoscaler that ignores calendars and hints sees:
 * `RoomScheduled` lines dropped, the cancellations of announced rooms dropped (a `RoomReleased`
 * of a room announced by an earlier `RoomScheduled` and not created before it, in delivery order:
 * without the announcement there is nothing to cancel), and `expectedDurationMs` and `kind`
 * removed from every other line. Works on any trace; for a generated trace this is the trace the
 * same options give without hints, byte for byte.
 *
 * @param events - a trace, any order
 * @returns a new array, in input order
 * @example
 * stripHints([
 *   { t: 0, type: 'RoomScheduled', roomId: 'w', startAt: 600 },
 *   { t: 590, type: 'RoomCreated', roomId: 'w', expectedDurationMs: 3_600_000, kind: 'webinar' },
 * ]); // → [{ t: 590, type: 'RoomCreated', roomId: 'w' }]
 */
export function stripHints(events: readonly TraceEvent[]): TraceEvent[] {
  if (!events.some((e) => e.type === 'RoomScheduled')) return events.map(withoutHintFields);
  const announced = new Set<string>();
  const created = new Set<string>();
  const cancellation = new Set<TraceEvent>();
  for (const e of sortByDelivery(events)) {
    if (e.type === 'RoomScheduled') announced.add(e.roomId);
    else if (e.type === 'RoomCreated') created.add(e.roomId);
    else if (announced.has(e.roomId) && !created.has(e.roomId)) cancellation.add(e);
  }
  return events.filter((e) => e.type !== 'RoomScheduled' && !cancellation.has(e)).map(withoutHintFields);
}
