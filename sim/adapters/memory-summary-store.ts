/**
 * {@link PoolSummaryStore} in process memory, laid out as the DynamoDB store lays out its items
 * (`shared/adapters/dynamodb/summary-items.ts`): S counter shards each with its own minute
 * buckets, one entry per draining node, the forecast on shard 0. Every method is atomic (no
 * `await` inside), as each DynamoDB write is; a test can interleave calls between a read and a
 * correction exactly as concurrent invocations would.
 *
 * @module
 */
import { BUCKET_MS } from '../../shared/domain/buckets.ts';
import {
  LAUNCH_RESERVATION_FOLD_MS,
  launchLeaseEnd,
  reservedCounts,
  SUMMARY_BUCKET_READ_MS,
  type LaunchReservation,
  type PoolSummary,
  type PoolSummaryStore,
  type SummaryDelta,
  type SummarySnapshot,
} from '../../shared/ports/fleet-store.ts';

/** Counter fields of a shard. */
const COUNTERS = ['readyFree', 'pendingCapacity', 'queuedWeight', 'liveNodes'] as const;

/** One counter shard: counters (capacity units / nodes) and its minute buckets by minute number. */
interface Shard {
  counters: Record<(typeof COUNTERS)[number], number>;
  arrivals: Map<number, number>;
  launches: Map<number, number>;
}

/** A pool's summary state. */
interface PoolState {
  readonly shards: Shard[];
  readonly draining: Map<string, number>;
  /** Launch reservations by decision id (the DynamoDB store's `SUMMARY#L#<decisionId>` items). */
  readonly reservations: Map<string, LaunchReservation>;
  forecastWeight?: number | undefined;
  announcedWeight?: number | undefined;
}

/** Default counter shards (the DynamoDB store's default). */
const DEFAULT_SHARDS = 4;

/**
 * Pool summaries in memory. Writes go round-robin over the shards (deterministic, unlike the
 * DynamoDB store's random choice; the sums are the same).
 *
 * @example
 * const summaries = new MemoryPoolSummaryStore();
 * await summaries.adjustSummary('default', { arrivals: 2, queuedWeight: 2 }, now);
 */
export class MemoryPoolSummaryStore implements PoolSummaryStore {
  private readonly pools = new Map<string, PoolState>();
  private next = 0;

  public constructor(private readonly shardCount: number = DEFAULT_SHARDS) {}

  public async adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    const p = this.pool(pool);
    const shard = p.shards[this.next++ % p.shards.length] as Shard;
    for (const f of COUNTERS) shard.counters[f] += delta[f] ?? 0;
    const minute = Math.floor(now / BUCKET_MS);
    if (delta.arrivals) shard.arrivals.set(minute, (shard.arrivals.get(minute) ?? 0) + delta.arrivals);
    if (delta.launches) shard.launches.set(minute, (shard.launches.get(minute) ?? 0) + delta.launches);
    for (const [nodeId, free] of Object.entries(delta.drainingSet ?? {})) p.draining.set(nodeId, free);
    for (const nodeId of delta.drainingRemove ?? []) p.draining.delete(nodeId);
    return this.view(pool, p, now);
  }

  public async getSummary(pool: string, now?: number): Promise<PoolSummary> {
    return this.view(pool, this.pool(pool), now);
  }

  public async correctSummary(pool: string, exact: SummarySnapshot, read: PoolSummary, now: number, windowMs: number): Promise<void> {
    const p = this.pool(pool);
    const first = p.shards[0] as Shard;
    // Fold the old launch reservations read: what each counted moves to shard 0, then it goes
    // (unless settled differently since: the next sweep folds it).
    for (const [decisionId, r] of Object.entries(read.launchReservations ?? {})) {
      if (now - r.at < LAUNCH_RESERVATION_FOLD_MS) continue;
      const counted = reservedCounts(r);
      first.counters.pendingCapacity += counted.pendingCapacity;
      first.counters.liveNodes += counted.nodes;
      const minute = Math.floor(r.at / BUCKET_MS);
      first.launches.set(minute, (first.launches.get(minute) ?? 0) + counted.nodes);
      if (p.reservations.get(decisionId)?.launched === r.launched) p.reservations.delete(decisionId);
    }
    for (const f of COUNTERS) first.counters[f] += exact[f] - read[f];
    if (exact.forecastWeight !== undefined) p.forecastWeight = exact.forecastWeight;
    if (exact.announcedWeight !== undefined) p.announcedWeight = exact.announcedWeight;
    for (const nodeId of Object.keys(read.draining)) if (!(nodeId in exact.draining)) p.draining.delete(nodeId);
    for (const [nodeId, free] of Object.entries(exact.draining)) {
      // As on DynamoDB: update only an entry still there, create only one still absent.
      if (nodeId in read.draining ? p.draining.has(nodeId) : !p.draining.has(nodeId)) p.draining.set(nodeId, free);
    }
    const oldest = Math.floor((now - windowMs) / BUCKET_MS) + 1;
    const old = [...Object.keys(read.arrivals), ...Object.keys(read.launches)].map(Number).filter((m) => m < oldest);
    for (const s of p.shards) {
      for (const m of old) {
        s.arrivals.delete(m);
        s.launches.delete(m);
      }
    }
  }

  public async reserveLaunch(pool: string, decisionId: string, nodes: number, capacityPerNode: number, now: number, leaseUntil?: number): Promise<boolean> {
    const p = this.pool(pool);
    if (p.reservations.has(decisionId)) return false;
    p.reservations.set(decisionId, { nodes, capacityPerNode, at: now, leaseUntil: leaseUntil ?? now + LAUNCH_RESERVATION_FOLD_MS });
    return true;
  }

  public async takeOverLaunch(pool: string, decisionId: string, now: number, leaseUntil: number): Promise<boolean> {
    const r = this.pool(pool).reservations.get(decisionId);
    if (!r || r.launched !== undefined || launchLeaseEnd(r) > now) return false;
    this.pool(pool).reservations.set(decisionId, { ...r, leaseUntil });
    return true;
  }

  public async settleLaunch(pool: string, decisionId: string, launched: number): Promise<boolean> {
    const r = this.pool(pool).reservations.get(decisionId);
    if (!r || r.launched !== undefined) return false;
    this.pool(pool).reservations.set(decisionId, { ...r, launched });
    return true;
  }

  private pool(pool: string): PoolState {
    let p = this.pools.get(pool);
    if (!p) {
      p = {
        shards: Array.from({ length: Math.max(1, this.shardCount) }, () => ({
          counters: { readyFree: 0, pendingCapacity: 0, queuedWeight: 0, liveNodes: 0 },
          arrivals: new Map(),
          launches: new Map(),
        })),
        draining: new Map(),
        reservations: new Map(),
      };
      this.pools.set(pool, p);
    }
    return p;
  }

  /** The summed view (a copy); with `now`, buckets older than the read window are left out. */
  private view(pool: string, p: PoolState, now?: number): PoolSummary {
    const from = now === undefined ? -Infinity : Math.floor((now - SUMMARY_BUCKET_READ_MS) / BUCKET_MS);
    const counters = { readyFree: 0, pendingCapacity: 0, queuedWeight: 0, liveNodes: 0 };
    const arrivals: Record<string, number> = {};
    const launches: Record<string, number> = {};
    const merge = (into: Record<string, number>, buckets: Map<number, number>) => {
      for (const [m, v] of buckets) if (m >= from && v !== 0) into[String(m)] = (into[String(m)] ?? 0) + v;
    };
    for (const s of p.shards) {
      for (const f of COUNTERS) counters[f] += s.counters[f];
      merge(arrivals, s.arrivals);
      merge(launches, s.launches);
    }
    for (const r of p.reservations.values()) {
      const counted = reservedCounts(r);
      counters.pendingCapacity += counted.pendingCapacity;
      counters.liveNodes += counted.nodes;
      merge(launches, new Map([[Math.floor(r.at / BUCKET_MS), counted.nodes]]));
    }
    return {
      pool,
      arrivals,
      launches,
      ...counters,
      draining: Object.fromEntries(p.draining),
      ...(p.forecastWeight !== undefined ? { forecastWeight: p.forecastWeight } : {}),
      ...(p.announcedWeight !== undefined ? { announcedWeight: p.announcedWeight } : {}),
      ...(p.reservations.size > 0 ? { launchReservations: Object.fromEntries(p.reservations) } : {}),
    };
  }
}
