import { describe, expect, it } from 'vitest';
import { makeHandler as makeRoomHandler } from '../../lambdas/room-events/index.ts';
import { makeHandler } from '../../lambdas/sweep/index.ts';
import type { ContainerRef, NodeState, RoomState } from '../../shared/domain/model.ts';
import { AutoscalerError, FleetStoreError } from '../../shared/errors.ts';
import type {
  BeginRoomResult,
  ClaimCapacityResult,
  FleetStore,
  NodeRecord,
  PoolSummary,
  ReleaseRoomResult,
  RoomRecord,
  SummaryDelta,
  SummarySnapshot,
} from '../../shared/ports/fleet-store.ts';
import { makeDeps, roomCreated, seedReadyNode, testPool, useDynalite, type HandlerTestDeps } from '../support/handlers.ts';

const dynalite = useDynalite();

/**
 * The real store, except that every pool-scoped call for one pool fails as DynamoDB would
 * (throttled): `listNodes`, `getSummary`, `listQueued`, `findCandidates`, `adjustSummary`,
 * `correctSummary`, `reserveLaunch`, `takeOverLaunch`, `settleLaunch`.
 */
class PoolFailingFleetStore implements FleetStore {
  public constructor(
    private readonly inner: FleetStore,
    private readonly brokenPool: string,
  ) {}

  private check(pool: string): void {
    if (pool === this.brokenPool) throw new FleetStoreError(`ProvisionedThroughputExceeded for pool ${pool} (test)`);
  }

  public getRoom(roomId: string): Promise<RoomRecord | undefined> {
    return this.inner.getRoom(roomId);
  }
  public reserveTenantWeight(tenantId: string, weight: number, cap: number): Promise<boolean> {
    return this.inner.reserveTenantWeight(tenantId, weight, cap);
  }
  public returnTenantWeight(tenantId: string, weight: number): Promise<void> {
    return this.inner.returnTenantWeight(tenantId, weight);
  }
  public listTenantWeights(): Promise<ReadonlyMap<string, number>> {
    return this.inner.listTenantWeights();
  }
  public setTenantWeight(tenantId: string, weight: number): Promise<void> {
    return this.inner.setTenantWeight(tenantId, weight);
  }
  public beginRoom(input: Parameters<FleetStore['beginRoom']>[0]): Promise<BeginRoomResult> {
    return this.inner.beginRoom(input);
  }
  public setTarget(roomId: string, eventId: string, target: ContainerRef): Promise<boolean> {
    return this.inner.setTarget(roomId, eventId, target);
  }
  public confirmPlaced(roomId: string, eventId: string, placement: ContainerRef, now: number): Promise<boolean> {
    return this.inner.confirmPlaced(roomId, eventId, placement, now);
  }
  public markQueued(room: Pick<RoomRecord, 'roomId' | 'pool' | 'queuedAt'>, eventId: string, now: number): Promise<boolean> {
    return this.inner.markQueued(room, eventId, now);
  }
  public async listQueued(pool: string, limit: number): Promise<readonly RoomRecord[]> {
    this.check(pool);
    return this.inner.listQueued(pool, limit);
  }
  public claimQueued(roomId: string, claimId: string, target: ContainerRef, placing?: { pool: string; now: number; leaseUntil?: number | undefined }): Promise<RoomRecord | undefined> {
    return this.inner.claimQueued(roomId, claimId, target, placing);
  }
  public async listPlacing(pool: string, claimedBefore: number, limit: number): Promise<readonly RoomRecord[]> {
    this.check(pool);
    return this.inner.listPlacing(pool, claimedBefore, limit);
  }
  public takeOverPlacing(roomId: string, claimId: string, now: number, leaseUntil: number): Promise<RoomRecord | undefined> {
    return this.inner.takeOverPlacing(roomId, claimId, now, leaseUntil);
  }
  public getRooms(roomIds: readonly string[]) {
    return this.inner.getRooms(roomIds);
  }
  public rejectQueued(roomId: string, now: number) {
    return this.inner.rejectQueued(roomId, now);
  }
  public getArrivalHistory(pool: string) {
    return this.inner.getArrivalHistory(pool);
  }
  public recordArrivalHistory(pool: string, update: Parameters<FleetStore['recordArrivalHistory']>[1]) {
    return this.inner.recordArrivalHistory(pool, update);
  }
  public releaseRoom(roomId: string, eventTime: number, now: number): Promise<ReleaseRoomResult> {
    return this.inner.releaseRoom(roomId, eventTime, now);
  }
  public listRooms(states: readonly RoomState[]): Promise<readonly RoomRecord[]> {
    return this.inner.listRooms(states);
  }
  public async findCandidates(pool: string, weight: number, limit: number) {
    this.check(pool);
    return this.inner.findCandidates(pool, weight, limit);
  }
  public claimCapacity(ref: ContainerRef, roomId: string, weight: number, now: number): Promise<ClaimCapacityResult> {
    return this.inner.claimCapacity(ref, roomId, weight, now);
  }
  public releaseCapacity(ref: ContainerRef, roomId: string, weight: number) {
    return this.inner.releaseCapacity(ref, roomId, weight);
  }
  public roomsOnNode(nodeId: string) {
    return this.inner.roomsOnNode(nodeId);
  }
  public createNode(node: NodeRecord, now: number): Promise<boolean> {
    return this.inner.createNode(node, now);
  }
  public getNode(nodeId: string) {
    return this.inner.getNode(nodeId);
  }
  public async listNodes(pool: string) {
    this.check(pool);
    return this.inner.listNodes(pool);
  }
  public transitionNode(nodeId: string, from: readonly NodeState[], to: NodeState, now: number) {
    return this.inner.transitionNode(nodeId, from, to, now);
  }
  public markReady(nodeId: string, containers: Parameters<FleetStore['markReady']>[1], now: number) {
    return this.inner.markReady(nodeId, containers, now);
  }
  public setAccepting(nodeId: string, accepting: boolean): Promise<void> {
    return this.inner.setAccepting(nodeId, accepting);
  }
  public setHot(nodeId: string, hot: boolean): Promise<void> {
    return this.inner.setHot(nodeId, hot);
  }
  public setEmptySince(nodeId: string, since: number | undefined): Promise<void> {
    return this.inner.setEmptySince(nodeId, since);
  }
  public async adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    this.check(pool);
    return this.inner.adjustSummary(pool, delta, now);
  }
  public async getSummary(pool: string, now?: number): Promise<PoolSummary> {
    this.check(pool);
    return this.inner.getSummary(pool, now);
  }
  public async correctSummary(pool: string, exact: SummarySnapshot, read: PoolSummary, now: number, windowMs: number): Promise<void> {
    this.check(pool);
    return this.inner.correctSummary(pool, exact, read, now, windowMs);
  }
  public async reserveLaunch(pool: string, decisionId: string, nodes: number, capacityPerNode: number, now: number, leaseUntil?: number): Promise<boolean> {
    this.check(pool);
    return this.inner.reserveLaunch(pool, decisionId, nodes, capacityPerNode, now, leaseUntil);
  }
  public async takeOverLaunch(pool: string, decisionId: string, now: number, leaseUntil: number): Promise<boolean> {
    this.check(pool);
    return this.inner.takeOverLaunch(pool, decisionId, now, leaseUntil);
  }
  public async settleLaunch(pool: string, decisionId: string, launched: number): Promise<boolean> {
    this.check(pool);
    return this.inner.settleLaunch(pool, decisionId, launched);
  }
}

const IDLE_GRACE_MS = 600_000;

/** A room queued as createRoom leaves it when nothing fits (room item, queue index, summary). */
async function seedQueuedRoom(deps: HandlerTestDeps, roomId: string, pool: string, weight: number): Promise<void> {
  const now = deps.clock.now();
  const eventId = `seed:${roomId}`;
  const begin = await deps.store.beginRoom({ roomId, pool, weight, eventId, eventTime: now, now });
  if (begin.kind !== 'claimed' || !(await deps.store.markQueued(begin.room, eventId, now))) throw new Error(`could not queue ${roomId}`);
  await deps.store.adjustSummary(pool, { arrivals: weight, queuedWeight: weight }, now);
}

function config(): unknown {
  return {
    defaultPool: 'alpha',
    pools: [
      testPool({ name: 'alpha', minNodes: 1, idleGraceMs: IDLE_GRACE_MS }),
      testPool({ name: 'broken', minNodes: 1 }),
      testPool({ name: 'beta', minNodes: 2 }),
    ],
  };
}

/** Deps whose store fails for pool `broken`; seeding goes straight to the real store. */
function deps(): { d: HandlerTestDeps; seed: HandlerTestDeps } {
  const seed = makeDeps({ store: dynalite.store, config: config() });
  const d = makeDeps({ store: new PoolFailingFleetStore(dynalite.store, 'broken'), config: config(), clock: seed.clock });
  return { d, seed };
}

describe('Function: sweep makeHandler', () => {
  it('sweeps the other pools when one pool fails and lists per-pool counts', async () => {
    // Prepare
    const { d, seed } = deps();
    // alpha: A hosts a room (best fit, ties by node id), B is empty surplus (drained), C is draining
    // and idle past the grace (terminated).
    await seedReadyNode(seed, 'i-0a0000000000000a1', { pool: 'alpha', octet: 1 });
    await seedReadyNode(seed, 'i-0a0000000000000b1', { pool: 'alpha', octet: 2 });
    await seedReadyNode(seed, 'i-0a0000000000000c1', { pool: 'alpha', octet: 3 });
    await seed.store.transitionNode('i-0a0000000000000c1', ['ready'], 'draining', seed.clock.now());
    await seed.store.setAccepting('i-0a0000000000000c1', false);
    await seed.store.setEmptySince('i-0a0000000000000c1', seed.clock.now());
    await makeRoomHandler(seed)(roomCreated('evt-alpha-room', { roomId: 'room-alpha', pool: 'alpha' }));
    // beta: one queued room and then one ready node; minNodes 2 wants one more node.
    await seedQueuedRoom(seed, 'room-beta', 'beta', 4);
    await seedReadyNode(seed, 'i-0b0000000000000a1', { pool: 'beta', octet: 4 });
    d.compute.fleet.push(...seed.compute.fleet); // the seeded nodes' instances run
    d.clock.advance(IDLE_GRACE_MS + 1);

    // Act
    const result = await makeHandler(d)({ source: 'aws.scheduler' });

    // Assess
    expect(result.pools).toEqual([
      { pool: 'alpha', terminated: 1, drained: 1, launched: 0, placedQueued: 0 },
      { pool: 'beta', terminated: 0, drained: 0, launched: 1, placedQueued: 1 },
    ]);
    expect(d.compute.terminations).toEqual([['i-0a0000000000000c1']]);
    expect(d.compute.launches.map((l) => ({ pool: l.pool.name, count: l.count }))).toEqual([{ pool: 'beta', count: 1 }]);
    expect(seed.compute.launches).toEqual([]);
    expect((await seed.store.getNode('i-0a0000000000000c1'))?.state).toBe('terminating');
    expect((await seed.store.getNode('i-0a0000000000000b1'))?.state).toBe('draining');
    expect((await seed.store.getNode('i-0a0000000000000a1'))?.state).toBe('ready');
    expect(await seed.store.getRoom('room-beta')).toMatchObject({ state: 'placed', placement: { nodeId: 'i-0b0000000000000a1' } });
    expect(d.publisher.ofType('RoomPlaced').map((p) => p.roomId)).toEqual(['room-beta']);
    const errors = d.logger.entries.filter((e) => e.level === 'error');
    expect(errors).toEqual([{ level: 'error', message: 'sweep failed', extra: [expect.objectContaining({ pool: 'broken' })] }]);
  });

  it('terminates a fleet instance the store does not know once it is older than the ready timeout', async () => {
    // Prepare
    const d = makeDeps({ store: dynalite.store, config: { pools: [testPool()] } });
    await seedReadyNode(d, 'i-0e0000000000000a1');
    d.compute.fleet.push(
      { instanceId: 'i-0e0000000000000a1', pool: 'default', state: 'running', instanceType: 'c6i.2xlarge', launchTime: d.clock.now() },
      { instanceId: 'i-0e00000000000orph', pool: 'default', state: 'running', instanceType: 'c6i.2xlarge', launchTime: d.clock.now() - 2 * 3_600_000 },
    );

    // Act
    await makeHandler(d)({});

    // Assess
    expect(d.compute.terminations.flat()).toEqual(['i-0e00000000000orph']);
  });

  it('throws a retryable AutoscalerError when every pool fails', async () => {
    // Prepare
    const seed = makeDeps({ store: dynalite.store, config: { defaultPool: 'broken', pools: [testPool({ name: 'broken' })] } });
    const d = makeDeps({ store: new PoolFailingFleetStore(dynalite.store, 'broken'), config: { defaultPool: 'broken', pools: [testPool({ name: 'broken' })] } });
    await seedReadyNode(seed, 'i-0c0000000000000a1', { pool: 'broken' });

    // Act
    const error = await makeHandler(d)({}).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AutoscalerError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('broken: ProvisionedThroughputExceeded') });
  });

  it('returns an empty pool with zero counts when there is nothing to do', async () => {
    // Prepare
    const d = makeDeps({ store: dynalite.store, config: { pools: [testPool()] } });

    // Act
    const result = await makeHandler(d)(undefined);

    // Assess
    expect(result).toEqual({ pools: [{ pool: 'default', terminated: 0, drained: 0, launched: 0, placedQueued: 0 }] });
    expect(d.compute.launches).toEqual([]);
    expect(d.publisher.events).toEqual([]);
  });
});
