/**
 * {@link CapacityStore} on the fleet table: container items (`NODE#<instanceId>` / `C#<nn>`)
 * and the sparse `placement` index of accepting containers by free capacity. Placement is one
 * conditional `UpdateItem` on the container item; no transactions.
 *
 * @module
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContainerRef, ContainerView } from '../../domain/model.ts';
import { FleetStoreError } from '../../errors.ts';
import type { CapacityStore, ClaimCapacityResult } from '../../ports/fleet-store.ts';
import { FleetTable } from './fleet-table.ts';
import { containerKey, poolPk, toContainer, type Item } from './items.ts';
import { isConditionFailure, type FleetTableClient } from './table-client.ts';

/**
 * Container capacity on DynamoDB. Costs: `findCandidates` one Query, `claimCapacity` one
 * UpdateItem (plus a read on a lost condition when the emulator does not return the old item),
 * whatever the fleet size. Failures other than lost conditions throw {@link FleetStoreError}.
 *
 * @example
 * const capacity = new DynamoDbCapacityStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const [best] = await capacity.findCandidates('default', 1, 5);
 */
export class DynamoDbCapacityStore implements CapacityStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async findCandidates(pool: string, weight: number, limit: number): Promise<readonly ContainerView[]> {
    const out = await this.table.call('FindCandidates', () =>
      this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: FleetTable.indexes.placement.indexName,
          KeyConditionExpression: 'gpk = :p AND #free >= :w',
          ExpressionAttributeNames: { '#free': 'free' },
          ExpressionAttributeValues: { ':p': poolPk(pool), ':w': weight },
          ScanIndexForward: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(toContainer);
  }

  public async claimCapacity(
    ref: ContainerRef,
    roomId: string,
    weight: number,
    now: number,
    options: { readonly mayHold?: boolean | undefined } = {},
  ): Promise<ClaimCapacityResult> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: containerKey(ref.nodeId, ref.container),
          UpdateExpression: 'SET rooms.#r = :w, used = used + :w, #free = #free - :w, lastPlacedAt = :now',
          ConditionExpression: 'accepting = :true AND #free >= :w AND attribute_not_exists(rooms.#r)',
          ExpressionAttributeNames: { '#r': roomId, '#free': 'free' },
          ExpressionAttributeValues: { ':w': weight, ':true': true, ':now': now },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', container: toContainer(out.Attributes ?? {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`ClaimCapacity ${ref.nodeId}/${ref.container} failed`, e);
      if (options.mayHold === false) return { kind: 'conflict' };
      const old = await this.table.itemAfterConditionFailure(e, containerKey(ref.nodeId, ref.container));
      const rooms = old?.rooms as Record<string, unknown> | undefined;
      if (old && rooms && roomId in rooms) return { kind: 'already', container: toContainer(old) };
      return { kind: 'conflict' };
    }
  }

  public async releaseCapacity(ref: ContainerRef, roomId: string, weight: number): Promise<ContainerView | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: containerKey(ref.nodeId, ref.container),
          UpdateExpression: 'REMOVE rooms.#r SET used = used - :w, #free = #free + :w',
          ConditionExpression: 'rooms.#r = :w',
          ExpressionAttributeNames: { '#r': roomId, '#free': 'free' },
          ExpressionAttributeValues: { ':w': weight },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toContainer(out.Attributes ?? {});
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`ReleaseCapacity ${ref.nodeId}/${ref.container} failed`, e);
      const old = await this.table.itemAfterConditionFailure(e, containerKey(ref.nodeId, ref.container));
      const held = (old?.rooms as Record<string, number> | undefined)?.[roomId];
      // Held with another weight (a reconnect of a different size): release what is held.
      if (typeof held === 'number' && held !== weight) return this.releaseCapacity(ref, roomId, held);
      return undefined;
    }
  }

  public async roomsOnNode(nodeId: string): Promise<ReadonlyMap<number, readonly string[]>> {
    const items = await this.table.nodeItems(nodeId);
    const out = new Map<number, string[]>();
    for (const it of items) if (it.type === 'container') out.set(it.idx as number, Object.keys((it.rooms as Item | undefined) ?? {}));
    return out;
  }
}
