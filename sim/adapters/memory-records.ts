/**
 * What {@link MemoryFleetStore} keeps per item (the attributes of the DynamoDB items, index keys
 * included) and the copies it hands out through the `FleetStore` port.
 *
 * @module
 */
import type { ContainerRef, ContainerView, NodeState, NodeView, RoomState } from '../../shared/domain/model.ts';
import type { NodeRecord, RoomRecord } from '../../shared/ports/fleet-store.ts';

export interface MemRoom {
  roomId: string;
  state: RoomState;
  pool?: string | undefined;
  weight?: number | undefined;
  eventId?: string | undefined;
  createdAt?: number | undefined;
  requestedAt?: number | undefined;
  releasedAt?: number | undefined;
  queuedAt?: number | undefined;
  placedAt?: number | undefined;
  placement?: ContainerRef | undefined;
  target?: ContainerRef | undefined;
  /** End of a `placing` claim's lease, epoch ms. */
  leaseUntil?: number | undefined;
  tenantId?: string | undefined;
  kind?: string | undefined;
  expectedDurationMs?: number | undefined;
  /** Queue index key (`qpk` of the DynamoDB item): `QUEUE#<pool>` while queued, `PLACING#<pool>` while placing. */
  qpk?: string | undefined;
  /** Queue index sort key (`qsk`): zero-padded time + `#` + roomId. */
  qsk?: string | undefined;
}

export interface MemContainer {
  nodeId: string;
  pool: string;
  index: number;
  capacity: number;
  used: number;
  free: number;
  accepting: boolean;
  /** Placement index key (`gpk`): set while accepting. */
  inPlacement: boolean;
  /** Pool-nodes index key (`npk`): removed when the node is terminated. */
  inPoolList: boolean;
  rooms: Map<string, number>;
  privateIp?: string | undefined;
  publicIp?: string | undefined;
  cpuset?: string | undefined;
  /** When a room last claimed capacity here, ms (`lastPlacedAt`, as DynamoDbFleetStore writes it). */
  lastPlacedAt?: number | undefined;
  /** Predicted end of each room claimed with one, room id → epoch ms (the DynamoDB store's `re` map). */
  ends?: Map<string, number> | undefined;
}

export interface MemNode extends NodeRecord {
  state: NodeState;
  hot: boolean;
  readyAt?: number | undefined;
  /** When the node last changed state (the sweep's repair timers read it), epoch ms. */
  stateChangedAt: number;
  emptySince?: number | undefined;
  drainingSince?: number | undefined;
  drainReason?: string | undefined;
  inPoolList: boolean;
}

export const queueSk = (queuedAt: number, roomId: string) => `${String(queuedAt).padStart(15, '0')}#${roomId}`;
export const queuePk = (pool: string) => `QUEUE#${pool}`;
export const placingPk = (pool: string) => `PLACING#${pool}`;
export const byQsk = (a: MemRoom, b: MemRoom) => ((a.qsk ?? '') < (b.qsk ?? '') ? -1 : (a.qsk ?? '') > (b.qsk ?? '') ? 1 : 0);

/** A stored room as the port returns it (a copy). */
export function toRoom(r: MemRoom): RoomRecord {
  return {
    roomId: r.roomId,
    state: r.state,
    pool: r.pool ?? '',
    weight: r.weight ?? 0,
    eventId: r.eventId ?? '',
    createdAt: r.createdAt ?? 0,
    requestedAt: r.requestedAt ?? 0,
    releasedAt: r.releasedAt,
    queuedAt: r.queuedAt,
    placedAt: r.placedAt,
    placement: r.placement ? { ...r.placement } : undefined,
    target: r.target ? { ...r.target } : undefined,
    leaseUntil: r.leaseUntil,
    tenantId: r.tenantId,
    kind: r.kind,
    expectedDurationMs: r.expectedDurationMs,
  };
}

/** A stored container as the port returns it (a copy). */
export function toContainer(c: MemContainer): ContainerView {
  return {
    nodeId: c.nodeId,
    index: c.index,
    capacity: c.capacity,
    used: c.used,
    accepting: c.accepting,
    privateIp: c.privateIp,
    publicIp: c.publicIp,
    cpuset: c.cpuset,
    rooms: Object.fromEntries(c.rooms),
    lastPlacedAt: c.lastPlacedAt,
    ...(c.ends?.size ? { roomEnds: [...c.ends.values()] } : {}),
  };
}

/** A stored node and the given containers of it as the port returns them (copies, by index). */
export function toNodeView(n: MemNode, stored: readonly MemContainer[]): NodeView {
  const containers = [...stored].sort((a, b) => a.index - b.index).map(toContainer);
  return {
    nodeId: n.nodeId,
    pool: n.pool,
    state: n.state,
    instanceType: n.instanceType,
    launchedAt: n.launchedAt,
    ...(n.decisionId ? { decisionId: n.decisionId } : {}),
    readyAt: n.readyAt,
    stateChangedAt: n.stateChangedAt,
    hot: n.hot,
    emptySince: n.emptySince,
    drainingSince: n.drainingSince,
    drainReason: n.drainReason,
    containers,
    plannedCapacity: n.containersPerNode * n.capacityPerContainer,
  };
}
