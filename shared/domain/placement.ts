/**
 * Placement policy: which container gets a room.
 *
 * Best-fit (the most loaded container that still fits) keeps lightly used nodes emptying so the
 * sweep can release them — the only consolidation possible when live media sessions cannot
 * migrate. A random pick among the top few best-fit candidates spreads concurrent placements so
 * a burst does not pile onto one container and lose its conditional writes (herding).
 *
 * @module
 */
import { containerFree, type ContainerView } from './model.ts';

/** A source of uniform random numbers in [0, 1); injected so policy stays deterministic in tests. */
export type RandomSource = () => number;

/** A container the placement query returned, with what placement needs to decide. */
export type PlacementCandidate = Pick<ContainerView, 'nodeId' | 'index' | 'capacity' | 'used' | 'accepting'>;

/** Result of a placement decision. */
export type PlacementDecision<C extends PlacementCandidate = PlacementCandidate> =
  | { readonly kind: 'place'; readonly candidate: C; readonly alternatives: readonly C[] }
  | { readonly kind: 'queue'; readonly reason: 'no-capacity' }
  | { readonly kind: 'reject'; readonly reason: 'too-heavy' };

/**
 * Rank candidates for a room: only accepting containers with free capacity ≥ weight (a room is
 * never split across containers), most loaded first; ties broken by node id then index so the
 * order is total.
 *
 * @param candidates - containers, any order
 * @param weight - the room's weight, capacity units (≥ 1)
 * @returns the fitting candidates, best fit first
 */
export function rankCandidates<C extends PlacementCandidate>(candidates: readonly C[], weight: number): C[] {
  return candidates
    .filter((c) => c.accepting && containerFree(c) >= weight)
    .sort(
      (a, b) =>
        containerFree(a) - containerFree(b) ||
        (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0) ||
        a.index - b.index,
    );
}

/**
 * Decide where to place a room.
 *
 * @param candidates - containers from the placement index (may be stale; the conditional write
 *   is the authority)
 * @param weight - the room's weight, capacity units
 * @param capacityPerContainer - the pool's container capacity; a heavier room can never fit
 * @param spread - pick uniformly among this many best-fit candidates (≥ 1)
 * @param random - uniform [0, 1) source
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
): PlacementDecision<C> {
  if (weight > capacityPerContainer) return { kind: 'reject', reason: 'too-heavy' };
  const ranked = rankCandidates(candidates, weight);
  if (ranked.length === 0) return { kind: 'queue', reason: 'no-capacity' };
  const top = Math.min(Math.max(1, spread), ranked.length);
  const pick = Math.min(top - 1, Math.floor(random() * top));
  const candidate = ranked[pick] as C;
  return { kind: 'place', candidate, alternatives: ranked.filter((_, i) => i !== pick) };
}
