/**
 * The fleet table's schema, defined once: the CDK stack, the embedded runtime and the tests
 * create the table from it, and `DynamoDbFleetStore` reads and writes by it.
 *
 * Single-table design (keys `pk` / `sk`):
 * - node      `NODE#<instanceId>` / `NODE`       lifecycle, flags
 * - container `NODE#<instanceId>` / `C#<nn>`     capacity, used, free, `rh` (room hash → weight),
 *   `re` (room hash → predicted end, epoch s), IPs
 * - hold      `NODE#<instanceId>` / `H#<nn>#<roomId>`  the id of a room on container nn
 * - room      `ROOM#<roomId>`     / `ROOM`       state, weight, placement, tombstone time
 * - scheduled `ROOM#<roomId>`     / `SCHED`      an announced room (`RoomScheduled`): pool, weight, startAt
 * - summary   `POOL#<pool>`       / `SUMMARY`    counters and per-minute buckets for scale-out
 *
 * Sparse global secondary indexes; each pool key below takes a shard suffix `#<k>` for shard
 * k > 0 of the pool's S shards (by a hash of the node id, or of the room id for `queue`; S from
 * the pool's `peakPlacementsPerSecond`, `shared/domain/shards.ts`; shard 0 is the unsharded key):
 * - `placement` (`gpk` = `POOL#<pool>`, `free` N): containers that accept rooms, by free
 *   capacity — best-fit is one Query per shard whatever the fleet size. `free` carries a
 *   tie-break unique to the container in its decimals (`placementFree`, items.ts), so the order
 *   is total and the same whatever the shard count.
 * - `queue` (`qpk` = `QUEUE#<pool>`, `qsk` = zero-padded queuedAt + `#` + roomId): queued rooms, FIFO.
 *   Announced rooms share it under `qpk` = `SCHED#<pool>` (unsharded), `qsk` = zero-padded startAt
 *   + `#` + roomId: the sweep's one Query of a pool's rooms that start soon (`schedule-store.ts`).
 * - `pool-nodes` (`npk` = `POOL#<pool>`, `nsk` = `<instanceId>#…`): a pool's live nodes, their
 *   containers and holds, for the sweep and operator views.
 *
 * @module
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Attribute and index names of the fleet table. */
export const FleetTable = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    placement: { indexName: 'placement', partitionKey: 'gpk', sortKey: 'free', sortKeyType: 'N' },
    queue: { indexName: 'queue', partitionKey: 'qpk', sortKey: 'qsk', sortKeyType: 'S' },
    poolNodes: { indexName: 'pool-nodes', partitionKey: 'npk', sortKey: 'nsk', sortKeyType: 'S' },
  },
} as const;

/** Attribute names of the idempotency table (Powertools' defaults). */
export const IdempotencyTable = { partitionKey: 'id' } as const;

/** `CreateTable` input for the fleet table (on-demand billing), for local runs and tests. */
export function fleetTableCreateInput(tableName: string): CreateTableCommandInput {
  const idx = Object.values(FleetTable.indexes);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: FleetTable.partitionKey, KeyType: 'HASH' },
      { AttributeName: FleetTable.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: FleetTable.partitionKey, AttributeType: 'S' },
      { AttributeName: FleetTable.sortKey, AttributeType: 'S' },
      ...idx.flatMap((i) => [
        { AttributeName: i.partitionKey, AttributeType: 'S' as const },
        { AttributeName: i.sortKey, AttributeType: i.sortKeyType },
      ]),
    ],
    GlobalSecondaryIndexes: idx.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}

/** `CreateTable` input for the Powertools idempotency table. */
export function idempotencyTableCreateInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: IdempotencyTable.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: IdempotencyTable.partitionKey, AttributeType: 'S' }],
  };
}
