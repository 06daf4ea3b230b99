/**
 * {@link RoomStore} on the fleet table: room items (`ROOM#<roomId>` / `ROOM`), the `queue` index
 * for queued rooms (FIFO by first delivery) and for `placing` claims by the end of their lease
 * (what any drain takes over once the lease has ended).
 *
 * @module
 */
import { BatchGetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContainerRef, RoomState } from '../../domain/model.ts';
import { FleetStoreError } from '../../errors.ts';
import { DEFAULT_PLACING_LEASE_MS, type BeginRoomResult, type ReleaseRoomResult, type RoomRecord, type RoomStore } from '../../ports/fleet-store.ts';
import { FleetTable } from './fleet-table.ts';
import { allShards, placingPk, queuePk, queueSk, roomKey, shardOf, toRoom, type Item } from './items.ts';
import { isConditionFailure, type FleetTableClient } from './table-client.ts';

/** Most keys one BatchGetItem accepts (DynamoDB API limit). */
const BATCH_GET_LIMIT = 100;

/**
 * Rooms on DynamoDB. Costs: `beginRoom`, `confirmPlaced`, `markQueued`, `releaseRoom` one
 * UpdateItem each; `listQueued`, `listPlacing` one Query; `listRooms` a Scan (operator views and
 * checks only). Lost conditions are outcomes; other failures throw {@link FleetStoreError}.
 *
 * @example
 * const rooms = new DynamoDbRoomStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const room = await rooms.getRoom('room-1');
 */
export class DynamoDbRoomStore implements RoomStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const item = await this.table.getItem('GetRoom', roomKey(roomId));
    return item ? toRoom(item) : undefined;
  }

  public async beginRoom(input: Parameters<RoomStore['beginRoom']>[0]): Promise<BeginRoomResult> {
    const { roomId, pool, weight, eventId, eventTime, now, target, tenantId } = input;
    const leaseUntil = input.leaseUntil ?? now + DEFAULT_PLACING_LEASE_MS;
    const values: Item = {
      ':placing': 'placing',
      ':released': 'released',
      ':t': eventTime,
      ':pool': pool,
      ':w': weight,
      ':eid': eventId,
      ':now': now,
      ':room': roomId,
      ':type': 'room',
      ':lease': leaseUntil,
    };
    let set =
      '#state = :placing, roomId = :room, #type = :type, #pool = :pool, weight = :w, eventId = :eid, createdAt = :t, requestedAt = :now, leaseUntil = :lease, qpk = :ppk, qsk = :psk';
    values[':ppk'] = placingPk(pool, shardOf(roomId, await this.table.shards(pool)));
    values[':psk'] = queueSk(leaseUntil, roomId);
    if (target) {
      set += ', target = :target';
      values[':target'] = { nodeId: target.nodeId, container: target.container };
    }
    if (tenantId) {
      set += ', tenantId = :tenant';
      values[':tenant'] = tenantId;
    }
    const remove = ['nodeId', '#container', 'placedAt', 'queuedAt', 'releasedAt', 'releaseSeenAt'];
    if (!target) remove.push('target');
    if (!tenantId) remove.push('tenantId');
    // Lifetime hints (shared/app/lifetimes.ts reads them on the release).
    if (input.kind) {
      set += ', #kind = :kind';
      values[':kind'] = input.kind;
    } else remove.push('#kind');
    if (input.expectedDurationMs !== undefined) {
      set += ', expectedDurationMs = :edm';
      values[':edm'] = input.expectedDurationMs;
    } else remove.push('expectedDurationMs');
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(roomId),
          UpdateExpression: `SET ${set} REMOVE ${remove.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :released AND releasedAt < :t)',
          ExpressionAttributeNames: { '#state': 'state', '#type': 'type', '#container': 'container', '#pool': 'pool', '#kind': 'kind' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', room: toRoom(out.Attributes ?? {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`BeginRoom ${roomId} failed`, e);
      const old = await this.table.itemAfterConditionFailure(e, roomKey(roomId));
      if (!old) throw new FleetStoreError(`BeginRoom ${roomId}: condition failed but no item`, e);
      const room = toRoom(old);
      if (room.state === 'released') return { kind: 'stale', releasedAt: room.releasedAt ?? 0 };
      if (room.state === 'placing' && room.eventId === eventId) {
        // A retry of the claim's own event: renew the lease (its earlier owner is gone), unless a
        // drain took the room over meanwhile.
        const renewed = await this.renewLease(room, leaseUntil);
        return renewed ? { kind: 'claimed', room: renewed } : { kind: 'active', room: (await this.getRoom(roomId)) ?? room };
      }
      if (room.createdAt < eventTime) await this.bumpCreatedAt(roomId, eventTime);
      return { kind: 'active', room };
    }
  }

  /**
   * A later create of a room still active (a reconnect whose create overtook the release of the
   * previous session): the room's session now starts at `eventTime`, so that older release is
   * ignored when it arrives.
   */
  private async bumpCreatedAt(roomId: string, eventTime: number): Promise<void> {
    await this.table.conditional('BumpCreatedAt', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET createdAt = :t',
      ConditionExpression: '#state <> :released AND createdAt < :t',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':t': eventTime, ':released': 'released' },
    });
  }

  private async renewLease(room: RoomRecord, leaseUntil: number): Promise<RoomRecord | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(room.roomId),
          UpdateExpression: 'SET leaseUntil = :lease, qsk = :psk',
          ConditionExpression: '#state = :placing AND eventId = :eid',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':lease': leaseUntil, ':psk': queueSk(leaseUntil, room.roomId), ':placing': 'placing', ':eid': room.eventId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRoom(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw new FleetStoreError(`RenewLease ${room.roomId} failed`, e);
    }
  }

  public async takeOverPlacing(roomId: string, claimId: string, now: number, leaseUntil: number): Promise<RoomRecord | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(roomId),
          UpdateExpression: 'SET eventId = :claim, leaseUntil = :lease, qsk = :psk',
          // A record written before leases existed has none: treat it as ended.
          ConditionExpression: '#state = :placing AND (leaseUntil <= :now OR attribute_not_exists(leaseUntil))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claim': claimId, ':lease': leaseUntil, ':psk': queueSk(leaseUntil, roomId), ':placing': 'placing', ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRoom(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw new FleetStoreError(`TakeOverPlacing ${roomId} failed`, e);
    }
  }

  public async setTarget(roomId: string, eventId: string, target: ContainerRef): Promise<boolean> {
    return this.table.conditional('SetTarget', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET target = :target',
      ConditionExpression: '#state = :placing AND eventId = :eid',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':target': { nodeId: target.nodeId, container: target.container },
        ':placing': 'placing',
        ':eid': eventId,
      },
    });
  }

  public async confirmPlaced(roomId: string, eventId: string, placement: ContainerRef, now: number): Promise<boolean> {
    return this.table.conditional('ConfirmPlaced', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET #state = :placed, nodeId = :node, #container = :c, placedAt = :now REMOVE target, qpk, qsk, leaseUntil',
      ConditionExpression: '#state = :placing AND eventId = :eid',
      ExpressionAttributeNames: { '#state': 'state', '#container': 'container' },
      ExpressionAttributeValues: {
        ':placed': 'placed',
        ':placing': 'placing',
        ':node': placement.nodeId,
        ':c': placement.container,
        ':now': now,
        ':eid': eventId,
      },
    });
  }

  public async markQueued(room: Parameters<RoomStore['markQueued']>[0], eventId: string, now: number): Promise<boolean> {
    const { roomId } = room;
    const queuedAt = room.queuedAt ?? now;
    return this.table.conditional('MarkQueued', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET #state = :queued, queuedAt = :qa, qpk = :qpk, qsk = :qsk REMOVE target, leaseUntil',
      ConditionExpression: '#state = :placing AND eventId = :eid',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':queued': 'queued',
        ':placing': 'placing',
        ':eid': eventId,
        ':qa': queuedAt,
        ':qpk': queuePk(room.pool, shardOf(roomId, await this.table.shards(room.pool))),
        ':qsk': queueSk(room.requestedAt ?? queuedAt, roomId),
      },
    });
  }

  /** Queued rooms of every shard of the pool (one Query each, in parallel), oldest first, at most `limit`. */
  public async listQueued(pool: string, limit: number): Promise<readonly RoomRecord[]> {
    const items = await this.queryShards('ListQueued', pool, queuePk, 'qpk = :q', {}, limit);
    return items.map(toRoom);
  }

  /**
   * The first `limit` items by `qsk` across the pool's shards of a `queue`-index key family:
   * each shard's first `limit`, merged (the same items one unsharded Query returns).
   */
  private async queryShards(
    op: string,
    pool: string,
    pk: (pool: string, shard: number) => string,
    condition: string,
    values: Item,
    limit: number,
  ): Promise<Item[]> {
    const shards = allShards(await this.table.shards(pool));
    const pages = await Promise.all(
      shards.map((shard) =>
        this.table.call(op, () =>
          this.table.doc.send(
            new QueryCommand({
              TableName: this.table.name,
              IndexName: FleetTable.indexes.queue.indexName,
              KeyConditionExpression: condition,
              ExpressionAttributeValues: { ':q': pk(pool, shard), ...values },
              ScanIndexForward: true,
              Limit: limit,
            }),
          ),
        ),
      ),
    );
    const qsk = (i: Item) => i.qsk as string;
    return pages
      .flatMap((p) => p.Items ?? [])
      .sort((a, b) => (qsk(a) < qsk(b) ? -1 : qsk(a) > qsk(b) ? 1 : 0))
      .slice(0, limit);
  }

  public async claimQueued(
    roomId: string,
    claimId: string,
    target: ContainerRef,
    placing?: { readonly pool: string; readonly now: number; readonly leaseUntil?: number | undefined },
  ): Promise<RoomRecord | undefined> {
    const leaseUntil = placing ? (placing.leaseUntil ?? placing.now + DEFAULT_PLACING_LEASE_MS) : undefined;
    try {
      // With `placing`, the claimed room moves from the queue to the placing index (rather than
      // out of every index): a crash before it is placed or re-queued leaves it where the
      // sweep's repair finds it.
      const index = placing ? 'qpk = :ppk, qsk = :psk, leaseUntil = :lease' : undefined;
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(roomId),
          UpdateExpression: `SET #state = :placing, eventId = :claim, target = :target${index ? `, ${index}` : ' REMOVE qpk'}`,
          ConditionExpression: '#state = :queued',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':placing': 'placing',
            ':queued': 'queued',
            ':claim': claimId,
            ':target': { nodeId: target.nodeId, container: target.container },
            ...(placing && leaseUntil !== undefined ? { ':ppk': placingPk(placing.pool, shardOf(roomId, await this.table.shards(placing.pool))), ':psk': queueSk(leaseUntil, roomId), ':lease': leaseUntil } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRoom(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw new FleetStoreError(`ClaimQueued ${roomId} failed`, e);
    }
  }

  public async listPlacing(pool: string, leaseEndedBy: number, limit: number): Promise<readonly RoomRecord[]> {
    const items = await this.queryShards('ListPlacing', pool, placingPk, 'qpk = :q AND qsk < :before', { ':before': queueSk(leaseEndedBy + 1, '') }, limit);
    return items.map(toRoom).filter((r) => r.state === 'placing');
  }

  public async getRooms(roomIds: readonly string[]): Promise<ReadonlyMap<string, RoomRecord>> {
    const found = new Map<string, RoomRecord>();
    const ids = [...new Set(roomIds)];
    const table = this.table.name;
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + BATCH_GET_LIMIT).map(roomKey);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 10) throw new FleetStoreError(`GetRooms: ${keys.length} keys still unprocessed after ${attempt} tries`);
        const out = await this.table.call('GetRooms', () =>
          this.table.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } })),
        );
        for (const item of out.Responses?.[table] ?? []) found.set(item.roomId as string, toRoom(item));
        keys = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  public async rejectQueued(roomId: string, now: number): Promise<RoomRecord | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(roomId),
          UpdateExpression: 'SET #state = :released, releasedAt = :now, releaseSeenAt = :now, rejectedAt = :now REMOVE qpk, qsk',
          ConditionExpression: '#state = :queued',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':released': 'released', ':queued': 'queued', ':now': now },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return toRoom(out.Attributes ?? {});
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw new FleetStoreError(`RejectQueued ${roomId} failed`, e);
    }
  }

  public async releaseRoom(roomId: string, eventTime: number, now: number): Promise<ReleaseRoomResult> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: roomKey(roomId),
          UpdateExpression:
            'SET #state = :released, releasedAt = :t, roomId = :room, #type = :type, releaseSeenAt = :now REMOVE qpk, qsk',
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state <> :released AND createdAt <= :t) OR (#state = :released AND releasedAt < :t)',
          ExpressionAttributeNames: { '#state': 'state', '#type': 'type' },
          ExpressionAttributeValues: { ':released': 'released', ':t': eventTime, ':room': roomId, ':type': 'room', ':now': now },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!out.Attributes) return { kind: 'tombstoned' };
      const previous = toRoom(out.Attributes);
      if (previous.state === 'released') return { kind: 'ignored', reason: 'already-released' };
      return { kind: 'released', previous };
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`ReleaseRoom ${roomId} failed`, e);
      const old = await this.table.itemAfterConditionFailure(e, roomKey(roomId));
      if (old && old.state === 'released') return { kind: 'ignored', reason: 'already-released' };
      return { kind: 'ignored', reason: 'older-than-create' };
    }
  }

  public async listRooms(states: readonly RoomState[]): Promise<readonly RoomRecord[]> {
    const names: Record<string, string> = { '#type': 'type', '#state': 'state' };
    const values: Item = { ':room': 'room' };
    states.forEach((s, i) => (values[`:s${i}`] = s));
    const items = await this.table.scanAll({
      FilterExpression: `#type = :room AND #state IN (${states.map((_, i) => `:s${i}`).join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return items.map(toRoom);
  }
}
