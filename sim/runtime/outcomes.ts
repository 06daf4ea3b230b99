/**
 * What a simulation counts from the trace and from what the autoscaler published, rather than
 * from which invocations succeeded: under faults a room may be placed by an invocation that
 * crashed afterwards (its retries dead-lettered), and a placement may be announced more than once.
 *
 * @module
 */
import { isStaleCreate } from '../../shared/domain/model.ts';
import { eventTime, eventWeight, type TraceEvent } from '../trace/model.ts';
import { summarizeDays, type DaySummary } from './days.ts';
import { computeBill, costFigures } from './bill.ts';
import type { InstanceHistory } from '../adapters/instance-history.ts';
import type { SimulationSummary } from './types.ts';
import type { RoomRecord } from '../../shared/ports/fleet-store.ts';

/** A `RoomPlaced` detail, as far as the ledger reads it. */
export interface PlacedAnnouncement {
  readonly roomId?: string | undefined;
  readonly nodeId?: string | undefined;
  readonly container?: number | undefined;
  readonly waitedMs?: number | undefined;
}

/**
 * Placements as applications learn them. A placement is a room on a container until the room
 * ends (released, interrupted): a `RoomPlaced` of the same room on the same container before
 * that is a re-announcement (at-least-once delivery after a crash between announcing and
 * confirming), counted on its own and left out of the waits (the application had its answer).
 */
export class PlacementLedger {
  /** Rooms placed at least once. */
  public readonly placedRooms = new Set<string>();
  /** Distinct placements (a reconnect placed again counts again). */
  public placements = 0;
  /** `RoomPlaced` events that announced a placement already announced. */
  public reannouncements = 0;
  /** Wait of each distinct placement, ms (placement time − first delivery). */
  public readonly waits: number[] = [];
  /** When each distinct placement was announced, epoch ms (same order as {@link waits}; 0 when not given). */
  public readonly placedAt: number[] = [];
  private readonly current = new Map<string, string>();

  /**
   * Record a published `RoomPlaced`.
   *
   * @param atMs - when it was published, epoch ms (for the waits per day)
   */
  public placed(d: PlacedAnnouncement, atMs = 0): void {
    if (!d.roomId) return;
    const where = `${d.nodeId ?? '?'}/${d.container ?? '?'}`;
    if (this.current.get(d.roomId) === where) {
      this.reannouncements += 1;
      return;
    }
    this.current.set(d.roomId, where);
    this.placements += 1;
    this.waits.push(d.waitedMs ?? 0);
    this.placedAt.push(atMs);
    this.placedRooms.add(d.roomId);
  }

  /** Waiting per day from `startMs` to `endMs` (epoch ms), by the day each room arrived (placement time − wait). */
  public days(startMs: number, endMs: number): DaySummary[] {
    return summarizeDays(this.waits.map((w, i) => ({ arrivedAt: (this.placedAt[i] as number) - w, waitMs: w })), startMs, endMs);
  }

  /** The room ended (released, interrupted, rejected): its next `RoomPlaced` is a new placement. */
  public ended(roomId: string): void {
    this.current.delete(roomId);
  }
}

/**
 * Of the rooms never placed, those their application was never answered for: neither
 * `RoomPlaced` nor `RoomRejected`, and not a room it was told was queued and released before the
 * store ever placed it (its own choice to stop waiting). A room placed in the store but never
 * announced counts, released later or not; so does one still waiting at the end.
 *
 * @param records - the rooms' records at the end
 */
export function unansweredRooms(
  unplaced: readonly string[],
  records: ReadonlyMap<string, Pick<RoomRecord, 'state' | 'placedAt'>>,
  rejected: ReadonlySet<string>,
  toldQueued: ReadonlySet<string>,
): string[] {
  return unplaced.filter((id) => {
    if (rejected.has(id)) return false;
    const r = records.get(id);
    return !(r?.state === 'released' && r.placedAt === undefined && toldQueued.has(id));
  });
}

/** Distinct room ids the trace creates. */
export function tracedRoomIds(events: readonly Pick<TraceEvent, 'type' | 'roomId'>[]): Set<string> {
  return new Set(events.filter((e) => e.type === 'RoomCreated').map((e) => e.roomId));
}

/** Per room, its latest event by EventBridge `time` (a release wins a tie: a create not later than a seen release is stale). */
function latestByRoom<E extends TraceEvent>(events: readonly E[]): Map<string, { time: number; created: boolean; weight: number; event: E }> {
  const latest = new Map<string, { time: number; created: boolean; weight: number; event: E }>();
  for (const e of events) {
    const time = eventTime(e);
    const prev = latest.get(e.roomId);
    const created = e.type === 'RoomCreated';
    // A later event wins; at the same time a release wins (the create is stale against it).
    const wins = !prev || time > prev.time || (time === prev.time && (!created || !isStaleCreate(time, prev.created ? undefined : prev.time)));
    if (!wins) continue;
    latest.set(e.roomId, { time, created, weight: eventWeight(e), event: e });
  }
  return latest;
}

/**
 * How many rooms the trace alone says are active at the end: per room, its events ordered by
 * EventBridge `time` (`time`, else `t`), the room is active when its latest event is a create
 * (a release at the same time wins: a create not later than a seen release is stale) and the
 * create fits a container (heavier ones are rejected).
 *
 * @param capacityPerContainer - capacity units of one container (heavier rooms are rejected)
 */
export function expectedActiveRooms(events: readonly TraceEvent[], capacityPerContainer: number): number {
  let active = 0;
  for (const s of latestByRoom(events).values()) if (s.created && s.weight <= capacityPerContainer) active += 1;
  return active;
}

/** What {@link accountActiveRooms} reads besides the trace. */
export interface ActiveRoomsInput {
  /** Capacity units of one container (heavier creates are rejected). */
  readonly capacityPerContainer: number;
  /** Rooms placed, queued or placing in the store at the end. */
  readonly active: ReadonlySet<string>;
  /** The room records at the end (state only is read). */
  readonly records: ReadonlyMap<string, { readonly state: string }>;
  /** Rooms the autoscaler told their application it ended: `RoomInterrupted` or `RoomRejected` published. */
  readonly toldEnded: ReadonlySet<string>;
  /** Ids of the events in the dead-letter queue. */
  readonly deadLetteredEventIds: ReadonlySet<string>;
  /** The event id the run delivered a trace line under (its `id`, else one per line). */
  readonly idOf: (e: TraceEvent & { readonly line: number }) => string;
}

/** The rooms active at the end against the trace, each difference with its cause. */
export interface ActiveRoomsAccount {
  /** Rooms the trace alone says are active ({@link expectedActiveRooms}). */
  readonly expected: number;
  /**
   * Active in the trace, released in the store (or never created) by the autoscaler itself,
   * which told the application: `RoomInterrupted` (its node's instance was lost) or
   * `RoomRejected` (it waited in the queue past the pool's queue timeout, or a tenant limit).
   * The application re-creates it or gives up.
   */
  readonly endedBySystem: readonly string[];
  /**
   * Active in the trace, never recorded: its latest create is in the dead-letter queue (every
   * attempt failed) and the store has no record of the room, or only a released one. A redrive
   * of the dead-letter queue creates it.
   */
  readonly deadLetteredCreates: readonly string[];
  /** Released in the trace, active in the store: its latest release is in the dead-letter queue. */
  readonly deadLetteredReleases: readonly string[];
  /** Differences with none of those causes (a room lost or kept by the system: a bug). */
  readonly unexplained: readonly string[];
  /** What the store should hold: `expected − endedBySystem − deadLetteredCreates + deadLetteredReleases`. */
  readonly accounted: number;
}

/**
 * Compare the rooms active in the store at the end with the trace, room by room, and name the
 * cause of each difference: an outcome the autoscaler chose and announced (an interruption, a
 * queue timeout), or an event it dead-lettered (for an operator's redrive). Any other difference
 * is `unexplained`. The counts are reported on their own; nothing is folded into `expected`.
 */
export function accountActiveRooms(events: readonly (TraceEvent & { readonly line: number })[], input: ActiveRoomsInput): ActiveRoomsAccount {
  const endedBySystem: string[] = [];
  const deadLetteredCreates: string[] = [];
  const deadLetteredReleases: string[] = [];
  const unexplained: string[] = [];
  let expected = 0;
  for (const [roomId, s] of latestByRoom(events)) {
    const shouldBeActive = s.created && s.weight <= input.capacityPerContainer;
    if (shouldBeActive) expected += 1;
    const isActive = input.active.has(roomId);
    if (shouldBeActive === isActive) continue;
    const record = input.records.get(roomId);
    const dead = input.deadLetteredEventIds.has(input.idOf(s.event));
    const neverRecorded = !record || record.state === 'released';
    if (shouldBeActive && dead && neverRecorded) deadLetteredCreates.push(roomId);
    else if (shouldBeActive && neverRecorded && input.toldEnded.has(roomId)) endedBySystem.push(roomId);
    else if (!shouldBeActive && !s.created && dead) deadLetteredReleases.push(roomId);
    else unexplained.push(roomId);
  }
  const accounted = expected - endedBySystem.length - deadLetteredCreates.length + deadLetteredReleases.length;
  return { expected, endedBySystem, deadLetteredCreates, deadLetteredReleases, unexplained: unexplained.sort(), accounted };
}

/**
 * The summary's cost fields (the full bill, the instance-only figure, the lines; sim/runtime/bill.ts
 * at the default Region's prices) and its waits per day, for the run from `from` to `to` (epoch ms).
 */
export function runCostsAndDays(
  histories: readonly InstanceHistory[],
  ledger: PlacementLedger,
  from: number,
  to: number,
): Pick<SimulationSummary, 'costUsd' | 'instanceCostUsd' | 'costBreakdown' | 'days'> {
  return { ...costFigures(histories, from, to), days: ledger.days(from, to) };
}

/** The full bill from `from` to `to` (epoch ms), USD: the report's cumulative cost. */
export function billSoFarUsd(histories: readonly InstanceHistory[], from: number, to: number): number {
  return computeBill(histories, from, to).totalUsd;
}

/** The summary's figures of an {@link ActiveRoomsAccount}. */
export function activeRoomsFigures(a: ActiveRoomsAccount): Pick<SimulationSummary, 'expectedActiveRoomsAtEnd' | 'endedBySystemAtEnd' | 'deadLetteredCreates' | 'deadLetteredReleases' | 'accountedActiveRoomsAtEnd'> {
  return {
    expectedActiveRoomsAtEnd: a.expected,
    endedBySystemAtEnd: a.endedBySystem.length,
    deadLetteredCreates: a.deadLetteredCreates.length,
    deadLetteredReleases: a.deadLetteredReleases.length,
    accountedActiveRoomsAtEnd: a.accounted,
  };
}

/**
 * Whether the rooms active at the end are what the trace implies once each difference with a
 * named cause is counted ({@link accountActiveRooms}): the count matches
 * `accountedActiveRoomsAtEnd` and no difference is unexplained.
 */
export function activeRoomsAsAccounted(s: Pick<SimulationSummary, 'activeRoomsAtEnd' | 'accountedActiveRoomsAtEnd'>, unexplained: readonly string[]): boolean {
  return s.activeRoomsAtEnd === s.accountedActiveRoomsAtEnd && unexplained.length === 0;
}
