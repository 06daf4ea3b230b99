/**
 * The no-migration bound (issue 15, item 7): the node-hours of an *offline* packer that knows
 * every room's arrival and true end, boots and terminates nodes instantly, never splits a room
 * across containers and never moves one. It sits between the fluid lower bound
 * (`lowerBoundNodeHours`, sim/trace/stats.ts: ∫ ⌈active weight / node capacity⌉ dt, rooms
 * divisible and free to move) and any online policy that cannot migrate rooms.
 *
 * What it is, honestly: the best result of a few greedy packing heuristics, not the optimum.
 * The true offline optimum without migration (dynamic bin packing with known departures, and
 * with the cost of a node being its busy time) is NP-hard; any feasible packing, this one
 * included, costs at least that optimum, so this figure is an *upper* bound on it and the
 * fluid bound a *lower* bound. The "physics" share of a policy's gap computed with it
 * (this bound − fluid bound) therefore over-states what no policy could recover, and the
 * "policy" share (policy − this bound) under-states what a better policy could.
 *
 * Model: a node is opened (instantly) when a room arrives that no open node can take, and is
 * paid from its first room's arrival to the last end of the rooms placed on it; an open node
 * always hosts a room, so it closes at that last end. A room occupies `weight` capacity units of
 * one container (`capacityPerContainer` units, `containersPerNode` per node, from the pool
 * config) from its arrival to its end. Rooms are the trace's effective placements
 * (`effectiveRooms`: duplicates, stale creates and reconnects handled as the autoscaler does).
 *
 * @module
 */
import type { PoolConfig } from '../shared/domain/config.ts';
import type { TraceEvent } from '../sim/trace/model.ts';
import { effectiveRooms, lowerBoundNodeHours, type RoomInterval } from '../sim/trace/stats.ts';

/**
 * The packing rules tried, each choosing among the open nodes with a container that fits:
 * - `least-slack`: a node that stays anyway (its last end ≥ the room's end), the one with the
 *   least slack (last end − room end); else the node whose last end the room extends least.
 *   The room costs nothing on a node that stays; long rooms go to the nodes that stay longest.
 * - `slack-fit`: a node that stays anyway, the tightest container first, then the least slack;
 *   else the node whose last end the room extends least.
 * - `best-fit`: the container with the least free capacity after the placement, then the fullest
 *   node — our policy's own placement rule (shared/domain/placement.ts), lifetimes ignored.
 * Remaining ties: the node opened first. Within a node the room goes to the container with the
 * least free capacity that fits. Measured on the bench's traces (`npm run bench -- --only
 * lifetime`), `least-slack` wins the sample week, `slack-fit` the flash crowd and `best-fit` the
 * surveillance trace (long rooms of equal weight, where lifetimes say little); a fourth rule,
 * the node whose last end is closest to the room's end, never won and was dropped.
 */
export const PACKING_RULES = ['least-slack', 'slack-fit', 'best-fit'] as const;
/** One packing rule (see {@link PACKING_RULES}). */
export type PackingRule = (typeof PACKING_RULES)[number];

/** The node shape, from the pool config. */
export type NodeShape = Pick<PoolConfig, 'containersPerNode' | 'capacityPerContainer'>;

/** Where one room went. */
export interface PackedRoom {
  /** Index of the room in the intervals packed. */
  readonly room: number;
  /** Node number, in opening order from 0. */
  readonly node: number;
  /** Container index on that node. */
  readonly container: number;
}

/** One rule's packing of a trace. */
export interface Packing {
  readonly rule: PackingRule;
  /** Σ over nodes of (last end − first arrival), h. */
  readonly nodeHours: number;
  readonly nodesOpened: number;
  /** Most nodes open at once. */
  readonly peakNodes: number;
  /** Rooms heavier than one container, left out (none on the bench's traces). */
  readonly unplaceable: number;
  /** Every room placed (zero-length rooms are skipped: they cost nothing). */
  readonly placements: readonly PackedRoom[];
}

interface OpenNode {
  readonly id: number;
  readonly used: number[];
  /** s. */
  readonly firstArrival: number;
  /** s. */
  lastEnd: number;
}

/** The container of `node` with the least free capacity that still fits `weight`, or −1. */
function tightestContainer(node: OpenNode, weight: number, capacity: number): number {
  let best = -1;
  for (let c = 0; c < node.used.length; c += 1) {
    const free = capacity - (node.used[c] as number);
    if (free >= weight && (best < 0 || free < capacity - (node.used[best] as number))) best = c;
  }
  return best;
}

/**
 * Lexicographic score of placing a room ending at `end` on `node` (lower is better), given the
 * free units left in the chosen container and on the node after the placement.
 */
function score(rule: PackingRule, node: OpenNode, end: number, containerFreeAfter: number, nodeFreeAfter: number): [number, number, number] {
  const stays = node.lastEnd >= end;
  switch (rule) {
    case 'least-slack':
      // Staying nodes (slack ≥ 0) first, least slack; then the least extension.
      return stays ? [0, node.lastEnd - end, 0] : [1, end - node.lastEnd, 0];
    case 'slack-fit':
      return stays ? [0, containerFreeAfter, node.lastEnd - end] : [1, end - node.lastEnd, 0];
    case 'best-fit':
      return [containerFreeAfter, nodeFreeAfter, 0];
  }
}

function lower(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k += 1) if ((a[k] as number) !== (b[k] as number)) return (a[k] as number) < (b[k] as number);
  return false;
}

/**
 * Pack rooms with one rule (module doc).
 *
 * @param intervals - the rooms (e.g. `effectiveRooms(events).intervals`): start and end in s, weight in capacity units
 * @param shape - containers per node and capacity units per container (each ≥ 1)
 * @param rule - the packing rule
 * @throws {RangeError} when the shape is not positive integers
 * @example
 * packWithoutMigration([
 *   { roomId: 'a', weight: 5, start: 0, end: 3600, open: false },
 *   { roomId: 'b', weight: 5, start: 600, end: 1800, open: false },
 * ], { containersPerNode: 2, capacityPerContainer: 10 }, 'least-slack').nodeHours; // → 1 (b shares a's node)
 */
export function packWithoutMigration(intervals: readonly RoomInterval[], shape: NodeShape, rule: PackingRule): Packing {
  const { containersPerNode, capacityPerContainer } = shape;
  if (!(Number.isInteger(containersPerNode) && containersPerNode >= 1 && Number.isInteger(capacityPerContainer) && capacityPerContainer >= 1)) {
    throw new RangeError(`node shape must be positive integers, got ${containersPerNode} × ${capacityPerContainer}`);
  }
  const nodeCapacity = containersPerNode * capacityPerContainer;
  const order = intervals
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.end > r.start)
    .sort((a, b) => a.r.start - b.r.start || a.i - b.i);
  // Rooms in the order they end, to free their capacity; a room ending at t frees it for an arrival at t.
  const releases = order.slice().sort((a, b) => a.r.end - b.r.end || a.i - b.i);
  const where = new Map<number, { node: OpenNode; container: number }>();
  const open: OpenNode[] = [];
  const placements: PackedRoom[] = [];
  let nodeSeconds = 0;
  let nodesOpened = 0;
  let peakNodes = 0;
  let unplaceable = 0;
  let next = 0;

  for (const { r, i } of order) {
    for (; next < releases.length && (releases[next] as (typeof releases)[number]).r.end <= r.start; next += 1) {
      const gone = releases[next] as (typeof releases)[number];
      const w = where.get(gone.i);
      if (w) w.node.used[w.container] = (w.node.used[w.container] as number) - gone.r.weight;
    }
    for (let n = open.length - 1; n >= 0; n -= 1) {
      const node = open[n] as OpenNode;
      if (node.lastEnd <= r.start) {
        nodeSeconds += node.lastEnd - node.firstArrival;
        open.splice(n, 1);
      }
    }
    if (r.weight > capacityPerContainer) {
      unplaceable += 1;
      continue;
    }
    let best: { node: OpenNode; container: number; key: readonly number[] } | undefined;
    for (const node of open) {
      const container = tightestContainer(node, r.weight, capacityPerContainer);
      if (container < 0) continue;
      const freeAfter = nodeCapacity - node.used.reduce((a, b) => a + b, 0) - r.weight;
      const key = score(rule, node, r.end, capacityPerContainer - (node.used[container] as number) - r.weight, freeAfter);
      if (best === undefined || lower(key, best.key)) best = { node, container, key };
    }
    if (best === undefined) {
      const node: OpenNode = { id: nodesOpened, used: new Array<number>(containersPerNode).fill(0), firstArrival: r.start, lastEnd: r.end };
      nodesOpened += 1;
      open.push(node);
      peakNodes = Math.max(peakNodes, open.length);
      best = { node, container: 0, key: [] };
    }
    best.node.used[best.container] = (best.node.used[best.container] as number) + r.weight;
    best.node.lastEnd = Math.max(best.node.lastEnd, r.end);
    where.set(i, { node: best.node, container: best.container });
    placements.push({ room: i, node: best.node.id, container: best.container });
  }
  for (const node of open) nodeSeconds += node.lastEnd - node.firstArrival;
  return { rule, nodeHours: nodeSeconds / 3600, nodesOpened, peakNodes, unplaceable, placements };
}

/** One rule's figures in {@link NoMigrationBound}. */
export type RuleFigures = Omit<Packing, 'placements'>;

/** The no-migration bound of a trace, next to the fluid lower bound. */
export interface NoMigrationBound {
  /** The best rule's node-hours, h. */
  readonly nodeHours: number;
  /** The rule that achieved it. */
  readonly rule: PackingRule;
  /** Every rule tried, best first. */
  readonly rules: readonly RuleFigures[];
  /** The fluid lower bound (`lowerBoundNodeHours`), h. */
  readonly lowerBoundNodeHours: number;
  /** nodeHours / lowerBoundNodeHours (0 when the bound is 0). */
  readonly ratioToLowerBound: number;
  /** Rooms packed (effective placements with a positive duration). */
  readonly rooms: number;
}

/**
 * The no-migration bound of a trace: every rule of `rules` packs the trace's effective rooms,
 * the least node-hours win (module doc for what the figure means). `RoomScheduled` lines are
 * left out (announcements, not demand).
 *
 * @param events - the trace (seconds from its start)
 * @param shape - the pool's node shape (`containersPerNode`, `capacityPerContainer`)
 * @param rules - the rules to try (default all of {@link PACKING_RULES}; at least one)
 * @throws {RangeError} when the shape is not positive integers or `rules` is empty
 */
export function noMigrationBound(events: readonly TraceEvent[], shape: NodeShape, rules: readonly PackingRule[] = PACKING_RULES): NoMigrationBound {
  if (rules.length === 0) throw new RangeError('at least one packing rule is needed');
  // `RoomScheduled` lines announce rooms; only `RoomCreated` / `RoomReleased` lines are demand.
  const demand = events.filter((e) => e.type !== 'RoomScheduled');
  const { intervals } = effectiveRooms(demand);
  const figures = rules
    .map((rule): RuleFigures => {
      const { placements: _placements, ...rest } = packWithoutMigration(intervals, shape, rule);
      return rest;
    })
    .sort((a, b) => a.nodeHours - b.nodeHours);
  const best = figures[0] as RuleFigures;
  const lb = lowerBoundNodeHours(demand, shape.containersPerNode * shape.capacityPerContainer);
  return {
    nodeHours: best.nodeHours,
    rule: best.rule,
    rules: figures,
    lowerBoundNodeHours: lb,
    ratioToLowerBound: lb > 0 ? best.nodeHours / lb : 0,
    rooms: intervals.filter((r) => r.end > r.start).length,
  };
}
