/**
 * The fleet's invariants, checked from the raw table and the compute provider (not through the
 * store under test): what every fault-injection and property test asserts after its final sweep.
 *
 * @module
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LIVE_NODE_STATES } from '../../shared/domain/model.ts';
import type { ComputeProvider } from '../../shared/ports/index.ts';
import { rawContainers, scanAll } from './fleet.ts';

/** Violations found, as readable lines (empty when every invariant holds). */
export type Violations = string[];

/** Options of {@link checkInvariants}. */
export interface InvariantContext {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly compute: ComputeProvider;
  /**
   * Whether a `placing` room may still hold its target (true right after a crash, before the
   * sweep's grace has passed). Default false: after the final sweep no room is `placing`.
   */
  readonly allowPlacing?: boolean;
}

type Item = Record<string, unknown>;

/**
 * Check every invariant:
 * - no container holds more weight than its capacity, and `used` / `free` agree with its room map;
 * - no room is held by two containers;
 * - no leaked capacity: every hold is a room placed there (or, with `allowPlacing`, being placed
 *   there), and every placed room is held by its container with its weight;
 * - no lost room: every room is placed, queued or released (none stranded in `placing`);
 * - no orphan instance: every running instance has a live or terminating node record, and every
 *   live node record has an instance;
 * - containers accept rooms exactly when their node is ready and not hot.
 */
export async function checkInvariants(ctx: InvariantContext): Promise<Violations> {
  const items = await scanAll(ctx.doc, ctx.tableName);
  const nodes = new Map<string, Item>();
  const containers: Item[] = [];
  const rooms = new Map<string, Item>();
  for (const it of items) {
    if (it.type === 'node') nodes.set(it.nodeId as string, it);
    else if (it.type === 'room') rooms.set(it.roomId as string, it);
  }
  containers.push(...(rawContainers(items) as unknown as Item[]));
  const v: Violations = [];
  const holders = new Map<string, string[]>();
  for (const c of containers) {
    const where = `${String(c.nodeId)}/${String(c.idx)}`;
    const node = nodes.get(c.nodeId as string);
    const held = (c.rooms ?? {}) as Record<string, number>;
    const sum = Object.values(held).reduce((s, w) => s + w, 0);
    if ((c.used as number) > (c.capacity as number)) v.push(`overbooked ${where}: used ${String(c.used)} > capacity ${String(c.capacity)}`);
    if (sum !== c.used) v.push(`container ${where}: used ${String(c.used)} but its rooms weigh ${sum}`);
    if ((c.free as number) !== (c.capacity as number) - (c.used as number)) v.push(`container ${where}: free ${String(c.free)} ≠ capacity − used`);
    const accept = node?.state === 'ready' && node.hot !== true;
    if (node?.state !== 'terminated' && (c.accepting === true) !== accept) v.push(`container ${where}: accepting=${String(c.accepting)} on a ${String(node?.state)}${node?.hot ? ' hot' : ''} node`);
    if (node?.state === 'terminated') continue;
    for (const [roomId, w] of Object.entries(held)) {
      holders.set(roomId, [...(holders.get(roomId) ?? []), where]);
      const r = rooms.get(roomId);
      const placedHere = r?.state === 'placed' && r.nodeId === c.nodeId && r.container === c.idx;
      const target = r?.target as { nodeId?: string; container?: number } | undefined;
      const placingHere = ctx.allowPlacing === true && r?.state === 'placing' && target?.nodeId === c.nodeId && target?.container === c.idx;
      if (!placedHere && !placingHere) v.push(`leaked capacity: ${where} holds ${roomId} (${w}) but the room is ${String(r?.state ?? 'missing')}`);
      else if (r && w !== r.weight) v.push(`container ${where} holds ${roomId} with weight ${w}, the room weighs ${String(r.weight)}`);
    }
  }
  for (const [roomId, where] of holders) if (where.length > 1) v.push(`room ${roomId} on two containers: ${where.join(', ')}`);
  for (const r of rooms.values()) {
    if (r.state === 'placing' && ctx.allowPlacing !== true) v.push(`lost room: ${String(r.roomId)} stranded in placing`);
    if (r.state !== 'placed') continue;
    const c = containers.find((x) => x.nodeId === r.nodeId && x.idx === r.container);
    const node = nodes.get(r.nodeId as string);
    if (node?.state === 'terminated') v.push(`room ${String(r.roomId)} placed on terminated node ${String(r.nodeId)}`);
    else if (!c || ((c.rooms ?? {}) as Record<string, number>)[r.roomId as string] === undefined) {
      v.push(`room ${String(r.roomId)} placed on ${String(r.nodeId)}/${String(r.container)} but not held there`);
    }
  }
  const instances = await ctx.compute.describeFleet();
  const running = new Set(instances.filter((i) => i.state !== 'shutting-down' && i.state !== 'terminated').map((i) => i.instanceId));
  for (const id of running) {
    const n = nodes.get(id);
    if (!n || !(LIVE_NODE_STATES as readonly unknown[]).includes(n.state)) {
      if (n?.state !== 'terminating') v.push(`orphan instance ${id} (node record: ${String(n?.state ?? 'none')})`);
    }
  }
  for (const n of nodes.values()) {
    if ((LIVE_NODE_STATES as readonly unknown[]).includes(n.state) && !running.has(n.nodeId as string)) {
      v.push(`node ${String(n.nodeId)} is ${String(n.state)} but its instance is not running`);
    }
  }
  return v;
}

/** Count of orphan instances only (running, and no live or terminating node record). */
export async function orphanInstances(doc: DynamoDBDocumentClient, tableName: string, compute: ComputeProvider): Promise<string[]> {
  const items = await scanAll(doc, tableName);
  const nodes = new Map(items.filter((i) => i.type === 'node').map((i) => [i.nodeId as string, i]));
  const ok = new Set<unknown>([...LIVE_NODE_STATES, 'terminating']);
  return (await compute.describeFleet())
    .filter((i) => i.state !== 'shutting-down' && i.state !== 'terminated')
    .filter((i) => !ok.has(nodes.get(i.instanceId)?.state))
    .map((i) => i.instanceId);
}
