/**
 * Item mapping of the fleet table (layout in `fleet-table.ts`): the key of each item kind, the
 * attribute prefixes of the counters kept as one attribute per key, and item → record
 * conversions for the port's shapes. Pure: no I/O.
 *
 * @module
 */
import { createHash } from 'node:crypto';
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
/**
 * Suffix of shard `shard` of an index partition: none for shard 0, so a table written before
 * sharding (every item in shard 0) reads the same with S = 1 and keeps working as S grows.
 */
export const shardSuffix = (shard: number): string => (shard === 0 ? '' : `#${shard}`);
/**
 * Shard of an id among `shards` (FNV-1a 32-bit hash of the id, modulo `shards`): nodes and their
 * containers by node id, queued and placing rooms by room id. Deterministic, so every writer of
 * an item puts it in the same shard; 0 when `shards` ≤ 1.
 */
export function shardOf(id: string, shards: number): number {
  if (shards <= 1) return 0;
  return fnv1a(id) % shards;
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units (an unsigned 32-bit integer). */
function fnv1a(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Decimal places of a container's tie-break in its `free` attribute: 9 for its node's launch second, 1 for its node id, 2 for its index. */
export const TIE_BREAK_DIGITS = 12;
/** Significant decimal digits a `free` attribute keeps: exact as a JavaScript number (IEEE 754 double: 15) and in DynamoDB (38). */
const FREE_DIGITS = 15;

/**
 * A container's `free` attribute, the `placement` index's sort key: its free capacity (capacity
 * units, an integer) plus a tie-break in [0, 1) that orders equally free containers oldest node
 * first, `0.sssssssssncc` — s the node's launch time in seconds modulo 10^9 (wraps every 31.7
 * years, next in May 2033), n the FNV-1a hash of the node id modulo 10, cc the container index
 * (< 100).
 *
 * Why a tie-break at all: DynamoDB does not document the order of index items with equal keys
 * ("Working with Queries in DynamoDB": results are sorted by the sort key value only), so without
 * it a Query with `Limit` returns an arbitrary subset of the containers with equal free capacity,
 * and the S queries of a sharded pool another subset than one unsharded Query: placement chose
 * differently by the shard count (docs/performance.md, "Node-hours with sharding"). With it the
 * index's order is total (up to nodes launched in the same second with equal hash digits) and
 * the same whatever the shards, so the merged shards' first `limit` are the unsharded ones.
 *
 * Why oldest first: best fit fills the oldest of equally free nodes, so the youngest stay emptiest
 * and are the ones scale-in drains and terminates soonest — the order the fleet would keep anyway
 * if every node lived equally long. On day 1 of the sample week a random order (the node-id hash
 * alone) cost 3.7% more node-hours than oldest first (docs/performance.md).
 *
 * Claims and releases add whole weights, which keep the tie-break; `free ≥ weight` holds exactly
 * when the integer free capacity does (weights are integers). At most {@link FREE_DIGITS}
 * significant digits: a free capacity of 4 or more digits keeps fewer tie-break digits (the least
 * significant go first: the container index, then the hash, then seconds).
 *
 * @param free - free capacity, capacity units (an integer ≥ 0)
 * @param launchedAt - the node's launch time, epoch ms
 * @param nodeId - the container's node
 * @param index - the container's index on the node (0–99)
 * @example placementFree(10, Date.UTC(2026, 11, 7), 'i-00000000000000001', 1) // 10.xxxxxxxxxn01
 */
export function placementFree(free: number, launchedAt: number, nodeId: string, index: number): number {
  const whole = String(Math.trunc(free));
  const seconds = Math.floor(launchedAt / 1000) % 10 ** 9;
  const tie = `${String(seconds).padStart(9, '0')}${fnv1a(nodeId) % 10}${String(index % 100).padStart(2, '0')}`;
  return Number(`${whole}.${tie.slice(0, Math.max(0, FREE_DIGITS - whole.length))}`);
}

/** The free capacity of a container item, capacity units: its `free` attribute without the tie-break ({@link placementFree}). */
export const freeUnits = (item: Item): number => Math.floor(item.free as number);
/** Partition key of shard `shard` of a pool in the `placement` and `pool-nodes` indexes (`POOL#<pool>[#<shard>]`). */
export const poolPk = (pool: string, shard = 0): string => `POOL#${pool}${shardSuffix(shard)}`;
/** Partition key of shard `shard` of a pool's queued rooms in the `queue` index (`QUEUE#<pool>[#<shard>]`). */
export const queuePk = (pool: string, shard = 0): string => `QUEUE#${pool}${shardSuffix(shard)}`;
/**
 * Rooms in `placing` sit in the queue index under this key (shard `shard`), by the end of their
 * lease, so any drain finds expired claims.
 */
export const placingPk = (pool: string, shard = 0): string => `PLACING#${pool}${shardSuffix(shard)}`;
/** Every shard number of a pool with `shards` shards (at least shard 0). */
export const allShards = (shards: number): number[] => Array.from({ length: Math.max(1, Math.floor(shards)) }, (_, i) => i);

/**
 * Container attribute holding the rooms a container hosts, by compact key ({@link roomTag}) →
 * weight, capacity units. Written in the same conditional update as `used`/`free`, so a claim
 * and its idempotency check stay one atomic write; the room ids themselves live in hold items
 * ({@link holdKey}), which keeps the container item ≤ 1 KB whatever the room ids' length.
 */
export const HELD_ATTR = 'rh';
/**
 * Container attribute holding the predicted end of each room claimed with one, by the same
 * compact key as {@link HELD_ATTR} → epoch seconds (lifetime-aware placement and drain). Set in
 * the claim's update, removed in the release's.
 */
export const ENDS_ATTR = 're';
/**
 * Compact key of a room in a container's {@link HELD_ATTR} map: the first 11 base64url characters
 * (66 bits) of the SHA-256 of the room id. Two rooms of one container colliding has probability
 * ≈ n² / 2^67 for n rooms (n = 100: ~7e-17).
 */
export const roomTag = (roomId: string): string => createHash('sha256').update(roomId).digest('base64url').slice(0, 11);
/** Sort key of the hold item of room `roomId` on container `index` (`H#07#<roomId>`). */
export const holdSk = (index: number, roomId: string): string => `H#${String(index).padStart(2, '0')}#${roomId}`;
/**
 * Key of a hold item: the id of a room on a container, in the node's partition. Written before
 * the container's claim and deleted after its release, so every entry of the container's
 * {@link HELD_ATTR} map has one (a hold without an entry is a leftover and ignored).
 */
export const holdKey = (nodeId: string, index: number, roomId: string): ItemKey => ({ pk: nodePk(nodeId), sk: holdSk(index, roomId) });
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
    kind: item.kind as string | undefined,
    expectedDurationMs: item.expectedDurationMs as number | undefined,
  };
}

/**
 * The rooms a container hosts, room id → weight: the hold items whose room's tag is in the
 * container's {@link HELD_ATTR} map, and the full-id `rooms` map of items written before compact
 * keys (still read, released, never added to).
 */
export function heldRooms(item: Item, holds: readonly Item[] | undefined): Record<string, number> {
  const out: Record<string, number> = { ...((item.rooms as Record<string, number> | undefined) ?? {}) };
  const tags = (item[HELD_ATTR] as Record<string, number> | undefined) ?? {};
  for (const h of holds ?? []) {
    const roomId = h.roomId as string;
    const weight = h.idx === item.idx && h.nodeId === item.nodeId ? tags[roomTag(roomId)] : undefined;
    if (weight !== undefined) out[roomId] = weight;
  }
  return out;
}

/**
 * Container items with their rooms joined from the hold items among `items` (any mix of node,
 * container and hold items, e.g. a node's partition or a pool's `pool-nodes` entries).
 */
export function joinContainers(items: readonly Item[]): ContainerView[] {
  const holds = new Map<string, Item[]>();
  for (const it of items) {
    if (it.type !== 'hold') continue;
    const k = `${String(it.nodeId)}#${String(it.idx)}`;
    const list = holds.get(k) ?? [];
    list.push(it);
    holds.set(k, list);
  }
  return items.filter((i) => i.type === 'container').map((c) => toContainer(c, holds.get(`${String(c.nodeId)}#${String(c.idx)}`) ?? []));
}

/**
 * A container item as a {@link ContainerView}; `rooms` joined from `holds` (the container's hold
 * items), or absent when the caller did not read them (a claim's or a release's returned item).
 */
export function toContainer(item: Item, holds?: readonly Item[]): ContainerView {
  return {
    nodeId: item.nodeId as string,
    index: item.idx as number,
    capacity: item.capacity as number,
    used: item.used as number,
    accepting: item.accepting === true,
    privateIp: item.privateIp as string | undefined,
    publicIp: item.publicIp as string | undefined,
    cpuset: item.cpuset as string | undefined,
    rooms: holds ? heldRooms(item, holds) : (item.rooms as Record<string, number> | undefined),
    lastPlacedAt: item.lastPlacedAt as number | undefined,
    ...roomEndsOf(item),
  };
}

/** The `roomEnds` of a container item: the values of its {@link ENDS_ATTR} map, epoch s → ms (none when empty). */
function roomEndsOf(item: Item): { roomEnds?: number[] } {
  const ends = Object.values((item[ENDS_ATTR] as Record<string, number> | undefined) ?? {});
  return ends.length > 0 ? { roomEnds: ends.map((s) => s * 1000) } : {};
}

/** A node item and its containers as a {@link NodeView} (containers sorted by index). */
export function toNode(item: Item, containers: ContainerView[]): NodeView {
  return {
    nodeId: item.nodeId as string,
    pool: item.pool as string,
    state: item.state as NodeState,
    instanceType: item.instanceType as string,
    launchedAt: item.launchedAt as number,
    ...(typeof item.decisionId === 'string' ? { decisionId: item.decisionId } : {}),
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
