/**
 * `wcs-autoscaler status`: what a deployment's fleet table says right now — per pool, the
 * nodes by state, rooms, used / free capacity and the queue, then one line per node (state,
 * why it is not accepting, instance type, used / capacity, rooms, public IPs, age). Reads only;
 * the same fleet-table options as `drain` (`--table` or env `FLEET_TABLE`, `--region`,
 * `--endpoint`).
 *
 * @module
 */
import Table from 'cli-table3';
import { nodeCapacityOf, type NodeView } from '../shared/domain/model.ts';
import { poolGauges, type PoolGauges } from '../shared/domain/gauges.ts';
import type { FleetStore } from '../shared/ports/fleet-store.ts';
import { operatorDeps, type DrainCommandOptions } from './drain-command.ts';

/** Queued rooms read per pool (the count shown is a lower bound above it). */
export const STATUS_QUEUE_READ_LIMIT = 1_000;

/** Options as commander parses them. */
export interface StatusCommandOptions extends Pick<DrainCommandOptions, 'table' | 'region' | 'endpoint'> {
  /** Pools to show. @default ['default'] */
  readonly pool?: readonly string[];
  /** Print one JSON object instead of tables. */
  readonly json?: boolean;
}

/** One node as `status` shows it. */
export interface NodeStatusRow {
  readonly nodeId: string;
  readonly state: string;
  /** Why it takes no rooms while ready/draining: `hot`, the drain reason, or empty. */
  readonly note: string;
  readonly instanceType: string;
  /** Capacity units. */
  readonly used: number;
  /** Capacity units (planned capacity before NodeReady). */
  readonly capacity: number;
  readonly rooms: number;
  readonly publicIps: readonly string[];
  /** Since launch, ms. */
  readonly ageMs: number;
}

/** One pool as `status` shows it. */
export interface PoolStatus {
  readonly pool: string;
  /** The sweep's gauges (its `headroomTarget` is not shown: it depends on the deployed config). */
  readonly gauges: Omit<PoolGauges, 'headroomTarget'>;
  readonly nodes: readonly NodeStatusRow[];
}

function row(node: NodeView, now: number): NodeStatusRow {
  const note = node.hot ? 'hot' : (node.drainReason ?? '');
  return {
    nodeId: node.nodeId,
    state: node.state,
    note,
    instanceType: node.instanceType,
    used: node.containers.reduce((s, c) => s + c.used, 0),
    capacity: nodeCapacityOf(node),
    rooms: node.containers.reduce((s, c) => s + Object.keys(c.rooms ?? {}).length, 0),
    publicIps: node.containers.flatMap((c) => (c.publicIp ? [c.publicIp] : [])),
    ageMs: Math.max(0, now - node.launchedAt),
  };
}

/**
 * Read the status of pools from a fleet store.
 *
 * @param now - epoch ms (ages are measured from it)
 * @returns one entry per pool, nodes ordered by state then id (terminated nodes left out)
 * @throws {FleetStoreError} when the store cannot be read
 */
export async function readStatus(store: FleetStore, pools: readonly string[], now: number): Promise<PoolStatus[]> {
  return Promise.all(
    pools.map(async (pool) => {
      const [nodes, queued] = await Promise.all([store.listNodes(pool), store.listQueued(pool, STATUS_QUEUE_READ_LIMIT)]);
      const live = nodes.filter((n) => n.state !== 'terminated');
      const { headroomTarget: _unused, ...gauges } = poolGauges(live, queued, 0, now);
      const rows = live.map((n) => row(n, now)).sort((a, b) => a.state.localeCompare(b.state) || a.nodeId.localeCompare(b.nodeId));
      return { pool, gauges, nodes: rows };
    }),
  );
}

const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min`;

/** Render statuses as text tables (one summary table, then one node table per pool). */
export function formatStatus(statuses: readonly PoolStatus[]): string {
  const summary = new Table({ head: ['pool', 'nodes (launching/booting/ready/draining/terminating)', 'hot', 'rooms', 'used / free units', 'queued (oldest)'] });
  for (const { pool, gauges: g } of statuses) {
    const n = g.nodes;
    summary.push([
      pool,
      `${n.launching} / ${n.booting} / ${n.ready} / ${n.draining} / ${n.terminating}`,
      g.hotNodes,
      g.placedRooms,
      `${g.usedCapacity} / ${g.freeCapacity}`,
      g.queuedRooms === 0 ? '0' : `${g.queuedRooms} (${Math.round(g.oldestQueuedAgeMs / 1000)} s)`,
    ]);
  }
  const parts = [summary.toString()];
  for (const { pool, nodes } of statuses) {
    if (nodes.length === 0) {
      parts.push(`${pool}: no nodes`);
      continue;
    }
    const table = new Table({ head: ['node', 'state', 'note', 'type', 'used / capacity', 'rooms', 'public IPs', 'age'] });
    for (const r of nodes) table.push([r.nodeId, r.state, r.note, r.instanceType, `${r.used} / ${r.capacity}`, r.rooms, r.publicIps.join(' '), minutes(r.ageMs)]);
    parts.push(`${pool}:\n${table.toString()}`);
  }
  return `${parts.join('\n')}\n`;
}

/**
 * Run `status` against a deployment's fleet table.
 *
 * @returns the text to print (tables, or one JSON object with `--json`)
 * @throws {ConfigError} when no fleet table is named
 * @throws {FleetStoreError} when the table cannot be read
 */
export async function runStatusCommand(opts: StatusCommandOptions, now = Date.now()): Promise<string> {
  const { deps, close } = operatorDeps(opts);
  try {
    const pools = opts.pool && opts.pool.length > 0 ? opts.pool : ['default'];
    const statuses = await readStatus(deps.store, pools, now);
    return opts.json ? `${JSON.stringify({ pools: statuses })}\n` : formatStatus(statuses);
  } finally {
    close();
  }
}
