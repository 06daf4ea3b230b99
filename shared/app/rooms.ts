/**
 * Room use cases: create (place or queue), release, and placing queued rooms.
 *
 * Placement protocol (no transactions):
 * 1. Query the placement index for best-fit candidates (1 round trip).
 * 2. Claim the room id, recording the chosen target (1): duplicates, stale creates and reconnects
 *    are decided here.
 * 3. Claim capacity on the target container with one conditional UpdateItem (1); on a lost race
 *    re-target to the next candidate.
 * 4. Confirm the room as placed (1); if it was released meanwhile, give the capacity back.
 * 5. Update the pool summary (arrivals, counters) and decide scale-out from it (1).
 *
 * @module
 */
import { poolByName, type AutoscalerConfig, type PoolConfig } from '../domain/config.ts';
import type { ContainerRef, ContainerView } from '../domain/model.ts';
import { decidePlacement } from '../domain/placement.ts';
import type { OutboundEvent, RoomPlacedDetail } from '../events/schemas.ts';
import type { RoomRecord, SummaryDelta } from '../ports/fleet-store.ts';
import type { AppDeps } from './deps.ts';
import { maybeScaleOut } from './scaling.ts';

/** How many times placement re-targets after losing a conditional race. */
export const MAX_PLACEMENT_ATTEMPTS = 4;

/** A validated create command. */
export interface CreateRoomCommand {
  readonly roomId: string;
  /** Capacity units (≥ 1). */
  readonly weight: number;
  readonly pool?: string | undefined;
  readonly tenantId?: string | undefined;
  /** EventBridge event id (idempotency and claim owner). */
  readonly eventId: string;
  /** When the create happened, epoch ms. */
  readonly eventTime: number;
}

/** What happened to a create. */
export type CreateRoomOutcome =
  | { readonly kind: 'placed'; readonly placement: RoomPlacedDetail }
  | { readonly kind: 'queued'; readonly pool: string }
  | { readonly kind: 'stale'; readonly releasedAt: number }
  | { readonly kind: 'duplicate'; readonly state: string }
  | { readonly kind: 'released-meanwhile' }
  | { readonly kind: 'rejected'; readonly reason: string };

/** What happened to a release. */
export type ReleaseRoomOutcome =
  | { readonly kind: 'released'; readonly previousState: string; readonly placedQueued: number }
  | { readonly kind: 'tombstoned' }
  | { readonly kind: 'ignored'; readonly reason: string };

/** Public WebSocket URL of a container: `wss://<public IP or private IP>:<wssPort>`. */
export function wssUrl(container: Pick<ContainerView, 'publicIp' | 'privateIp'>, pool: PoolConfig): string | undefined {
  const host = container.publicIp ?? container.privateIp;
  return host ? `wss://${host}:${pool.wssPort}` : undefined;
}

function placedDetail(room: Pick<RoomRecord, 'roomId' | 'weight' | 'requestedAt'>, pool: PoolConfig, c: ContainerView, now: number): RoomPlacedDetail {
  const url = wssUrl(c, pool);
  return {
    roomId: room.roomId,
    pool: pool.name,
    nodeId: c.nodeId,
    container: c.index,
    ...(c.privateIp ? { privateIp: c.privateIp } : {}),
    ...(c.publicIp ? { publicIp: c.publicIp } : {}),
    ...(url ? { wssUrl: url } : {}),
    weight: room.weight,
    waitedMs: Math.max(0, now - room.requestedAt),
  };
}

/**
 * Claim capacity on `first`, then on each alternative after a lost race, re-targeting the room
 * before each new claim. Returns the container that holds the room, or undefined.
 */
async function claimWithRetargeting(
  deps: AppDeps,
  room: Pick<RoomRecord, 'roomId' | 'weight'>,
  claimId: string,
  first: ContainerRef,
  alternatives: readonly ContainerRef[],
): Promise<ContainerView | undefined> {
  const now = deps.clock.now();
  const tries = [first, ...alternatives].slice(0, MAX_PLACEMENT_ATTEMPTS);
  for (let i = 0; i < tries.length; i++) {
    const target = tries[i] as ContainerRef;
    if (i > 0 && !(await deps.store.setTarget(room.roomId, claimId, target))) return undefined;
    const res = await deps.store.claimCapacity(target, room.roomId, room.weight, now);
    if (res.kind !== 'conflict') return res.container;
  }
  return undefined;
}

const ref = (c: Pick<ContainerView, 'nodeId' | 'index'>): ContainerRef => ({ nodeId: c.nodeId, container: c.index });

/**
 * Place a room on a container with free capacity, or queue it, and scale out when headroom is
 * short. Idempotent for a redelivered event; a create older than a seen release is `stale`.
 *
 * @returns the outcome and the events to publish (already published)
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (retry the event)
 */
export async function createRoom(deps: AppDeps, cmd: CreateRoomCommand): Promise<CreateRoomOutcome> {
  const config = await deps.config.getConfig();
  const poolName = cmd.pool ?? config.defaultPool;
  const pool = config.pools.find((p) => p.name === poolName);
  const now = deps.clock.now();
  if (!pool) return reject(deps, cmd.roomId, `unknown pool "${poolName}"`);

  const candidates = await deps.store.findCandidates(pool.name, cmd.weight, Math.max(pool.placementSpread * 2, 5));
  const decision = decidePlacement(candidates, cmd.weight, pool.capacityPerContainer, pool.placementSpread, deps.random);
  if (decision.kind === 'reject') {
    return reject(deps, cmd.roomId, `weight ${cmd.weight} exceeds a container's capacity (${pool.capacityPerContainer} units)`);
  }
  const planned = decision.kind === 'place' ? ref(decision.candidate) : undefined;
  const begin = await deps.store.beginRoom({
    roomId: cmd.roomId,
    pool: pool.name,
    weight: cmd.weight,
    eventId: cmd.eventId,
    eventTime: cmd.eventTime,
    now,
    target: planned,
    tenantId: cmd.tenantId,
  });
  if (begin.kind === 'stale') {
    deps.logger.info('stale RoomCreated ignored', { roomId: cmd.roomId, releasedAt: begin.releasedAt });
    return { kind: 'stale', releasedAt: begin.releasedAt };
  }
  if (begin.kind === 'active') return { kind: 'duplicate', state: begin.room.state };

  const room = begin.room;
  const alternatives = decision.kind === 'place' ? decision.alternatives.map(ref) : [];
  let first = room.target ?? planned;
  if (room.target === undefined && planned !== undefined && !(await deps.store.setTarget(room.roomId, cmd.eventId, planned))) {
    first = undefined;
  }
  const container = first ? await claimWithRetargeting(deps, room, cmd.eventId, first, alternatives) : undefined;

  const delta: { arrivals: number; readyFree?: number; queuedWeight?: number } = { arrivals: cmd.weight };
  let outcome: CreateRoomOutcome;
  const events: OutboundEvent[] = [];
  if (container) {
    const placement = { nodeId: container.nodeId, container: container.index };
    if (await deps.store.confirmPlaced(room.roomId, cmd.eventId, placement, now)) {
      const detail = placedDetail(room, pool, container, now);
      events.push({ detailType: 'RoomPlaced', detail });
      delta.readyFree = -cmd.weight;
      outcome = { kind: 'placed', placement: detail };
    } else {
      await deps.store.releaseCapacity(placement, room.roomId, room.weight);
      outcome = { kind: 'released-meanwhile' };
    }
  } else if (await deps.store.markQueued(room, cmd.eventId, now)) {
    events.push({ detailType: 'RoomQueued', detail: { roomId: room.roomId, pool: pool.name, weight: room.weight } });
    delta.queuedWeight = cmd.weight;
    outcome = { kind: 'queued', pool: pool.name };
  } else {
    outcome = { kind: 'released-meanwhile' };
  }
  await deps.publisher.publish(events);
  const summary = await deps.store.adjustSummary(pool.name, delta, now);
  await maybeScaleOut(deps, pool, summary, `${cmd.eventId}:scale-out`);
  return outcome;
}

async function reject(deps: AppDeps, roomId: string, reason: string): Promise<CreateRoomOutcome> {
  deps.logger.warn('RoomCreated rejected', { roomId, reason });
  await deps.publisher.publish([{ detailType: 'RoomRejected', detail: { roomId, reason } }]);
  return { kind: 'rejected', reason };
}

/**
 * Release a room (or leave a tombstone when its create has not arrived yet), give its capacity
 * back, and place queued rooms on what was freed.
 *
 * @param roomId - the room
 * @param eventTime - when the release happened, epoch ms
 * @param claimPrefix - prefix of claim ids for the queued rooms this release places (the event id)
 * @throws {FleetStoreError} on infrastructure failures
 */
export async function releaseRoom(deps: AppDeps, roomId: string, eventTime: number, claimPrefix: string): Promise<ReleaseRoomOutcome> {
  const now = deps.clock.now();
  const res = await deps.store.releaseRoom(roomId, eventTime, now);
  if (res.kind === 'tombstoned') return { kind: 'tombstoned' };
  if (res.kind === 'ignored') return { kind: 'ignored', reason: res.reason };
  const prev = res.previous;
  const delta: SummaryDelta & { readyFree?: number; queuedWeight?: number } = {};
  const where = prev.state === 'placed' ? prev.placement : prev.state === 'placing' ? prev.target : undefined;
  let freed = false;
  if (where) {
    const c = await deps.store.releaseCapacity(where, roomId, prev.weight);
    if (c?.accepting) {
      (delta as { readyFree: number }).readyFree = prev.weight;
      freed = true;
    }
  }
  if (prev.state === 'queued') (delta as { queuedWeight: number }).queuedWeight = -prev.weight;
  const config = await deps.config.getConfig();
  const pool = config.pools.find((p) => p.name === prev.pool);
  let placedQueued = 0;
  if (pool) {
    const summary = await deps.store.adjustSummary(pool.name, delta, now);
    if (freed && summary.queuedWeight > 0) placedQueued = await placeQueued(deps, config, pool.name, claimPrefix);
  }
  return { kind: 'released', previousState: prev.state, placedQueued };
}

/**
 * Place queued rooms of a pool, oldest first, on containers with free capacity.
 *
 * @param limit - at most this many queued rooms are looked at (capacity units are not split)
 * @returns how many rooms were placed
 */
export async function placeQueued(deps: AppDeps, config: AutoscalerConfig, poolName: string, claimPrefix: string, limit = 50): Promise<number> {
  const pool = poolByName(config, poolName);
  const queued = await deps.store.listQueued(pool.name, limit);
  let placed = 0;
  let placedWeight = 0;
  let smallestUnplaceable = Number.POSITIVE_INFINITY;
  for (const room of queued) {
    if (room.weight >= smallestUnplaceable) continue;
    const now = deps.clock.now();
    const candidates = await deps.store.findCandidates(pool.name, room.weight, Math.max(pool.placementSpread * 2, 5));
    const decision = decidePlacement(candidates, room.weight, pool.capacityPerContainer, pool.placementSpread, deps.random);
    if (decision.kind !== 'place') {
      smallestUnplaceable = Math.min(smallestUnplaceable, room.weight);
      if (room.weight <= 1) break;
      continue;
    }
    const claimId = `${claimPrefix}:${room.roomId}`;
    const target = ref(decision.candidate);
    const claimed = await deps.store.claimQueued(room.roomId, claimId, target);
    if (!claimed) continue;
    const container = await claimWithRetargeting(deps, claimed, claimId, target, decision.alternatives.map(ref));
    if (!container) {
      await deps.store.markQueued(claimed, claimId, now);
      continue;
    }
    const placement = { nodeId: container.nodeId, container: container.index };
    if (!(await deps.store.confirmPlaced(room.roomId, claimId, placement, now))) {
      await deps.store.releaseCapacity(placement, room.roomId, claimed.weight);
      continue;
    }
    await deps.publisher.publish([{ detailType: 'RoomPlaced', detail: placedDetail(claimed, pool, container, now) }]);
    placed += 1;
    placedWeight += claimed.weight;
  }
  if (placed > 0) {
    await deps.store.adjustSummary(pool.name, { queuedWeight: -placedWeight, readyFree: -placedWeight }, deps.clock.now());
  }
  return placed;
}
