/**
 * Room lifetimes: predict when a room will end (for lifetime-aware placement and drain) and learn
 * from every release (shared/domain/lifetime.ts holds the predictor).
 *
 * No DynamoDB round trip per placement: each process (one Lambda execution environment, or the
 * embedded runtime) keeps each pool's model in memory for {@link LIFETIME_MODEL_TTL_MS} and loads
 * it at most once per TTL (concurrent first calls share one load). Lifetime distributions move
 * over days, not minutes, so a model up to 5 minutes old loses nothing; the releases a process
 * handles itself are added to its copy at once. Costs: one Query per pool per TTL per
 * environment to read, one UpdateItem per release of a placed room to learn.
 *
 * @module
 */
import { EMPTY_LIFETIME_MODEL, lifetimeModel, predictEndAt, recordLifetime, utcHour, type LifetimeModel } from '../domain/lifetime.ts';
import type { LifetimeStore, RoomRecord } from '../ports/index.ts';
import type { AppDeps } from './deps.ts';

export { repredictEndAt } from '../domain/lifetime.ts';

/** How long a process keeps a pool's lifetime model before reading it again, ms (5 min). */
export const LIFETIME_MODEL_TTL_MS = 5 * 60_000;

interface CachedModel {
  model: LifetimeModel;
  loadedAt: number;
  loading?: Promise<LifetimeModel> | undefined;
}

/** Cached models per store (each built store — one per Lambda environment — has its own), by pool. */
const caches = new WeakMap<LifetimeStore, Map<string, CachedModel>>();

function cacheOf(store: LifetimeStore): Map<string, CachedModel> {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new Map()));
  return c;
}

/**
 * A pool's lifetime model: from this process's cache while younger than
 * {@link LIFETIME_MODEL_TTL_MS}, else one read of the store. A failed read keeps the previous
 * model (or the empty one: the default prior) until the next TTL, logged as a warning — a
 * prediction never fails a placement.
 *
 * @returns the model (never throws for the store)
 */
export async function lifetimeModelOf(deps: Pick<AppDeps, 'lifetimes' | 'logger'>, pool: string, now: number): Promise<LifetimeModel> {
  const store = deps.lifetimes;
  if (!store) return EMPTY_LIFETIME_MODEL;
  const cache = cacheOf(store);
  const entry = cache.get(pool);
  if (entry && (now - entry.loadedAt < LIFETIME_MODEL_TTL_MS || entry.loading)) return entry.loading ?? entry.model;
  const next: CachedModel = { model: entry?.model ?? EMPTY_LIFETIME_MODEL, loadedAt: now };
  next.loading = store.lifetimeCells(pool).then(
    (cells) => {
      next.model = lifetimeModel(cells);
      next.loading = undefined;
      return next.model;
    },
    (error: unknown) => {
      deps.logger.warn('lifetime model not loaded; keeping the previous one', { pool, error: String(error) });
      next.loading = undefined;
      return next.model;
    },
  );
  cache.set(pool, next);
  return next.loading;
}

/** The lifetime hints a create may carry (RoomCreated's optional fields). */
export interface RoomHints {
  /** Free-form room kind (`meeting`, `webinar`, `camera`, …). */
  readonly kind?: string | undefined;
  /** The app's expected duration of the room, ms (> 0, ≤ 7 days). */
  readonly expectedDurationMs?: number | undefined;
}

/** What {@link predictRoomEnd} needs of a room. */
export interface RoomLifetimeInput {
  readonly pool: string;
  readonly kind?: string | undefined;
  /** The app's hint, ms. */
  readonly expectedDurationMs?: number | undefined;
  /** When the room was created (its start), epoch ms. */
  readonly createdAt: number;
}

/**
 * The expected end of a room, epoch ms: `now` + its expected remaining lifetime at its age
 * (shared/domain/lifetime.ts `predictEndAt`), from the pool's cached model — no store call per
 * placement in steady state.
 *
 * Never fails a placement: a hint that is not a positive number is ignored (the event schema
 * rejects such hints first), a `createdAt` that is not a number counts as `now`.
 *
 * @param now - epoch ms (finite)
 * @returns epoch ms, > `now`
 * @throws {RangeError} only when `now` is not finite
 */
export async function predictRoomEnd(deps: AppDeps, room: RoomLifetimeInput, now: number): Promise<number> {
  const model = await lifetimeModelOf(deps, room.pool, now);
  const hintMs = room.expectedDurationMs !== undefined && Number.isFinite(room.expectedDurationMs) && room.expectedDurationMs > 0 ? room.expectedDurationMs : undefined;
  return predictEndAt(model, { kind: room.kind, hintMs, startedAt: Number.isFinite(room.createdAt) ? room.createdAt : now }, now);
}

/**
 * Learn a released room's lifetime: its duration from `createdAt` (the create's event time) to
 * `endedAt` (the release's event time), in the cell of its kind and the UTC hour it was created.
 * Create-to-release rather than placed-to-release: the app's hint is a session length counted
 * from the create, and a release does not come later because the room waited in the queue — the
 * prediction is of the session's end, which is what frees the capacity. One UpdateItem (ADD); the
 * sample is also added to this process's cached model. A failed write is logged and dropped (one
 * sample less; the release itself must not be retried for it); a non-positive or unknown
 * duration is skipped.
 *
 * @param endedAt - the release's event time, epoch ms
 * @returns whether the sample was recorded
 */
export async function recordRoomLifetime(deps: AppDeps, room: RoomRecord, endedAt: number): Promise<boolean> {
  const store = deps.lifetimes;
  const durationMs = endedAt - room.createdAt;
  if (!store || !(room.createdAt > 0) || !Number.isFinite(durationMs) || durationMs < 0) return false;
  const hintMs = room.expectedDurationMs !== undefined && room.expectedDurationMs > 0 ? room.expectedDurationMs : undefined;
  const cached = cacheOf(store).get(room.pool);
  const inc = recordLifetime(cached?.model ?? EMPTY_LIFETIME_MODEL, { kind: room.kind, hintMs, durationMs, hourOfDay: utcHour(room.createdAt) });
  try {
    await store.addLifetime(room.pool, { kind: inc.kind, band: inc.band }, inc.add);
  } catch (error) {
    deps.logger.warn('room lifetime not recorded', { roomId: room.roomId, pool: room.pool, error: String(error) });
    return false;
  }
  if (cached && !cached.loading) cached.model = inc.model;
  return true;
}
