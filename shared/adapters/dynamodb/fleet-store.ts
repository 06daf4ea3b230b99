/**
 * `FleetStore` on DynamoDB (single table, see fleet-table.ts). No transactions: placement is one
 * conditional `UpdateItem` on the container item; everything else is written idempotently.
 *
 * @module
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ContainerRef, ContainerView, NodeState, NodeView, RoomState } from '../../domain/model.ts';
import { bucketKey } from '../../domain/scaling.ts';
import { FleetStoreError } from '../../errors.ts';
import type {
  ArrivalHistory,
  ArrivalHistoryUpdate,
  BeginRoomResult,
  ClaimCapacityResult,
  FleetStore,
  NodeRecord,
  PoolSummary,
  ReleaseRoomResult,
  RoomRecord,
  SummaryDelta,
  SummarySnapshot,
} from '../../ports/fleet-store.ts';
import { FleetTable } from './fleet-table.ts';

type Item = Record<string, unknown>;

/** Most keys one BatchGetItem accepts (DynamoDB API limit). */
const BATCH_GET_LIMIT = 100;

const ARRIVAL_PREFIX = 'arr_';
const LAUNCH_PREFIX = 'lau_';
const DRAINING_PREFIX = 'drn_';

const nodeKey = (nodeId: string) => ({ pk: `NODE#${nodeId}`, sk: 'NODE' });
const containerSk = (index: number) => `C#${String(index).padStart(2, '0')}`;
const containerKey = (nodeId: string, index: number) => ({ pk: `NODE#${nodeId}`, sk: containerSk(index) });
const roomKey = (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'ROOM' });
const summaryKey = (pool: string) => ({ pk: `POOL#${pool}`, sk: 'SUMMARY' });
const historyKey = (pool: string) => ({ pk: `POOL#${pool}`, sk: 'HISTORY' });
const HISTORY_PREFIX = 'h_';
const poolPk = (pool: string) => `POOL#${pool}`;
const queuePk = (pool: string) => `QUEUE#${pool}`;
/** Rooms in `placing` sit in the queue index under this key, by claim time, so the sweep finds stranded claims. */
const placingPk = (pool: string) => `PLACING#${pool}`;
const queueSk = (queuedAt: number, roomId: string) => `${String(queuedAt).padStart(15, '0')}#${roomId}`;

function isConditionFailure(e: unknown): e is ConditionalCheckFailedException {
  return e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** The item a failed condition returned (ReturnValuesOnConditionCheckFailure = ALL_OLD). */
function oldItem(e: ConditionalCheckFailedException): Item | undefined {
  const raw = (e as { Item?: Record<string, unknown> }).Item;
  if (!raw) return undefined;
  return unmarshallLoose(raw);
}

/** The exception carries raw AttributeValues; convert the shapes this store uses. */
function unmarshallLoose(raw: Record<string, unknown>): Item {
  const conv = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    const av = v as Record<string, unknown>;
    if ('S' in av) return av.S;
    if ('N' in av) return Number(av.N);
    if ('BOOL' in av) return av.BOOL;
    if ('NULL' in av) return null;
    if ('M' in av) return Object.fromEntries(Object.entries(av.M as Record<string, unknown>).map(([k, x]) => [k, conv(x)]));
    if ('L' in av) return (av.L as unknown[]).map(conv);
    return v;
  };
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, conv(v)]));
}

function toRoom(item: Item): RoomRecord {
  const nodeId = item.nodeId as string | undefined;
  const target = item.target as { nodeId: string; container: number } | undefined;
  return {
    roomId: item.roomId as string,
    state: item.state as RoomState,
    pool: (item.pool as string | undefined) ?? '',
    weight: (item.weight as number | undefined) ?? 0,
    eventId: (item.eventId as string | undefined) ?? '',
    createdAt: (item.createdAt as number | undefined) ?? 0,
    requestedAt: (item.requestedAt as number | undefined) ?? 0,
    releasedAt: item.releasedAt as number | undefined,
    queuedAt: item.queuedAt as number | undefined,
    placedAt: item.placedAt as number | undefined,
    placement: nodeId !== undefined ? { nodeId, container: item.container as number } : undefined,
    target: target ? { nodeId: target.nodeId, container: target.container } : undefined,
    tenantId: item.tenantId as string | undefined,
  };
}

function toContainer(item: Item): ContainerView {
  return {
    nodeId: item.nodeId as string,
    index: item.idx as number,
    capacity: item.capacity as number,
    used: item.used as number,
    accepting: item.accepting === true,
    privateIp: item.privateIp as string | undefined,
    publicIp: item.publicIp as string | undefined,
    cpuset: item.cpuset as string | undefined,
    rooms: item.rooms as Record<string, number> | undefined,
    lastPlacedAt: item.lastPlacedAt as number | undefined,
  };
}

function toNode(item: Item, containers: ContainerView[]): NodeView {
  return {
    nodeId: item.nodeId as string,
    pool: item.pool as string,
    state: item.state as NodeState,
    instanceType: item.instanceType as string,
    launchedAt: item.launchedAt as number,
    readyAt: item.readyAt as number | undefined,
    stateChangedAt: item.stateChangedAt as number | undefined,
    hot: item.hot === true,
    emptySince: item.emptySince as number | undefined,
    drainingSince: item.drainingSince as number | undefined,
    drainReason: item.drainReason as string | undefined,
    containers: containers.sort((a, b) => a.index - b.index),
    plannedCapacity: ((item.containersPerNode as number | undefined) ?? 0) * ((item.capacityPerContainer as number | undefined) ?? 0),
  };
}

function bucketsOf(item: Item | undefined, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(item ?? {})) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v as number;
  return out;
}

function toSummary(pool: string, item: Item | undefined): PoolSummary {
  return {
    pool,
    arrivals: bucketsOf(item, ARRIVAL_PREFIX),
    launches: bucketsOf(item, LAUNCH_PREFIX),
    readyFree: (item?.readyFree as number | undefined) ?? 0,
    pendingCapacity: (item?.pendingCapacity as number | undefined) ?? 0,
    queuedWeight: (item?.queuedWeight as number | undefined) ?? 0,
    liveNodes: (item?.liveNodes as number | undefined) ?? 0,
    draining: bucketsOf(item, DRAINING_PREFIX),
    ...(typeof item?.forecastWeight === 'number' ? { forecastWeight: item.forecastWeight } : {}),
  };
}

/** Options of {@link DynamoDbFleetStore}. */
export interface DynamoDbFleetStoreOptions {
  /** A DynamoDB client (built once at module scope by the caller). */
  readonly client: DynamoDBClient;
  /** The fleet table's name. */
  readonly tableName: string;
}

/**
 * The fleet store on DynamoDB.
 *
 * Costs (round trips): `findCandidates` 1 Query; `claimCapacity` 1 UpdateItem; `beginRoom`,
 * `confirmPlaced`, `markQueued`, `releaseRoom`, `adjustSummary` 1 each — independent of fleet size.
 * Lost conditional races are returned as outcomes; other SDK failures are rethrown as
 * {@link FleetStoreError} with `cause`.
 *
 * @example
 * const store = new DynamoDbFleetStore({ client: new DynamoDBClient({}), tableName: 'fleet' });
 * const candidates = await store.findCandidates('default', 1, 5);
 */
export class DynamoDbFleetStore implements FleetStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  public constructor(options: DynamoDbFleetStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.table = options.tableName;
  }

  // ------------------------------------------------------------------------------------ rooms

  public async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const out = await this.call('GetRoom', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: roomKey(roomId), ConsistentRead: true })),
    );
    return out.Item ? toRoom(out.Item) : undefined;
  }

  public async beginRoom(input: Parameters<FleetStore['beginRoom']>[0]): Promise<BeginRoomResult> {
    const { roomId, pool, weight, eventId, eventTime, now, target, tenantId } = input;
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
    };
    let set =
      '#state = :placing, roomId = :room, #type = :type, #pool = :pool, weight = :w, eventId = :eid, createdAt = :t, requestedAt = :now, qpk = :ppk, qsk = :psk';
    values[':ppk'] = placingPk(pool);
    values[':psk'] = queueSk(now, roomId);
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
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: roomKey(roomId),
          UpdateExpression: `SET ${set} REMOVE ${remove.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :released AND releasedAt < :t)',
          ExpressionAttributeNames: { '#state': 'state', '#type': 'type', '#container': 'container', '#pool': 'pool' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', room: toRoom(out.Attributes ?? {}) };
    } catch (e) {
      if (!isConditionFailure(e)) throw new FleetStoreError(`BeginRoom ${roomId} failed`, e);
      const old = await this.itemAfterConditionFailure(e, roomKey(roomId));
      if (!old) throw new FleetStoreError(`BeginRoom ${roomId}: condition failed but no item`, e);
      const room = toRoom(old);
      if (room.state === 'released') return { kind: 'stale', releasedAt: room.releasedAt ?? 0 };
      if (room.state === 'placing' && room.eventId === eventId) return { kind: 'claimed', room };
      return { kind: 'active', room };
    }
  }

  public async setTarget(roomId: string, eventId: string, target: ContainerRef): Promise<boolean> {
    return this.conditional('SetTarget', {
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
    return this.conditional('ConfirmPlaced', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET #state = :placed, nodeId = :node, #container = :c, placedAt = :now REMOVE target, qpk, qsk',
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

  public async markQueued(room: Pick<RoomRecord, 'roomId' | 'pool' | 'queuedAt'>, eventId: string, now: number): Promise<boolean> {
    const { roomId } = room;
    const queuedAt = room.queuedAt ?? now;
    return this.conditional('MarkQueued', {
      Key: roomKey(roomId),
      UpdateExpression: 'SET #state = :queued, queuedAt = :qa, qpk = :qpk, qsk = :qsk REMOVE target',
      ConditionExpression: '#state = :placing AND eventId = :eid',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':queued': 'queued',
        ':placing': 'placing',
        ':eid': eventId,
        ':qa': queuedAt,
        ':qpk': queuePk(room.pool),
        ':qsk': queueSk(queuedAt, roomId),
      },
    });
  }

  public async listQueued(pool: string, limit: number): Promise<readonly RoomRecord[]> {
    const out = await this.call('ListQueued', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: FleetTable.indexes.queue.indexName,
          KeyConditionExpression: 'qpk = :q',
          ExpressionAttributeValues: { ':q': queuePk(pool) },
          ScanIndexForward: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(toRoom);
  }

  public async claimQueued(
    roomId: string,
    claimId: string,
    target: ContainerRef,
    placing?: { readonly pool: string; readonly now: number },
  ): Promise<RoomRecord | undefined> {
    try {
      // With `placing`, the claimed room moves from the queue to the placing index (rather than
      // out of every index): a crash before it is placed or re-queued leaves it where the
      // sweep's repair finds it.
      const index = placing ? 'qpk = :ppk, qsk = :psk' : undefined;
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: roomKey(roomId),
          UpdateExpression: `SET #state = :placing, eventId = :claim, target = :target${index ? `, ${index}` : ' REMOVE qpk'}`,
          ConditionExpression: '#state = :queued',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':placing': 'placing',
            ':queued': 'queued',
            ':claim': claimId,
            ':target': { nodeId: target.nodeId, container: target.container },
            ...(placing ? { ':ppk': placingPk(placing.pool), ':psk': queueSk(placing.now, roomId) } : {}),
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

  public async listPlacing(pool: string, claimedBefore: number, limit: number): Promise<readonly RoomRecord[]> {
    const out = await this.call('ListPlacing', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: FleetTable.indexes.queue.indexName,
          KeyConditionExpression: 'qpk = :q AND qsk < :before',
          ExpressionAttributeValues: { ':q': placingPk(pool), ':before': queueSk(claimedBefore, '') },
          ScanIndexForward: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(toRoom).filter((r) => r.state === 'placing');
  }

  public async getRooms(roomIds: readonly string[]): Promise<ReadonlyMap<string, RoomRecord>> {
    const found = new Map<string, RoomRecord>();
    const ids = [...new Set(roomIds)];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + BATCH_GET_LIMIT).map(roomKey);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 10) throw new FleetStoreError(`GetRooms: ${keys.length} keys still unprocessed after ${attempt} tries`);
        const out = await this.call('GetRooms', () =>
          this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } })),
        );
        for (const item of out.Responses?.[this.table] ?? []) found.set(item.roomId as string, toRoom(item));
        keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  public async rejectQueued(roomId: string, now: number): Promise<RoomRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
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
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
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
      const old = await this.itemAfterConditionFailure(e, roomKey(roomId));
      if (old && old.state === 'released') return { kind: 'ignored', reason: 'already-released' };
      return { kind: 'ignored', reason: 'older-than-create' };
    }
  }

  public async listRooms(states: readonly RoomState[]): Promise<readonly RoomRecord[]> {
    const names: Record<string, string> = { '#type': 'type', '#state': 'state' };
    const values: Item = { ':room': 'room' };
    states.forEach((s, i) => (values[`:s${i}`] = s));
    const items = await this.scanAll({
      FilterExpression: `#type = :room AND #state IN (${states.map((_, i) => `:s${i}`).join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return items.map(toRoom);
  }

  // -------------------------------------------------------------------------------- capacity

  public async findCandidates(pool: string, weight: number, limit: number): Promise<readonly ContainerView[]> {
    const out = await this.call('FindCandidates', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
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
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
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
      const old = await this.itemAfterConditionFailure(e, containerKey(ref.nodeId, ref.container));
      const rooms = old?.rooms as Record<string, unknown> | undefined;
      if (old && rooms && roomId in rooms) return { kind: 'already', container: toContainer(old) };
      return { kind: 'conflict' };
    }
  }

  public async releaseCapacity(ref: ContainerRef, roomId: string, weight: number): Promise<ContainerView | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
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
      const old = await this.itemAfterConditionFailure(e, containerKey(ref.nodeId, ref.container));
      const held = (old?.rooms as Record<string, number> | undefined)?.[roomId];
      // Held with another weight (a reconnect of a different size): release what is held.
      if (typeof held === 'number' && held !== weight) return this.releaseCapacity(ref, roomId, held);
      return undefined;
    }
  }

  public async roomsOnNode(nodeId: string): Promise<ReadonlyMap<number, readonly string[]>> {
    const items = await this.nodeItems(nodeId);
    const out = new Map<number, string[]>();
    for (const it of items) if (it.type === 'container') out.set(it.idx as number, Object.keys((it.rooms as Item | undefined) ?? {}));
    return out;
  }

  // ----------------------------------------------------------------------------------- nodes

  public async createNode(node: NodeRecord, now: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...nodeKey(node.nodeId),
            type: 'node',
            ...node,
            hot: false,
            stateChangedAt: now,
            npk: poolPk(node.pool),
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
    const items = await this.nodeItems(nodeId);
    const node = items.find((i) => i.type === 'node');
    if (!node) return undefined;
    return toNode(node, items.filter((i) => i.type === 'container').map(toContainer));
  }

  /** The stored node record (without containers), or undefined. */
  public async getNodeRecord(nodeId: string): Promise<(NodeRecord & { hot: boolean }) | undefined> {
    const out = await this.call('GetNode', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: nodeKey(nodeId), ConsistentRead: true })),
    );
    return out.Item as (NodeRecord & { hot: boolean }) | undefined;
  }

  public async listNodes(pool: string): Promise<readonly NodeView[]> {
    const items = await this.queryAll({
      IndexName: FleetTable.indexes.poolNodes.indexName,
      KeyConditionExpression: 'npk = :p',
      ExpressionAttributeValues: { ':p': poolPk(pool) },
    });
    const nodes = new Map<string, Item>();
    const containers = new Map<string, ContainerView[]>();
    for (const it of items) {
      if (it.type === 'node') nodes.set(it.nodeId as string, it);
      else if (it.type === 'container') {
        const list = containers.get(it.nodeId as string) ?? [];
        list.push(toContainer(it));
        containers.set(it.nodeId as string, list);
      }
    }
    return [...nodes.values()].map((n) => toNode(n, containers.get(n.nodeId as string) ?? []));
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
    const ok = await this.conditional('TransitionNode', {
      Key: nodeKey(nodeId),
      UpdateExpression: update,
      ConditionExpression: `#state IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: values,
    });
    if (!ok) return undefined;
    const node = await this.getNode(nodeId);
    if (node && to === 'terminated') {
      for (const c of node.containers) {
        await this.call('CloseContainer', () =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.table,
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
    if (record.state !== 'launching' && record.state !== 'booting' && record.state !== 'ready') return undefined;
    for (const c of containers) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...containerKey(nodeId, c.index),
              type: 'container',
              nodeId,
              pool: record.pool,
              idx: c.index,
              capacity: record.capacityPerContainer,
              used: 0,
              free: record.capacityPerContainer,
              accepting: false,
              rooms: {},
              privateIp: c.privateIp,
              publicIp: c.publicIp,
              cpuset: c.cpuset,
              npk: poolPk(record.pool),
              nsk: `${nodeId}#${containerSk(c.index)}`,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw new FleetStoreError(`MarkReady ${nodeId} container ${c.index} failed`, e);
      }
    }
    const ok =
      record.state === 'ready' ||
      (await this.conditional('MarkReady', {
        Key: nodeKey(nodeId),
        UpdateExpression: 'SET #state = :ready, readyAt = :now, stateChangedAt = :now',
        ConditionExpression: '#state IN (:l, :b)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':ready': 'ready', ':now': now, ':l': 'launching', ':b': 'booting' },
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
    await this.conditional('SetHot', {
      Key: nodeKey(nodeId),
      UpdateExpression: 'SET #hot = :h',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#hot': 'hot' },
      ExpressionAttributeValues: { ':h': hot },
    });
  }

  public async setEmptySince(nodeId: string, since: number | undefined): Promise<void> {
    await this.conditional('SetEmptySince', {
      Key: nodeKey(nodeId),
      UpdateExpression: since === undefined ? 'REMOVE emptySince' : 'SET emptySince = :s',
      ConditionExpression: 'attribute_exists(pk)',
      ...(since === undefined ? {} : { ExpressionAttributeValues: { ':s': since } }),
    });
  }

  // ------------------------------------------------------------------------------- summaries

  public async adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const adds: string[] = [];
    const sets: string[] = [];
    const removes: string[] = [];
    const add = (attr: string, v: number | undefined) => {
      if (v === undefined || v === 0) return;
      const n = `#a${adds.length}`;
      names[n] = attr;
      values[`:a${adds.length}`] = v;
      adds.push(`${n} :a${adds.length}`);
    };
    add('readyFree', delta.readyFree);
    add('pendingCapacity', delta.pendingCapacity);
    add('queuedWeight', delta.queuedWeight);
    add('liveNodes', delta.liveNodes);
    add(`${ARRIVAL_PREFIX}${bucketKey(now)}`, delta.arrivals);
    add(`${LAUNCH_PREFIX}${bucketKey(now)}`, delta.launches);
    for (const [nodeId, free] of Object.entries(delta.drainingSet ?? {})) {
      const i = sets.length;
      names[`#d${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      values[`:d${i}`] = free;
      sets.push(`#d${i} = :d${i}`);
    }
    (delta.drainingRemove ?? []).forEach((nodeId, i) => {
      names[`#r${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      removes.push(`#r${i}`);
    });
    const parts = [
      adds.length ? `ADD ${adds.join(', ')}` : '',
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ].filter(Boolean);
    if (parts.length === 0) return this.getSummary(pool);
    const out = await this.call('AdjustSummary', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(pool),
          UpdateExpression: parts.join(' '),
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toSummary(pool, out.Attributes);
  }

  public async getSummary(pool: string): Promise<PoolSummary> {
    const out = await this.call('GetSummary', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: summaryKey(pool), ConsistentRead: true })),
    );
    return toSummary(pool, out.Item);
  }

  public async replaceSummary(pool: string, snapshot: SummarySnapshot, current: PoolSummary, now: number, windowMs: number): Promise<void> {
    const oldest = Math.floor((now - windowMs) / 60_000) + 1;
    const keys = [
      ...Object.keys(current.arrivals).map((k) => `${ARRIVAL_PREFIX}${k}`),
      ...Object.keys(current.launches).map((k) => `${LAUNCH_PREFIX}${k}`),
      ...Object.keys(current.draining).map((k) => `${DRAINING_PREFIX}${k}`),
    ];
    const names: Record<string, string> = {};
    const values: Item = {
      ':rf': snapshot.readyFree,
      ':pc': snapshot.pendingCapacity,
      ':qw': snapshot.queuedWeight,
      ':ln': snapshot.liveNodes,
      ':at': now,
    };
    const sets = ['readyFree = :rf', 'pendingCapacity = :pc', 'queuedWeight = :qw', 'liveNodes = :ln', 'reconciledAt = :at'];
    if (snapshot.forecastWeight !== undefined) {
      sets.push('forecastWeight = :fw');
      values[':fw'] = snapshot.forecastWeight;
    }
    const removes: string[] = [];
    let i = 0;
    for (const k of keys) {
      const stale =
        ((k.startsWith(ARRIVAL_PREFIX) || k.startsWith(LAUNCH_PREFIX)) && Number(k.slice(4)) < oldest) ||
        (k.startsWith(DRAINING_PREFIX) && !(k.slice(DRAINING_PREFIX.length) in snapshot.draining));
      if (stale) {
        names[`#x${i}`] = k;
        removes.push(`#x${i++}`);
      }
    }
    for (const [nodeId, free] of Object.entries(snapshot.draining)) {
      names[`#x${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      values[`:x${i}`] = free;
      sets.push(`#x${i} = :x${i++}`);
    }
    await this.call('ReplaceSummary', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: summaryKey(pool),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  // --------------------------------------------------------------------------- arrival history

  public async getArrivalHistory(pool: string): Promise<ArrivalHistory> {
    // Eventually consistent (half the read units): a fold a second late changes nothing.
    const out = await this.call('GetArrivalHistory', () => this.doc.send(new GetCommand({ TableName: this.table, Key: historyKey(pool) })));
    const item = out.Item;
    return { pool, slots: bucketsOf(item, HISTORY_PREFIX), throughMinute: item?.throughMinute as number | undefined };
  }

  public async recordArrivalHistory(pool: string, update: ArrivalHistoryUpdate): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Item = { ':through': update.throughMinute };
    const adds: string[] = [];
    const sets = ['throughMinute = :through'];
    const removes: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(update.add)) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      values[`:h${i}`] = v;
      adds.push(`#h${i} :h${i++}`);
    }
    for (const [k, v] of Object.entries(update.set)) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      values[`:h${i}`] = v;
      sets.push(`#h${i} = :h${i++}`);
    }
    for (const k of update.remove) {
      names[`#h${i}`] = `${HISTORY_PREFIX}${k}`;
      removes.push(`#h${i++}`);
    }
    let condition = 'attribute_not_exists(throughMinute)';
    if (update.expectedThroughMinute !== undefined) {
      condition = 'throughMinute = :expected';
      values[':expected'] = update.expectedThroughMinute;
    }
    return this.conditional('RecordArrivalHistory', {
      Key: historyKey(pool),
      UpdateExpression: [`SET ${sets.join(', ')}`, adds.length ? `ADD ${adds.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
        .filter(Boolean)
        .join(' '),
      ConditionExpression: condition,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    });
  }

  // --------------------------------------------------------------------------------- helpers

  private async setContainersAccepting(nodeId: string, pool: string, indexes: readonly number[], accepting: boolean): Promise<void> {
    for (const index of indexes) {
      await this.call('SetAccepting', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: containerKey(nodeId, index),
            UpdateExpression: accepting ? 'SET accepting = :a, gpk = :g' : 'SET accepting = :a REMOVE gpk',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: accepting ? { ':a': true, ':g': poolPk(pool) } : { ':a': false },
          }),
        ),
      ).catch((e: unknown) => {
        if (!(e instanceof FleetStoreError && isConditionFailure(e.cause))) throw e;
      });
    }
  }

  private async nodeItems(nodeId: string): Promise<Item[]> {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `NODE#${nodeId}` },
      ConsistentRead: true,
    });
  }

  /** A consistent read of one item by key. */
  private async rawItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const out = await this.call('GetItem', () => this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })));
    return out.Item;
  }

  /**
   * The item as it was when a condition failed: DynamoDB returns it with
   * ReturnValuesOnConditionCheckFailure; emulators that do not (dynalite) get a consistent read.
   */
  private async itemAfterConditionFailure(e: ConditionalCheckFailedException, key: { pk: string; sk: string }): Promise<Item | undefined> {
    return oldItem(e) ?? (await this.rawItem(key));
  }

  /** Every item of a Query, all pages (the SDK's paginator). */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return this.collect('Query', paginateQuery({ client: this.doc }, { TableName: this.table, ...input }));
  }

  /** Every item of a Scan, all pages (the SDK's paginator). */
  private async scanAll(input: Omit<ScanCommandInput, 'TableName'>): Promise<Item[]> {
    return this.collect('Scan', paginateScan({ client: this.doc }, { TableName: this.table, ...input }));
  }

  private async collect(op: string, pages: AsyncIterable<{ Items?: Item[] }>): Promise<Item[]> {
    const items: Item[] = [];
    try {
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (e) {
      throw new FleetStoreError(`${op} failed`, e);
    }
    return items;
  }

  /** A conditional update: true when applied, false when the condition failed. */
  private async conditional(op: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.table, ...input }));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw new FleetStoreError(`${op} failed`, e);
    }
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new FleetStoreError(`${op} failed`, e);
    }
  }
}
