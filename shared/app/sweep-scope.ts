/**
 * What one sweep invocation covers: its shard of a large pool's nodes (parallel sweep
 * invocations, one per shard) and which nodes' rooms its leak check reads this minute (a fifth
 * of them each minute, so every node every {@link LEAK_CHECK_SPREAD_MINUTES} minutes). Also the
 * sweep's one paged read of a pool's nodes and a bounded parallel map for batched reads.
 *
 * @module
 */
import type { NodeView } from '../domain/model.ts';
import type { AppDeps } from './deps.ts';

/**
 * Minutes over which the leak check visits every node once: each minute checks the nodes whose
 * id hashes into that minute's slot.
 */
export const LEAK_CHECK_SPREAD_MINUTES = 5;

/**
 * Most nodes one sweep invocation covers: the stack runs `ceil(maxNodes / 10,000)` shards. At
 * 10,000 nodes one sweep with the spread leak check is measured by `npm run bench`
 * (bench/scale-sweep.ts; docs/performance.md, "The sweep's ceiling").
 */
export const NODES_PER_SWEEP_SHARD = 10_000;

/** Options of one sweep run. */
export interface SweepOptions {
  /** This invocation's shard, 0 ≤ shard < shards (default 0). Shard 0 also runs the pool-wide steps. */
  readonly shard?: number | undefined;
  /** How many sweep invocations share each pool's nodes (default 1). */
  readonly shards?: number | undefined;
  /**
   * `spread` (default): check the rooms of this minute's fifth of the nodes; `all`: every node
   * (tests, an operator's manual run); `none`: skip the check.
   */
  readonly leakCheck?: 'spread' | 'all' | 'none' | undefined;
}

/** The number of sweep shards for a pool of at most `maxNodes` nodes (≥ 1). */
export function sweepShards(maxNodes: number): number {
  return Math.max(1, Math.ceil(maxNodes / NODES_PER_SWEEP_SHARD));
}

/** FNV-1a, 32 bits: a stable, well-spread hash of a string (ids of one pool differ in few characters). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard (0 … shards − 1) whose sweep covers a node. */
export function nodeShard(nodeId: string, shards: number): number {
  return shards <= 1 ? 0 : fnv1a(nodeId) % shards;
}

/** The minute slot (0 … 4) whose sweep checks a node's rooms (a hash independent of the shard's). */
export function leakCheckSlot(nodeId: string): number {
  return fnv1a(`leak#${nodeId}`) % LEAK_CHECK_SPREAD_MINUTES;
}

/** Whether the sweep at `now` (epoch ms) with `mode` checks the rooms of `nodeId`. */
export function isLeakCheckDue(nodeId: string, now: number, mode: SweepOptions['leakCheck'] = 'spread'): boolean {
  if (mode === 'all') return true;
  if (mode === 'none') return false;
  return leakCheckSlot(nodeId) === Math.floor(now / 60_000) % LEAK_CHECK_SPREAD_MINUTES;
}

/** The shard and shard count of `options`, validated. @throws {RangeError} on a shard out of range */
export function shardOf(options: SweepOptions = {}): { shard: number; shards: number } {
  const shards = options.shards ?? 1;
  const shard = options.shard ?? 0;
  if (!Number.isInteger(shards) || shards < 1 || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new RangeError(`sweep shard ${shard} of ${shards} is out of range`);
  }
  return { shard, shards };
}

/**
 * Read a pool's nodes once, page by page (`listNodePages` when the store has it, else one
 * `listNodes`), calling `onPage` on each page while the next page is being read, so per-node work
 * overlaps the reads.
 *
 * @returns every node read, in store order
 * @throws {FleetStoreError} when a page cannot be read, or whatever `onPage` throws
 */
export async function readPoolNodes(deps: Pick<AppDeps, 'store'>, pool: string, onPage: (page: readonly NodeView[]) => Promise<void>): Promise<NodeView[]> {
  const nodes: NodeView[] = [];
  const pages = deps.store.listNodePages?.(pool);
  if (!pages) {
    const all = await deps.store.listNodes(pool);
    nodes.push(...all);
    await onPage(all);
    return nodes;
  }
  const it = pages[Symbol.asyncIterator]();
  let pending = it.next();
  for (;;) {
    const page = await pending;
    if (page.done) break;
    // Ask for the next page before working on this one: its read overlaps the work.
    pending = it.next();
    pending.catch(() => undefined);
    nodes.push(...page.value);
    try {
      await onPage(page.value);
    } catch (e) {
      await it.return?.();
      throw e;
    }
  }
  return nodes;
}

/**
 * Run `fn` over `items` with at most `limit` calls in flight.
 *
 * @returns the results in the order of `items`
 * @throws the first error a call throws (calls in flight finish first)
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return out;
}
