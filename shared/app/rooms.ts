/**
 * Room use cases: create (place or queue) and placing queued rooms (the release: room-release.ts).
 *
 * Placement protocol (no transactions):
 * 1. Query the placement index for best-fit candidates (1 round trip).
 * 2. Claim the room id, recording the chosen target (1): duplicates, stale creates and reconnects
 *    are decided here.
 * 3. Claim capacity on the target container with one conditional UpdateItem (1); on a lost race
 *    re-target to the next candidate; after a lost round, query again (bounded).
 * 4. Announce it (`RoomPlaced`), then confirm the room as placed (1): announced first, a crash
 *    between leaves a `placing` room the retry or the sweep announces again (see
 *    {@link announcePlaced}); if it was released meanwhile, give the capacity back.
 * 5. Update the pool summary (arrivals, counters) and decide scale-out from it (1).
 *
 * A `placing` claim is a lease that ends with its owner's deadline (`leaseUntil`, the function
 * timeout of the invocation that took it). Once it has ended, any drain of the queue (a release,
 * `NodeReady`, the sweep, a retry of the create) takes the room over: finishes its placement
 * where its target holds it, or places or queues it again. The queue is first come, first served
 * by first delivery (`requestedAt`), whatever retry or repair queues a room again.
 *
 * @module
 */
import { poolByName, type AutoscalerConfig, type PoolConfig } from '../domain/config.ts';
import type { ContainerRef, ContainerView } from '../domain/model.ts';
import { decidePlacement } from '../domain/placement.ts';
import type { OutboundEvent, RoomPlacedDetail } from '../events/schemas.ts';
import { DEFAULT_PLACING_LEASE_MS, type RoomRecord } from '../ports/fleet-store.ts';
import type { AppDeps } from './deps.ts';
import { publishRoomRejected } from './rejections.ts';
import type { RoomHints } from './lifetimes.ts';
import { decideWithLifetime } from './room-ends.ts';
import { admitRoom, returnReservation } from './room-limits.ts';
import { maybeScaleOut } from './scaling-executor.ts';

/** Containers one placement round tries (re-targeting after each lost conditional race). */
export const MAX_PLACEMENT_ATTEMPTS = 4;

/** A validated create command, with the `RoomCreated` lifetime hints (lifetimes.ts). */
export interface CreateRoomCommand extends RoomHints {
  readonly roomId: string;
  /** Capacity units (≥ 1). */
  readonly weight: number;
  readonly pool?: string | undefined;
  readonly tenantId?: string | undefined;
  /** EventBridge event id (idempotency and claim owner). */
  readonly eventId: string;
  /** When the create happened, epoch ms. */
  readonly eventTime: number;
  /**
   * When the invocation handling it times out, epoch ms: the end of the lease on the room's
   * `placing` claim (default: now + {@link DEFAULT_PLACING_LEASE_MS}).
   */
  readonly leaseUntil?: number | undefined;
}

/** The end of a lease taken now: the invocation's deadline, or now + {@link DEFAULT_PLACING_LEASE_MS}. */
export function leaseEnd(now: number, deadline?: number): number {
  return deadline ?? now + DEFAULT_PLACING_LEASE_MS;
}

/** What happened to a create. */
export type CreateRoomOutcome =
  | { readonly kind: 'placed'; readonly placement: RoomPlacedDetail }
  | { readonly kind: 'queued'; readonly pool: string }
  | { readonly kind: 'stale'; readonly releasedAt: number }
  | { readonly kind: 'duplicate'; readonly state: string }
  | { readonly kind: 'released-meanwhile' }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Public WebSocket URL of a container: `wss://<public IP or private IP>:<wssPort>`. */
export function wssUrl(container: Pick<ContainerView, 'publicIp' | 'privateIp'>, pool: PoolConfig): string | undefined {
  const host = container.publicIp ?? container.privateIp;
  return host ? `wss://${host}:${pool.wssPort}` : undefined;
}

/** The `RoomPlaced` detail of a room on a container; `waitedMs` = now − first delivery. */
export function placedDetail(room: Pick<RoomRecord, 'roomId' | 'weight' | 'requestedAt'>, pool: PoolConfig, c: ContainerView, now: number): RoomPlacedDetail {
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

/** Waiting rooms a create that placed its own room looks at (bounds its extra work). */
export const CREATE_DRAIN_LIMIT = 10;

/** Re-query rounds before a room is queued: a burst may lose every race of one round. */
export const MAX_PLACEMENT_ROUNDS = 5;

/** How many candidates one placement query reads (the spread plus retries). */
export function candidateLimit(pool: Pick<PoolConfig, 'placementSpread'>): number {
  return Math.max(pool.placementSpread * 3, 8);
}

const sameRef = (a: ContainerRef | undefined, b: ContainerRef | undefined) => a !== undefined && b !== undefined && a.nodeId === b.nodeId && a.container === b.container;

/**
 * Claim capacity for a room: try each container of `tries` in order, re-targeting the room
 * record before each claim on a container it does not point at; when a whole round is lost,
 * query the placement index again (at most {@link MAX_PLACEMENT_ROUNDS} rounds).
 *
 * @param stored - the target the room record points at now (undefined: none)
 * @param tries - containers to try, best first (the stored target first on a retry)
 * @returns the container that holds the room, or undefined (queue it)
 */
async function claimWithRetargeting(
  deps: AppDeps,
  pool: PoolConfig,
  room: Pick<RoomRecord, 'roomId' | 'weight'>,
  claimId: string,
  stored: ContainerRef | undefined,
  firstTries: readonly ContainerRef[],
  expectedEndAt?: number,
): Promise<ContainerView | undefined> {
  const now = deps.clock.now();
  let targeted = stored;
  let options = [...firstTries];
  for (let round = 0; round < MAX_PLACEMENT_ROUNDS; round++) {
    for (let attempt = 0; attempt < MAX_PLACEMENT_ATTEMPTS && options.length > 0; attempt++) {
      // The first try is the policy's pick. After a lost race the others are herding on the same
      // best fits: every loser walking the alternatives in the same best-fit order would collide
      // again, so each next try is a uniform pick among the remaining fits (random drawn only then).
      const i = attempt === 0 ? 0 : Math.min(options.length - 1, Math.floor(deps.random() * options.length));
      const target = options[i] as ContainerRef;
      options = options.filter((_, k) => k !== i);
      if (!sameRef(target, targeted)) {
        if (!(await deps.store.setTarget(room.roomId, claimId, target))) return undefined;
        targeted = target;
      }
      // Only the target recorded before this call (a crashed earlier attempt's) can already hold
      // the room: elsewhere a lost condition is a plain conflict, with no read to tell them apart.
      const res = await deps.store.claimCapacity(target, room.roomId, room.weight, now, { mayHold: sameRef(target, stored), pool: pool.name, expectedEndAt });
      if (res.kind !== 'conflict') return res.container;
    }
    if (round + 1 === MAX_PLACEMENT_ROUNDS || firstTries.length === 0) break;
    // Lost a whole round: query again, reading twice as many fits each round, and spread over
    // all of them (the racers that read the same few best fits keep colliding otherwise).
    const fresh = await deps.store.findCandidates(pool.name, room.weight, candidateLimit(pool) * 2 ** (round + 1));
    const decision = decidePlacement(fresh, room.weight, pool.capacityPerContainer, fresh.length, deps.random);
    if (decision.kind !== 'place') break;
    options = [ref(decision.candidate), ...decision.alternatives.map(ref)];
  }
  return undefined;
}

const ref = (c: Pick<ContainerView, 'nodeId' | 'index'>): ContainerRef => ({ nodeId: c.nodeId, container: c.index });

/**
 * Place a room on a container with free capacity, or queue it, and scale out when headroom is
 * short. Idempotent for a redelivered event; a create older than a seen release is `stale`.
 *
 * @returns the outcome (its events are already published)
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (retry the event)
 */
export async function createRoom(deps: AppDeps, cmd: CreateRoomCommand): Promise<CreateRoomOutcome> {
  const config = await deps.config.getConfig();
  const poolName = cmd.pool ?? config.defaultPool;
  const pool = config.pools.find((p) => p.name === poolName);
  const now = deps.clock.now();
  if (!pool) return reject(deps, cmd.roomId, `unknown pool "${poolName}"`);

  const candidates = await deps.store.findCandidates(pool.name, cmd.weight, candidateLimit(pool));
  const decision = await decideWithLifetime(deps, pool, candidates, cmd.weight, { pool: pool.name, createdAt: cmd.eventTime, kind: cmd.kind, expectedDurationMs: cmd.expectedDurationMs }, now);
  if (decision.kind === 'reject') {
    return reject(deps, cmd.roomId, `weight ${cmd.weight} exceeds a container's capacity (${pool.capacityPerContainer} units)`);
  }
  // Tenant limits (room-limits.ts): the allow-list, then the weight reserved against the cap.
  const admission = await admitRoom(deps, config, { roomId: cmd.roomId, weight: cmd.weight, tenantId: cmd.tenantId, pool: pool.name });
  if (admission.kind === 'rejected') {
    deps.logger.warn('RoomCreated over a limit', { roomId: cmd.roomId, tenantId: cmd.tenantId, limit: admission.rejection.reason, detail: admission.rejection.message });
    return reject(deps, cmd.roomId, admission.rejection.reason);
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
    leaseUntil: leaseEnd(now, cmd.leaseUntil),
    kind: cmd.kind, expectedDurationMs: cmd.expectedDurationMs,
  });
  if (admission.reserved && begin.kind !== 'claimed') await returnReservation(deps, cmd);
  if (begin.kind === 'stale') {
    deps.logger.info('stale RoomCreated ignored', { roomId: cmd.roomId, releasedAt: begin.releasedAt });
    return { kind: 'stale', releasedAt: begin.releasedAt };
  }
  if (begin.kind === 'active') {
    if (begin.room.eventId === cmd.eventId) {
      // A retry of this very event: its first attempt may have crashed after placing or queueing
      // the room. Answer again, and decide scale-out again under the same decision id (a launch
      // that ran but was not recorded returns the same instances, by their ClientToken).
      await republish(deps, pool, begin.room);
      await maybeScaleOut(deps, pool, await deps.store.getSummary(pool.name), `${cmd.eventId}:scale-out`, cmd.leaseUntil);
    }
    // Still `placing` under someone else's claim (a drain took it over, then crashed): this
    // delivery is a drain too. Rooms whose lease has ended are taken over, first come first
    // served (one Query; nothing when the owner is still within its lease).
    if (begin.room.state === 'placing') await placeQueued(deps, config, pool.name, cmd.eventId, CREATE_DRAIN_LIMIT, cmd.leaseUntil, false);
    return { kind: 'duplicate', state: begin.room.state };
  }

  const room = begin.room;
  const alternatives = decision.kind === 'place' ? decision.alternatives.map(ref) : [];
  // A retry tries first the target its first attempt recorded (the claim there may have succeeded).
  const first = room.target ?? planned;
  const tries = first ? [first, ...alternatives.filter((a) => !sameRef(a, first))] : [];
  const container = await claimWithRetargeting(deps, pool, room, cmd.eventId, room.target, tries, decision.expectedEndAt);

  const delta: { arrivals: number; readyFree?: number; queuedWeight?: number } = { arrivals: cmd.weight };
  let outcome: CreateRoomOutcome;
  const events: OutboundEvent[] = [];
  if (container) {
    const { detail, confirmed } = await announcePlaced(deps, pool, room, cmd.eventId, container, now);
    if (confirmed) {
      delta.readyFree = -cmd.weight;
      outcome = { kind: 'placed', placement: detail };
    } else {
      await releaseUnconfirmed(deps, ref(container), room);
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
  await maybeScaleOut(deps, pool, summary, `${cmd.eventId}:scale-out`, cmd.leaseUntil);
  // Capacity was free: place who waited before this room now (stranded claims always, one Query;
  // queued rooms when the summary counts some), not at the next release, NodeReady or sweep.
  if (outcome.kind === 'placed') await placeQueued(deps, config, pool.name, cmd.eventId, CREATE_DRAIN_LIMIT, cmd.leaseUntil, summary.queuedWeight > 0);
  return outcome;
}

/**
 * Announce a claimed placement, then record it: publish `RoomPlaced`, then confirm the room as
 * placed on the container that holds it. Every path that makes a room `placed` goes through here.
 *
 * The order is what makes the answer crash-safe: once `placed` is written the room leaves the
 * placing index, and nothing would announce it again if the invocation crashed (or its publish
 * failed) before a later publish — a release placing a queued room is not redone by its retry,
 * a sweep is not retried at all. Publishing first, a crash before the confirm leaves the room
 * `placing` with its target holding it, which the retry or the sweep's repair announces again
 * (at-least-once; applications dedupe by room id). A confirm that fails (the room was released
 * meanwhile) has announced a room its application no longer wants, which it ignores.
 *
 * @param claimId - the claim the room record carries (the event id, or a queue claim's id)
 * @returns the published detail, and whether the room is now placed on `container`
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (the room stays `placing`)
 */
export async function announcePlaced(
  deps: AppDeps,
  pool: PoolConfig,
  room: Pick<RoomRecord, 'roomId' | 'weight' | 'requestedAt'>,
  claimId: string,
  container: ContainerView,
  now: number,
): Promise<{ readonly detail: RoomPlacedDetail; readonly confirmed: boolean }> {
  const detail = placedDetail(room, pool, container, now);
  await deps.publisher.publish([{ detailType: 'RoomPlaced', detail }]);
  return { detail, confirmed: await deps.store.confirmPlaced(room.roomId, claimId, ref(container), now) };
}

/**
 * Give back a hold whose confirm failed — unless the room is still meant to be there: placed on
 * it, or `placing` under a drain that took it over with this container as target (that drain
 * found the hold and announces it).
 */
async function releaseUnconfirmed(deps: AppDeps, where: ContainerRef, room: Pick<RoomRecord, 'roomId' | 'weight'>): Promise<void> {
  const now = await deps.store.getRoom(room.roomId);
  if (now?.state === 'placed' && sameRef(now.placement, where)) return;
  if (now?.state === 'placing' && sameRef(now.target, where)) return;
  await deps.store.releaseCapacity(where, room.roomId, room.weight);
}

/** What {@link takeOverStranded} left. */
export type TakeOverResult =
  /** Its target held it: announced and confirmed there. */
  | { readonly kind: 'placed'; readonly room: RoomRecord }
  /** Ours (`placing` under the new claim), holding nothing: place or queue it. */
  | { readonly kind: 'free'; readonly room: RoomRecord };

/**
 * Take over a `placing` room whose lease has ended and finish what its owner left: announce it
 * where its target holds it on a ready or draining node; otherwise give that hold back.
 *
 * @returns what is left to do, or undefined when another drain has the room or it moved on
 */
export async function takeOverStranded(
  deps: AppDeps,
  pool: PoolConfig,
  room: Pick<RoomRecord, 'roomId'>,
  claimId: string,
  now: number,
  leaseUntil: number,
): Promise<TakeOverResult | undefined> {
  const taken = await deps.store.takeOverPlacing(room.roomId, claimId, now, leaseUntil);
  if (!taken) return undefined;
  const target = taken.target;
  const node = target ? await deps.store.getNode(target.nodeId) : undefined;
  const container = node?.containers.find((c) => c.index === target?.container);
  const held = container?.rooms?.[taken.roomId];
  if (target && container && held !== undefined) {
    if (node && (node.state === 'ready' || node.state === 'draining')) {
      // Announced before the confirm: a crash between them leaves the room here for the next drain.
      if ((await announcePlaced(deps, pool, taken, claimId, container, now)).confirmed) return { kind: 'placed', room: taken };
      await releaseUnconfirmed(deps, target, taken);
      return undefined;
    }
    await deps.store.releaseCapacity(target, taken.roomId, held);
  }
  return { kind: 'free', room: taken };
}

/**
 * The same event again, its room already placed or queued: a retry after the first attempt
 * failed to publish. Publish the answer again so the application learns it (at-least-once).
 */
async function republish(deps: AppDeps, pool: PoolConfig, room: RoomRecord): Promise<void> {
  if (room.state === 'queued') {
    await deps.publisher.publish([{ detailType: 'RoomQueued', detail: { roomId: room.roomId, pool: pool.name, weight: room.weight } }]);
    return;
  }
  if (room.state !== 'placed' || !room.placement) return;
  const node = await deps.store.getNode(room.placement.nodeId);
  const container = node?.containers.find((c) => c.index === room.placement?.container);
  if (!container) return;
  await deps.publisher.publish([{ detailType: 'RoomPlaced', detail: placedDetail(room, pool, container, room.placedAt ?? deps.clock.now()) }]);
}

async function reject(deps: AppDeps, roomId: string, reason: string): Promise<CreateRoomOutcome> {
  deps.logger.warn('RoomCreated rejected', { roomId, reason });
  await publishRoomRejected(deps.publisher, [{ roomId, reason }]);
  return { kind: 'rejected', reason };
}

/**
 * Place waiting rooms of a pool, first delivered first, on containers with free capacity: queued
 * rooms, and `placing` rooms whose lease has ended (their owner crashed or timed out), which it
 * takes over ({@link takeOverStranded}) and queues again when nothing fits.
 *
 * @param limit - at most this many waiting rooms are looked at (capacity units are not split)
 * @param leaseUntil - the caller's deadline, epoch ms (the lease on the rooms it claims)
 * @param readQueued - false: only stranded claims (the caller knows no room is queued)
 * @returns how many rooms were placed
 */
export async function placeQueued(deps: AppDeps, config: AutoscalerConfig, poolName: string, claimPrefix: string, limit = 50, leaseUntil?: number, readQueued = true): Promise<number> {
  const pool = poolByName(config, poolName);
  const started = deps.clock.now();
  const lease = leaseEnd(started, leaseUntil);
  const [queued, stranded] = await Promise.all([readQueued ? deps.store.listQueued(pool.name, limit) : [], deps.store.listPlacing(pool.name, started, limit)]);
  const waiting = [...queued, ...stranded].sort((a, b) => a.requestedAt - b.requestedAt || (a.roomId < b.roomId ? -1 : 1)).slice(0, limit);
  let placed = 0;
  let placedWeight = 0;
  let smallestUnplaceable = Number.POSITIVE_INFINITY;
  for (const room of waiting) {
    if (room.weight >= smallestUnplaceable) continue;
    const now = deps.clock.now();
    const claimId = `${claimPrefix}:${room.roomId}`;
    let owned: RoomRecord | undefined;
    if (room.state === 'placing') {
      const taken = await takeOverStranded(deps, pool, room, claimId, now, lease);
      if (!taken) continue;
      if (taken.kind === 'placed') {
        placed += 1;
        placedWeight += taken.room.weight;
        continue;
      }
      owned = taken.room;
    }
    const candidates = await deps.store.findCandidates(pool.name, room.weight, candidateLimit(pool));
    const decision = await decideWithLifetime(deps, pool, candidates, room.weight, room, now);
    if (decision.kind !== 'place') {
      smallestUnplaceable = Math.min(smallestUnplaceable, room.weight);
      if (owned) await requeue(deps, pool, owned, claimId, now);
      if (room.weight <= 1) break;
      continue;
    }
    const target = ref(decision.candidate);
    const claimed = owned ?? (await deps.store.claimQueued(room.roomId, claimId, target, { pool: pool.name, now, leaseUntil: lease }));
    if (!claimed) continue;
    const stored = owned ? owned.target : target;
    const container = await claimWithRetargeting(deps, pool, claimed, claimId, stored, [target, ...decision.alternatives.map(ref)], decision.expectedEndAt);
    if (!container) {
      if (owned) await requeue(deps, pool, claimed, claimId, now);
      else await deps.store.markQueued(claimed, claimId, now);
      continue;
    }
    if (!(await announcePlaced(deps, pool, claimed, claimId, container, now)).confirmed) {
      await releaseUnconfirmed(deps, ref(container), claimed);
      continue;
    }
    placed += 1;
    placedWeight += claimed.weight;
  }
  if (placed > 0) {
    await deps.store.adjustSummary(pool.name, { queuedWeight: -placedWeight, readyFree: -placedWeight }, deps.clock.now());
  }
  return placed;
}

/**
 * Place a room this claim owns (`placing` under `claimId`, holding nothing) on the best fit now.
 *
 * @returns true when placed and announced; false when nothing fits or the claim was lost (the
 *   caller queues it again, which fails harmlessly when the claim was lost)
 */
export async function placeOwned(deps: AppDeps, pool: PoolConfig, room: RoomRecord, claimId: string, now: number): Promise<boolean> {
  const candidates = await deps.store.findCandidates(pool.name, room.weight, candidateLimit(pool));
  const decision = await decideWithLifetime(deps, pool, candidates, room.weight, room, now);
  if (decision.kind !== 'place') return false;
  const target = ref(decision.candidate);
  const container = await claimWithRetargeting(deps, pool, room, claimId, room.target, [target, ...decision.alternatives.map(ref)], decision.expectedEndAt);
  if (!container) return false;
  if ((await announcePlaced(deps, pool, room, claimId, container, now)).confirmed) return true;
  await releaseUnconfirmed(deps, ref(container), room);
  return false;
}

/** Queue a taken-over room again (in its place by first delivery) and tell its application. */
export async function requeue(deps: AppDeps, pool: PoolConfig, room: RoomRecord, claimId: string, now: number): Promise<boolean> {
  if (!(await deps.store.markQueued(room, claimId, now))) return false;
  await deps.publisher.publish([{ detailType: 'RoomQueued', detail: { roomId: room.roomId, pool: pool.name, weight: room.weight } }]);
  return true;
}
