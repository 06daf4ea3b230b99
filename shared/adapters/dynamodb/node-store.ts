/**
 * {@link NodeStore} on the fleet table: node items (`NODE#<instanceId>` / `NODE`), their
 * container items, and the `pool-nodes` index of a pool's live nodes.
 *
 * @module
 */
import { DeleteCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContainerView, NodeState, NodeView } from '../../domain/model.ts';
import { FleetStoreError } from '../../errors.ts';
import type { NodeRecord, NodeStore } from '../../ports/fleet-store.ts';
import { FleetTable } from './fleet-table.ts';
import { allShards, containerKey, containerSk, ENDS_ATTR, HELD_ATTR, joinContainers, nodeKey, placementFree, poolPk, shardOf, toNode, type Item } from './items.ts';
import { isConditionFailure, type FleetTableClient } from './table-client.ts';

/**
 * Nodes on DynamoDB. `getNode` is one consistent Query on the node's partition (node and
 * containers); `listNodes` one Query on `pool-nodes`. State changes are conditional updates
 * that return `undefined` on a lost race; other failures throw {@link FleetStoreError}.
 *
 * @example
 * const nodes = new DynamoDbNodeStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const node = await nodes.transitionNode('i-1', ['ready'], 'draining', now, 'surplus');
 */
export class DynamoDbNodeStore implements NodeStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async createNode(node: NodeRecord, now: number): Promise<boolean> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...nodeKey(node.nodeId),
            type: 'node',
            ...node,
            hot: false,
            stateChangedAt: now,
            npk: await this.nodeIndexPk(node.pool, node.nodeId),
            nsk: `${node.nodeId}#NODE`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw new FleetStoreError(`CreateNode ${node.nodeId} failed`, e);
    }
  }

  public async getNode(nodeId: string): Promise<NodeView | undefined> {
    const items = await this.table.nodeItems(nodeId);
    const node = items.find((i) => i.type === 'node');
    if (!node) return undefined;
    return toNode(node, joinContainers(items));
  }

  /** Partition key of a node's items in `pool-nodes` and of its containers in `placement`: the pool's shard of the node. */
  private async nodeIndexPk(pool: string, nodeId: string): Promise<string> {
    return poolPk(pool, shardOf(nodeId, await this.table.shards(pool)));
  }

  /** The stored node record (without containers), or undefined. One consistent GetItem. */
  public async getNodeRecord(nodeId: string): Promise<(NodeRecord & { hot: boolean }) | undefined> {
    return (await this.table.getItem('GetNode', nodeKey(nodeId))) as (NodeRecord & { hot: boolean }) | undefined;
  }

  public async listNodes(pool: string): Promise<readonly NodeView[]> {
    // Every shard of the pool, in parallel (one Query each, all pages).
    const shards = allShards(await this.table.shards(pool));
    const pages = await Promise.all(
      shards.map((shard) =>
        this.table.queryAll({
          IndexName: FleetTable.indexes.poolNodes.indexName,
          KeyConditionExpression: 'npk = :p',
          ExpressionAttributeValues: { ':p': poolPk(pool, shard) },
        }),
      ),
    );
    const items = pages.flat();
    const nodes = new Map<string, Item>();
    const containers = new Map<string, ContainerView[]>();
    for (const it of items) if (it.type === 'node') nodes.set(it.nodeId as string, it);
    for (const c of joinContainers(items)) {
      const list = containers.get(c.nodeId) ?? [];
      list.push(c);
      containers.set(c.nodeId, list);
    }
    // By node id, as one unsharded Query returns them (`nsk` starts with the node id): the
    // sweep's choices among equal nodes then do not depend on S.
    const byId = (a: Item, b: Item) => (String(a.nodeId) < String(b.nodeId) ? -1 : String(a.nodeId) > String(b.nodeId) ? 1 : 0);
    return [...nodes.values()].sort(byId).map((n) => toNode(n, containers.get(n.nodeId as string) ?? []));
  }

  /**
   * The pool's nodes page by page of the `pool-nodes` Query (≤ 1 MB each, DynamoDB's page limit),
   * one index shard after the other (a node and its items live in one shard). The index sorts a
   * node's items together (`<nodeId>#C#…`, its hold items, `<nodeId>#NODE`), so only the last node
   * of a page may be cut; its items are held back and completed from the next page.
   *
   * @param itemsPerPage - the Query's `Limit` (items per page); DynamoDB's 1 MB pages when absent
   * @throws {FleetStoreError} when a page cannot be read (pages already yielded stay valid)
   */
  public async *listNodePages(pool: string, itemsPerPage?: number): AsyncIterable<readonly NodeView[]> {
    const views = (items: readonly Item[]): NodeView[] => {
      const containers = new Map<string, ContainerView[]>();
      for (const c of joinContainers(items)) containers.set(c.nodeId, [...(containers.get(c.nodeId) ?? []), c]);
      return items.filter((it) => it.type === 'node').map((n) => toNode(n, containers.get(n.nodeId as string) ?? []));
    };
    for (const shard of allShards(await this.table.shards(pool))) {
      const pages = paginateQuery(
        { client: this.table.doc },
        {
          TableName: this.table.name,
          IndexName: FleetTable.indexes.poolNodes.indexName,
          KeyConditionExpression: 'npk = :p',
          ExpressionAttributeValues: { ':p': poolPk(pool, shard) },
          ...(itemsPerPage === undefined ? {} : { Limit: itemsPerPage }),
        },
      );
      let carry: Item[] = [];
      try {
        for await (const page of pages) {
          const items = [...carry, ...(page.Items ?? [])];
          const lastId = items.at(-1)?.nodeId;
          const cut = items.findIndex((it) => it.nodeId === lastId);
          carry = items.slice(cut);
          const whole = views(items.slice(0, cut));
          if (whole.length > 0) yield whole;
        }
      } catch (e) {
        throw new FleetStoreError('ListNodePages failed', e);
      }
      const rest = views(carry);
      if (rest.length > 0) yield rest;
    }
  }

  public async transitionNode(
    nodeId: string,
    from: readonly NodeState[],
    to: NodeState,
    now: number,
    drainReason?: string,
  ): Promise<NodeView | undefined> {
    const values: Item = { ':to': to, ':now': now };
    from.forEach((s, i) => (values[`:f${i}`] = s));
    let update = 'SET #state = :to, stateChangedAt = :now';
    if (to === 'draining') {
      update += ', drainingSince = :now, drainReason = :why';
      values[':why'] = drainReason ?? 'surplus';
    }
    if (to === 'ready') update += ' REMOVE drainingSince, drainReason';
    if (to === 'terminated') update += ' REMOVE npk';
    const ok = await this.table.conditional('TransitionNode', {
      Key: nodeKey(nodeId),
      UpdateExpression: update,
      ConditionExpression: `#state IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: values,
    });
    if (!ok) return undefined;
    const node = await this.getNode(nodeId);
    if (node && to === 'terminated') {
      // Holds a release left behind (stopped between its two writes) leave the pool's index.
      for (const hold of (await this.table.nodeItems(nodeId)).filter((i) => i.type === 'hold')) {
        await this.table.call('DeleteHold', () => this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: { pk: hold.pk, sk: hold.sk } })));
      }
      for (const c of node.containers) {
        await this.table.call('CloseContainer', () =>
          this.table.doc.send(
            new UpdateCommand({
              TableName: this.table.name,
              Key: containerKey(nodeId, c.index),
              UpdateExpression: 'SET accepting = :false REMOVE gpk, npk',
              ExpressionAttributeValues: { ':false': false },
            }),
          ),
        );
      }
    }
    return node;
  }

  public async markReady(
    nodeId: string,
    containers: readonly { index: number; privateIp?: string | undefined; publicIp?: string | undefined; cpuset?: string | undefined }[],
    now: number,
  ): Promise<NodeView | undefined> {
    const record = await this.getNodeRecord(nodeId);
    if (!record) return undefined;
    if (record.state === 'draining') return this.getNode(nodeId);
    // `ready` again: a redelivered NodeReady after a crash inside the first markReady completes
    // what the crash left undone (missing containers, containers not yet accepting).
    if (record.state !== 'launching' && record.state !== 'booting' && record.state !== 'ready' && record.state !== 'starting') return undefined;
    for (const c of containers) {
      try {
        await this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...containerKey(nodeId, c.index),
              type: 'container',
              nodeId,
              pool: record.pool,
              idx: c.index,
              capacity: record.capacityPerContainer,
              used: 0,
              free: placementFree(record.capacityPerContainer, record.launchedAt, nodeId, c.index),
              accepting: false,
              [HELD_ATTR]: {},
              [ENDS_ATTR]: {},
              privateIp: c.privateIp,
              publicIp: c.publicIp,
              cpuset: c.cpuset,
              npk: await this.nodeIndexPk(record.pool, nodeId),
              nsk: `${nodeId}#${containerSk(c.index)}`,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw new FleetStoreError(`MarkReady ${nodeId} container ${c.index} failed`, e);
        // Started again after a stop: same container, possibly a new Elastic IP.
        if (record.state === 'starting') await this.setPublicIp(nodeId, c.index, c.publicIp);
      }
    }
    const ok =
      record.state === 'ready' ||
      (await this.table.conditional('MarkReady', {
        Key: nodeKey(nodeId),
        UpdateExpression: 'SET #state = :ready, readyAt = :now, stateChangedAt = :now',
        ConditionExpression: '#state IN (:l, :b, :s)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':ready': 'ready', ':now': now, ':l': 'launching', ':b': 'booting', ':s': 'starting' },
      }));
    if (!ok) return this.getNode(nodeId);
    if (!record.hot) await this.setContainersAccepting(nodeId, record.pool, containers.map((c) => c.index), true);
    return this.getNode(nodeId);
  }

  public async setAccepting(nodeId: string, accepting: boolean): Promise<void> {
    const node = await this.getNode(nodeId);
    if (!node) return;
    await this.setContainersAccepting(nodeId, node.pool, node.containers.map((c) => c.index), accepting);
  }

  public async setHot(nodeId: string, hot: boolean): Promise<void> {
    await this.table.conditional('SetHot', {
      Key: nodeKey(nodeId),
      UpdateExpression: 'SET #hot = :h',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#hot': 'hot' },
      ExpressionAttributeValues: { ':h': hot },
    });
  }

  public async setEmptySince(nodeId: string, since: number | undefined): Promise<void> {
    await this.table.conditional('SetEmptySince', {
      Key: nodeKey(nodeId),
      UpdateExpression: since === undefined ? 'REMOVE emptySince' : 'SET emptySince = :s',
      ConditionExpression: 'attribute_exists(pk)',
      ...(since === undefined ? {} : { ExpressionAttributeValues: { ':s': since } }),
    });
  }

  /** Set (or remove) a container's public IP: a node started after a stop may have new Elastic IPs. */
  private async setPublicIp(nodeId: string, index: number, publicIp: string | undefined): Promise<void> {
    await this.table.call('SetPublicIp', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: containerKey(nodeId, index),
          UpdateExpression: publicIp === undefined ? 'REMOVE publicIp' : 'SET publicIp = :p',
          ...(publicIp === undefined ? {} : { ExpressionAttributeValues: { ':p': publicIp } }),
        }),
      ),
    );
  }

  /** Put containers in or out of the `placement` index (a container gone meanwhile is skipped). */
  private async setContainersAccepting(nodeId: string, pool: string, indexes: readonly number[], accepting: boolean): Promise<void> {
    const gpk = await this.nodeIndexPk(pool, nodeId);
    for (const index of indexes) {
      await this.table
        .call('SetAccepting', () =>
          this.table.doc.send(
            new UpdateCommand({
              TableName: this.table.name,
              Key: containerKey(nodeId, index),
              UpdateExpression: accepting ? 'SET accepting = :a, gpk = :g' : 'SET accepting = :a REMOVE gpk',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: accepting ? { ':a': true, ':g': gpk } : { ':a': false },
            }),
          ),
        )
        .catch((e: unknown) => {
          if (!(e instanceof FleetStoreError && isConditionFailure(e.cause))) throw e;
        });
    }
  }
}
