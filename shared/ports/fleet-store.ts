/**
 * Port: the fleet's durable state (nodes, containers, rooms, pool summaries).
 *
 * Consistency model: placement claims capacity with one conditional write on the container;
 * room records and pool summaries are written idempotently around it and the sweep repairs
 * any gap a crash leaves. Methods return outcomes for lost races (`conflict`, `false`) and throw
 * {@link FleetStoreError} only for failures the caller cannot act on.
 *
 * @module
 */
import type { MinuteBuckets } from '../domain/buckets.ts';
import type { ContainerRef, ContainerView, NodeState, NodeView, RoomState } from '../domain/model.ts';

/** A room as stored. Times are epoch ms; weight in capacity units. */
export interface RoomRecord {
  readonly roomId: string;
  readonly state: RoomState;
  readonly pool: string;
  readonly weight: number;
  /** Id of the event (or queue claim) that owns the current placing attempt. */
  readonly eventId: string;
  /** When the create happened (EventBridge `time`). */
  readonly createdAt: number;
  /** When the create was first delivered (start of the room's wait). */
  readonly requestedAt: number;
  readonly releasedAt?: number | undefined;
  readonly queuedAt?: number | undefined;
  readonly placedAt?: number | undefined;
  /** Where it is placed (state `placed`). */
  readonly placement?: ContainerRef | undefined;
  /** Where a `placing` attempt is claiming capacity (crash recovery). */
  readonly target?: ContainerRef | undefined;
  /**
   * When the `placing` claim's lease ends, epoch ms: the deadline of the invocation that took it
   * (its function timeout). After it, any drain may take the room over ({@link RoomStore.takeOverPlacing}).
   */
  readonly leaseUntil?: number | undefined;
  readonly tenantId?: string | undefined;
  /** The app's lifetime hints from the create (`kind`, `expectedDurationMs` ms), kept for the release to learn from. */
  readonly kind?: string | undefined;
  readonly expectedDurationMs?: number | undefined;
}

/**
 * Lease of a `placing` claim when its taker names no deadline, ms: the longest function timeout
 * the stack sets (the sweep's 60 s, `infra/stacks/stateless-stack.ts`).
 */
export const DEFAULT_PLACING_LEASE_MS = 60_000;

/** Outcome of claiming a room id for a create. */
export type BeginRoomResult =
  | { readonly kind: 'claimed'; readonly room: RoomRecord }
  | { readonly kind: 'stale'; readonly releasedAt: number }
  | { readonly kind: 'active'; readonly room: RoomRecord };

/** Outcome of a release. */
export type ReleaseRoomResult =
  | { readonly kind: 'tombstoned' }
  | { readonly kind: 'released'; readonly previous: RoomRecord }
  | { readonly kind: 'ignored'; readonly reason: 'already-released' | 'older-than-create' };

/** Outcome of a conditional capacity claim on a container. */
export type ClaimCapacityResult =
  | { readonly kind: 'claimed'; readonly container: ContainerView }
  | { readonly kind: 'already'; readonly container: ContainerView }
  | { readonly kind: 'conflict' };

/** A node as stored, without its containers. */
export interface NodeRecord {
  readonly nodeId: string;
  readonly pool: string;
  readonly state: NodeState;
  readonly instanceType: string;
  readonly subnetId?: string | undefined;
  readonly launchedAt: number;
  readonly decisionId: string;
  /** Containers the node will run, and each one's capacity (capacity units). */
  readonly containersPerNode: number;
  readonly capacityPerContainer: number;
}

/** Pool-level counters for scale-out in the hot path; exact after each sweep, approximate between. */
export interface PoolSummary {
  readonly pool: string;
  /** Arrived weight per minute bucket, capacity units. */
  readonly arrivals: MinuteBuckets;
  /** Launched nodes per minute bucket. */
  readonly launches: MinuteBuckets;
  readonly readyFree: number;
  readonly pendingCapacity: number;
  readonly queuedWeight: number;
  readonly liveNodes: number;
  /** Draining nodes and their free capacity (units) when they were drained. */
  readonly draining: Readonly<Record<string, number>>;
  /**
   * Arrivals the predictor expects during one boot time, capacity units, as the last sweep
   * computed it (`shared/domain/predictor.ts`); the hot path takes it as a floor of the headroom
   * target without reading the history itself. Absent before the first sweep.
   */
  readonly forecastWeight?: number | undefined;
  /**
   * Weight of announced rooms that, as the last sweep saw them, may arrive before the next sweep
   * (`arrivingWeight`, `shared/domain/schedule.ts`), capacity units: the hot path leaves that much
   * of its arrivals out of the arrival rate (they were provided for). Absent without announcements.
   */
  readonly announcedWeight?: number | undefined;
  /**
   * Launches counted before their RunInstances ({@link PoolSummaryStore.reserveLaunch}) and not
   * yet folded into the counters by a sweep, by decision id; their nodes are already in
   * `pendingCapacity`, `liveNodes` and `launches`. Absent when there are none.
   */
  readonly launchReservations?: Readonly<Record<string, LaunchReservation>> | undefined;
}

/**
 * One scale-out decision's launch, counted in the pool summary before RunInstances: its nodes add
 * `(launched ?? nodes) × capacityPerNode` to `pendingCapacity`, `launched ?? nodes` to
 * `liveNodes` and to the launches of the minute of `at`, until a sweep folds it into the counters.
 */
export interface LaunchReservation {
  /** Nodes the decision asked RunInstances for. */
  readonly nodes: number;
  /** Nodes it launched and recorded, once settled ({@link PoolSummaryStore.settleLaunch}); undefined while the launch may still run. */
  readonly launched?: number | undefined;
  /** Capacity of one of its nodes once ready, capacity units. */
  readonly capacityPerNode: number;
  /** When it was counted, epoch ms. */
  readonly at: number;
  /**
   * The deadline of the invocation that owns its launch, epoch ms (absent on reservations of
   * earlier versions: {@link launchLeaseEnd}). Once it has passed unsettled, the owner died before
   * recording its nodes: any scale-out may take it over ({@link PoolSummaryStore.takeOverLaunch}).
   */
  readonly leaseUntil?: number | undefined;
}

/** When a launch reservation's lease ends, epoch ms: its `leaseUntil`, else `at` + {@link LAUNCH_RESERVATION_FOLD_MS}. */
export function launchLeaseEnd(r: LaunchReservation): number {
  return r.leaseUntil ?? r.at + LAUNCH_RESERVATION_FOLD_MS;
}

/**
 * Age after which the sweep folds a launch reservation into the counters (deletes it, adding what
 * it counted to the counters, then corrects them from the node records), ms: the longest function
 * timeout the stack sets ({@link DEFAULT_PLACING_LEASE_MS}), so the invocation that counted it has
 * ended, and has recorded its nodes or crashed.
 */
export const LAUNCH_RESERVATION_FOLD_MS = DEFAULT_PLACING_LEASE_MS;

/** What a launch reservation adds to the summary: nodes and pending capacity (capacity units). */
export function reservedCounts(r: LaunchReservation): { readonly nodes: number; readonly pendingCapacity: number } {
  const nodes = r.launched ?? r.nodes;
  return { nodes, pendingCapacity: nodes * r.capacityPerNode };
}

/** Additive changes to a pool summary. */
export interface SummaryDelta {
  readonly readyFree?: number;
  readonly pendingCapacity?: number;
  readonly queuedWeight?: number;
  readonly liveNodes?: number;
  /** Nodes launched now (added to the current minute's launch bucket). */
  readonly launches?: number;
  /** Weight arrived now (added to the current minute's arrival bucket). */
  readonly arrivals?: number;
  readonly drainingSet?: Readonly<Record<string, number>>;
  readonly drainingRemove?: readonly string[];
}

/** Exact pool figures the sweep counted (see {@link PoolSummaryStore.correctSummary}). */
export interface SummarySnapshot {
  readonly readyFree: number;
  readonly pendingCapacity: number;
  readonly queuedWeight: number;
  readonly liveNodes: number;
  readonly draining: Readonly<Record<string, number>>;
  /** The predictor's expected arrivals during one boot time, capacity units (kept when absent). */
  readonly forecastWeight?: number | undefined;
  /** Announced weight that may arrive before the next sweep, capacity units ({@link PoolSummary.announcedWeight}; kept when absent). */
  readonly announcedWeight?: number | undefined;
}

/**
 * A pool's arrival history for the predictor's seasonality: counters per slot, keyed as
 * `shared/domain/predictor.ts` names them (e.g. `a<slot>` arrived weight, `p<slot>` busiest
 * minute), capacity units. One small item per pool, written once per sweep.
 */
export interface ArrivalHistory {
  readonly pool: string;
  readonly slots: Readonly<Record<string, number>>;
  /** The last whole minute (minute bucket number) folded in; undefined before the first fold. */
  readonly throughMinute?: number | undefined;
}

/** One fold of recent minutes into the history (see {@link ArrivalHistoryStore.recordArrivalHistory}). */
export interface ArrivalHistoryUpdate {
  /** `throughMinute` the caller read: the write applies only if it is still so (no double count). */
  readonly expectedThroughMinute: number | undefined;
  /** The new `throughMinute`. */
  readonly throughMinute: number;
  /** Counters to add to. */
  readonly add: Readonly<Record<string, number>>;
  /** Counters to overwrite (maxima). */
  readonly set: Readonly<Record<string, number>>;
  /** Counters to delete (older than the history keeps). */
  readonly remove: readonly string[];
}

/** Arrival history (predictor seasonality). */
export interface ArrivalHistoryStore {
  /** The pool's history (empty for a pool never written). One eventually consistent read. */
  getArrivalHistory(pool: string): Promise<ArrivalHistory>;
  /**
   * Apply one fold with a single conditional write; false when `expectedThroughMinute` no longer
   * matches (another sweep folded these minutes already).
   */
  recordArrivalHistory(pool: string, update: ArrivalHistoryUpdate): Promise<boolean>;
}

/** Rooms: claim, place, queue, release. */
export interface RoomStore {
  getRoom(roomId: string): Promise<RoomRecord | undefined>;
  /**
   * Claim a room id for a create: succeeds for a new room, a reconnect (a release strictly older
   * than `eventTime`), or a retry of the same event (then the stored `target` wins over the
   * given one, and the lease is renewed to `leaseUntil`). A release at or after `eventTime` makes
   * the create `stale`. A retry whose claim another drain took over meanwhile gets `active`. A
   * create of an active room with a later `eventTime` moves the room's `createdAt` there (a
   * reconnect that overtook the previous session's release, which is then ignored).
   */
  beginRoom(input: {
    readonly roomId: string;
    readonly pool: string;
    readonly weight: number;
    readonly eventId: string;
    readonly eventTime: number;
    readonly now: number;
    readonly target?: ContainerRef | undefined;
    readonly tenantId?: string | undefined;
    /** End of the claim's lease, epoch ms (default `now` + {@link DEFAULT_PLACING_LEASE_MS}). */
    readonly leaseUntil?: number | undefined;
    /** Lifetime hints, stored on the room (a claim without them removes earlier ones). */
    readonly kind?: string | undefined;
    readonly expectedDurationMs?: number | undefined;
  }): Promise<BeginRoomResult>;
  /** Point a `placing` attempt at another container; false if the room is no longer ours. */
  setTarget(roomId: string, eventId: string, target: ContainerRef): Promise<boolean>;
  /** `placing` → `placed`; false if the room was released (or re-claimed) meanwhile. */
  confirmPlaced(roomId: string, eventId: string, placement: ContainerRef, now: number): Promise<boolean>;
  /**
   * `placing` → `queued`, keeping the room's first `queuedAt`; the queue orders it by
   * `requestedAt` (first delivery), else by `queuedAt`, else `now`, so whatever retry or repair
   * queues it again it keeps its place (first come, first served). False if the room is no longer ours.
   */
  markQueued(room: Pick<RoomRecord, 'roomId' | 'pool' | 'queuedAt'> & { readonly requestedAt?: number | undefined }, eventId: string, now: number): Promise<boolean>;
  /** Queued rooms of a pool, by first delivery (`requestedAt`), oldest first. */
  listQueued(pool: string, limit: number): Promise<readonly RoomRecord[]>;
  /**
   * `queued` → `placing` under a new claim id, aimed at `target`; undefined if not queued. With
   * `placing` (the room's pool, the claim time and the lease's end, epoch ms; lease default
   * `now` + {@link DEFAULT_PLACING_LEASE_MS}) the room stays findable by
   * {@link RoomStore.listPlacing} once its lease has ended, until it is placed or queued again.
   */
  claimQueued(
    roomId: string,
    claimId: string,
    target: ContainerRef,
    placing?: { readonly pool: string; readonly now: number; readonly leaseUntil?: number | undefined },
  ): Promise<RoomRecord | undefined>;
  /**
   * Rooms of a pool in `placing` whose lease ended by `leaseEndedBy` (epoch ms, inclusive: at its
   * deadline the owner has been stopped), soonest ended first, at most `limit` — claims whose
   * owner crashed or timed out. One query on the queue index.
   */
  listPlacing(pool: string, leaseEndedBy: number, limit: number): Promise<readonly RoomRecord[]>;
  /**
   * Take over a `placing` room whose lease ended by `now` (inclusive): the claim becomes `claimId`'s,
   * leased until `leaseUntil`; its `target` is kept (it may hold the room). Undefined when the
   * room is not `placing` or its lease has not ended (its owner may still be working).
   */
  takeOverPlacing(roomId: string, claimId: string, now: number, leaseUntil: number): Promise<RoomRecord | undefined>;
  /** Room records by id (absent ids are left out); batched reads, consistent. */
  getRooms(roomIds: readonly string[]): Promise<ReadonlyMap<string, RoomRecord>>;
  /**
   * `queued` → `released` (the queue gave up on it), as of `now`; returns the room as it was,
   * or undefined when it is no longer queued (placed or released meanwhile).
   */
  rejectQueued(roomId: string, now: number): Promise<RoomRecord | undefined>;
  /** Release (or tombstone) a room as of `eventTime`. */
  releaseRoom(roomId: string, eventTime: number, now: number): Promise<ReleaseRoomResult>;
  /** Rooms in any of the given states (operator views, sweep repair, simulation checks). */
  listRooms(states: readonly RoomState[]): Promise<readonly RoomRecord[]>;
}

/** Container capacity: find, claim, release. */
export interface CapacityStore {
  /**
   * Accepting containers of a pool with free capacity ≥ `weight`, least free first, at most
   * `limit` — one query on the placement index whatever the fleet size. May be stale.
   */
  findCandidates(pool: string, weight: number, limit: number): Promise<readonly ContainerView[]>;
  /**
   * Conditionally add a room to a container: only if it is accepting, has `weight` free and
   * does not hold the room. `already` when the room is there (a retry).
   *
   * @param options.mayHold - false when the caller knows the container cannot hold the room yet
   *   (it never targeted it): a lost condition is then `conflict` without telling `already` apart,
   *   which saves a read where the store cannot return the old item with the failure. Default true.
   * @param options.pool - the container's pool, when the caller knows it: saves the DynamoDB
   *   store a read of the container to learn the pool's index shard of its hold item.
   * @param options.expectedEndAt - the room's predicted end, epoch ms: recorded on the container
   *   in the same write (`ContainerView.roomEnds`), for lifetime-aware placement and drain.
   */
  claimCapacity(
    ref: ContainerRef,
    roomId: string,
    weight: number,
    now: number,
    options?: { readonly mayHold?: boolean | undefined; readonly pool?: string | undefined; readonly expectedEndAt?: number | undefined },
  ): Promise<ClaimCapacityResult>;
  /**
   * Remove a room of `weight` capacity units from a container, and its predicted end; undefined
   * when it was not there (idempotent).
   */
  releaseCapacity(ref: ContainerRef, roomId: string, weight: number): Promise<ContainerView | undefined>;
  /** Room ids hosted by each container of a node. */
  roomsOnNode(nodeId: string): Promise<ReadonlyMap<number, readonly string[]>>;
}

/** Nodes: lifecycle and flags. */
export interface NodeStore {
  /** Record a launched node (idempotent: false when it already existed). */
  createNode(node: NodeRecord, now: number): Promise<boolean>;
  getNode(nodeId: string): Promise<NodeView | undefined>;
  /** All nodes of a pool (any state), with containers. */
  listNodes(pool: string): Promise<readonly NodeView[]>;
  /**
   * The same nodes as {@link NodeStore.listNodes}, page by page as the store reads them, so a
   * caller can work on a page while the next one is read. Every node comes whole (with all its
   * containers) in exactly one page. Optional: a store without it is read with `listNodes`.
   */
  listNodePages?(pool: string): AsyncIterable<readonly NodeView[]>;
  /**
   * Conditional state change; undefined when the node is not in one of `from`. A move to
   * `draining` records `drainReason`.
   */
  transitionNode(nodeId: string, from: readonly NodeState[], to: NodeState, now: number, drainReason?: string): Promise<NodeView | undefined>;
  /**
   * Record NodeReady: create the container items (idempotent) and move the node from
   * launching/booting — or starting, after a stop: its containers are kept, their public IPs
   * updated — to ready, accepting. On a node already `ready` it completes what a crashed
   * earlier call left undone (missing containers, containers not accepting). Undefined when the
   * node is unknown, terminating, terminated or in the warm pool (stopping, stopped).
   */
  markReady(
    nodeId: string,
    containers: readonly { index: number; privateIp?: string | undefined; publicIp?: string | undefined; cpuset?: string | undefined }[],
    now: number,
  ): Promise<NodeView | undefined>;
  /** Whether placement may use the node's containers (drain, undrain, hot, cool). */
  setAccepting(nodeId: string, accepting: boolean): Promise<void>;
  setHot(nodeId: string, hot: boolean): Promise<void>;
  /** Set or clear (`undefined`) when the node became empty. */
  setEmptySince(nodeId: string, since: number | undefined): Promise<void>;
}

/**
 * How far back a summary read with a `now` reads minute buckets, ms: 3 h, longer than any arrival
 * window a pool uses in practice (default 10 min), so that the hot path's read stays bounded even
 * when sweeps stop deleting old buckets.
 */
export const SUMMARY_BUCKET_READ_MS = 3 * 3_600_000;

/**
 * Pool summaries. Every write is additive or conditional, and no write's item grows with the
 * fleet: the counters are spread over shards, minute buckets and draining nodes are items of
 * their own (see `shared/adapters/dynamodb/summary-items.ts`).
 */
export interface PoolSummaryStore {
  /**
   * Apply a delta (additive, no condition) and return the summary after it (a consistent read of
   * the shards).
   */
  adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary>;
  /**
   * The pool's summary: counters summed over shards, buckets merged per minute. With `now`
   * (epoch ms), buckets older than {@link SUMMARY_BUCKET_READ_MS} are not read.
   */
  getSummary(pool: string, now?: number): Promise<PoolSummary>;
  /**
   * Correct the counters to exact figures without losing concurrent deltas: each counter gets
   * `exact − read` added (so a delta applied after `read` was taken survives), draining entries
   * not in `exact` are removed (others are set, never resurrecting one removed since `read`),
   * `forecastWeight` is set when given, and the minute buckets of `read` older than `windowMs` are
   * deleted (read the summary without a time to see every bucket).
   *
   * @param exact - the figures the caller counted
   * @param read - the summary the caller read before counting (what `exact` corrects)
   * @param now - epoch ms
   * @param windowMs - minute buckets older than this are deleted, ms
   */
  correctSummary(pool: string, exact: SummarySnapshot, read: PoolSummary, now: number, windowMs: number): Promise<void>;
  /**
   * Count a scale-out decision's launch before RunInstances: one conditional write, so a retry of
   * the same decision counts nothing more. The launch reservations of `read` (the correction's
   * summary) older than {@link LAUNCH_RESERVATION_FOLD_MS} are folded by {@link correctSummary}:
   * what each counted is added to the counters (before `exact − read`), then it is deleted
   * (unless settled differently since: the next sweep folds it).
   *
   * @param nodes - nodes about to be launched (≥ 1)
   * @param capacityPerNode - capacity of one once ready, capacity units
   * @param now - epoch ms
   * @param leaseUntil - the counting invocation's deadline, epoch ms (the reservation's lease;
   *   default: {@link launchLeaseEnd})
   * @returns false when the decision was counted already (a retry, or a replay of its launch)
   */
  reserveLaunch(pool: string, decisionId: string, nodes: number, capacityPerNode: number, now: number, leaseUntil?: number): Promise<boolean>;
  /**
   * Take over an unsettled launch reservation whose lease has ended (`launchLeaseEnd(r) <= now`:
   * its owner died between counting and settling), renewing the lease to `leaseUntil`. One
   * conditional write: of concurrent takers at most one gets it.
   *
   * @param now - epoch ms
   * @param leaseUntil - the taker's deadline, epoch ms
   * @returns false when it is gone, settled, or its lease has not ended (another holds it)
   */
  takeOverLaunch(pool: string, decisionId: string, now: number, leaseUntil: number): Promise<boolean>;
  /**
   * Record how many nodes a reserved launch launched and recorded (fewer than reserved gives the
   * rest back). One conditional write: only the first settle of a reservation applies.
   *
   * @returns false when the reservation is gone (folded by a sweep) or settled already
   */
  settleLaunch(pool: string, decisionId: string, launched: number): Promise<boolean>;
}

/**
 * Active weight per tenant (capacity units), for the per-tenant cap (`shared/app/room-limits.ts`):
 * a create reserves its weight atomically against the cap, a release gives it back, and the
 * sweep overwrites every counter with a recount of the rooms (which repairs a crash between a
 * room's write and its counter's).
 */
export interface TenantUsageStore {
  /**
   * Add `weight` to the tenant's active weight when the result stays ≤ `cap` (one conditional update).
   *
   * @returns false when it would pass the cap (nothing changed)
   */
  reserveTenantWeight(tenantId: string, weight: number, cap: number): Promise<boolean>;
  /** Give `weight` back (never below 0; a counter already lower is left to the sweep's recount). */
  returnTenantWeight(tenantId: string, weight: number): Promise<void>;
  /** Every tenant's recorded active weight. */
  listTenantWeights(): Promise<ReadonlyMap<string, number>>;
  /** Overwrite a tenant's active weight (the sweep's recount). */
  setTenantWeight(tenantId: string, weight: number): Promise<void>;
}

/**
 * Peak history of the warm pool (docs/design.md#scaling-policy, "Warm pool"): the most live nodes
 * of each pool per UTC day (`shared/domain/warm-pool.ts` `dayOf`), so the pool keeps stopped the
 * nodes a recent peak needed. Optional: a store without it gives the warm pool no history.
 */
export interface PeakHistoryStore {
  /**
   * Raise the pool's peak of `day` to `nodes` if it is higher (one conditional write; a lower
   * value changes nothing). Days older than the store keeps (14) are dropped on the way.
   */
  recordPeakNodes?(pool: string, day: number, nodes: number): Promise<void>;
  /** The peaks recorded for the pool on days ≥ `sinceDay`, by day (empty when none). One read. */
  peakNodesByDay?(pool: string, sinceDay: number): Promise<ReadonlyMap<number, number>>;
}

/** Days of peaks a {@link PeakHistoryStore} keeps (the most `warmPool.historyDays` allows). */
export const PEAK_HISTORY_DAYS = 14;

/** The fleet store: all roles, one table. */
export interface FleetStore extends RoomStore, CapacityStore, NodeStore, PoolSummaryStore, ArrivalHistoryStore, TenantUsageStore, PeakHistoryStore {}
