/**
 * Lifetime-aware drain and undrain order (pool setting `lifetimeDrain`): from the predicted ends
 * of the rooms a node hosts (`ContainerView.roomEnds`), when the node is expected to be empty.
 * The sweep drains the nodes expected to empty soonest — the fewest expected node-minutes left,
 * so the capacity given up is the one that would leave soonest anyway — and scale-out undrains
 * the one expected to last longest, which stays paid whatever it does. The idea of LAVA's
 * lifetime-aware scheduling with re-prediction as rooms age (Barbalho et al., "Lifetime-Aware VM
 * Allocation with Learned Distributions and Adaptation to Mispredictions", MLSys 2025).
 *
 * Pure: the clock is a parameter.
 *
 * @module
 */
import { nodeUsed, type NodeView } from './model.ts';

/**
 * Re-predict the end of a room still there at `now`, epoch ms, from its predicted end (epoch ms).
 * Injectable: the learned predictor's remaining lifetime given the room's age replaces the default.
 */
export type RepredictEnd = (predictedEnd: number, now: number) => number;

/** Least extra life {@link repredictOverrun} gives a room past its predicted end, ms (5 min: five sweeps). */
export const MIN_OVERRUN_MS = 5 * 60_000;

/**
 * Default {@link RepredictEnd}: a prediction still ahead stands; a room past its predicted end is
 * expected to run over again as long as it already has, at least {@link MIN_OVERRUN_MS} — the
 * remaining life of a heavy-tailed lifetime grows with age (LAVA's re-prediction, see module doc).
 *
 * @example repredictOverrun(now - 20 * 60_000, now) // now + 20 min
 */
export const repredictOverrun: RepredictEnd = (end, now) => (end > now ? end : now + Math.max(MIN_OVERRUN_MS, now - end));

/**
 * When a node is expected to host no room any more, epoch ms: `now` when it hosts none, else the
 * latest re-predicted end of its rooms' predicted ends; undefined when it hosts rooms and none has
 * a predicted end (rooms without one are not counted when others have one).
 *
 * @param node - the node with its containers
 * @param now - epoch ms
 * @param repredict - re-prediction of ends already past (default {@link repredictOverrun})
 */
export function nodeExpectedEmptyAt(node: Pick<NodeView, 'containers'>, now: number, repredict: RepredictEnd = repredictOverrun): number | undefined {
  if (node.containers.every((c) => c.used === 0)) return now;
  let latest: number | undefined;
  for (const c of node.containers) for (const end of c.roomEnds ?? []) latest = Math.max(latest ?? now, repredict(end, now));
  return latest;
}

/**
 * Ready nodes in drain order: fewest expected node-minutes left first ({@link nodeExpectedEmptyAt}
 * − now; nodes with no prediction last), then least loaded, then node id.
 *
 * @param nodes - the candidates for a drain
 * @param now - epoch ms
 * @param repredict - default {@link repredictOverrun}
 * @returns a new array
 */
export function drainOrder<N extends NodeView>(nodes: readonly N[], now: number, repredict: RepredictEnd = repredictOverrun): N[] {
  const left = new Map(nodes.map((n) => [n.nodeId, (nodeExpectedEmptyAt(n, now, repredict) ?? Infinity) - now]));
  const l = (n: N) => left.get(n.nodeId) ?? Infinity;
  return [...nodes].sort((a, b) => (l(a) === l(b) ? 0 : l(a) < l(b) ? -1 : 1) || nodeUsed(a) - nodeUsed(b) || (a.nodeId < b.nodeId ? -1 : 1));
}

/**
 * Draining nodes in undrain order: with predicted ends, the one expected to last longest first
 * (it stays paid anyway), nodes without one after them; then most free capacity first (the order
 * without predictions), then node id.
 *
 * @param nodes - draining nodes with their free capacity (capacity units) and expected empty time (epoch ms)
 * @returns a new array
 */
export function undrainOrder<D extends { readonly nodeId: string; readonly free: number; readonly expectedEmptyAt?: number | undefined }>(nodes: readonly D[]): D[] {
  const end = (d: D) => d.expectedEmptyAt ?? -Infinity;
  return [...nodes].sort((a, b) => (end(a) === end(b) ? 0 : end(b) > end(a) ? 1 : -1) || b.free - a.free || (a.nodeId < b.nodeId ? -1 : 1));
}
