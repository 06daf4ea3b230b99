/**
 * Active weight per tenant on DynamoDB (`TenantUsageStore`): one item per tenant
 * (`TENANT#<id>` / `USAGE`, attribute `active`, capacity units). `reserveTenantWeight` is one
 * conditional UpdateItem (ADD only while the result stays within the cap), so parallel creates of
 * one tenant cannot pass it together; `listTenantWeights` a Scan (the sweep's recount, once a
 * minute, only when a cap is configured).
 *
 * @module
 */
import type { ItemKey } from './items.ts';
import type { TenantUsageStore } from '../../ports/fleet-store.ts';
import type { FleetTableClient } from './table-client.ts';

/** `type` of the usage items. */
const TENANT_USAGE = 'tenant-usage';

/** Key of a tenant's usage item. */
export const tenantUsageKey = (tenantId: string): ItemKey => ({ pk: `TENANT#${tenantId}`, sk: 'USAGE' });

/** See the module documentation. */
export class DynamoDbTenantUsageStore implements TenantUsageStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async reserveTenantWeight(tenantId: string, weight: number, cap: number): Promise<boolean> {
    if (weight > cap) return false;
    return this.table.conditional('ReserveTenantWeight', {
      Key: tenantUsageKey(tenantId),
      UpdateExpression: 'SET #type = :type, tenantId = :tenant ADD active :w',
      ConditionExpression: 'attribute_not_exists(active) OR active <= :room',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': TENANT_USAGE, ':tenant': tenantId, ':w': weight, ':room': cap - weight },
    });
  }

  public async returnTenantWeight(tenantId: string, weight: number): Promise<void> {
    await this.table.conditional('ReturnTenantWeight', {
      Key: tenantUsageKey(tenantId),
      UpdateExpression: 'ADD active :neg',
      ConditionExpression: 'active >= :w',
      ExpressionAttributeValues: { ':neg': -weight, ':w': weight },
    });
  }

  public async listTenantWeights(): Promise<ReadonlyMap<string, number>> {
    const items = await this.table.scanAll({
      FilterExpression: '#type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': TENANT_USAGE },
    });
    return new Map(items.map((i) => [String(i.tenantId), Number(i.active ?? 0)]));
  }

  public async setTenantWeight(tenantId: string, weight: number): Promise<void> {
    await this.table.conditional('SetTenantWeight', {
      Key: tenantUsageKey(tenantId),
      UpdateExpression: 'SET #type = :type, tenantId = :tenant, active = :w',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': TENANT_USAGE, ':tenant': tenantId, ':w': weight },
    });
  }
}
