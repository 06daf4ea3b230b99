/**
 * Reconciliation: the sweep's repair of whatever a crash, a lost event or a lost instance left
 * behind. Each step is idempotent and safe to run while the other functions run; each waits a
 * grace period before touching something a live invocation may still own.
 *
 * 1. Instances vs node records: a node whose instance is gone (absent from DescribeInstances,
 *    shutting down, or stopped while the node serves or is about to: someone else stopped it) is
 *    closed — its rooms released and published as `RoomInterrupted`; a stopped instance of a
 *    warm-pool node (`stopping`, `stopped`, `starting`) is not gone, and a lost EC2 event of one
 *    is replayed from the state DescribeInstances shows ({@link repairWarmNodes}); a node stuck
 *    in `terminating` (a crash before TerminateInstances) is terminated again; a young instance
 *    with no record (a crash between RunInstances and recording it) is adopted as launching, a
 *    stopped one as a warm node when the pool has a warm pool and the instance is younger than
 *    `warmPool.maxAgeHours`. (Other unrecorded instances: `terminateOrphans`.)
 * 1a. Addressing: a node whose EC2 `running` event is late or lost, or whose handler failed
 *    before associating its Elastic IPs, gets them from the sweep ({@link repairAddressing}):
 *    its boot unit waits for them before it starts WCS and puts `NodeReady` (reconcile-addresses.ts).
 * 1b. Start timeout: a node `starting` for longer than `warmPool.startTimeoutMs` without
 *    `NodeReady` is terminated ({@link timeOutStarts}); scale-out replaces its capacity.
 * 2. Rooms stranded in `placing` (a crash between claiming a room and placing or queueing it)
 *    once their lease has ended (their owner's deadline; any other drain may have taken them first):
 *    announced (`RoomPlaced`) and placed when their target container holds them, queued again
 *    otherwise (`RoomQueued`; the sweep's placing of the queue places them later).
 * 3. Container room maps vs room records: a container holding a room that is not placed there
 *    (nor being placed there) gives the capacity back (a crash between releasing a room and
 *    releasing its capacity, or between a lost race and giving capacity back). Spread over
 *    minutes: each sweep checks the nodes whose id hashes into this minute's fifth
 *    (shared/app/sweep-scope.ts), so every node every {@link LEAK_CHECK_EVERY_MINUTES} minutes,
 *    with up to {@link LEAK_CHECK_PARALLEL_READS} BatchGetItem calls in flight.
 * 4. Placement flags: a ready, cool node's containers accept rooms; any other node's do not (a
 *    crash inside NodeReady, a drain or an alarm between the node write and the container writes).
 * 5. Queued rooms older than the pool's `queueTimeoutMs` are rejected with a reason.
 *
 * The pool's nodes are read once per run, page by page (step 1 works on each page while the
 * next is read); the steps after it use that read, with the nodes they changed read again. A
 * sharded sweep (`{ shard, shards }`) runs the per-node steps (1, 3, 4) on its shard's nodes and
 * the pool-wide ones (2, 5) in shard 0 only.
 *
 * @module
 */
import { warmPoolStateOf, type PoolConfig } from '../domain/config.ts';
import { EC2_STATES, onEc2State, type Ec2State } from '../domain/lifecycle.ts';
import { isLive, WARM_NODE_STATES, type ContainerRef, type NodeView } from '../domain/model.ts';
import type { RoomRecord } from '../ports/fleet-store.ts';
import type { InstanceDescription } from '../ports/compute-provider.ts';
import { releaseStoppedNodeAddresses } from './addresses.ts';
import { repairAddressing } from './reconcile-addresses.ts';
import type { AppDeps } from './deps.ts';
import { closeNode, onInstanceState, terminateNode } from './nodes.ts';
import { publishRoomRejected, type RoomRejection } from './rejections.ts';
import { leaseEnd, placeOwned, requeue, takeOverStranded } from './rooms.ts';
import { bucketKey } from '../domain/buckets.ts';
import { isLeakCheckDue, LEAK_CHECK_SPREAD_MINUTES, mapBounded, nodeShard, readPoolNodes, shardOf, type SweepOptions } from './sweep-scope.ts';

/**
 * How long a node's instance may be missing from DescribeInstances before the node is closed,
 * ms after launch: EC2's API is eventually consistent and may not list an instance RunInstances
 * has just returned. Source: Amazon EC2 API Reference, "Eventual consistency in the EC2 API".
 */
export const INSTANCE_VISIBILITY_GRACE_MS = 120_000;

/** Minutes over which the container-map check (step 3) visits every node once. */
export const LEAK_CHECK_EVERY_MINUTES = LEAK_CHECK_SPREAD_MINUTES;

/**
 * Most `getRooms` batches (≤ 100 keys each, BatchGetItem's limit) the container-map check keeps
 * in flight: 8 × 100 consistent reads of ≤ 4 KB items, 800 RCU at once, spread over the rooms'
 * own partitions (`ROOM#<id>`), none near a partition's 3,000 RCU/s (Amazon DynamoDB Developer
 * Guide, "Best practices for designing and using partition keys effectively"). Measured:
 * bench/scale-sweep.ts.
 */
export const LEAK_CHECK_PARALLEL_READS = 8;

/** Room ids per `getRooms` call of the container-map check (BatchGetItem's 100-key limit). */
const ROOM_BATCH = 100;

/** Most stranded rooms, and queued rooms, one sweep repairs per pool. */
export const REPAIR_BATCH = 100;

/** EC2 states of an instance that will not run again. */
const FINAL_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

/** EC2 states of an instance that is stopped or on its way to it. */
const STOPPED_STATES: ReadonlySet<string> = new Set(['stopping', 'stopped']);

/**
 * Whether a node's instance will not serve it again: absent, shutting down or terminated, or
 * stopped while the node serves or is about to (`launching`, `booting`, `ready`, `draining`:
 * someone else stopped it). A stopped instance of a warm node (`stopping`, `stopped`,
 * `starting`) or of a `terminating` one (TerminateInstances is repeated) is not gone.
 */
export function isInstanceGone(node: Pick<NodeView, 'state'>, instance: Pick<InstanceDescription, 'state'> | undefined): boolean {
  if (instance === undefined || FINAL_STATES.has(instance.state)) return true;
  return STOPPED_STATES.has(instance.state) && (isLive(node.state) && node.state !== 'starting');
}

/** What one pool's reconciliation did. */
export interface ReconcileResult {
  /** Node records closed because their instance is gone. */
  readonly closedNodes: readonly string[];
  /** Rooms those closures interrupted. */
  readonly interruptedRooms: readonly string[];
  /** Nodes stuck in `terminating` whose instance was terminated again. */
  readonly reterminated: readonly string[];
  /**
   * Young instances of the pool with no node record (a crash between RunInstances and recording
   * the node), recorded as launching so their NodeReady is accepted.
   */
  readonly adopted: readonly string[];
  /** Stranded `placing` rooms placed (their target held them). */
  readonly placingPlaced: readonly string[];
  /** Stranded `placing` rooms queued again. */
  readonly placingRequeued: readonly string[];
  /** Capacity holds released because no room record accounts for them, `nodeId/index/roomId`. */
  readonly leaksReleased: readonly string[];
  /** Nodes whose containers' `accepting` flag was set right. */
  readonly acceptingFixed: readonly string[];
  /** Queued rooms rejected for waiting longer than `queueTimeoutMs`. */
  readonly rejectedQueued: readonly string[];
  /** Warm-pool nodes whose lost EC2 state change was replayed from DescribeInstances, `nodeId:state`. */
  readonly warmRepaired: readonly string[];
  /** Nodes `starting` longer than `warmPool.startTimeoutMs`, terminated to be replaced. */
  readonly startTimedOut: readonly string[];
  /**
   * Nodes whose EC2 `running` was replayed because it had not been handled (`nodeId:booting`) or
   * whose missing Elastic IPs were associated (`nodeId:addressed`).
   */
  readonly addressRepaired: readonly string[];
}

const sameRef = (a: ContainerRef | undefined, nodeId: string, index: number) => a !== undefined && a.nodeId === nodeId && a.container === index;

/** What one pool's reconciliation did, and the pool's nodes after it. */
export interface ReconcileRun {
  readonly reconciled: ReconcileResult;
  /**
   * The pool's nodes as read once this run, with every node the run changed (closed, adopted,
   * capacity repaired or released, flags fixed) read again; terminated nodes are left out.
   */
  readonly nodes: readonly NodeView[];
}

/**
 * Reconcile one pool (steps 1–5 of the module comment).
 *
 * @param instances - the pool's instances as `describeFleet` returned them this sweep
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the next sweep retries)
 */
export async function reconcilePool(
  deps: AppDeps,
  pool: PoolConfig,
  instances: readonly InstanceDescription[],
  options: SweepOptions = {},
): Promise<ReconcileResult> {
  return (await reconcileNodes(deps, pool, instances, options)).reconciled;
}

/**
 * Reconcile one pool (steps 1–5) over one paged read of its nodes, and return the nodes as they
 * are after it (for the sweep's plan: no second read).
 *
 * @param instances - the pool's instances as `describeFleet` returned them this sweep
 * @param options - the sweep's shard (per-node steps on its nodes, pool-wide steps in shard 0)
 *   and leak-check mode (default `spread`)
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the next sweep retries)
 * @throws {RangeError} on a shard out of range
 */
export async function reconcileNodes(
  deps: AppDeps,
  pool: PoolConfig,
  instances: readonly InstanceDescription[],
  options: SweepOptions = {},
): Promise<ReconcileRun> {
  const now = deps.clock.now();
  const { shard, shards } = shardOf(options);
  const mine = (nodeId: string) => nodeShard(nodeId, shards) === shard;
  const byInstance = new Map(instances.map((i) => [i.instanceId, i]));
  const step1 = { closedNodes: [] as string[], interruptedRooms: [] as string[], reterminated: [] as string[] };
  const read = await readPoolNodes(deps, pool.name, (page) => closeGoneNodes(deps, pool, page.filter((n) => mine(n.nodeId)), byInstance, now, step1));
  const adopted = await adoptInstances(deps, pool, instances.filter((i) => mine(i.instanceId)), read, now);
  const placing = shard === 0 ? await repairPlacing(deps, pool, now) : { placingPlaced: [], placingRequeued: [] };
  const changed = new Set([...step1.closedNodes, ...adopted]);
  if (placing.placingPlaced.length > 0) {
    for (const room of (await deps.store.getRooms(placing.placingPlaced)).values()) if (room.placement) changed.add(room.placement.nodeId);
  }
  let nodes = await refresh(deps, read, changed);
  const own = nodes.filter((n) => mine(n.nodeId));
  // Holds on a node whose instance is gone are its closure's to release and announce.
  const checked = own.filter((n) => isLeakCheckDue(n.nodeId, now, options.leakCheck) && !isInstanceGone(n, byInstance.get(n.nodeId)));
  const leaksReleased = await releaseLeakedCapacity(deps, checked);
  const warmRepaired = await repairWarmNodes(deps, pool, own, instances, now);
  const addressRepaired = await repairAddressing(deps, pool, own, instances, now);
  const startTimedOut = await timeOutStarts(deps, pool, own, now);
  const acceptingFixed = await fixAccepting(deps, pool, own, now);
  const rejectedQueued = shard === 0 ? await rejectStaleQueued(deps, pool, now) : [];
  const again = new Set([
    ...leaksReleased.map((l) => l.split('/')[0] as string),
    ...warmRepaired.map((w) => w.split(':')[0] as string),
    ...addressRepaired.map((w) => w.split(':')[0] as string),
    ...startTimedOut,
    ...acceptingFixed,
  ]);
  if (again.size > 0) nodes = await refresh(deps, nodes, again);
  const result: ReconcileResult = { ...step1, adopted, ...placing, leaksReleased, acceptingFixed, rejectedQueued, warmRepaired, startTimedOut, addressRepaired };
  if (Object.values(result).some((v) => v.length > 0)) deps.logger.warn('reconciled', { pool: pool.name, ...(shards > 1 ? { shard } : {}), ...result });
  return { reconciled: result, nodes };
}

/** `nodes` with each of `ids` read again (added when new, left out once terminated). */
async function refresh(deps: AppDeps, nodes: readonly NodeView[], ids: ReadonlySet<string>): Promise<NodeView[]> {
  if (ids.size === 0) return [...nodes];
  const fresh = await mapBounded([...ids], LEAK_CHECK_PARALLEL_READS, (id) => deps.store.getNode(id));
  const byId = new Map(fresh.filter((n): n is NodeView => n !== undefined).map((n) => [n.nodeId, n]));
  const out = nodes.filter((n) => !ids.has(n.nodeId) || byId.has(n.nodeId)).map((n) => byId.get(n.nodeId) ?? n);
  const seen = new Set(out.map((n) => n.nodeId));
  for (const n of byId.values()) if (!seen.has(n.nodeId)) out.push(n);
  return out.filter((n) => n.state !== 'terminated');
}

/** Step 1 on one page of nodes: close nodes whose instance is gone; terminate again nodes stuck in `terminating`. */
async function closeGoneNodes(
  deps: AppDeps,
  pool: PoolConfig,
  nodes: readonly NodeView[],
  byId: ReadonlyMap<string, InstanceDescription>,
  now: number,
  out: { closedNodes: string[]; interruptedRooms: string[]; reterminated: string[] },
): Promise<void> {
  for (const node of nodes) {
    if (!isLive(node.state) && node.state !== 'terminating' && !WARM_NODE_STATES.includes(node.state)) continue;
    const instance = byId.get(node.nodeId);
    const gone = isInstanceGone(node, instance);
    if (gone && now - node.launchedAt >= INSTANCE_VISIBILITY_GRACE_MS) {
      const reason = instance ? `instance ${instance.state}` : 'instance gone';
      out.interruptedRooms.push(...(await closeNode(deps, node.nodeId, reason)));
      out.closedNodes.push(node.nodeId);
      continue;
    }
    // A crash between the move to `terminating` and TerminateInstances; wait out a live attempt.
    if (!gone && node.state === 'terminating' && now - (node.stateChangedAt ?? node.launchedAt) >= pool.placingTimeoutMs) {
      await deps.compute.terminate([node.nodeId]);
      out.reterminated.push(node.nodeId);
    }
  }
}

/** Step 1, unrecorded instances: adopt the young ones (older ones are the orphan sweep's, terminateOrphans). */
async function adoptInstances(
  deps: AppDeps,
  pool: PoolConfig,
  instances: readonly InstanceDescription[],
  nodes: readonly NodeView[],
  now: number,
): Promise<string[]> {
  const adopted: string[] = [];
  const known = new Set(nodes.map((n) => n.nodeId));
  for (const i of instances) {
    if (known.has(i.instanceId)) continue;
    if (i.state === 'stopped') {
      if (await adoptStopped(deps, pool, i, now)) adopted.push(i.instanceId);
      continue;
    }
    if (i.state !== 'pending' && i.state !== 'running') continue;
    if (i.launchTime === undefined || now - i.launchTime >= pool.readyTimeoutMs) continue;
    const isNew = await deps.store.createNode(
      {
        nodeId: i.instanceId,
        pool: pool.name,
        state: 'launching',
        instanceType: i.instanceType,
        launchedAt: i.launchTime,
        decisionId: 'adopted',
        containersPerNode: pool.containersPerNode,
        capacityPerContainer: pool.capacityPerContainer,
      },
      now,
    );
    if (isNew) adopted.push(i.instanceId);
  }
  return adopted;
}

/**
 * Adopt a stopped instance of the pool that no node record accounts for (a crash between
 * StopInstances and the record, a record lost) as a warm node (`stopped`), when the pool has a
 * warm pool and the instance is younger than `warmPool.maxAgeHours` — the same rule a warm node
 * is kept by; its Elastic IPs are released when the pool asks for it. Otherwise it is left to
 * `terminateOrphans`, as an unrecorded running instance is. Its age is counted from the
 * instance's `LaunchTime`, which EC2 sets again on every start (Amazon EC2 API Reference,
 * `Instance.LaunchTime`): an instance started and stopped again looks younger than it is, and is
 * recycled one `maxAgeHours` after its last start at the latest.
 *
 * @returns whether a record was created (false: too old, no warm pool, or a record exists already,
 *   e.g. one closed because someone else stopped its instance)
 */
async function adoptStopped(deps: AppDeps, pool: PoolConfig, instance: InstanceDescription, now: number): Promise<boolean> {
  if (warmPoolStateOf(pool) === 'none' || instance.launchTime === undefined) return false;
  if (now - instance.launchTime >= pool.warmPool.maxAgeHours * 3_600_000) return false;
  const isNew = await deps.store.createNode(
    {
      nodeId: instance.instanceId,
      pool: pool.name,
      state: 'stopped',
      instanceType: instance.instanceType,
      launchedAt: instance.launchTime,
      decisionId: 'adopted',
      containersPerNode: pool.containersPerNode,
      capacityPerContainer: pool.capacityPerContainer,
    },
    now,
  );
  if (isNew) await releaseStoppedNodeAddresses(deps, { nodeId: instance.instanceId, pool: pool.name });
  return isNew;
}

/**
 * Step 1, warm nodes: replay the EC2 state change a warm-pool node (`stopping`, `stopped`,
 * `starting`) missed, from the state DescribeInstances shows now — through the same handler as
 * the event ({@link onInstanceState}): a `stopping` node whose instance is stopped becomes
 * `stopped`, a `stopped` one found running (started by someone else) `starting`, a `starting`
 * one found stopped again `stopped`. Only after the node's last change is `placingTimeoutMs`
 * old: DescribeInstances is eventually consistent, and the invocation that moved it may still
 * run.
 *
 * @returns `nodeId:state` of the nodes moved
 */
export async function repairWarmNodes(
  deps: AppDeps,
  pool: PoolConfig,
  nodes: readonly NodeView[],
  instances: readonly InstanceDescription[],
  now: number,
): Promise<string[]> {
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  const repaired: string[] = [];
  for (const node of nodes) {
    if (!WARM_NODE_STATES.includes(node.state) && node.state !== 'starting') continue;
    const instance = byId.get(node.nodeId);
    if (!instance || !isEc2State(instance.state) || FINAL_STATES.has(instance.state)) continue;
    if (now - (node.stateChangedAt ?? node.launchedAt) < pool.placingTimeoutMs) continue;
    if (onEc2State(node.state, instance.state).action !== 'move') continue;
    const kind = await onInstanceState(deps, { 'instance-id': node.nodeId, state: instance.state }, `sweep:${bucketKey(now)}:${node.nodeId}`);
    if (kind !== 'ignored') repaired.push(`${node.nodeId}:${kind}`);
  }
  return repaired;
}

function isEc2State(state: string): state is Ec2State {
  return (EC2_STATES as readonly string[]).includes(state);
}

/**
 * Start timeout: a node `starting` for `warmPool.startTimeoutMs` or longer (since it entered
 * `starting`) without `NodeReady` is terminated — forced: it serves no room — and not started
 * again; the sweep's scale-out, which runs after reconciliation, replaces its capacity (from the
 * warm pool or a cold launch). Starting nodes are left out of `planSweep`'s ready timeout, which
 * counts from the first launch.
 *
 * @returns the node ids terminated
 */
export async function timeOutStarts(deps: AppDeps, pool: PoolConfig, nodes: readonly NodeView[], now: number): Promise<string[]> {
  const timedOut: string[] = [];
  for (const node of nodes) {
    if (node.state !== 'starting' || now - (node.stateChangedAt ?? node.launchedAt) < pool.warmPool.startTimeoutMs) continue;
    deps.logger.warn('node did not report ready after a start: terminating it', { nodeId: node.nodeId, pool: pool.name, startTimeoutMs: pool.warmPool.startTimeoutMs });
    if (await terminateNode(deps, node, 'start-timeout', true)) timedOut.push(node.nodeId);
  }
  return timedOut;
}

/**
 * Step 2: rooms left in `placing` after their lease ended (their owner crashed or timed out):
 * taken over, announced where their target holds them, else placed where they fit now,
 * otherwise queued again in their place.
 */
async function repairPlacing(deps: AppDeps, pool: PoolConfig, now: number): Promise<Pick<ReconcileResult, 'placingPlaced' | 'placingRequeued'>> {
  const stuck = await deps.store.listPlacing(pool.name, now, REPAIR_BATCH);
  const placingPlaced: string[] = [];
  const placingRequeued: string[] = [];
  const lease = leaseEnd(now);
  for (const room of stuck) {
    const claimId = `sweep:${bucketKey(now)}:${room.roomId}`;
    const taken = await takeOverStranded(deps, pool, room, claimId, now, lease);
    if (!taken) continue;
    // Placed now if anything fits (rather than queued for this sweep's last step, which a crash
    // in between would put off by another minute); queued again in its place otherwise.
    if (taken.kind === 'placed' || (await placeOwned(deps, pool, taken.room, claimId, now))) placingPlaced.push(room.roomId);
    else if (await requeue(deps, pool, taken.room, claimId, now)) placingRequeued.push(room.roomId);
  }
  return { placingPlaced, placingRequeued };
}

/**
 * Step 3: a container's hold on a room is justified only by a room record placed on it or being
 * placed on it (`placing` with it as target); any other hold is leaked capacity and released
 * (conditionally: a hold released meanwhile is left alone).
 */
async function releaseLeakedCapacity(deps: AppDeps, nodes: readonly NodeView[]): Promise<string[]> {
  const holds: { nodeId: string; index: number; roomId: string; weight: number }[] = [];
  for (const node of nodes) {
    if (node.state === 'terminated') continue;
    for (const c of node.containers) {
      for (const [roomId, weight] of Object.entries(c.rooms ?? {})) holds.push({ nodeId: node.nodeId, index: c.index, roomId, weight });
    }
  }
  if (holds.length === 0) return [];
  const ids = [...new Set(holds.map((h) => h.roomId))];
  const batches = Array.from({ length: Math.ceil(ids.length / ROOM_BATCH) }, (_, i) => ids.slice(i * ROOM_BATCH, (i + 1) * ROOM_BATCH));
  const rooms = new Map<string, RoomRecord>();
  for (const found of await mapBounded(batches, LEAK_CHECK_PARALLEL_READS, (b) => deps.store.getRooms(b))) for (const [id, r] of found) rooms.set(id, r);
  const released: string[] = [];
  for (const h of holds) {
    const room = rooms.get(h.roomId);
    const justified =
      room !== undefined &&
      ((room.state === 'placed' && sameRef(room.placement, h.nodeId, h.index)) || (room.state === 'placing' && sameRef(room.target, h.nodeId, h.index)));
    if (justified) continue;
    if (await deps.store.releaseCapacity({ nodeId: h.nodeId, container: h.index }, h.roomId, h.weight)) {
      released.push(`${h.nodeId}/${h.index}/${h.roomId}`);
    }
  }
  return released;
}

/**
 * Step 4: containers accept rooms exactly when their node is ready and not hot. A node that
 * changed state within the pool's `placingTimeoutMs` is left to the invocation changing it; the
 * node is read again right before the write.
 */
async function fixAccepting(deps: AppDeps, pool: PoolConfig, nodes: readonly NodeView[], now: number): Promise<string[]> {
  const fixed: string[] = [];
  for (const seen of nodes) {
    if (seen.state === 'terminated' || seen.containers.length === 0) continue;
    const should = seen.state === 'ready' && !seen.hot;
    if (seen.containers.every((c) => c.accepting === should)) continue;
    if (now - (seen.stateChangedAt ?? seen.readyAt ?? seen.launchedAt) < pool.placingTimeoutMs) continue;
    const node = await deps.store.getNode(seen.nodeId);
    if (!node) continue;
    const accept = node.state === 'ready' && !node.hot;
    if (node.containers.every((c) => c.accepting === accept)) continue;
    await deps.store.setAccepting(node.nodeId, accept);
    fixed.push(node.nodeId);
  }
  return fixed;
}

/** Step 5: reject rooms queued longer than the pool's `queueTimeoutMs` (oldest first). */
async function rejectStaleQueued(deps: AppDeps, pool: PoolConfig, now: number): Promise<string[]> {
  const queued = await deps.store.listQueued(pool.name, REPAIR_BATCH);
  const rejected: RoomRejection[] = [];
  for (const room of queued) {
    const since = room.queuedAt ?? room.requestedAt;
    if (now - since < pool.queueTimeoutMs) break;
    if (!(await deps.store.rejectQueued(room.roomId, now))) continue;
    rejected.push({
      roomId: room.roomId,
      reason: `queued for ${Math.round((now - since) / 1000)} s without capacity (limit ${pool.queueTimeoutMs / 1000} s)`,
    });
  }
  await publishRoomRejected(deps.publisher, rejected);
  return rejected.map((r) => r.roomId as string);
}
