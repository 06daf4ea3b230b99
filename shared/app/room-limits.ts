/**
 * Limits on what one tenant's rooms may cost (docs/security.md#cost-limits): the pools a tenant
 * may name, and a cap on its active weight. Checked by `createRoom` before anything is written;
 * a room over a limit is rejected (`RoomRejected`, reason `pool-not-allowed` or `tenant-limit`).
 *
 * The active weight is read from the rooms themselves (`listRooms`, a Scan in DynamoDB), and
 * only when a cap applies to the tenant: exact, but its cost grows with the fleet's active
 * rooms, and creates of one tenant racing in parallel may each pass the check (by at most the
 * room-events concurrency). A per-tenant counter would remove both; see docs/security.md.
 *
 * @module
 */
import type { AutoscalerConfig } from '../domain/config.ts';
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

/**
 * Check a create against the tenant's pool allow-list and weight cap. The room itself never
 * counts against its own cap (a redelivered create of an accepted room passes).
 *
 * @returns undefined when the create may go on, or why it is refused
 * @throws {FleetStoreError} when the rooms cannot be read (the event is retried)
 */
export async function checkRoomLimits(deps: Pick<AppDeps, 'store'>, config: AutoscalerConfig, create: LimitedCreate): Promise<LimitRejection | undefined> {
  const pools = allowedPools(config.limits, create.tenantId);
  if (pools && !pools.includes(create.pool)) {
    return { reason: 'pool-not-allowed', message: `tenant ${create.tenantId ?? NO_TENANT} may use pools ${pools.join(', ')}, not ${create.pool}` };
  }
  const cap = tenantCap(config.limits, create.tenantId);
  if (cap === undefined) return undefined;
  const rooms = await deps.store.listRooms([...ACTIVE_STATES]);
  const active = rooms.filter((r) => r.roomId !== create.roomId && r.tenantId === create.tenantId).reduce((sum, r) => sum + r.weight, 0);
  if (active + create.weight <= cap) return undefined;
  return {
    reason: 'tenant-limit',
    message: `tenant ${create.tenantId ?? NO_TENANT} holds ${active} of ${cap} capacity units; ${create.weight} more would pass its cap`,
  };
}
