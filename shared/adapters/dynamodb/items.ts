/**
 * Item mapping of the fleet table (layout in `fleet-table.ts`): the key of each item kind, the
 * attribute prefixes of the counters kept as one attribute per key, and item → record
 * conversions for the port's shapes. Pure: no I/O.
 *
 * @module
 */
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { ContainerView, NodeState, NodeView, RoomState } from '../../domain/model.ts';
import type { PoolSummary, RoomRecord } from '../../ports/fleet-store.ts';

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** A primary key of the fleet table. */
export type ItemKey = { readonly pk: string; readonly sk: string };

/** Summary attribute prefix of the arrived weight per minute bucket (`arr_<minute>`). */
export const ARRIVAL_PREFIX = 'arr_';
/** Summary attribute prefix of the launches per minute bucket (`lau_<minute>`). */
export const LAUNCH_PREFIX = 'lau_';
/** Summary attribute prefix of a draining node's free capacity (`drn_<nodeId>`). */
export const DRAINING_PREFIX = 'drn_';
/** History attribute prefix of one predictor counter (`h_<slot key>`). */
export const HISTORY_PREFIX = 'h_';

/** Key of a node item. */
export const nodeKey = (nodeId: string): ItemKey => ({ pk: `NODE#${nodeId}`, sk: 'NODE' });
/** Partition key of a node and its containers. */
export const nodePk = (nodeId: string): string => `NODE#${nodeId}`;
/** Sort key of container `index` of a node (`C#07`). */
export const containerSk = (index: number): string => `C#${String(index).padStart(2, '0')}`;
/** Key of a container item. */
export const containerKey = (nodeId: string, index: number): ItemKey => ({ pk: nodePk(nodeId), sk: containerSk(index) });
/** Key of a room item. */
export const roomKey = (roomId: string): ItemKey => ({ pk: `ROOM#${roomId}`, sk: 'ROOM' });
/** Key of a pool's summary item. */
export const summaryKey = (pool: string): ItemKey => ({ pk: `POOL#${pool}`, sk: 'SUMMARY' });
/** Key of a pool's arrival history item. */
export const historyKey = (pool: string): ItemKey => ({ pk: `POOL#${pool}`, sk: 'HISTORY' });
/** Partition key of a pool in the `placement` and `pool-nodes` indexes. */
export const poolPk = (pool: string): string => `POOL#${pool}`;
/** Partition key of a pool's queued rooms in the `queue` index. */
export const queuePk = (pool: string): string => `QUEUE#${pool}`;
/** Rooms in `placing` sit in the queue index under this key, by the end of their lease, so any drain finds expired claims. */
export const placingPk = (pool: string): string => `PLACING#${pool}`;
/** Sort key in the `queue` index: zero-padded epoch ms (first delivery, or a lease's end), then the room id (FIFO). */
export const queueSk = (queuedAt: number, roomId: string): string => `${String(queuedAt).padStart(15, '0')}#${roomId}`;

/** The item a failed condition returned (ReturnValuesOnConditionCheckFailure = ALL_OLD). */
export function oldItem(e: ConditionalCheckFailedException): Item | undefined {
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

/** A room item as a {@link RoomRecord}. */
export function toRoom(item: Item): RoomRecord {
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
    leaseUntil: item.leaseUntil as number | undefined,
    tenantId: item.tenantId as string | undefined,
  };
}

/** A container item as a {@link ContainerView}. */
export function toContainer(item: Item): ContainerView {
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

/** A node item and its containers as a {@link NodeView} (containers sorted by index). */
export function toNode(item: Item, containers: ContainerView[]): NodeView {
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

/** The attributes of an item that start with `prefix`, keyed without it. */
export function bucketsOf(item: Item | undefined, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(item ?? {})) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v as number;
  return out;
}

/** A summary item (or none yet: all zero) as a {@link PoolSummary}. */
export function toSummary(pool: string, item: Item | undefined): PoolSummary {
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
