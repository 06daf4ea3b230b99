/**
 * {@link CapacityStore} on the fleet table: container items (`NODE#<instanceId>` / `C#<nn>`),
 * their hold items (`NODE#<instanceId>` / `H#<nn>#<roomId>`, one per hosted room) and the
 * sparse `placement` index of accepting containers by free capacity, in S shards per pool.
 *
 * A claim is one conditional `UpdateItem` on the container (free capacity, and the room's
 * compact key in its `rh` map for idempotency), preceded by a put of the room's hold item so
 * every claimed room's id can be listed; a release removes the key, then the hold. No
 * transactions. A claim given the room's predicted end records it in the container's `re` map
 * (same compact key → epoch seconds) in that same update, and the release removes it in its own,
 * so placement and the sweep read the ends with the containers, at no extra round trip. Every
 * container-side write stays ≤ 1 KB whatever the room ids' length
 * (test/shared/adapters/dynamodb/item-size.test.ts).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContainerRef, ContainerView } from '../../domain/model.ts';
import { FleetStoreError } from '../../errors.ts';
import type { CapacityStore, ClaimCapacityResult } from '../../ports/fleet-store.ts';
import { FleetTable } from './fleet-table.ts';
import { allShards, containerKey, ENDS_ATTR, HELD_ATTR, holdKey, holdSk, joinContainers, poolPk, roomTag, shardOf, toContainer, type Item } from './items.ts';
import { isConditionFailure, type FleetTableClient } from './table-client.ts';

/** Attribute values of the held weight of a room on a container item (compact map, then legacy full-id map). */
function heldWeight(item: Item | undefined, roomId: string): { weight: number; legacy: boolean } | undefined {
  const tagged = (item?.[HELD_ATTR] as Record<string, number> | undefined)?.[roomTag(roomId)];
  if (typeof tagged === 'number') return { weight: tagged, legacy: false };
  const legacy = (item?.rooms as Record<string, number> | undefined)?.[roomId];
  return typeof legacy === 'number' ? { weight: legacy, legacy: true } : undefined;
}

/**
 * The `placement` index's own order: `free` with its tie-break (`placementFree`, items.ts), least
 * first; node id then container index only for the ties it leaves (containers written before it).
 */
const indexOrder = (a: Item, b: Item): number =>
  (a.free as number) - (b.free as number) || (String(a.nodeId) < String(b.nodeId) ? -1 : String(a.nodeId) > String(b.nodeId) ? 1 : 0) || (a.idx as number) - (b.idx as number);

/**
 * Container capacity on DynamoDB. Costs: `findCandidates` one Query per shard of the pool, in
 * parallel; `claimCapacity` one PutItem (the hold) and one UpdateItem (plus a read when the pool
 * is not given, or on a lost condition when the emulator does not return the old item);
 * `releaseCapacity` one UpdateItem and one DeleteItem — whatever the fleet size. Failures other
 * than lost conditions throw {@link FleetStoreError}.
 *
 * @example
 * const capacity = new DynamoDbCapacityStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const [best] = await capacity.findCandidates('default', 1, 5);
 */
export class DynamoDbCapacityStore implements CapacityStore {
  public constructor(private readonly table: FleetTableClient) {}

  /**
   * Best fit across every shard of the pool: each shard's `limit` least-free fits (one Query
   * each, in parallel), merged in the index's order — the same containers, in the same order,
   * one unsharded Query returns: the index's sort key has a tie-break unique to each container
   * (`placementFree`, items.ts), so the first `limit` of the pool are among the first `limit` of
   * their shards whatever the shard count.
   */
  public async findCandidates(pool: string, weight: number, limit: number): Promise<readonly ContainerView[]> {
    const shards = allShards(await this.table.shards(pool));
    const pages = await Promise.all(shards.map((shard) => this.findInShard(poolPk(pool, shard), weight, limit)));
    return (pages.length === 1 ? (pages[0] as Item[]) : pages.flat().sort(indexOrder)).slice(0, limit).map((i) => toContainer(i));
  }

  private async findInShard(gpk: string, weight: number, limit: number): Promise<Item[]> {
    const out = await this.table.call('FindCandidates', () =>
      this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: FleetTable.indexes.placement.indexName,
          KeyConditionExpression: 'gpk = :p AND #free >= :w',
          ExpressionAttributeNames: { '#free': 'free' },
          ExpressionAttributeValues: { ':p': gpk, ':w': weight },
          ScanIndexForward: true,
          Limit: limit,
        }),
      ),
    );
    return out.Items ?? [];
  }

  /** The `pool-nodes` partition key of a node's items: its pool's shard of the node (read from the container when the pool is not given). */
  private async nodeIndexPk(ref: ContainerRef, pool: string | undefined): Promise<string | undefined> {
    if (pool !== undefined) return poolPk(pool, shardOf(ref.nodeId, await this.table.shards(pool)));
    const item = await this.table.getItem('GetContainer', containerKey(ref.nodeId, ref.container));
    return item?.npk as string | undefined;
  }

  public async claimCapacity(
    ref: ContainerRef,
    roomId: string,
    weight: number,
    now: number,
    options: { readonly mayHold?: boolean | undefined; readonly pool?: string | undefined; readonly expectedEndAt?: number | undefined } = {},
  ): Promise<ClaimCapacityResult> {
    const key = containerKey(ref.nodeId, ref.container);
    // The hold first: every room in the container's compact map has its id listed.
    const npk = await this.nodeIndexPk(ref, options.pool);
    const token = randomBytes(6).toString('base64url');
    const wroteHold = await this.putHold(ref, roomId, npk, token, true);
    try {
      const out = await this.updateClaim(ref, roomId, weight, now, options.expectedEndAt);
      // The hold was there already (an earlier attempt's, which may be deleting it as it loses
      // its own claim): this claim's hold is put again, so the room's id stays listed.
      if (!wroteHold) await this.putHold(ref, roomId, npk, token, false);
      return { kind: 'claimed', container: toContainer(out ?? {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`ClaimCapacity ${ref.nodeId}/${ref.container} failed`, e);
      const old = options.mayHold === false ? undefined : await this.table.itemAfterConditionFailure(e, key);
      if (old && heldWeight(old, roomId)) return { kind: 'already', container: toContainer(old) };
      // Lost: the hold this claim wrote goes, unless another claim of the room here has put its
      // own since (the delete is conditional on this claim's token).
      if (wroteHold) await this.deleteHold(ref, roomId, token);
      return { kind: 'conflict' };
    }
  }

  private async updateClaim(ref: ContainerRef, roomId: string, weight: number, now: number, endAt: number | undefined): Promise<Item | undefined> {
    // The predicted end in whole seconds (rounded up): 6 bytes a room instead of 8 for ms.
    const end = endAt === undefined ? undefined : Math.ceil(endAt / 1000);
    const send = () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: containerKey(ref.nodeId, ref.container),
          UpdateExpression: `SET ${HELD_ATTR}.#t = :w, used = used + :w, #free = #free - :w, lastPlacedAt = :now${end === undefined ? '' : `, ${ENDS_ATTR}.#t = :e`}`,
          ConditionExpression: `accepting = :true AND #free >= :w AND attribute_not_exists(${HELD_ATTR}.#t) AND attribute_not_exists(rooms.#r)`,
          ExpressionAttributeNames: { '#t': roomTag(roomId), '#r': roomId, '#free': 'free' },
          ExpressionAttributeValues: { ':w': weight, ':true': true, ':now': now, ...(end === undefined ? {} : { ':e': end }) },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    try {
      return (await send()).Attributes;
    } catch (e) {
      // A container written before compact keys (or before predicted ends) has no `rh` (or `re`)
      // map yet: add what is missing, then claim again.
      if ((e as { name?: string }).name !== 'ValidationException') throw e;
      await this.table.conditional('AddHeldMap', {
        Key: containerKey(ref.nodeId, ref.container),
        UpdateExpression: `SET ${HELD_ATTR} = if_not_exists(${HELD_ATTR}, :empty), ${ENDS_ATTR} = if_not_exists(${ENDS_ATTR}, :empty)`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':empty': {} },
      });
      return (await send()).Attributes;
    }
  }

  /**
   * Put the room's hold item, with this claim's `token` (`onlyNew`: unless there is one); true
   * when this call wrote it.
   */
  private async putHold(ref: ContainerRef, roomId: string, npk: string | undefined, token: string, onlyNew: boolean): Promise<boolean> {
    const { pk, sk } = holdKey(ref.nodeId, ref.container, roomId);
    const nsk = npk ? `${ref.nodeId}#${holdSk(ref.container, roomId)}` : undefined;
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { pk, sk, type: 'hold', nodeId: ref.nodeId, idx: ref.container, roomId, tok: token, npk, nsk },
          ...(onlyNew ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw new FleetStoreError(`PutHold ${ref.nodeId}/${ref.container} failed`, e);
    }
  }

  /** Delete the room's hold item (`token`: only if that claim's hold is the one there). */
  private async deleteHold(ref: ContainerRef, roomId: string, token?: string): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: holdKey(ref.nodeId, ref.container, roomId),
          ...(token === undefined ? {} : { ConditionExpression: 'tok = :tok', ExpressionAttributeValues: { ':tok': token } }),
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`DeleteHold ${ref.nodeId}/${ref.container} failed`, e);
    }
  }

  public async releaseCapacity(ref: ContainerRef, roomId: string, weight: number): Promise<ContainerView | undefined> {
    return this.release(ref, roomId, weight, false);
  }

  /**
   * Remove the room's entry (`legacy`: from the full-id map) and its predicted end, then its hold.
   * `withEnds` false: a container written before predicted ends, which has no `re` map.
   */
  private async release(ref: ContainerRef, roomId: string, weight: number, legacy: boolean, withEnds = !legacy): Promise<ContainerView | undefined> {
    const path = legacy ? 'rooms.#r' : `${HELD_ATTR}.#r`;
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: containerKey(ref.nodeId, ref.container),
          UpdateExpression: `REMOVE ${path}${withEnds ? `, ${ENDS_ATTR}.#r` : ''} SET used = used - :w, #free = #free + :w`,
          ConditionExpression: `${path} = :w`,
          ExpressionAttributeNames: { '#r': legacy ? roomId : roomTag(roomId), '#free': 'free' },
          ExpressionAttributeValues: { ':w': weight },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      // The capacity is free: a failure to delete the hold now must not fail the release (its
      // retry would find nothing held and skip what follows). A hold left behind names a room the
      // container no longer holds: every reader ignores it, and the next release of that room
      // here, or the node's termination, deletes it.
      await this.deleteHold(ref, roomId).catch((err: unknown) => {
        // Only a DynamoDB error response (throttling, …) is absorbed; anything else (a crash) goes on.
        if (!(err instanceof FleetStoreError && typeof (err.cause as { $metadata?: unknown } | undefined)?.$metadata === 'object')) throw err;
      });
      return toContainer(out.Attributes ?? {});
    } catch (e) {
      if (withEnds && (e as { name?: string }).name === 'ValidationException') return this.release(ref, roomId, weight, legacy, false);
      if (!isConditionFailure(e)) throw new FleetStoreError(`ReleaseCapacity ${ref.nodeId}/${ref.container} failed`, e);
      const old = await this.table.itemAfterConditionFailure(e, containerKey(ref.nodeId, ref.container));
      const held = heldWeight(old, roomId);
      // Held with another weight (a reconnect of a different size), or in the full-id map of a
      // container written before compact keys: release what is held.
      if (held && (held.weight !== weight || held.legacy !== legacy)) return this.release(ref, roomId, held.weight, held.legacy);
      // Not held: a hold left by a release that stopped between its two writes goes now.
      if (old) await this.deleteHold(ref, roomId);
      return undefined;
    }
  }

  public async roomsOnNode(nodeId: string): Promise<ReadonlyMap<number, readonly string[]>> {
    const out = new Map<number, string[]>();
    for (const c of joinContainers(await this.table.nodeItems(nodeId))) out.set(c.index, Object.keys(c.rooms ?? {}));
    return out;
  }
}
