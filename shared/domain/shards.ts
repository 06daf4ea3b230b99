/**
 * How many shards S a pool's DynamoDB index partitions get (the `placement`, `queue` and
 * `pool-nodes` index keys, `shared/adapters/dynamodb/fleet-table.ts`), from the pool's expected
 * peak placement rate. Pure.
 *
 * DynamoDB serves at most 1,000 write units per second per partition (Amazon DynamoDB Developer
 * Guide, "Best practices for designing and using partition keys effectively",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
 * Every placement of a pool writes its pool's partition of each index; S shards spread those
 * writes over S partitions, so
 *
 *   S = ceil(peak placements/s × WCU per placement on the busiest index / 1,000 WCU/s)
 *
 * @module
 */
import type { AutoscalerConfig, PoolConfig } from './config.ts';

/** DynamoDB's write throughput of one partition, write capacity units per second (page above). */
export const PARTITION_WCU_PER_SECOND = 1_000;

/**
 * Write units one placement and its release (at the same rate) cost on the busiest index
 * partition of the pool, items ≤ 1 KB: on `placement`, the claim moves the container's sort key
 * `free` (a delete and a put in the index, 2 WCU) and so does the release (2 WCU); on
 * `pool-nodes`, the claim updates the container and puts the room's hold item (2 WCU) and the
 * release updates and deletes them (2 WCU). An update that changes an index key attribute costs
 * a delete and a put in the index (Amazon DynamoDB Developer Guide, "Provisioned throughput
 * considerations for Global Secondary Indexes",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations).
 * `npm run bench` measures it from the items written (`bench/placement-scale.ts`).
 */
export const INDEX_WCU_PER_PLACEMENT = 4;

/** Most shards a pool's index keys get (a Query per shard on each placement). */
export const MAX_SHARDS = 64;

/**
 * Shards of a pool's index partitions: ceil(peak × {@link INDEX_WCU_PER_PLACEMENT} /
 * {@link PARTITION_WCU_PER_SECOND}), at least 1 (a pool with no stated peak keeps today's
 * unsharded keys), at most {@link MAX_SHARDS}.
 *
 * @example placementShards({ peakPlacementsPerSecond: 1_000 }) // 4
 */
export function placementShards(pool: Pick<PoolConfig, 'peakPlacementsPerSecond'>): number {
  const s = Math.ceil((pool.peakPlacementsPerSecond * INDEX_WCU_PER_PLACEMENT) / PARTITION_WCU_PER_SECOND);
  return Math.min(MAX_SHARDS, Math.max(1, s));
}

/** Shards of the pool named `pool` in `config`; 1 for a pool the configuration does not name. */
export function shardsOfPool(config: AutoscalerConfig, pool: string): number {
  const found = config.pools.find((p) => p.name === pool);
  return found ? placementShards(found) : 1;
}
