/**
 * What a simulation run produces: the summary `simulate --json` prints and the timeline the
 * HTML report charts.
 *
 * @module
 */
import type { NodeState } from '../../shared/domain/model.ts';
import type { DaySummary } from './days.ts';

/** The bill by line, USD (`sim/runtime/bill.ts`). */
export interface CostBreakdown {
  /** Instance usage while running. */
  instanceUsd: number;
  /** gp3 root volumes while the instances exist. */
  ebsUsd: number;
  /** Public IPv4 address-hours while the instances exist (Elastic IPs included). */
  publicIpv4Usd: number;
  /** Region whose EBS and IPv4 prices were used. */
  region: string;
  /** Hours instances spent stopped in the warm pool (billed for EBS and IPv4 only), h. */
  stoppedHours: number;
}

/** The `simulate --json` object. Times in ms unless the name says otherwise; money in USD. */
export interface SimulationSummary {
  /** Distinct room ids the trace creates (valid `RoomCreated` lines). */
  rooms: number;
  /**
   * How many of those were placed at least once: announced (`RoomPlaced`) or recorded as placed
   * in the store, whichever invocation did it (not counted from invocation outcomes).
   */
  placed: number;
  /**
   * Distinct placements (a reconnect placed again counts again; a re-announced `RoomPlaced` of
   * the same placement counts once, see {@link SimulationSummary.reannouncements}).
   */
  placements: number;
  /** `RoomPlaced` events that announced a placement again (at-least-once after a crash). */
  reannouncements: number;
  /** Invalid lines plus events refused (RoomRejected). */
  rejected: number;
  /** Placements that waited for capacity (wait = first announcement − first delivery > 0). */
  waitedPlacements: number;
  waitP50Ms: number;
  waitP99Ms: number;
  waitMaxMs: number;
  /** Most rooms queued at once. */
  queuedPeak: number;
  /** Most live nodes at once. */
  nodesPeak: number;
  /** Node-hours billed (launch to termination, or to the end of the run), minus the time nodes spent stopped. */
  nodeHours: number;
  /** ∫ ceil(active weight(t) / node capacity) dt, hours, from the trace alone. */
  lowerBoundNodeHours: number;
  /**
   * The full bill of the run, USD: instances while running + gp3 root volumes and public IPv4
   * addresses while the instances exist, running or stopped (`sim/runtime/bill.ts`, prices of
   * `shared/domain/pricing.ts` for {@link CostBreakdown.region}).
   */
  costUsd: number;
  /** Instance usage only (node-hours × the pool's hourly price), USD: the cost before the warm pool's bill. */
  instanceCostUsd: number;
  /** {@link SimulationSummary.costUsd} by line. */
  costBreakdown: CostBreakdown;
  /** Waiting per day of the trace (by the day each room arrived; `sim/runtime/days.ts`). */
  days: DaySummary[];
  /** Trace duration × 3.492 USD/h × 72-vCPU servers needed for the peak, USD. */
  static72CostUsd: number;
  /** Times a container held more weight than its capacity (must be 0). */
  overbooked: number;
  /** Capacity units held at the end by no live room (must be 0). */
  leakedCapacity: number;
  /** Instances running at the end that no live node record accounts for (must be 0). */
  orphanInstances: number;
  /**
   * Created rooms their application was never answered for (must be 0): no `RoomPlaced`, no
   * `RoomRejected`, and not released while queued (told `RoomQueued`, released before the store
   * placed it). Counts a room placed in the store but never announced, released later or not,
   * and a room still unanswered at the end. Unlike {@link SimulationResult.unplacedRoomIds},
   * which also lists the rooms released while queued.
   */
  unansweredRooms: number;
  /** Of those, rooms never released either (still placed, queued or placing at the end, unanswered). */
  lostRooms: number;
  /**
   * Faults injected by `--faults`: crashes between writes, capacity errors, lost instances and
   * duplicate deliveries (0 without `--faults`).
   */
  faultsInjected: number;
  /** Of those, crashes between writes (each retried as Lambda retries). */
  crashesInjected: number;
  /** Of those, instances lost (half silently). */
  instancesLost: number;
  /** Events that failed every retry and went to the dead-letter queue. */
  deadLettered: number;
  /**
   * Rooms announced `RoomInterrupted` (their node's instance was lost) and not active at the end:
   * the trace still counts them active, the application was told to re-create them.
   */
  interruptedRooms: number;
  /** Rooms placed, queued or placing in the store when the run ended. */
  activeRoomsAtEnd: number;
  /**
   * Rooms the trace alone says are active at the end (per room, its latest event by EventBridge
   * `time` is a create that fits a container; see `sim/runtime/outcomes.ts`), before the
   * differences with a named cause ({@link SimulationSummary.accountedActiveRoomsAtEnd}).
   */
  expectedActiveRoomsAtEnd: number;
  /**
   * Of the rooms the trace has active at the end, those the autoscaler ended itself and told the
   * application so (`RoomInterrupted`: instance lost; `RoomRejected`: queue timeout or a limit).
   */
  endedBySystemAtEnd: number;
  /** Rooms the trace has active at the end whose latest create is in the dead-letter queue, never recorded. */
  deadLetteredCreates: number;
  /** Rooms active at the end whose latest release is in the dead-letter queue, never applied. */
  deadLetteredReleases: number;
  /**
   * `expectedActiveRoomsAtEnd − endedBySystemAtEnd − deadLetteredCreates + deadLetteredReleases`:
   * what the store must hold; `simulate` exits non-zero when {@link SimulationSummary.activeRoomsAtEnd}
   * differs from it or any difference has none of those causes (`sim/runtime/outcomes.ts`).
   */
  accountedActiveRoomsAtEnd: number;
  /** DynamoDB calls (fleet and idempotency tables) per placement. */
  ddbCallsPerPlacement: number;
  /** Further figures. */
  events: number;
  invalidLines: number;
  staleCreates: number;
  duplicateDeliveries: number;
  launches: number;
  launchFailures: number;
  terminations: number;
  /** Warm-pool nodes stopped or hibernated (StopInstances accepted for a running node). */
  warmStops: number;
  /** Warm-pool nodes started from stopped (StartInstances accepted). */
  warmStarts: number;
  /** Starts that failed with `InsufficientInstanceCapacity` (the node stayed stopped). */
  startFailures: number;
  /** The `unreachable` fault's figures (`sim/runtime/status-checks.ts`); all 0 without it. */
  unreachable?: UnreachableFigures;
  /** Virtual duration of the run, seconds. */
  durationS: number;
  /** Real time the run took, ms. */
  wallMs: number;
}

/**
 * Nodes that became unreachable without any EC2 event (`--fault-unreachable`), their detection by
 * the status-check alarm and their closure by node-events. Times in ms, from the moment the
 * instance stopped answering.
 */
export interface UnreachableFigures {
  /** Instances that stopped answering while running, by the end of the run. */
  instances: number;
  /** Of those, detected: their status-check alarm went to ALARM. */
  detected: number;
  /** Nodes node-events closed for it (`NodeTerminated` with the unreachable reason). */
  closed: number;
  /** Rooms those closures interrupted (`RoomInterrupted` with that reason). */
  roomsInterrupted: number;
  /** `RoomPlaced` announced for a node while it was unreachable: rooms whose participants could not reach it. */
  placementsWhileUnreachable: number;
  /** Unreachable to the alarm's ALARM: median and max, ms. */
  detectionP50Ms: number;
  detectionMaxMs: number;
  /** Unreachable to the node's closure (`NodeTerminated`): median and max, ms. */
  closedP50Ms: number;
  closedMaxMs: number;
  /** Instance-hours billed while unreachable (until terminated or the run's end), h. */
  nodeHoursUnreachable: number;
}

/** One sample of the fleet, taken every `SAMPLE_INTERVAL_MS` of virtual time. */
export interface TimelinePoint {
  /** Seconds from the trace start. */
  t: number;
  /** Weight of placed rooms, capacity units. */
  activeWeight: number;
  /** Capacity that accepts rooms (ready, not hot, container accepting), capacity units. */
  readyCapacity: number;
  /**
   * Capacity of booted nodes that take no new rooms (draining, or hot), capacity units: their
   * rooms stay until released. Not part of {@link readyCapacity}.
   */
  drainingCapacity: number;
  /** Weight the trace alone says is active (the demand), capacity units. */
  demandWeight: number;
  /** Nodes by state. */
  nodes: Record<NodeState, number>;
  /** Most rooms queued at once since the previous sample. */
  queued: number;
  /** Cumulative cost so far (the full bill: instances, EBS, public IPv4), USD. */
  costUsd: number;
}

/** Everything a run produced. */
export interface SimulationResult {
  summary: SimulationSummary;
  timeline: TimelinePoint[];
  /** Line-numbered problems of the trace file. */
  traceErrors: { line: number; message: string }[];
  /**
   * Rooms with a valid, non-stale create for which no `RoomPlaced` was published: released while
   * queued, rejected, still queued at the end, or unanswered (see {@link unansweredRoomIds}).
   */
  unplacedRoomIds: string[];
  /** The rooms {@link SimulationSummary.unansweredRooms} counts. */
  unansweredRoomIds: string[];
  /** Rooms active at the end against the trace with no named cause (must be empty; `sim/runtime/outcomes.ts`). */
  unexplainedActiveRoomIds: string[];
  /** Inputs, for the report's header. */
  meta: {
    trace: string;
    seed: number;
    pool: string;
    nodeCapacity: number;
    hourlyPriceUsd: number;
    bootTimeMs: number;
    startedAt: string;
  };
}
