/**
 * Item layout of the pool summary on the fleet table, and DynamoDB's item-size rules to check it.
 * Pure: no I/O.
 *
 * Every summary item has a size that does not depend on the fleet's size:
 * - counter shard `SUMMARY#<pool>#<s>` / `TOTALS` (s = 0 … S−1): `rf` ready free, `pc` pending
 *   capacity, `qw` queued weight, `ln` live nodes (capacity units / nodes, ADDed); shard 0 also
 *   holds `fw` (the predictor's forecast) and `at` (the last sweep's time, epoch ms);
 * - minute shard `SUMMARY#<pool>#<s>` / `M#<minute, 10 digits>`: `a` arrived weight, `l` launches
 *   in that minute (ADDed), deleted by the sweep once older than its window;
 * - draining node `POOL#<pool>` / `SUMMARY#D#<nodeId>`: `f` its free capacity when drained;
 * - launch reservation `POOL#<pool>` / `SUMMARY#L#<decisionId>`: `n` nodes reserved, `c` capacity
 *   per node, `at` when (epoch ms), `lu` its owner's deadline (epoch ms, the lease), `x` nodes launched once settled; summed into the pending
 *   capacity, live nodes and launches until the sweep folds it (`LaunchReservation`);
 * - legacy `POOL#<pool>` / `SUMMARY`: the single summary item of earlier versions, read (folded
 *   in as part of shard 0) and trimmed but never grown.
 *
 * @module
 */
import { reservedCounts, type LaunchReservation, type PoolSummary } from '../../ports/fleet-store.ts';
import { BUCKET_MS } from '../../domain/buckets.ts';
import { ARRIVAL_PREFIX, bucketsOf, DRAINING_PREFIX, LAUNCH_PREFIX, toSummary, type Item, type ItemKey } from './items.ts';

/** Counter shards per pool (S): a placement ADDs to one of them, chosen at random. */
export const DEFAULT_SUMMARY_SHARDS = 4;

/** Sort key of a counter shard. */
export const TOTALS_SK = 'TOTALS';
/** Sort key prefix of a minute shard (`M#<minute>`). */
export const MINUTE_PREFIX = 'M#';
/** Sort key of the legacy single summary item (`POOL#<pool>` / `SUMMARY`). */
export const LEGACY_SUMMARY_SK = 'SUMMARY';
/** Sort key prefix of a draining node's item (`SUMMARY#D#<nodeId>`). */
export const DRAINING_SK_PREFIX = 'SUMMARY#D#';

/** Sort key prefix of a launch reservation's item (`SUMMARY#L#<decisionId>`). */
export const LAUNCH_SK_PREFIX = 'SUMMARY#L#';

/** Partition key of summary shard `shard` of a pool (its counters and its minute buckets). */
export const summaryShardPk = (pool: string, shard: number): string => `SUMMARY#${pool}#${shard}`;
/** Key of a pool's counter shard. */
export const totalsKey = (pool: string, shard: number): ItemKey => ({ pk: summaryShardPk(pool, shard), sk: TOTALS_SK });
/** Sort key of a minute bucket, zero-padded so that sort order is time order. */
export const minuteSk = (minute: number | string): string => `${MINUTE_PREFIX}${String(minute).padStart(10, '0')}`;
/** Key of a pool's minute bucket on one shard. */
export const minuteKey = (pool: string, shard: number, minute: number | string): ItemKey => ({ pk: summaryShardPk(pool, shard), sk: minuteSk(minute) });
/** Key of a draining node's item. */
export const drainingKey = (pool: string, nodeId: string): ItemKey => ({ pk: `POOL#${pool}`, sk: `${DRAINING_SK_PREFIX}${nodeId}` });
/** Key of a launch reservation's item. */
export const launchKey = (pool: string, decisionId: string): ItemKey => ({ pk: `POOL#${pool}`, sk: `${LAUNCH_SK_PREFIX}${decisionId}` });
/** Key of the legacy single summary item. */
export const legacySummaryKey = (pool: string): ItemKey => ({ pk: `POOL#${pool}`, sk: LEGACY_SUMMARY_SK });

/** Mutable sums while folding summary items. */
interface Sums {
  readyFree: number;
  pendingCapacity: number;
  queuedWeight: number;
  liveNodes: number;
  arrivals: Record<string, number>;
  launches: Record<string, number>;
  draining: Record<string, number>;
  reservations: Record<string, LaunchReservation>;
  forecastWeight?: number | undefined;
  announcedWeight?: number | undefined;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const addTo = (into: Record<string, number>, key: string, v: number) => {
  if (v !== 0) into[key] = (into[key] ?? 0) + v;
};

/**
 * Sum a pool's summary items into one {@link PoolSummary}: the counter shards, the minute shards
 * (merged per minute), the draining items and the legacy item (folded in like a shard).
 *
 * @param shardItems - items of the shard partitions (`TOTALS` and `M#…`), any order
 * @param poolItems - items of `POOL#<pool>` whose sort key starts with `SUMMARY` (legacy, draining)
 */
export function foldSummary(pool: string, shardItems: readonly Item[], poolItems: readonly Item[]): PoolSummary {
  const legacy = poolItems.find((i) => i.sk === LEGACY_SUMMARY_SK);
  const base = toSummary(pool, legacy);
  const s: Sums = {
    readyFree: base.readyFree,
    pendingCapacity: base.pendingCapacity,
    queuedWeight: base.queuedWeight,
    liveNodes: base.liveNodes,
    arrivals: { ...base.arrivals },
    launches: { ...base.launches },
    draining: { ...base.draining },
    reservations: {},
    forecastWeight: base.forecastWeight,
  };
  for (const item of shardItems) {
    const sk = String(item.sk);
    if (sk === TOTALS_SK) {
      s.readyFree += num(item.rf);
      s.pendingCapacity += num(item.pc);
      s.queuedWeight += num(item.qw);
      s.liveNodes += num(item.ln);
      if (typeof item.fw === 'number') s.forecastWeight = item.fw;
      if (typeof item.aw === 'number') s.announcedWeight = item.aw;
    } else if (sk.startsWith(MINUTE_PREFIX)) {
      const minute = String(Number(sk.slice(MINUTE_PREFIX.length)));
      addTo(s.arrivals, minute, num(item.a));
      addTo(s.launches, minute, num(item.l));
    }
  }
  for (const item of poolItems) {
    const sk = String(item.sk);
    if (sk.startsWith(DRAINING_SK_PREFIX)) s.draining[sk.slice(DRAINING_SK_PREFIX.length)] = num(item.f);
    else if (sk.startsWith(LAUNCH_SK_PREFIX)) {
      const r = toReservation(item);
      const counted = reservedCounts(r);
      s.reservations[sk.slice(LAUNCH_SK_PREFIX.length)] = r;
      s.pendingCapacity += counted.pendingCapacity;
      s.liveNodes += counted.nodes;
      addTo(s.launches, String(Math.floor(r.at / BUCKET_MS)), counted.nodes);
    }
  }
  const { forecastWeight, announcedWeight, reservations, ...rest } = s;
  return {
    pool,
    ...rest,
    ...(forecastWeight !== undefined ? { forecastWeight } : {}),
    ...(announcedWeight !== undefined ? { announcedWeight } : {}),
    ...(Object.keys(reservations).length > 0 ? { launchReservations: reservations } : {}),
  };
}

/** A launch reservation's item as a {@link LaunchReservation}. */
export function toReservation(item: Item): LaunchReservation {
  return {
    nodes: num(item.n),
    capacityPerNode: num(item.c),
    at: num(item.at),
    ...(typeof item.x === 'number' ? { launched: item.x } : {}),
    ...(typeof item.lu === 'number' ? { leaseUntil: item.lu } : {}),
  };
}

/** What a legacy summary item holds that the sweep trims: its draining entries and minute buckets. */
export function legacyTrimmable(item: Item | undefined): { draining: string[]; arrivals: string[]; launches: string[] } {
  return {
    draining: Object.keys(bucketsOf(item, DRAINING_PREFIX)),
    arrivals: Object.keys(bucketsOf(item, ARRIVAL_PREFIX)),
    launches: Object.keys(bucketsOf(item, LAUNCH_PREFIX)),
  };
}

/** Legacy attribute names (`arr_<minute>`, `lau_<minute>`, `drn_<nodeId>`). */
export const LEGACY_PREFIX = { arrivals: ARRIVAL_PREFIX, launches: LAUNCH_PREFIX, draining: DRAINING_PREFIX } as const;
