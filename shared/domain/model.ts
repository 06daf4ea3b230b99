/**
 * The fleet's state as the policies see it: nodes, containers, rooms. Plain data, no I/O.
 *
 * Times are epoch milliseconds; capacity and weight are capacity units.
 *
 * @module
 */

/**
 * Lifecycle of a node (one EC2 instance):
 * `launching` (RunInstances accepted) → `booting` (EC2 reports running; bootstrap in progress)
 * → `ready` (NodeReady received) → `draining` (no new rooms) → then either
 * `terminating` → `terminated`, or, into the pool's warm pool (docs/design.md#scaling-policy),
 * `stopping` (StopInstances accepted) → `stopped` (EC2 reports stopped; paid for EBS and public
 * IPv4 only) → `starting` (StartInstances accepted; the boot unit runs again) → `ready`
 * (NodeReady received again, same containers).
 */
export type NodeState =
  | 'launching'
  | 'booting'
  | 'ready'
  | 'draining'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'terminating'
  | 'terminated';

/** States whose nodes count against `maxNodes` and are paid as running instances. */
export const LIVE_NODE_STATES: readonly NodeState[] = ['launching', 'booting', 'ready', 'draining', 'starting'];

/** States of a node that is on its way but cannot take rooms yet. */
export const PENDING_NODE_STATES: readonly NodeState[] = ['launching', 'booting', 'starting'];

/** States of a node in the warm pool: not running, kept to be started faster than a cold launch. */
export const WARM_NODE_STATES: readonly NodeState[] = ['stopping', 'stopped'];

/** One WCS container on a node. */
export interface ContainerView {
  readonly nodeId: string;
  /** 0-based container index on its node. */
  readonly index: number;
  /** Capacity, capacity units. */
  readonly capacity: number;
  /** Weight of the rooms it hosts, capacity units. */
  readonly used: number;
  /** Whether placement may use it (node ready, not draining, not hot). */
  readonly accepting: boolean;
  readonly privateIp?: string | undefined;
  readonly publicIp?: string | undefined;
  /** Docker `--cpuset-cpus` value, e.g. `"0-3"`. */
  readonly cpuset?: string | undefined;
  /** Rooms it hosts: room id → weight, capacity units (when the store read them). */
  readonly rooms?: Readonly<Record<string, number>> | undefined;
  /** When a room last claimed capacity on it, epoch ms (placement's contention signal); unset before the first. */
  readonly lastPlacedAt?: number | undefined;
  /**
   * Predicted ends of the rooms it hosts that were claimed with one, epoch ms (any order; the
   * DynamoDB store keeps whole seconds). Lifetime-aware placement and drain read them; absent or
   * shorter than its rooms when some rooms were claimed without a prediction.
   */
  readonly roomEnds?: readonly number[] | undefined;
}

/** One node with its containers. */
export interface NodeView {
  readonly nodeId: string;
  readonly pool: string;
  readonly state: NodeState;
  readonly instanceType: string;
  /** When RunInstances returned, ms. */
  readonly launchedAt: number;
  /** The scale-out decision that launched it (`adopted`: an instance the sweep adopted); absent when not known. */
  readonly decisionId?: string | undefined;
  /** When NodeReady arrived, ms. */
  readonly readyAt?: number | undefined;
  /** When the node last changed state, ms (the sweep waits before repairing a recent change). */
  readonly stateChangedAt?: number | undefined;
  /** Marked not-accepting by a CloudWatch alarm until it clears. */
  readonly hot: boolean;
  /** Since when the node has hosted no room (set by the sweep), ms. */
  readonly emptySince?: number | undefined;
  /** Since when the node has been draining, ms. */
  readonly drainingSince?: number | undefined;
  /**
   * Why it is draining: `surplus` (scale-in; may be returned to service at once) or a fault
   * (`spot-interruption`, `unhealthy: …`, …; never returned to service).
   */
  readonly drainReason?: string | undefined;
  readonly containers: readonly ContainerView[];
  /**
   * Capacity the node will have once ready (containers × capacity per container), capacity
   * units: counts for a launching or booting node, which has no containers yet.
   */
  readonly plannedCapacity?: number | undefined;
}

/** Room lifecycle: `placing` (claimed, looking for capacity) → `placed` | `queued`; → `released`. */
export type RoomState = 'placing' | 'queued' | 'placed' | 'released';

/** Where a room lives or is about to live. */
export interface ContainerRef {
  readonly nodeId: string;
  readonly container: number;
}

/** Total capacity of a node, capacity units: its containers', or its planned capacity before it has any. */
export function nodeCapacityOf(node: Pick<NodeView, 'containers' | 'plannedCapacity'>): number {
  if (node.containers.length === 0) return node.plannedCapacity ?? 0;
  return node.containers.reduce((s, c) => s + c.capacity, 0);
}

/** Weight hosted by a node, capacity units. */
export function nodeUsed(node: NodeView): number {
  return node.containers.reduce((s, c) => s + c.used, 0);
}

/** Free capacity of a container, capacity units (never negative). */
export function containerFree(c: Pick<ContainerView, 'capacity' | 'used'>): number {
  return Math.max(0, c.capacity - c.used);
}

/** Whether a node accepts new rooms: ready, not hot. (Draining nodes are not `ready`.) */
export function nodeAccepts(node: Pick<NodeView, 'state' | 'hot'>): boolean {
  return node.state === 'ready' && !node.hot;
}

/** Reason of a scale-in drain: such a node can be returned to service. */
export const SURPLUS_DRAIN = 'surplus';

/** Whether a draining node may be returned to service (it was drained for surplus, and is not hot). */
export function isUndrainable(node: Pick<NodeView, 'state' | 'hot' | 'drainReason'>): boolean {
  return node.state === 'draining' && !node.hot && (node.drainReason ?? SURPLUS_DRAIN) === SURPLUS_DRAIN;
}

/** Whether a node is live (counts against maxNodes and costs money). */
export function isLive(state: NodeState): boolean {
  return LIVE_NODE_STATES.includes(state);
}

/**
 * Whether a `RoomCreated` that happened at `createTime` is stale because a `RoomReleased` of
 * the same room that happened at `releasedAt` was already seen (out-of-order delivery).
 * A create at the same instant as the release is stale; a strictly later one is a reconnect.
 */
export function isStaleCreate(createTime: number, releasedAt: number | undefined): boolean {
  return releasedAt !== undefined && createTime <= releasedAt;
}
