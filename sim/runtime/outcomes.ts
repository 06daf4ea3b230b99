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

/** Distinct room ids the trace creates. */
export function tracedRoomIds(events: readonly Pick<TraceEvent, 'type' | 'roomId'>[]): Set<string> {
  return new Set(events.filter((e) => e.type === 'RoomCreated').map((e) => e.roomId));
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
  const latest = new Map<string, { time: number; created: boolean; weight: number }>();
  for (const e of events) {
    const time = eventTime(e);
    const prev = latest.get(e.roomId);
    const created = e.type === 'RoomCreated';
    // A later event wins; at the same time a release wins (the create is stale against it).
    const wins = !prev || time > prev.time || (time === prev.time && (!created || !isStaleCreate(time, prev.created ? undefined : prev.time)));
    if (!wins) continue;
    latest.set(e.roomId, { time, created, weight: eventWeight(e) });
  }
  let active = 0;
  for (const s of latest.values()) if (s.created && s.weight <= capacityPerContainer) active += 1;
  return active;
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
