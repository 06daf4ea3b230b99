/**
 * `FleetStore` in process memory, with the semantics of {@link DynamoDbFleetStore} item for item:
 * the same conditions on every write (placement is a conditional claim on the container), the
 * same outcomes for lost races, the same sparse "indexes" (a container is a placement candidate
 * only while accepting; terminated nodes leave the pool's node list; a room is in the queue only
 * while queued). The shared store contract (`test/shared/adapters/fleet-store-contract.test.ts`)
 * runs against both.
 *
 * Use: the benchmark replays week-long traces through the real use cases (`shared/app`) and
 * policy (`shared/domain`) in seconds instead of the tens of minutes HTTP round trips to dynalite
 * take; unit tests that need a store but not DynamoDB. Not for production: nothing is durable.
 *
 * Every method is atomic (no `await` between a condition and its write), as one DynamoDB
 * `UpdateItem` is. Returned values are copies: callers cannot alter stored state.
 *
 * @module
 */
import type { ContainerRef, ContainerView, NodeState, NodeView, RoomState } from '../../shared/domain/model.ts';
import {
  DEFAULT_PLACING_LEASE_MS,
  type ArrivalHistory,
  type ArrivalHistoryUpdate,
  type BeginRoomResult,
  type ClaimCapacityResult,
  type FleetStore,
  type NodeRecord,
  type PoolSummary,
  type ReleaseRoomResult,
  type RoomRecord,
  type SummaryDelta,
  type SummarySnapshot,
} from '../../shared/ports/fleet-store.ts';
import {
  byQsk,
  placingPk,
  queuePk,
  queueSk,
  toContainer,
  toNodeView,
  toRoom,
  type MemContainer,
  type MemNode,
  type MemRoom,
} from './memory-records.ts';
import { MemoryPeakHistory } from './memory-peak-history.ts';
import { MemoryPoolSummaryStore } from './memory-summary-store.ts';

/**
 * The fleet store in memory.
 *
 * @example
 * const store = new MemoryFleetStore();
 * await store.createNode({ nodeId: 'i-1', pool: 'default', state: 'launching', … }, now);
 */
export class MemoryFleetStore implements FleetStore {
  private readonly rooms = new Map<string, MemRoom>();
  private readonly nodes = new Map<string, MemNode>();
  /** Containers by node id, then index. */
  private readonly containers = new Map<string, Map<number, MemContainer>>();
  /** Pool summaries (sharded counters, minute buckets, draining nodes). */
  private readonly summaries = new MemoryPoolSummaryStore();
  private readonly histories = new Map<string, { slots: Map<string, number>; throughMinute?: number | undefined }>();

  // ------------------------------------------------------------------------------------ rooms

  public async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const r = this.rooms.get(roomId);
    return r ? toRoom(r) : undefined;
  }

  public async beginRoom(input: Parameters<FleetStore['beginRoom']>[0]): Promise<BeginRoomResult> {
    const { roomId, pool, weight, eventId, eventTime, now, target, tenantId } = input;
    const leaseUntil = input.leaseUntil ?? now + DEFAULT_PLACING_LEASE_MS;
    const old = this.rooms.get(roomId);
    if (old === undefined || (old.state === 'released' && old.releasedAt !== undefined && old.releasedAt < eventTime)) {
      const room: MemRoom = {
        roomId,
        state: 'placing',
        pool,
        weight,
        eventId,
        createdAt: eventTime,
        requestedAt: now,
        target: target ? { ...target } : undefined,
        tenantId: tenantId || undefined,
        kind: input.kind || undefined, expectedDurationMs: input.expectedDurationMs,
        leaseUntil,
        qpk: placingPk(pool),
        qsk: queueSk(leaseUntil, roomId),
      };
      this.rooms.set(roomId, room);
      return { kind: 'claimed', room: toRoom(room) };
    }
    const room = toRoom(old);
    if (old.state === 'released') return { kind: 'stale', releasedAt: old.releasedAt ?? 0 };
    if (old.state === 'placing' && old.eventId === eventId) {
      // A retry of the claim's own event renews the lease.
      old.leaseUntil = leaseUntil;
      old.qsk = queueSk(leaseUntil, roomId);
      return { kind: 'claimed', room: toRoom(old) };
    }
    // A later create of a room still active: its session now starts there (an older release is ignored).
    if ((old.createdAt ?? 0) < eventTime) old.createdAt = eventTime;
    return { kind: 'active', room };
  }

  public async takeOverPlacing(roomId: string, claimId: string, now: number, leaseUntil: number): Promise<RoomRecord | undefined> {
    const r = this.rooms.get(roomId);
    if (!r || r.state !== 'placing' || (r.leaseUntil !== undefined && r.leaseUntil > now)) return undefined;
    r.eventId = claimId;
    r.leaseUntil = leaseUntil;
    r.qsk = queueSk(leaseUntil, roomId);
    return toRoom(r);
  }

  public async setTarget(roomId: string, eventId: string, target: ContainerRef): Promise<boolean> {
    const r = this.rooms.get(roomId);
    if (!r || r.state !== 'placing' || r.eventId !== eventId) return false;
    r.target = { ...target };
    return true;
  }

  public async confirmPlaced(roomId: string, eventId: string, placement: ContainerRef, now: number): Promise<boolean> {
    const r = this.rooms.get(roomId);
    if (!r || r.state !== 'placing' || r.eventId !== eventId) return false;
    r.state = 'placed';
    r.placement = { ...placement };
    r.placedAt = now;
    r.target = undefined;
    r.leaseUntil = undefined;
    r.qpk = undefined;
    r.qsk = undefined;
    return true;
  }

  public async markQueued(room: Parameters<FleetStore['markQueued']>[0], eventId: string, now: number): Promise<boolean> {
    const r = this.rooms.get(room.roomId);
    if (!r || r.state !== 'placing' || r.eventId !== eventId) return false;
    const queuedAt = room.queuedAt ?? now;
    r.state = 'queued';
    r.queuedAt = queuedAt;
    r.qpk = queuePk(room.pool);
    r.qsk = queueSk(room.requestedAt ?? queuedAt, room.roomId);
    r.target = undefined;
    r.leaseUntil = undefined;
    return true;
  }

  public async listQueued(pool: string, limit: number): Promise<readonly RoomRecord[]> {
    const key = queuePk(pool);
    return [...this.rooms.values()]
      .filter((r) => r.qpk === key)
      .sort(byQsk)
      .slice(0, limit)
      .map(toRoom);
  }

  public async claimQueued(
    roomId: string,
    claimId: string,
    target: ContainerRef,
    placing?: { readonly pool: string; readonly now: number; readonly leaseUntil?: number | undefined },
  ): Promise<RoomRecord | undefined> {
    const r = this.rooms.get(roomId);
    if (!r || r.state !== 'queued') return undefined;
    r.state = 'placing';
    r.eventId = claimId;
    r.target = { ...target };
    if (placing) {
      r.leaseUntil = placing.leaseUntil ?? placing.now + DEFAULT_PLACING_LEASE_MS;
      r.qpk = placingPk(placing.pool);
      r.qsk = queueSk(r.leaseUntil, roomId);
    } else r.qpk = undefined;
    return toRoom(r);
  }

  public async listPlacing(pool: string, leaseEndedBy: number, limit: number): Promise<readonly RoomRecord[]> {
    const key = placingPk(pool);
    const before = queueSk(leaseEndedBy + 1, '');
    return [...this.rooms.values()]
      .filter((r) => r.qpk === key && (r.qsk ?? '') < before)
      .sort(byQsk)
      .slice(0, limit)
      .filter((r) => r.state === 'placing')
      .map(toRoom);
  }

  public async getRooms(roomIds: readonly string[]): Promise<ReadonlyMap<string, RoomRecord>> {
    const found = new Map<string, RoomRecord>();
    for (const id of roomIds) {
      const r = this.rooms.get(id);
      if (r) found.set(id, toRoom(r));
    }
    return found;
  }

  public async rejectQueued(roomId: string, now: number): Promise<RoomRecord | undefined> {
    const r = this.rooms.get(roomId);
    if (!r || r.state !== 'queued') return undefined;
    const before = toRoom(r);
    r.state = 'released';
    r.releasedAt = now;
    r.qpk = undefined;
    r.qsk = undefined;
    return before;
  }

  public async releaseRoom(roomId: string, eventTime: number, now: number): Promise<ReleaseRoomResult> {
    void now;
    const old = this.rooms.get(roomId);
    if (old === undefined) {
      this.rooms.set(roomId, { roomId, state: 'released', releasedAt: eventTime });
      return { kind: 'tombstoned' };
    }
    const applies =
      (old.state !== 'released' && old.createdAt !== undefined && old.createdAt <= eventTime) ||
      (old.state === 'released' && old.releasedAt !== undefined && old.releasedAt < eventTime);
    if (!applies) return { kind: 'ignored', reason: old.state === 'released' ? 'already-released' : 'older-than-create' };
    const previous = toRoom(old);
    old.state = 'released';
    old.releasedAt = eventTime;
    old.qpk = undefined;
    old.qsk = undefined;
    if (previous.state === 'released') return { kind: 'ignored', reason: 'already-released' };
    return { kind: 'released', previous };
  }

  public async listRooms(states: readonly RoomState[]): Promise<readonly RoomRecord[]> {
    return [...this.rooms.values()].filter((r) => states.includes(r.state)).map(toRoom);
  }

  // -------------------------------------------------------------------------------- capacity

  public async findCandidates(pool: string, weight: number, limit: number): Promise<readonly ContainerView[]> {
    const out: MemContainer[] = [];
    for (const byIndex of this.containers.values()) {
      for (const c of byIndex.values()) if (c.inPlacement && c.pool === pool && c.free >= weight) out.push(c);
    }
    return out
      .sort((a, b) => a.free - b.free || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0) || a.index - b.index)
      .slice(0, limit)
      .map(toContainer);
  }

  public async claimCapacity(
    ref: ContainerRef,
    roomId: string,
    weight: number,
    now: number,
    options: { readonly mayHold?: boolean | undefined; readonly expectedEndAt?: number | undefined } = {},
  ): Promise<ClaimCapacityResult> {
    const c = this.containers.get(ref.nodeId)?.get(ref.container);
    if (!c) return { kind: 'conflict' };
    if (c.rooms.has(roomId)) return options.mayHold === false ? { kind: 'conflict' } : { kind: 'already', container: toContainer(c) };
    if (!c.accepting || c.free < weight) return { kind: 'conflict' };
    c.rooms.set(roomId, weight);
    c.used += weight;
    c.free -= weight;
    c.lastPlacedAt = now;
    if (options.expectedEndAt !== undefined) (c.ends ??= new Map()).set(roomId, options.expectedEndAt);
    return { kind: 'claimed', container: toContainer(c) };
  }

  public async releaseCapacity(ref: ContainerRef, roomId: string, weight: number): Promise<ContainerView | undefined> {
    const c = this.containers.get(ref.nodeId)?.get(ref.container);
    const held = c?.rooms.get(roomId);
    if (!c || held === undefined) return undefined;
    // Held with another weight (a reconnect of a different size): release what is held.
    void weight;
    c.rooms.delete(roomId);
    c.ends?.delete(roomId);
    c.used -= held;
    c.free += held;
    return toContainer(c);
  }

  public async roomsOnNode(nodeId: string): Promise<ReadonlyMap<number, readonly string[]>> {
    const out = new Map<number, string[]>();
    for (const c of this.containers.get(nodeId)?.values() ?? []) out.set(c.index, [...c.rooms.keys()]);
    return out;
  }

  // ----------------------------------------------------------------------------------- nodes

  public async createNode(node: NodeRecord, now: number): Promise<boolean> {
    if (this.nodes.has(node.nodeId)) return false;
    this.nodes.set(node.nodeId, { ...node, hot: false, inPoolList: true, stateChangedAt: now });
    return true;
  }

  public async getNode(nodeId: string): Promise<NodeView | undefined> {
    const n = this.nodes.get(nodeId);
    return n ? this.view(n) : undefined;
  }

  public async listNodes(pool: string): Promise<readonly NodeView[]> {
    const out: NodeView[] = [];
    for (const n of this.nodes.values()) {
      if (n.pool !== pool || !n.inPoolList) continue;
      out.push(this.view(n, (c) => c.inPoolList));
    }
    return out;
  }

  /** {@link listNodes} in pages of {@link MemoryFleetStore.NODE_PAGE_SIZE} nodes (each a copy). */
  public async *listNodePages(pool: string): AsyncIterable<readonly NodeView[]> {
    const all = await this.listNodes(pool);
    for (let i = 0; i < all.length; i += MemoryFleetStore.NODE_PAGE_SIZE) yield all.slice(i, i + MemoryFleetStore.NODE_PAGE_SIZE);
  }

  /** Nodes per page of {@link listNodePages}. */
  public static readonly NODE_PAGE_SIZE = 100;

  public async transitionNode(nodeId: string, from: readonly NodeState[], to: NodeState, now: number, drainReason?: string): Promise<NodeView | undefined> {
    const n = this.nodes.get(nodeId);
    if (!n || !from.includes(n.state)) return undefined;
    n.state = to;
    n.stateChangedAt = now;
    if (to === 'draining') {
      n.drainingSince = now;
      n.drainReason = drainReason ?? 'surplus';
    }
    if (to === 'ready') {
      n.drainingSince = undefined;
      n.drainReason = undefined;
    }
    if (to === 'terminated') n.inPoolList = false;
    const view = this.view(n);
    if (to === 'terminated') {
      for (const c of this.containers.get(nodeId)?.values() ?? []) {
        c.accepting = false;
        c.inPlacement = false;
        c.inPoolList = false;
      }
    }
    return view;
  }

  public async markReady(
    nodeId: string,
    containers: readonly { index: number; privateIp?: string | undefined; publicIp?: string | undefined; cpuset?: string | undefined }[],
    now: number,
  ): Promise<NodeView | undefined> {
    const n = this.nodes.get(nodeId);
    if (!n) return undefined;
    if (n.state === 'draining') return this.view(n);
    if (n.state !== 'launching' && n.state !== 'booting' && n.state !== 'ready' && n.state !== 'starting') return undefined;
    const wasReady = n.state === 'ready';
    let byIndex = this.containers.get(nodeId);
    if (!byIndex) this.containers.set(nodeId, (byIndex = new Map()));
    for (const c of containers) {
      const existing = byIndex.get(c.index);
      // Started again after a stop: same container, possibly a new Elastic IP.
      if (existing && n.state === 'starting') existing.publicIp = c.publicIp;
      if (existing) continue;
      byIndex.set(c.index, {
        nodeId,
        pool: n.pool,
        index: c.index,
        capacity: n.capacityPerContainer,
        used: 0,
        free: n.capacityPerContainer,
        accepting: false,
        inPlacement: false,
        inPoolList: true,
        rooms: new Map(),
        privateIp: c.privateIp,
        publicIp: c.publicIp,
        cpuset: c.cpuset,
      });
    }
    if (!wasReady) {
      n.state = 'ready';
      n.readyAt = now;
      n.stateChangedAt = now;
    }
    if (!n.hot) this.setContainersAccepting(nodeId, containers.map((c) => c.index), true);
    return this.view(n);
  }

  public async setAccepting(nodeId: string, accepting: boolean): Promise<void> {
    if (!this.nodes.has(nodeId)) return;
    this.setContainersAccepting(nodeId, [...(this.containers.get(nodeId)?.keys() ?? [])], accepting);
  }

  public async setHot(nodeId: string, hot: boolean): Promise<void> {
    const n = this.nodes.get(nodeId);
    if (n) n.hot = hot;
  }

  public async setEmptySince(nodeId: string, since: number | undefined): Promise<void> {
    const n = this.nodes.get(nodeId);
    if (n) n.emptySince = since;
  }

  // ------------------------------------------------------------------------------- summaries

  public adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    return this.summaries.adjustSummary(pool, delta, now);
  }

  public getSummary(pool: string, now?: number): Promise<PoolSummary> {
    return this.summaries.getSummary(pool, now);
  }

  public correctSummary(pool: string, exact: SummarySnapshot, read: PoolSummary, now: number, windowMs: number): Promise<void> {
    return this.summaries.correctSummary(pool, exact, read, now, windowMs);
  }

  public reserveLaunch(pool: string, decisionId: string, nodes: number, capacityPerNode: number, now: number, leaseUntil?: number): Promise<boolean> {
    return this.summaries.reserveLaunch(pool, decisionId, nodes, capacityPerNode, now, leaseUntil);
  }

  public takeOverLaunch(pool: string, decisionId: string, now: number, leaseUntil: number): Promise<boolean> {
    return this.summaries.takeOverLaunch(pool, decisionId, now, leaseUntil);
  }

  public settleLaunch(pool: string, decisionId: string, launched: number): Promise<boolean> {
    return this.summaries.settleLaunch(pool, decisionId, launched);
  }

  // --------------------------------------------------------------------------- arrival history

  public async getArrivalHistory(pool: string): Promise<ArrivalHistory> {
    const h = this.histories.get(pool);
    return { pool, slots: Object.fromEntries(h?.slots ?? []), throughMinute: h?.throughMinute };
  }

  public async recordArrivalHistory(pool: string, update: ArrivalHistoryUpdate): Promise<boolean> {
    let h = this.histories.get(pool);
    if (h?.throughMinute !== update.expectedThroughMinute) return false;
    if (!h) this.histories.set(pool, (h = { slots: new Map() }));
    for (const [k, v] of Object.entries(update.add)) h.slots.set(k, (h.slots.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(update.set)) h.slots.set(k, v);
    for (const k of update.remove) h.slots.delete(k);
    h.throughMinute = update.throughMinute;
    return true;
  }

  // --------------------------------------------------------------------------------- helpers

  private setContainersAccepting(nodeId: string, indexes: readonly number[], accepting: boolean): void {
    const byIndex = this.containers.get(nodeId);
    for (const index of indexes) {
      const c = byIndex?.get(index);
      if (!c) continue;
      c.accepting = accepting;
      c.inPlacement = accepting;
    }
  }

  private view(n: MemNode, include: (c: MemContainer) => boolean = () => true): NodeView {
    return toNodeView(n, [...(this.containers.get(n.nodeId)?.values() ?? [])].filter(include));
  }

  // ------------------------------------------------------------------ tenant usage

  private readonly tenantWeights = new Map<string, number>();

  public async reserveTenantWeight(tenantId: string, weight: number, cap: number): Promise<boolean> {
    const active = this.tenantWeights.get(tenantId) ?? 0;
    if (active + weight > cap) return false;
    this.tenantWeights.set(tenantId, active + weight);
    return true;
  }

  public async returnTenantWeight(tenantId: string, weight: number): Promise<void> {
    const active = this.tenantWeights.get(tenantId) ?? 0;
    if (active >= weight) this.tenantWeights.set(tenantId, active - weight);
  }

  public async listTenantWeights(): Promise<ReadonlyMap<string, number>> {
    return new Map(this.tenantWeights);
  }

  public async setTenantWeight(tenantId: string, weight: number): Promise<void> {
    this.tenantWeights.set(tenantId, weight);
  }

  // ------------------------------------------------------------------ peak history (memory-peak-history.ts)

  private readonly peaks = new MemoryPeakHistory();
  public recordPeakNodes(pool: string, day: number, nodes: number): Promise<void> { return this.peaks.recordPeakNodes(pool, day, nodes); }
  public peakNodesByDay(pool: string, sinceDay: number): Promise<ReadonlyMap<number, number>> { return this.peaks.peakNodesByDay(pool, sinceDay); }
}
