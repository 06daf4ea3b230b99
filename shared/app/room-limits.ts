/**
 * Limits on what one tenant's rooms may cost (docs/security.md#cost-limits): the pools a tenant
 * may name, and a cap on its active weight. Checked by `createRoom` before anything is written;
 * a room over a limit is rejected (`RoomRejected`, reason `pool-not-allowed` or `tenant-limit`).
 *
 * The active weight is a counter per tenant (`TenantUsageStore`): a create reserves its weight
 * with one conditional update, a release gives it back, and the sweep recounts every counter
 * from the rooms once a minute (only when a cap is configured).
 *
 * @module
 */
import type { AutoscalerConfig } from '../domain/config.ts';
import type { RoomRecord } from '../ports/fleet-store.ts';
import type { AppDeps } from './deps.ts';

/** Tenant key of rooms that name no tenant (their limits are `limits.*`'s defaults). */
export const NO_TENANT = '*';

/** Room states that hold (or will hold) capacity. */
const ACTIVE_STATES = ['placing', 'placed', 'queued'] as const;

/** A create to check: the room, its weight (capacity units), its tenant and the pool it resolved to. */
export interface LimitedCreate {
  readonly roomId: string;
  readonly weight: number;
  readonly tenantId?: string | undefined;
  readonly pool: string;
}

/** Why a create is refused: the `RoomRejected` reason and a sentence for the log. */
export interface LimitRejection {
  readonly reason: 'pool-not-allowed' | 'tenant-limit';
  readonly message: string;
}

/**
 * The cap on a tenant's active weight, capacity units, or undefined when none applies.
 */
export function tenantCap(limits: AutoscalerConfig['limits'], tenantId: string | undefined): number | undefined {
  return (tenantId !== undefined ? limits.tenantMaxWeight[tenantId] : undefined) ?? limits.defaultTenantMaxWeight;
}

/** The pools a tenant may name, or undefined when every pool is allowed. */
export function allowedPools(limits: AutoscalerConfig['limits'], tenantId: string | undefined): readonly string[] | undefined {
  return (tenantId !== undefined ? limits.tenantPools[tenantId] : undefined) ?? limits.tenantPools[NO_TENANT];
}

/** The tenant key a room counts under: its tenant id, or {@link NO_TENANT}. */
export function tenantKey(tenantId: string | undefined): string {
  return tenantId ?? NO_TENANT;
}

/** Whether any cap is configured (the counters are kept only then). */
export function capsConfigured(limits: AutoscalerConfig['limits']): boolean {
  return limits.defaultTenantMaxWeight !== undefined || Object.keys(limits.tenantMaxWeight).length > 0;
}

/** Outcome of {@link admitRoom}: refused, or admitted (with its weight reserved on the tenant's counter or not). */
export type Admission = { readonly kind: 'rejected'; readonly rejection: LimitRejection } | { readonly kind: 'admitted'; readonly reserved: boolean };

/**
 * Check a create against the tenant's pool allow-list, then reserve its weight on the tenant's
 * counter against the cap (one conditional update: creates racing in parallel cannot pass the
 * cap together). A create the counter refuses is still admitted when its room is already
 * active — a redelivery never counts against its own cap, and is answered as a duplicate.
 *
 * @returns the admission; when `reserved`, the caller gives the weight back
 *   ({@link returnReservation}) if the room turns out not to be new
 * @throws {FleetStoreError} when the counter or the room cannot be read (the event is retried)
 */
export async function admitRoom(deps: Pick<AppDeps, 'store'>, config: AutoscalerConfig, create: LimitedCreate): Promise<Admission> {
  const pools = allowedPools(config.limits, create.tenantId);
  if (pools && !pools.includes(create.pool)) {
    return { kind: 'rejected', rejection: { reason: 'pool-not-allowed', message: `tenant ${tenantKey(create.tenantId)} may use pools ${pools.join(', ')}, not ${create.pool}` } };
  }
  const cap = tenantCap(config.limits, create.tenantId);
  if (cap === undefined) return { kind: 'admitted', reserved: false };
  if (await deps.store.reserveTenantWeight(tenantKey(create.tenantId), create.weight, cap)) return { kind: 'admitted', reserved: true };
  const existing = await deps.store.getRoom(create.roomId);
  if (existing && (ACTIVE_STATES as readonly string[]).includes(existing.state)) return { kind: 'admitted', reserved: false };
  return {
    kind: 'rejected',
    rejection: { reason: 'tenant-limit', message: `tenant ${tenantKey(create.tenantId)}: ${create.weight} more capacity units would pass its cap of ${cap}` },
  };
}

/** Give back the weight {@link admitRoom} reserved for a create whose room was not new (duplicate, stale). */
export async function returnReservation(deps: Pick<AppDeps, 'store'>, create: Pick<LimitedCreate, 'tenantId' | 'weight'>): Promise<void> {
  await deps.store.returnTenantWeight(tenantKey(create.tenantId), create.weight);
}

/**
 * Give a released room's weight back to its tenant's counter (when caps are configured). A crash
 * before this leaves the counter high until the sweep's recount.
 */
export async function returnTenantShare(deps: Pick<AppDeps, 'store'>, config: AutoscalerConfig, room: Pick<RoomRecord, 'tenantId' | 'weight' | 'state'>): Promise<void> {
  if (!capsConfigured(config.limits) || !(ACTIVE_STATES as readonly string[]).includes(room.state)) return;
  await deps.store.returnTenantWeight(tenantKey(room.tenantId), room.weight);
}

/**
 * The sweep's recount (when caps are configured): every tenant counter is set to the weight of
 * its active rooms (one Scan of the rooms, one of the counters). This repairs what crashes and
 * the rooms no release passes through (interrupted, rejected from the queue, expired) left;
 * creates racing the recount may be missed by it until the next one (a minute).
 *
 * @returns the tenants whose counter changed, with the new figure
 */
export async function recountTenantWeights(deps: Pick<AppDeps, 'store' | 'config'>): Promise<ReadonlyMap<string, number>> {
  const config = await deps.config.getConfig();
  if (!capsConfigured(config.limits)) return new Map();
  const [rooms, recorded] = await Promise.all([deps.store.listRooms([...ACTIVE_STATES]), deps.store.listTenantWeights()]);
  const actual = new Map<string, number>();
  for (const r of rooms) actual.set(tenantKey(r.tenantId), (actual.get(tenantKey(r.tenantId)) ?? 0) + r.weight);
  const changed = new Map<string, number>();
  for (const tenant of new Set([...actual.keys(), ...recorded.keys()])) {
    const weight = actual.get(tenant) ?? 0;
    if (recorded.get(tenant) === weight) continue;
    await deps.store.setTenantWeight(tenant, weight);
    changed.set(tenant, weight);
  }
  return changed;
}
