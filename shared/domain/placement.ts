/**
 * Placement policy: which container gets a room.
 *
 * Best-fit (the most loaded container that still fits) keeps lightly used nodes emptying so the
 * sweep can release them — the only consolidation possible when live media sessions cannot
 * migrate. Among containers with equal free capacity (most often: empty containers), the one on
 * the most loaded node wins, so a room opens an empty container beside busy ones rather than on
 * an idle node (node-level consolidation: what is paid for is a node, not a container).
 *
 * A random pick among the top few best-fit candidates spreads concurrent placements so a burst
 * does not pile onto one container and lose its conditional writes (herding). It applies only
 * under contention — when one of those candidates took a room within the last
 * {@link CONTENTION_WINDOW_MS} — because each pick below the best fit puts a room on an emptier
 * container and keeps its node paid for longer (measured on the sample week: spreading every
 * placement cost 1.44× the lower bound against 1.37× for always the best fit; bench/explain.ts).
 *
 * Lifetime-aware placement ({@link rankByLifetime}, when the room has a predicted end): rooms
 * cannot migrate, so a node is paid until its last room leaves; among the fits, a room goes
 * where it does not extend its node's life (the node's rooms are predicted to end after it),
 * else where it extends it least, so nodes empty together and long rooms land on nodes that stay
 * anyway — the NILAS/LARS idea of LAVA (Barbalho et al., "Lifetime-Aware VM Allocation with
 * Learned Distributions and Adaptation to Mispredictions", MLSys 2025), whose node "exit time"
 * is here the latest predicted end among the node's candidate containers. Best fit orders the
 * rest, so consolidation is kept.
 *
 * @module
 */
import { containerFree, type ContainerView } from './model.ts';

/** A source of uniform random numbers in [0, 1); injected so policy stays deterministic in tests. */
export type RandomSource = () => number;

/** A container the placement query returned, with what placement needs to decide. */
export type PlacementCandidate = Pick<ContainerView, 'nodeId' | 'index' | 'capacity' | 'used' | 'accepting'> &
  Partial<Pick<ContainerView, 'lastPlacedAt' | 'roomEnds'>>;

/**
 * Placements this close together count as concurrent, ms: a placement reads its candidates and
 * claims within its first 3 round trips (a few ms each against DynamoDB; docs/performance.md),
 * and `lastPlacedAt` is the claiming handler's start time, so two placements that may have read
 * the same best fit are well within 1 s of each other; the rest of the second absorbs clock skew
 * between Lambda hosts (NTP-synchronised, milliseconds).
 */
export const CONTENTION_WINDOW_MS = 1_000;

/** What {@link decidePlacement} may use beyond the candidates. */
export interface PlacementContext {
  /**
   * Containers per node of the pool. With it, ties in free capacity go to the most loaded node;
   * a node's load is estimated from the candidates given, counting each of its containers that is
   * missing as full (the placement query returns only containers with free ≥ weight).
   */
  readonly containersPerNode?: number | undefined;
  /**
   * Now, epoch ms. With it, the spread applies only when a top candidate's `lastPlacedAt` is
   * within {@link CONTENTION_WINDOW_MS}; without it, always (the behaviour before contention
   * detection, which tests of the spread itself use).
   */
  readonly now?: number | undefined;
  /**
   * The room's predicted end, epoch ms. With it and `now`, the fits are ordered by
   * {@link rankByLifetime}; without it (no prediction), best fit alone, as before.
   */
  readonly expectedEnd?: number | undefined;
  /** Width of {@link rankByLifetime}'s classes, ms (default {@link LIFETIME_CLASS_MS}). */
  readonly lifetimeClassMs?: number | undefined;
}

/**
 * Width of the classes in which {@link rankByLifetime} compares node ends, ms: within one class
 * best fit decides. 30 min: on day 1 of the sample week with oracle hints and lifetime-aware drain
 * (bench/lt-replay.ts, seeds 1–3) it gave 279.7 node-hours and 248 rooms waited on average, against
 * 279.3 and 261 for 5 min (which raised waiting on one seed) and 288.8 and 274 for best fit
 * without lifetime policy.
 */
export const LIFETIME_CLASS_MS = 30 * 60_000;

/**
 * Predicted end of each node among the candidates, epoch ms: the latest predicted end of the
 * rooms its candidate containers host, no earlier than `now` (a room past its predicted end is
 * taken to end now). Nodes whose candidates carry no end are absent.
 *
 * @param candidates - containers, any order
 * @param now - epoch ms
 */
export function nodeEnds(candidates: readonly PlacementCandidate[], now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of candidates) {
    for (const end of c.roomEnds ?? []) out.set(c.nodeId, Math.max(out.get(c.nodeId) ?? now, end));
  }
  return out;
}

/**
 * Order fits for a room predicted to end at `roomEnd` (LAVA's NILAS/LARS, see the module doc):
 * first the nodes it does not outlive (node end ≥ room end), by their slack (node end − room
 * end), then the others by how much the room would extend the node's life (room end − node end;
 * a node with no predicted end counts from `now`), both compared in classes of `classMs`; within
 * a class the given (best-fit) order is kept.
 *
 * @param ranked - fits, best fit first ({@link rankCandidates})
 * @param roomEnd - the room's predicted end, epoch ms
 * @param now - epoch ms
 * @param classMs - class width, ms (> 0; Infinity: "outlives the node or not" only)
 * @returns a new array
 * @example
 * // i-1 (fuller) empties in 10 min; i-2 in 2 h: a 1-hour room goes to i-2, where it extends nothing.
 * rankByLifetime([c1, c2], now + 3_600_000, now, 1_800_000); // [c2, c1]
 */
export function rankByLifetime<C extends PlacementCandidate>(ranked: readonly C[], roomEnd: number, now: number, classMs = LIFETIME_CLASS_MS): C[] {
  const ends = nodeEnds(ranked, now);
  const cls = (ms: number) => (Number.isFinite(classMs) ? Math.floor(Math.max(0, ms) / classMs) : 0);
  const key = (c: C): [number, number] => {
    const end = ends.get(c.nodeId) ?? now;
    return end >= roomEnd ? [0, cls(end - roomEnd)] : [1, cls(roomEnd - end)];
  };
  const keyed = ranked.map((c, i) => ({ c, i, k: key(c) }));
  keyed.sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i);
  return keyed.map((x) => x.c);
}

/**
 * Estimated weight hosted by each node of the candidates, capacity units: the `used` of its
 * containers among them, plus full capacity for each of its containers that is not among them.
 *
 * @param candidates - containers, any order (all of a node's, or only those that fit)
 * @param containersPerNode - containers per node of the pool
 * @example
 * // i-1 shows container 1 (used 2); container 0 did not fit, so it counts as full (10).
 * nodeLoads([{ nodeId: 'i-1', index: 1, capacity: 10, used: 2, accepting: true }], 2); // Map { 'i-1' → 12 }
 */
export function nodeLoads(candidates: readonly PlacementCandidate[], containersPerNode: number): Map<string, number> {
  const seen = new Map<string, { used: number; count: number; capacity: number }>();
  for (const c of candidates) {
    const s = seen.get(c.nodeId) ?? { used: 0, count: 0, capacity: c.capacity };
    s.used += c.used;
    s.count += 1;
    seen.set(c.nodeId, s);
  }
  return new Map([...seen].map(([id, s]) => [id, s.used + Math.max(0, containersPerNode - s.count) * s.capacity]));
}

/** Result of a placement decision. */
export type PlacementDecision<C extends PlacementCandidate = PlacementCandidate> =
  | { readonly kind: 'place'; readonly candidate: C; readonly alternatives: readonly C[] }
  | { readonly kind: 'queue'; readonly reason: 'no-capacity' }
  | { readonly kind: 'reject'; readonly reason: 'too-heavy' };

/**
 * Rank candidates for a room: only accepting containers with free capacity ≥ weight (a room is
 * never split across containers), most loaded first; with `containersPerNode`, ties go to the
 * most loaded node ({@link nodeLoads}); then node id and index, so the order is total.
 *
 * @param candidates - containers, any order
 * @param weight - the room's weight, capacity units (≥ 1)
 * @param containersPerNode - containers per node of the pool (omit: no node-level tie-break)
 * @returns the fitting candidates, best fit first
 */
export function rankCandidates<C extends PlacementCandidate>(candidates: readonly C[], weight: number, containersPerNode?: number): C[] {
  const loads = containersPerNode === undefined ? undefined : nodeLoads(candidates, containersPerNode);
  const load = (c: C) => loads?.get(c.nodeId) ?? 0;
  return candidates
    .filter((c) => c.accepting && containerFree(c) >= weight)
    .sort(
      (a, b) =>
        containerFree(a) - containerFree(b) ||
        load(b) - load(a) ||
        (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0) ||
        a.index - b.index,
    );
}

/**
 * Whether placements are contending for these candidates: one of them took a room within
 * {@link CONTENTION_WINDOW_MS} before `now`.
 *
 * @param candidates - the top candidates (those the spread would pick among)
 * @param now - epoch ms
 */
export function underContention(candidates: readonly PlacementCandidate[], now: number): boolean {
  return candidates.some((c) => c.lastPlacedAt !== undefined && now - c.lastPlacedAt < CONTENTION_WINDOW_MS);
}

/**
 * Decide where to place a room.
 *
 * @param candidates - containers from the placement index (may be stale; the conditional write
 *   is the authority)
 * @param weight - the room's weight, capacity units
 * @param capacityPerContainer - the pool's container capacity; a heavier room can never fit
 * @param spread - pick uniformly among this many best-fit candidates (≥ 1); with `context.now`,
 *   only under contention ({@link underContention}), else the best fit
 * @param random - uniform [0, 1) source (drawn only when the spread applies)
 * @param context - node-level tie-break, contention detection and the room's predicted end
 *   ({@link PlacementContext})
 * @returns `place` with the chosen candidate and the other fitting ones in best-fit order (to
 *   try if the conditional write loses a race), `queue` when nothing fits now, or `reject` when
 *   the room is heavier than any container of the pool can ever hold
 * @example
 * decidePlacement([{ nodeId: 'i-1', index: 0, capacity: 10, used: 7, accepting: true }], 2, 10, 3, Math.random);
 * // → { kind: 'place', candidate: { nodeId: 'i-1', index: 0, … }, alternatives: [] }
 */
export function decidePlacement<C extends PlacementCandidate>(
  candidates: readonly C[],
  weight: number,
  capacityPerContainer: number,
  spread: number,
  random: RandomSource,
  context: PlacementContext = {},
): PlacementDecision<C> {
  if (weight > capacityPerContainer) return { kind: 'reject', reason: 'too-heavy' };
  const fits = rankCandidates(candidates, weight, context.containersPerNode);
  const { expectedEnd, now } = context;
  const ranked = expectedEnd !== undefined && now !== undefined ? rankByLifetime(fits, expectedEnd, now, context.lifetimeClassMs) : fits;
  if (ranked.length === 0) return { kind: 'queue', reason: 'no-capacity' };
  let top = Math.min(Math.max(1, spread), ranked.length);
  if (top > 1 && context.now !== undefined && !underContention(ranked.slice(0, top), context.now)) top = 1;
  const pick = top === 1 ? 0 : Math.min(top - 1, Math.floor(random() * top));
  const candidate = ranked[pick] as C;
  return { kind: 'place', candidate, alternatives: ranked.filter((_, i) => i !== pick) };
}
