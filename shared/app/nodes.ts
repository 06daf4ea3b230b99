/**
 * Node lifecycle use cases: EC2 state changes, NodeReady, unhealthy / hot nodes, termination.
 *
 * @module
 */
import { poolByName } from '../domain/config.ts';
import { containerFree, isLive, nodeAccepts, nodeCapacityOf, PENDING_NODE_STATES, WARM_NODE_STATES, type NodeState, type NodeView } from '../domain/model.ts';
import type { Ec2StateChangeDetail, NodeReadyDetail, OutboundEvent } from '../events/schemas.ts';
import type { SummaryDelta } from '../ports/fleet-store.ts';
import { associateNodeAddresses, releaseNodeAddresses, releaseStoppedNodeAddresses } from './addresses.ts';
import { isStaleEc2Event, isStaleNodeReady, onEc2State, statesInto } from '../domain/lifecycle.ts';
import type { AppDeps } from './deps.ts';
import { LaunchQuotaError } from '../errors.ts';
import { checkNodeReady } from './node-reports.ts';
import { placeQueued } from './rooms.ts';
import { decideReplacement } from '../domain/replacement.ts';
import { containerCpuAlarmKey, DEFAULT_NODE_ALARM_POLICY, nodeAlarmAction, nodeAlarmKeys, nodeAlarmSpecs, UNREACHABLE_REASON } from '../domain/node-alarms.ts';
import { capacityFromSummary, drainNode, executeScaleOut, maybeScaleOut } from './scaling-executor.ts';

/**
 * Create (or update: PutMetricAlarm is an upsert) the CloudWatch alarms of a ready node — instance
 * CPU, EC2 status check, and each WCS container's CPU only when the configuration trusts node metrics
 * (`trustNodeMetrics`; shared/domain/node-alarms.ts). Their state changes come back to {@link onAlarm}.
 *
 * @throws {AutoscalerError} when CloudWatch refuses (retryable when throttled; the event is retried)
 */
export async function ensureNodeAlarms(deps: AppDeps, node: NodeView): Promise<void> {
  const { trustNodeMetrics } = await deps.config.getConfig();
  await deps.nodeAlarms.ensure(node.nodeId, nodeAlarmSpecs(node, { ...DEFAULT_NODE_ALARM_POLICY, nodeMetrics: trustNodeMetrics }));
}

/**
 * Delete the CloudWatch alarms a node may have. A node that never became ready has none, so no
 * call is made for it.
 *
 * @throws {AutoscalerError} when CloudWatch refuses (retryable when throttled; the event is retried)
 */
export async function removeNodeAlarms(deps: AppDeps, node: NodeView): Promise<void> {
  if (node.containers.length === 0 && node.readyAt === undefined) return;
  await deps.nodeAlarms.remove(node.nodeId, nodeAlarmKeys(node.containers.length));
}

/** The summary delta that takes a live node out of the pool's counters. */
export function removalDelta(node: NodeView): SummaryDelta {
  if (!isLive(node.state)) return {};
  if (PENDING_NODE_STATES.includes(node.state)) return { liveNodes: -1, pendingCapacity: -nodeCapacityOf(node) };
  const free = node.containers.reduce((s, c) => s + containerFree(c), 0);
  return {
    liveNodes: -1,
    ...(nodeAccepts(node) ? { readyFree: -free } : {}),
    ...(node.state === 'draining' ? { drainingRemove: [node.nodeId] } : {}),
  };
}

/**
 * Terminate a node on purpose (idle, ready or start timeout, replacement, a warm-pool node
 * recycled: `stopping` / `stopped` too). Order matters: first the
 * conditional move to `terminating` (so a concurrent undrain cannot return it to service), then
 * placement is stopped and the containers are read again; only a node that holds no room — or a
 * forced one — is passed to TerminateInstances. Publishes `NodeTerminated`.
 *
 * @param node - the node as the caller saw it (its state is the condition of the move)
 * @param force - terminate even with rooms on it (Spot interruption, unhealthy node)
 * @returns false when the node was no longer in the state seen, or still hosts rooms
 */
export async function terminateNode(deps: AppDeps, node: NodeView, reason: string, force = false): Promise<boolean> {
  const now = deps.clock.now();
  // Live nodes, and warm-pool ones (recycled past warmPool.maxAgeHours; they count in no counter).
  if (!isLive(node.state) && !WARM_NODE_STATES.includes(node.state)) return false;
  if (!force && node.containers.some((c) => c.used > 0)) return false;
  const moved = await deps.store.transitionNode(node.nodeId, [node.state], 'terminating', now);
  if (!moved) return false;
  await deps.store.setAccepting(node.nodeId, false);
  const current = (await deps.store.getNode(node.nodeId)) ?? moved;
  if (!force && current.containers.some((c) => c.used > 0)) {
    // A room landed between the caller's read and the move: give the node back.
    await deps.store.transitionNode(node.nodeId, ['terminating'], node.state === 'ready' || WARM_NODE_STATES.includes(node.state) ? node.state : 'draining', now);
    if (node.state === 'ready' && !node.hot) await deps.store.setAccepting(node.nodeId, true);
    return false;
  }
  await deps.compute.terminate([node.nodeId]);
  await removeNodeAlarms(deps, current);
  await deps.store.adjustSummary(node.pool, removalDelta(node), now);
  await deps.publisher.publish([{ detailType: 'NodeTerminated', detail: { nodeId: node.nodeId, pool: node.pool, reason } }]);
  return true;
}

/**
 * Close the record of a node whose instance is gone: stop placement on it, release its rooms
 * (`RoomInterrupted` for each, published before the releases, so applications can re-create
 * them), and only then
 * mark it terminated. The order makes a crash anywhere safe: until the last write the node is
 * still live, so the retried event, or the sweep (its instance is gone), closes it again.
 *
 * @returns ids of the rooms interrupted
 */
export async function closeNode(deps: AppDeps, nodeId: string, reason: string): Promise<string[]> {
  const now = deps.clock.now();
  const node = await deps.store.getNode(nodeId);
  if (!node || node.state === 'terminated') return [];
  await deps.store.setAccepting(nodeId, false);
  const events: OutboundEvent[] = [];
  const interrupted: string[] = [];
  const rooms = await deps.store.roomsOnNode(nodeId);
  // Announced before any release: a crash after a room's release would otherwise lose its
  // announcement (the retry finds the hold gone). At-least-once: a retry announces the rooms it
  // still finds again; applications dedupe by room id.
  const interruptions: OutboundEvent[] = [...rooms].flatMap(([container, ids]) =>
    ids.map((roomId): OutboundEvent => ({ detailType: 'RoomInterrupted', detail: { roomId, nodeId, container, reason } })),
  );
  if (interruptions.length > 0) await deps.publisher.publish(interruptions);
  for (const [container, ids] of rooms) {
    for (const roomId of ids) {
      const res = await deps.store.releaseRoom(roomId, now, now);
      const weight = res.kind === 'released' ? res.previous.weight : (await deps.store.getRoom(roomId))?.weight;
      if (weight !== undefined) await deps.store.releaseCapacity({ nodeId, container }, roomId, weight);
      interrupted.push(roomId);
    }
  }
  // Before the last write, so a retry (or the sweep) deletes them again if this fails.
  await removeNodeAlarms(deps, node);
  const closed = await deps.store.transitionNode(nodeId, statesInto('terminated'), 'terminated', now);
  // A warm node (stopping, stopped) was no longer counted: only its record closes.
  if (closed && (isLive(node.state) || WARM_NODE_STATES.includes(node.state))) {
    await deps.store.adjustSummary(node.pool, removalDelta(node), now);
    events.push({ detailType: 'NodeTerminated', detail: { nodeId, pool: node.pool, reason } });
  }
  await deps.publisher.publish(events);
  return interrupted;
}

/**
 * React to an EC2 instance state change as the lifecycle says ({@link onEc2State},
 * docs/design.md#node-lifecycle): `running` moves a launching node to booting and associates its
 * Elastic IPs (also for a starting one); `stopped` moves a node we stopped (or whose start was
 * undone) into the warm pool and releases its Elastic IPs when the pool asks for it;
 * `pending` / `running` of a stopped node started by someone else move it to starting;
 * `shutting-down` / `terminated`, and `stopping` / `stopped` of a node we did not stop, close the
 * node (rooms interrupted) and scale out if headroom is short. An event older than the record's
 * last state change is ignored for the reversible states ({@link isStaleEc2Event}).
 *
 * @param eventTime - the event's `time`, epoch ms (undefined: never taken as stale)
 * @returns what it did: `booting`, `starting`, `stopping`, `stopped`, `closed`, `ignored`,
 *   `address-quota` (terminated for the Elastic IP quota), `unknown-node`
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the event is retried)
 */
export async function onInstanceState(deps: AppDeps, detail: Ec2StateChangeDetail, eventId: string, eventTime?: number): Promise<string> {
  const id = detail['instance-id'];
  if (detail.state === 'terminated') await releaseNodeAddresses(deps, id);
  const node = await deps.store.getNode(id);
  if (!node) return detail.state === 'pending' || detail.state === 'running' ? 'ignored' : 'unknown-node';
  const reaction = onEc2State(node.state, detail.state, isStaleEc2Event(node.state, detail.state, eventTime, node.stateChangedAt));
  if (reaction.action === 'close') {
    await closeNode(deps, id, `instance ${detail.state}`);
    const pool = (await deps.config.getConfig()).pools.find((p) => p.name === node.pool);
    if (pool) await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${eventId}:replace`);
    return 'closed';
  }
  let current: NodeView = node;
  if (reaction.action === 'move') {
    const moved = await moveOnInstanceState(deps, node, reaction.to);
    if (!moved) return 'ignored';
    current = moved;
  }
  // One Elastic IP per container; also on a redelivery (idempotent) so a failed try is retried.
  if (reaction.associateAddresses && !(await addressBootingNode(deps, current))) return 'address-quota';
  if (reaction.releaseStoppedAddresses) await releaseStoppedNodeAddresses(deps, current);
  return reaction.action === 'move' ? reaction.to : 'ignored';
}

/**
 * Move a node as an EC2 state change asks (conditional on the state it was read in), keeping the
 * pool counters: a node leaving the live states (a start undone) stops accepting and leaves
 * them, a stopped node started by someone else joins them as pending capacity; a node entering
 * `stopped` is no longer hot (its alarms see no data while stopped; they judge it again once it
 * is ready).
 *
 * @returns the node after the move, or undefined when it was no longer in the state read
 */
async function moveOnInstanceState(deps: AppDeps, node: NodeView, to: NodeState): Promise<NodeView | undefined> {
  const now = deps.clock.now();
  const moved = await deps.store.transitionNode(node.nodeId, [node.state], to, now);
  if (!moved) return undefined;
  if (isLive(node.state) && !isLive(to)) {
    await deps.store.setAccepting(node.nodeId, false);
    await deps.store.adjustSummary(node.pool, removalDelta(node), now);
  }
  if (!isLive(node.state) && isLive(to)) await deps.store.adjustSummary(node.pool, { liveNodes: 1, pendingCapacity: nodeCapacityOf(moved) }, now);
  if (to === 'stopped' && moved.hot) await deps.store.setHot(node.nodeId, false);
  return moved;
}

/**
 * Associate a booting node's Elastic IPs. When the account's Elastic IP quota is used up
 * (`AddressLimitExceeded`: the pre-launch check was bypassed by a race or could not read the
 * quota), the node could never put `NodeReady` with a public IP on every container: it is
 * terminated at once and a `ScalingBlocked` (limit `quota`) says why, instead of a node that
 * waits out the bootstrap's Elastic IP wait and the ready timeout.
 *
 * @returns false when the node was terminated for the quota
 */
async function addressBootingNode(deps: AppDeps, node: NodeView): Promise<boolean> {
  try {
    await associateNodeAddresses(deps, node);
    return true;
  } catch (e) {
    if (!(e instanceof LaunchQuotaError)) throw e;
    deps.logger.warn('elastic IP quota reached: terminating the node', { nodeId: node.nodeId, pool: node.pool, error: e.message });
    await deps.publisher.publish([
      {
        detailType: 'ScalingBlocked',
        detail: {
          pool: node.pool,
          limit: 'quota',
          wanted: 1,
          reason: `Elastic IP quota reached while addressing ${node.nodeId} (${e.message}); the node was terminated. Raise EC2 quota L-0263D0A3 (EC2-VPC Elastic IPs) or set the pool's publicAddressing to 'none'.`,
        },
      },
    ]);
    await terminateNode(deps, node, 'elastic IP quota', true);
    return false;
  }
}

/**
 * Record a node's `NodeReady`: its containers start accepting rooms, queued rooms are placed,
 * and its CloudWatch alarms are created ({@link ensureNodeAlarms}). The report is checked first
 * ({@link checkNodeReady}): the pool's container count, addresses from EC2, and no rewrite of a
 * ready node — a refused report changes nothing and returns `refused`.
 * Idempotent: the retry of an accepted NodeReady for a ready node completes what a crash left
 * undone (its alarms are upserted again). A node `starting` after a stop becomes ready with the
 * containers it had (their public IPs may be new); a `NodeReady` older than that start
 * ({@link isStaleNodeReady}) is ignored.
 *
 * @param eventTime - the event's `time`, epoch ms (undefined: never taken as stale)
 * @param leaseUntil - the invocation's deadline, epoch ms: the lease on the queued rooms it
 *   claims (undefined: now + `DEFAULT_PLACING_LEASE_MS`, the sweep's timeout)
 */
export async function onNodeReady(deps: AppDeps, detail: NodeReadyDetail, eventId: string, eventTime?: number, leaseUntil?: number): Promise<string> {
  const now = deps.clock.now();
  const before = await deps.store.getNode(detail.instanceId);
  if (!before) {
    deps.logger.warn('NodeReady from an unknown instance', { instanceId: detail.instanceId });
    return 'unknown-node';
  }
  if (before.state !== 'ready' && !PENDING_NODE_STATES.includes(before.state)) return 'ignored';
  if (isStaleNodeReady(before.state, eventTime, before.stateChangedAt)) {
    deps.logger.warn('NodeReady older than the start: ignored', { instanceId: detail.instanceId, eventTime, startedAt: before.stateChangedAt });
    return 'ignored';
  }
  const config = await deps.config.getConfig();
  const pool = poolByName(config, before.pool);
  const check = await checkNodeReady(deps, before, pool, detail);
  if (!check.ok) {
    deps.logger.warn('NodeReady refused', { instanceId: detail.instanceId, state: before.state, reason: check.reason });
    return 'refused';
  }
  if (before.state === 'ready') {
    // A retry after a crash inside the first attempt: complete the containers (created,
    // accepting) and place what waits. The pool counters are the sweep's to correct.
    const node = await deps.store.markReady(detail.instanceId, check.containers, now);
    if (node?.state === 'ready') {
      await placeQueued(deps, config, node.pool, eventId, undefined, leaseUntil);
      await ensureNodeAlarms(deps, node);
    }
    return 'ignored';
  }
  const node = await deps.store.markReady(detail.instanceId, check.containers, now);
  if (!node || node.state !== 'ready') return 'ignored';
  await deps.store.adjustSummary(
    pool.name,
    { pendingCapacity: -nodeCapacityOf(node), ...(node.hot ? {} : { readyFree: nodeCapacityOf(node) }) },
    now,
  );
  await deps.publisher.publish([{ detailType: 'NodeReady', detail: { instanceId: detail.instanceId, containers: [...check.containers], pool: pool.name } }]);
  await placeQueued(deps, config, pool.name, eventId, undefined, leaseUntil);
  await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${eventId}:scale-out`, leaseUntil);
  // Last: placement does not wait for CloudWatch; a failure here retries the event, whose
  // retry path (node already ready) creates them again.
  await ensureNodeAlarms(deps, node);
  return 'ready';
}

/**
 * A node whose boot after a start reports trouble (`NodeUnhealthy` while `starting`) will not
 * become ready: it is terminated at once (not left to the start timeout) and scale-out replaces
 * its capacity.
 *
 * @returns `terminated`, or `ignored` for a node in any other state (nothing to drain)
 */
async function replaceFailedStart(deps: AppDeps, instanceId: string, reason: string, eventId: string): Promise<string> {
  const node = await deps.store.getNode(instanceId);
  if (node?.state !== 'starting' || !(await terminateNode(deps, node, `${reason} (after a start)`, true))) return 'ignored';
  const pool = poolByName(await deps.config.getConfig(), node.pool);
  await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${eventId}:scale-out`);
  return 'terminated';
}

/**
 * Take a node out of placement because it is unhealthy or about to be interrupted (Spot), and
 * let scale-out launch replacement capacity at once. A node `starting` after a stop that reports
 * trouble is terminated instead ({@link replaceFailedStart}).
 */
export async function onNodeTrouble(deps: AppDeps, instanceId: string, reason: string, eventId: string): Promise<string> {
  const node = await drainNode(deps, instanceId, reason);
  if (!node) return replaceFailedStart(deps, instanceId, reason, eventId);
  const config = await deps.config.getConfig();
  const pool = poolByName(config, node.pool);
  // The rooms on it will be lost: tell their applications now, while the node still serves them.
  const affected: OutboundEvent[] = node.containers.flatMap((c) =>
    Object.keys(c.rooms ?? {}).map((roomId) => ({
      detailType: 'RoomInterrupted' as const,
      detail: { roomId, nodeId: node.nodeId, container: c.index, reason: `${reason}: node draining, will be lost` },
    })),
  );
  if (affected.length > 0) await deps.publisher.publish(affected);
  // One replacement per doomed node, under a decision id per node: a repeated warning (rebalance
  // then interruption) or a retry sends the same request, and EC2's ClientToken dedupes it.
  const summary = await deps.store.getSummary(pool.name);
  const now = deps.clock.now();
  await executeScaleOut(deps, pool, decideReplacement(pool, capacityFromSummary(summary, now), 1), `replace:${node.nodeId}`);
  await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${eventId}:scale-out`);
  return 'draining';
}

/** The key of a node alarm (`…<instance id>-<key>`): what follows the instance id in its name. */
function alarmKeyOf(alarmName: string, instanceId: string): string {
  return alarmName.slice(alarmName.indexOf(instanceId) + instanceId.length + 1);
}

/** Whether an alarm is a container CPU alarm of the node (`…<instance id>-wcs-<index>-cpu`), i.e. on a node-pushed metric. */
function isContainerAlarm(alarmName: string, instanceId: string): boolean {
  const key = alarmKeyOf(alarmName, instanceId);
  return /^wcs-\d+-cpu$/.test(key) && key === containerCpuAlarmKey(Number(key.split('-')[1]));
}

/** Instance id named in a CloudWatch alarm's name (alarms are named `…<instance-id>…`). */
export function instanceIdOfAlarm(alarmName: string): string | undefined {
  return /\b(i-[0-9a-f]{8,17})\b/.exec(alarmName)?.[1];
}

/**
 * A CloudWatch alarm on a node changed state. The status-check alarm's `ALARM` closes the node
 * ({@link onUnreachable}); its other states change nothing. A CPU alarm's `ALARM` marks the node
 * hot (no new rooms), `OK` clears it. Alarms on node-pushed metrics are ignored (`untrusted`)
 * unless `trustNodeMetrics` is set. `INSUFFICIENT_DATA` is always ignored.
 *
 * @param eventId - the state change event's id (the replacement's decision id derives from it)
 * @param eventTime - the state change's time, epoch ms (undefined: never taken as stale)
 * @returns `hot`, `cool`, `unchanged`, `untrusted`, `ignored`, or {@link onUnreachable}'s `closed`
 */
export async function onAlarm(deps: AppDeps, alarmName: string, state: string, eventId = `alarm:${alarmName}`, eventTime?: number): Promise<string> {
  const now = deps.clock.now();
  const id = instanceIdOfAlarm(alarmName);
  if (!id || state === 'INSUFFICIENT_DATA') return 'ignored';
  if (nodeAlarmAction(alarmKeyOf(alarmName, id)) === 'close') return state === 'ALARM' ? onUnreachable(deps, id, eventId, eventTime) : 'ignored';
  // An alarm on what nodes push (container CPU) counts only while node metrics are trusted: one
  // created before they stopped being trusted must not let a node mark another hot.
  if (isContainerAlarm(alarmName, id) && !(await deps.config.getConfig()).trustNodeMetrics) return 'untrusted';
  const node = await deps.store.getNode(id);
  if (!node || !isLive(node.state)) return 'ignored';
  const hot = state === 'ALARM';
  const changed = node.hot !== hot;
  if (changed) await deps.store.setHot(id, hot);
  if (node.state === 'ready') {
    // Also when unchanged: a retry after a crash between the two writes completes the first.
    await deps.store.setAccepting(id, !hot);
    const free = node.containers.reduce((s, c) => s + containerFree(c), 0);
    if (changed) await deps.store.adjustSummary(node.pool, { readyFree: hot ? -free : free }, now);
  }
  if (!changed) return 'unchanged';
  return hot ? 'hot' : 'cool';
}

/**
 * The node's EC2 status-check alarm went to ALARM: the instance stopped answering (host, network,
 * OS) while EC2 still says `running`, so no EC2 event will come and the node cannot send
 * `NodeUnhealthy`. Its rooms are already lost for their participants, so it is closed as a node
 * whose instance was lost, not marked hot:
 * 1. a `ready` or `draining` node is drained (no new rooms, `NodeDraining`; a drained node stays
 *    out of placement whatever the sweep finds, where a cleared `accepting` alone would be set
 *    again by the sweep's repair while a failed step waits for its retry);
 * 2. TerminateInstances (idempotent; EC2 has no cheaper cure to wait for: its own remedies,
 *    recover or reboot, take minutes and come back with no WCS session);
 * 3. {@link closeNode}: `RoomInterrupted` for each room, then each room and its capacity
 *    released, alarms deleted, the record `terminated`, `NodeTerminated` with reason
 *    {@link UNREACHABLE_REASON} (the metric `RoomsInterrupted` counts the rooms);
 * 4. scale-out replaces the capacity if headroom is short.
 * A crash anywhere is safe: until step 3's last write the node is live, so the retried event
 * does it again (each step is idempotent), and the `shutting-down` of step 2 closes it too.
 *
 * Ignored (`ignored`): an unknown or `terminated` node (a redelivery, or already closed by
 * another path); a warm-pool node `stopping` or `stopped` (EC2 checks no stopped instance, and a
 * stop-start moves an instance to new hardware — EC2's own remedy for a failed system check: its
 * next start is judged anew); a `starting` node for a state change older than that start
 * (raised in the instance's previous run). A `starting` node whose checks fail after the start
 * is closed like any other (it has no rooms; its capacity is replaced).
 *
 * @param eventTime - the alarm's state change time, epoch ms (undefined: never taken as stale)
 * @returns `closed` or `ignored`
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the event is retried)
 */
export async function onUnreachable(deps: AppDeps, instanceId: string, eventId: string, eventTime?: number): Promise<string> {
  const node = await deps.store.getNode(instanceId);
  if (!node || node.state === 'terminated' || WARM_NODE_STATES.includes(node.state)) return 'ignored';
  if (node.state === 'starting' && eventTime !== undefined && node.stateChangedAt !== undefined && eventTime < node.stateChangedAt) return 'ignored';
  const rooms = node.containers.reduce((n, c) => n + Object.keys(c.rooms ?? {}).length, 0);
  deps.logger.warn('node unreachable (EC2 status check alarm): closing it', { nodeId: instanceId, pool: node.pool, state: node.state, rooms });
  if (node.state === 'ready' || node.state === 'draining') await drainNode(deps, instanceId, UNREACHABLE_REASON);
  await deps.compute.terminate([instanceId]);
  await closeNode(deps, instanceId, UNREACHABLE_REASON);
  const pool = (await deps.config.getConfig()).pools.find((p) => p.name === node.pool);
  if (pool) await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${eventId}:replace`);
  return 'closed';
}
