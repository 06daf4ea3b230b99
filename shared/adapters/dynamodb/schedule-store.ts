/**
 * {@link ScheduleStore} on the fleet table: one item per announced room, in the room's own
 * partition (`ROOM#<roomId>` / `SCHED`, beside the room record `ROOM#<roomId>` / `ROOM` that the
 * create writes), indexed on the existing `queue` index under the pool's schedule key
 * (`qpk` = `SCHED#<pool>`, `qsk` = zero-padded startAt + `#` + roomId): the sweep reads a pool's
 * rooms that start soon with one Query, soonest first, and no new index is needed.
 *
 * One partition per pool: announcements are written once or twice per room, far below a
 * partition's 1,000 writes/s ("Partitions and data distribution", DynamoDB developer guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.Partitions.html),
 * so the `queue` index's per-pool sharding (shared/domain/shards.ts) is not needed here.
 *
 * Costs: `scheduleRoom` 1 conditional PutItem; `listScheduled` 1 Query (paged);
 * `removeScheduled` 1 BatchWriteItem per 25 rooms.
 *
 * @module
 */
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { FleetStoreError } from '../../errors.ts';
import type { ScheduledRoom, ScheduleRoomResult, ScheduleStore } from '../../ports/schedule-store.ts';
import { FleetTable } from './fleet-table.ts';
import { queueSk, type Item, type ItemKey } from './items.ts';
import { FleetTableClient, isConditionFailure, type DynamoDbFleetStoreOptions } from './table-client.ts';

/** Key of a room's announcement item. */
export const scheduleKey = (roomId: string): ItemKey => ({ pk: `ROOM#${roomId}`, sk: 'SCHED' });

/** `qpk` of a pool's announcements on the `queue` index. */
export const schedulePk = (pool: string): string => `SCHED#${pool}`;

/** Most writes of one BatchWriteItem (DynamoDB's limit). */
const BATCH_WRITE_MAX = 25;

/** Tries before unprocessed deletes are an error (DynamoDB returns them under throttling). */
const BATCH_TRIES = 10;

function toScheduled(item: Item): ScheduledRoom {
  return {
    roomId: item.roomId as string,
    pool: item.pool as string,
    weight: item.weight as number,
    startAt: item.startAt as number,
    announcedAt: item.announcedAt as number,
    ...(item.expectedDurationMs !== undefined ? { expectedDurationMs: item.expectedDurationMs as number } : {}),
    ...(item.kind !== undefined ? { kind: item.kind as string } : {}),
    ...(item.tenantId !== undefined ? { tenantId: item.tenantId as string } : {}),
  };
}

/**
 * Scheduled rooms on DynamoDB.
 *
 * @example
 * const schedule = new DynamoDbScheduleStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * await schedule.scheduleRoom({ roomId: 'web-1', pool: 'default', weight: 1, startAt, announcedAt: now });
 * await schedule.listScheduled('default', now + 300_000, 1000); // → [{ roomId: 'web-1', … }]
 */
export class DynamoDbScheduleStore implements ScheduleStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async scheduleRoom(room: ScheduledRoom): Promise<ScheduleRoomResult> {
    const item: Item = {
      ...scheduleKey(room.roomId),
      type: 'sched',
      [FleetTable.indexes.queue.partitionKey]: schedulePk(room.pool),
      [FleetTable.indexes.queue.sortKey]: queueSk(room.startAt, room.roomId),
      roomId: room.roomId,
      pool: room.pool,
      weight: room.weight,
      startAt: room.startAt,
      announcedAt: room.announcedAt,
      ...(room.expectedDurationMs !== undefined ? { expectedDurationMs: room.expectedDurationMs } : {}),
      ...(room.kind !== undefined ? { kind: room.kind } : {}),
      ...(room.tenantId !== undefined ? { tenantId: room.tenantId } : {}),
    };
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR announcedAt <= :t',
          ExpressionAttributeValues: { ':t': room.announcedAt },
        }),
      );
      return 'stored';
    } catch (e) {
      if (isConditionFailure(e)) return 'stale';
      throw new FleetStoreError(`ScheduleRoom ${room.roomId} failed`, e);
    }
  }

  public async listScheduled(pool: string, startBy: number, limit: number): Promise<readonly ScheduledRoom[]> {
    const q = FleetTable.indexes.queue;
    // `qsk` < the padded `startBy + 1`: every start ≤ startBy whatever the room id.
    const items = await this.table.queryAll({
      IndexName: q.indexName,
      KeyConditionExpression: '#pk = :pk AND #sk < :hi',
      ExpressionAttributeNames: { '#pk': q.partitionKey, '#sk': q.sortKey },
      ExpressionAttributeValues: { ':pk': schedulePk(pool), ':hi': queueSk(startBy + 1, '') },
      ScanIndexForward: true,
      Limit: limit,
    });
    return items.slice(0, limit).map(toScheduled);
  }

  public async removeScheduled(roomIds: readonly string[]): Promise<void> {
    const ids = [...new Set(roomIds)];
    const table = this.table.name;
    for (let i = 0; i < ids.length; i += BATCH_WRITE_MAX) {
      let requests: Record<string, unknown>[] = ids.slice(i, i + BATCH_WRITE_MAX).map((id) => ({ DeleteRequest: { Key: scheduleKey(id) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= BATCH_TRIES) throw new FleetStoreError(`RemoveScheduled: ${requests.length} deletes still unprocessed after ${attempt} tries`);
        const out = await this.table.call('RemoveScheduled', () => this.table.doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })));
        requests = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

/**
 * A schedule store on its own client to a fleet table (callers that build a `DynamoDbFleetStore`
 * inline; otherwise use the fleet store's `schedule`, which shares its client).
 */
export function dynamoDbScheduleStore(options: DynamoDbFleetStoreOptions): DynamoDbScheduleStore {
  return new DynamoDbScheduleStore(new FleetTableClient(options));
}
