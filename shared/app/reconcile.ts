/**
 * Reconciliation: the sweep's repair of whatever a crash, a lost event or a lost instance left
 * behind. Each step is idempotent and safe to run while the other functions run; each waits a
 * grace period before touching something a live invocation may still own.
 *
 * 1. Instances vs node records: a live or terminating node whose instance is gone (absent from
 *    DescribeInstances, or shutting down / stopped) is closed — its rooms released and published
 *    as `RoomInterrupted`; a node stuck in `terminating` (a crash before TerminateInstances) is
 *    terminated again; a young instance with no record (a crash between RunInstances and
 *    recording it) is adopted as launching. (Older unrecorded instances: `terminateOrphans`.)
 * 2. Rooms stranded in `placing` (a crash between claiming a room and placing or queueing it)
 *    once their lease has ended (their owner's deadline; any other drain may have taken them first):
 *    announced (`RoomPlaced`) and placed when their target container holds them, queued again
 *    otherwise (`RoomQueued`; the sweep's placing of the queue places them later).
 * 3. Container room maps vs room records: a container holding a room that is not placed there
 *    (nor being placed there) gives the capacity back (a crash between releasing a room and
 *    releasing its capacity, or between a lost race and giving capacity back). Every
 *    {@link LEAK_CHECK_EVERY_MINUTES} minutes.
 * 4. Placement flags: a ready, cool node's containers accept rooms; any other node's do not (a
 *    crash inside NodeReady, a drain or an alarm between the node write and the container writes).
 * 5. Queued rooms older than the pool's `queueTimeoutMs` are rejected with a reason.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import { isLive, type ContainerRef, type NodeView } from '../domain/model.ts';
import type { InstanceDescription } from '../ports/compute-provider.ts';
import type { AppDeps } from './deps.ts';
import { closeNode } from './nodes.ts';
import { publishRoomRejected, type RoomRejection } from './rejections.ts';
import { leaseEnd, placeOwned, requeue, takeOverStranded } from './rooms.ts';
import { bucketKey } from '../domain/buckets.ts';

/**
 * How long a node's instance may be missing from DescribeInstances before the node is closed,
 * ms after launch: EC2's API is eventually consistent and may not list an instance RunInstances
 * has just returned. Source: Amazon EC2 API Reference, "Eventual consistency in the EC2 API".
 */
export const INSTANCE_VISIBILITY_GRACE_MS = 120_000;

/**
 * The container-map check (step 3) reads every hosted room's record (batched), the costliest
 * step: it runs on the sweeps of every 5th minute (epoch minutes divisible by 5). A leaked hold
 * costs capacity, not correctness, for those few minutes.
 */
export const LEAK_CHECK_EVERY_MINUTES = 5;

/** Whether the sweep at `now` (epoch ms) runs the container-map check. */
export function isLeakCheckMinute(now: number): boolean {
  return Math.floor(now / 60_000) % LEAK_CHECK_EVERY_MINUTES === 0;
}

/** Most stranded rooms, and queued rooms, one sweep repairs per pool. */
export const REPAIR_BATCH = 100;

/** EC2 states of an instance that will not serve rooms again. */
const GONE_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

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
}

const sameRef = (a: ContainerRef | undefined, nodeId: string, index: number) => a !== undefined && a.nodeId === nodeId && a.container === index;

/**
 * Reconcile one pool (steps 1–5 of the module comment).
 *
 * @param instances - the pool's instances as `describeFleet` returned them this sweep
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the next sweep retries)
 */
export async function reconcilePool(deps: AppDeps, pool: PoolConfig, instances: readonly InstanceDescription[]): Promise<ReconcileResult> {
  const now = deps.clock.now();
  const closed = await reconcileInstances(deps, pool, instances, now);
  const placing = await repairPlacing(deps, pool, now);
  const nodes = await deps.store.listNodes(pool.name);
  const leaksReleased = isLeakCheckMinute(now) ? await releaseLeakedCapacity(deps, nodes) : [];
  const acceptingFixed = await fixAccepting(deps, pool, nodes, now);
  const rejectedQueued = await rejectStaleQueued(deps, pool, now);
  const result: ReconcileResult = { ...closed, ...placing, leaksReleased, acceptingFixed, rejectedQueued };
  if (Object.values(result).some((v) => v.length > 0)) deps.logger.warn('reconciled', { pool: pool.name, ...result });
  return result;
}

/** Step 1: close nodes whose instance is gone; terminate again nodes stuck in `terminating`. */
async function reconcileInstances(
  deps: AppDeps,
  pool: PoolConfig,
  instances: readonly InstanceDescription[],
  now: number,
): Promise<Pick<ReconcileResult, 'closedNodes' | 'interruptedRooms' | 'reterminated' | 'adopted'>> {
  const nodes = await deps.store.listNodes(pool.name);
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  const closedNodes: string[] = [];
  const interruptedRooms: string[] = [];
  const reterminated: string[] = [];
  for (const node of nodes) {
    if (!isLive(node.state) && node.state !== 'terminating') continue;
    const instance = byId.get(node.nodeId);
    const gone = instance === undefined || GONE_STATES.has(instance.state);
    if (gone && now - node.launchedAt >= INSTANCE_VISIBILITY_GRACE_MS) {
      const reason = instance ? `instance ${instance.state}` : 'instance gone';
      interruptedRooms.push(...(await closeNode(deps, node.nodeId, reason)));
      closedNodes.push(node.nodeId);
      continue;
    }
    // A crash between the move to `terminating` and TerminateInstances; wait out a live attempt.
    if (!gone && node.state === 'terminating' && now - (node.stateChangedAt ?? node.launchedAt) >= pool.placingTimeoutMs) {
      await deps.compute.terminate([node.nodeId]);
      reterminated.push(node.nodeId);
    }
  }
  // Older unrecorded instances are the orphan sweep's (terminateOrphans), not adopted.
  const adopted: string[] = [];
  const known = new Set(nodes.map((n) => n.nodeId));
  for (const i of instances) {
    if (known.has(i.instanceId) || (i.state !== 'pending' && i.state !== 'running')) continue;
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
  return { closedNodes, interruptedRooms, reterminated, adopted };
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
  const rooms = await deps.store.getRooms(holds.map((h) => h.roomId));
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
