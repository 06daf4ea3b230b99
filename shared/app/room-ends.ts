/**
 * Predicted room ends for lifetime-aware placement and drain: what a claim records on its
 * container (`claimCapacity`'s `expectedEndAt`) and what placement scores the fits by
 * (`PlacementContext.expectedEnd`, shared/domain/placement.ts).
 *
 * The prediction comes from one injectable function of the lifetime predictor's shape
 * ({@link PredictRoomEnd}); {@link roomEndPredictor} names the one in use: the learned predictor
 * (`predictRoomEnd` of shared/app/lifetimes.ts), from the store's histograms or, without a store,
 * from its prior.
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';
import { decidePlacement, type PlacementCandidate, type PlacementContext, type PlacementDecision } from '../domain/placement.ts';
import type { AppDeps } from './deps.ts';
import { predictRoomEnd, type RoomHints } from './lifetimes.ts';

export type { RoomHints };

/** What a prediction of a room's end is made from: its pool, hints and when it was created. */
export interface RoomEndQuery extends RoomHints {
  readonly pool: string;
  /** When the room was created, epoch ms. */
  readonly createdAt: number;
}

/** A predictor of a room's end: expected end, epoch ms (the lifetime predictor's shape). */
export type PredictRoomEnd = (deps: AppDeps, room: RoomEndQuery, now: number) => Promise<number>;

/**
 * The predictor in use: the learned one (`predictRoomEnd`, shared/app/lifetimes.ts: the pool's
 * lifetime histograms, cached 5 min). Where no lifetime store is wired (tests and tools), it
 * predicts from the empty model, i.e. the predictor's own prior (shared/domain/lifetime.ts
 * `DEFAULT_PRIOR`) and the hint: one predictor everywhere.
 */
export const roomEndPredictor: PredictRoomEnd = predictRoomEnd;

/**
 * Largest container capacity (capacity units, so most rooms a container can hold) whose rooms'
 * predicted ends are recorded: each costs its container item 18 bytes (11-character key, epoch
 * seconds), and 16 rooms of the longest ids in the longest pool name keep the item ≤ 1 KB (one
 * write unit; test/shared/adapters/dynamodb/item-size.test.ts). Pools of larger containers use
 * no lifetime policy.
 */
export const MAX_ROOMS_WITH_ENDS = 16;

/** A room's predicted end and the placement context that scores by it. */
export interface LifetimePlan {
  /** Predicted end, epoch ms; undefined when the pool uses no lifetime policy (nothing recorded). */
  readonly expectedEndAt: number | undefined;
  /** Context for `decidePlacement`: node-level tie-break, contention, and the end when placement is lifetime-aware. */
  readonly context: PlacementContext;
}

/**
 * Predict a room's end when the pool uses it (`lifetimePlacement` or `lifetimeDrain`, containers
 * of at most {@link MAX_ROOMS_WITH_ENDS} units), and the placement context with it.
 *
 * @param room - the room's pool, creation time (epoch ms) and hints
 * @param now - epoch ms
 * @param predict - the predictor (default {@link roomEndPredictor})
 * @throws whatever the predictor throws (a store failure: the event is retried)
 */
export async function lifetimePlan(
  deps: AppDeps,
  pool: PoolConfig,
  room: RoomEndQuery,
  now: number,
  predict: PredictRoomEnd = roomEndPredictor,
): Promise<LifetimePlan> {
  const used = (pool.lifetimePlacement || pool.lifetimeDrain) && pool.capacityPerContainer <= MAX_ROOMS_WITH_ENDS;
  const expectedEndAt = used ? await predict(deps, room, now) : undefined;
  const context: PlacementContext = { containersPerNode: pool.containersPerNode, now, ...(pool.lifetimePlacement ? { expectedEnd: expectedEndAt } : {}) };
  return { expectedEndAt, context };
}

/**
 * Decide a room's placement with its predicted end ({@link lifetimePlan}, then `decidePlacement`
 * with the pool's spread and the plan's context).
 *
 * @param candidates - from the placement index (they carry their rooms' ends: no extra read)
 * @param weight - the room's weight, capacity units
 * @returns the decision, with the predicted end to record on the claimed container
 * @throws whatever the predictor throws
 */
export async function decideWithLifetime<C extends PlacementCandidate>(
  deps: AppDeps,
  pool: PoolConfig,
  candidates: readonly C[],
  weight: number,
  room: RoomEndQuery,
  now: number,
): Promise<PlacementDecision<C> & { readonly expectedEndAt: number | undefined }> {
  const plan = await lifetimePlan(deps, pool, room, now);
  return { ...decidePlacement(candidates, weight, pool.capacityPerContainer, pool.placementSpread, deps.random, plan.context), expectedEndAt: plan.expectedEndAt };
}
