/**
 * Elastic IPs of media nodes on EC2: one per secondary private IP of a node's primary ENI, so
 * each WCS container has a public IP for its `ip` setting (ICE candidates) — the node reads the
 * associations from IMDS. Used by `Ec2ComputeProvider`; SDK errors are read by the predicates of
 * `errors.ts` and mapped here.
 *
 * Also the account's Elastic IP quota (checked before a launch, see `docs/public-addressing.md`):
 * Service Quotas `GetServiceQuota` for quota `L-0263D0A3` ("EC2-VPC Elastic IPs") first, and when
 * that is denied or unavailable EC2 `DescribeAccountAttributes` (`vpc-max-elastic-ips`); when both
 * fail the limit is reported unknown with the reasons and the caller proceeds (an allocation past
 * the quota still fails with `AddressLimitExceeded`, mapped to `LaunchQuotaError`).
 * Sources: Service Quotas API Reference, "GetServiceQuota"; Amazon EC2 API Reference,
 * "DescribeAccountAttributes" (`vpc-max-elastic-ips`: the maximum number of Elastic IP addresses
 * that you can allocate).
 *
 * @module
 */
import { GetServiceQuotaCommand, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAccountAttributesCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  type Address,
  type EC2Client,
  type Filter,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import { AutoscalerError, LaunchQuotaError } from '../../errors.ts';
import type { AddressAssociation, AddressQuota, FleetAddress, NodeAddresses, StoppedAddressRelease } from '../../ports/compute-provider.ts';
import { ec2Failure, errorCode, errorMessage, isAddressTaken, isNotFound, isQuotaExceeded } from './errors.ts';

/** Tag naming the instance an Elastic IP was allocated for. */
export const NODE_TAG = 'wcs-autoscaler:node';

/** EC2 states in which a warm-pool node's Elastic IPs may be released (`releaseIfStopped`). */
export const STOPPED_STATES: ReadonlySet<string> = new Set(['stopping', 'stopped']);

/** Service Quotas code of the EC2 quota "EC2-VPC Elastic IPs" (service code `ec2`). */
export const ELASTIC_IP_QUOTA_CODE = 'L-0263D0A3';

/** EC2 account attribute holding the same limit (`DescribeAccountAttributes`). */
export const ELASTIC_IP_ACCOUNT_ATTRIBUTE = 'vpc-max-elastic-ips';

/** How long a quota limit that was read is reused, ms (5 min: quota increases are rare, manual events). */
export const ELASTIC_IP_QUOTA_TTL_MS = 300_000;

/** How long an unreadable limit is remembered before both sources are asked again, ms (1 min). */
export const ELASTIC_IP_QUOTA_RETRY_MS = 60_000;

/** Options of {@link Ec2ElasticIps}. */
export interface Ec2ElasticIpsOptions {
  readonly client: EC2Client;
  /** Fleet name: value of the fleet tag on every address this fleet allocates. */
  readonly fleet: string;
  /** Tag keys (fleet, pool) shared with the instances. */
  readonly fleetTag: string;
  readonly poolTag: string;
  /**
   * Operator-supplied allocation ids to take addresses from before allocating new ones (e.g.
   * allow-listed public IPs). Never released, only disassociated. @default []
   */
  readonly addressPool?: readonly string[];
  /**
   * Service Quotas client for the quota check; absent → only `DescribeAccountAttributes` is asked.
   */
  readonly serviceQuotas?: ServiceQuotasClient | undefined;
  /** How long a read quota limit is reused, ms. @default ELASTIC_IP_QUOTA_TTL_MS (300 000) */
  readonly quotaTtlMs?: number;
}

type QuotaLimit = Pick<AddressQuota, 'limit' | 'source' | 'warning'>;

/** Associates, releases and reconciles the Elastic IPs of a fleet. */
export class Ec2ElasticIps {
  private readonly client: EC2Client;
  private readonly fleet: string;
  private readonly fleetTag: string;
  private readonly poolTag: string;
  private readonly addressPool: readonly string[];
  private readonly serviceQuotas: ServiceQuotasClient | undefined;
  private readonly quotaTtlMs: number;
  private quotaCache: (QuotaLimit & { readonly until: number }) | undefined;

  public constructor(options: Ec2ElasticIpsOptions) {
    this.client = options.client;
    this.fleet = options.fleet;
    this.fleetTag = options.fleetTag;
    this.poolTag = options.poolTag;
    this.addressPool = [...(options.addressPool ?? [])];
    this.serviceQuotas = options.serviceQuotas;
    this.quotaTtlMs = options.quotaTtlMs ?? ELASTIC_IP_QUOTA_TTL_MS;
  }

  /**
   * See `ComputeProvider.addressQuota`: the limit (cached `quotaTtlMs` from `now`; an unknown one
   * {@link ELASTIC_IP_QUOTA_RETRY_MS}) and one unfiltered `DescribeAddresses` for the usage — every
   * Elastic IP of the account in the Region counts against the quota, not only the fleet's.
   *
   * @throws {AutoscalerError} when DescribeAddresses fails (retryable when transient)
   */
  public async quota(now: number): Promise<AddressQuota> {
    const [limit, all] = await Promise.all([this.quotaLimit(now), this.describe()]);
    const owned = all.filter((a) => a.Tags?.some((t) => t.Key === this.fleetTag && t.Value === this.fleet));
    const pooled = all.filter((a) => a.AllocationId !== undefined && this.addressPool.includes(a.AllocationId) && !owned.includes(a));
    return { ...limit, allocated: all.length, fleet: [...owned.map((a) => fleetView(a, true)), ...pooled.map((a) => fleetView(a, false))] };
  }

  private async quotaLimit(now: number): Promise<QuotaLimit> {
    if (this.quotaCache && this.quotaCache.until > now) {
      const { until: _until, ...cached } = this.quotaCache;
      return cached;
    }
    const warnings: string[] = [];
    let found: QuotaLimit | undefined;
    if (this.serviceQuotas) {
      try {
        const out = await this.serviceQuotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: ELASTIC_IP_QUOTA_CODE }));
        const value = out?.Quota?.Value;
        if (typeof value === 'number' && Number.isFinite(value)) found = { limit: Math.floor(value), source: 'service-quotas' };
        else warnings.push(`GetServiceQuota ec2/${ELASTIC_IP_QUOTA_CODE}: no value`);
      } catch (error) {
        warnings.push(`GetServiceQuota ec2/${ELASTIC_IP_QUOTA_CODE}: ${errorCode(error)}: ${errorMessage(error)}`);
      }
    }
    if (!found) {
      try {
        // No AttributeNames filter: the API accepts only `supported-platforms` and `default-vpc` there.
        const out = await this.client.send(new DescribeAccountAttributesCommand({}));
        const attribute = out?.AccountAttributes?.find((a) => a.AttributeName === ELASTIC_IP_ACCOUNT_ATTRIBUTE);
        const value = Number.parseInt(attribute?.AttributeValues?.[0]?.AttributeValue ?? '', 10);
        if (Number.isFinite(value)) found = { limit: value, source: 'account-attributes', ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}) };
        else warnings.push(`DescribeAccountAttributes ${ELASTIC_IP_ACCOUNT_ATTRIBUTE}: no value`);
      } catch (error) {
        warnings.push(`DescribeAccountAttributes ${ELASTIC_IP_ACCOUNT_ATTRIBUTE}: ${errorCode(error)}: ${errorMessage(error)}`);
      }
    }
    const result: QuotaLimit = found ?? { limit: undefined, source: 'unknown', warning: warnings.join('; ') };
    this.quotaCache = { ...result, until: now + (found ? this.quotaTtlMs : Math.min(this.quotaTtlMs, ELASTIC_IP_QUOTA_RETRY_MS)) };
    return result;
  }

  /** See `ComputeProvider.nodeAddresses`: the primary interface's secondary private IPs and their public IPs. */
  public async nodeAddresses(instanceId: string): Promise<NodeAddresses | undefined> {
    let instance;
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      instance = out.Reservations?.[0]?.Instances?.[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw ec2Failure(`DescribeInstances ${instanceId}`, error);
    }
    return instance ? addressesOf(instance) : undefined;
  }

  /** See `ComputeProvider.associateAddresses`. */
  public async associate(instanceId: string): Promise<readonly AddressAssociation[]> {
    let instance;
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      instance = out.Reservations?.[0]?.Instances?.[0];
    } catch (error) {
      // A just-launched instance may not be visible yet (eventual consistency): retry later.
      throw ec2Failure(`DescribeInstances ${instanceId}`, error, isNotFound(error) || undefined);
    }
    const eni = instance?.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0) ?? instance?.NetworkInterfaces?.[0];
    if (!instance || !eni?.NetworkInterfaceId) throw new AutoscalerError(`${instanceId}: no primary network interface yet`, { retryable: true });
    const pool = instance.Tags?.find((t) => t.Key === this.poolTag)?.Value ?? '';
    const secondaries = (eni.PrivateIpAddresses ?? []).filter((p) => !p.Primary && p.PrivateIpAddress);
    const result: AddressAssociation[] = [];
    let free: Address[] | undefined;
    for (const ip of secondaries) {
      const privateIp = ip.PrivateIpAddress!;
      if (ip.Association?.PublicIp) {
        result.push({ privateIp, publicIp: ip.Association.PublicIp });
        continue;
      }
      free ??= await this.freePoolAddresses();
      let associated: AddressAssociation | undefined;
      while (!associated && free.length > 0) {
        const address = free.shift()!;
        associated = await this.tryAssociate(address, eni.NetworkInterfaceId, privateIp);
      }
      if (!associated) {
        const address = await this.allocate(instanceId, pool);
        associated = await this.tryAssociate(address, eni.NetworkInterfaceId, privateIp);
        if (!associated) throw new AutoscalerError(`${instanceId}: could not associate ${address.AllocationId} with ${privateIp}`, { retryable: true });
      }
      result.push(associated);
    }
    return result;
  }

  /** See `ComputeProvider.releaseAddresses`. */
  public async release(instanceId: string): Promise<void> {
    const owned = await this.describe([
      { Name: `tag:${this.fleetTag}`, Values: [this.fleet] },
      { Name: `tag:${NODE_TAG}`, Values: [instanceId] },
    ]);
    for (const a of owned) {
      if (a.AssociationId) await this.disassociate(a.AssociationId);
      if (a.AllocationId) await this.releaseOne(a.AllocationId);
    }
    if (this.addressPool.length > 0) {
      for (const a of await this.describe(undefined, this.addressPool)) {
        if (a.InstanceId === instanceId && a.AssociationId) await this.disassociate(a.AssociationId);
      }
    }
  }

  /**
   * See `ComputeProvider.releaseStoppedAddresses`: {@link release} only while `DescribeInstances`
   * reports the instance `stopping` or `stopped` (a node started again keeps its addresses).
   *
   * @throws {AutoscalerError} when EC2 fails (retryable when transient)
   */
  public async releaseIfStopped(instanceId: string): Promise<StoppedAddressRelease> {
    let state: string;
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'unknown';
    } catch (error) {
      if (!isNotFound(error)) throw ec2Failure(`DescribeInstances ${instanceId}`, error);
      state = 'unknown';
    }
    if (!STOPPED_STATES.has(state)) return { released: false, state };
    await this.release(instanceId);
    return { released: true, state };
  }

  /** See `ComputeProvider.describeAddresses`. */
  public async list(): Promise<readonly FleetAddress[]> {
    const owned = await this.describe([{ Name: `tag:${this.fleetTag}`, Values: [this.fleet] }]);
    const pooled = this.addressPool.length > 0 ? await this.describe(undefined, this.addressPool) : [];
    return [
      ...owned.map((a) => fleetView(a, true)),
      ...pooled.filter((a) => !owned.some((o) => o.AllocationId === a.AllocationId)).map((a) => fleetView(a, false)),
    ];
  }

  /** See `ComputeProvider.releaseAddress`. */
  public async releaseOne(allocationId: string): Promise<void> {
    try {
      await this.client.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
    } catch (error) {
      if (!isNotFound(error)) throw ec2Failure(`ReleaseAddress ${allocationId}`, error);
    }
  }

  private async freePoolAddresses(): Promise<Address[]> {
    if (this.addressPool.length === 0) return [];
    return (await this.describe(undefined, this.addressPool)).filter((a) => !a.AssociationId);
  }

  private async allocate(instanceId: string, pool: string): Promise<Address> {
    const tags: Tag[] = [
      { Key: this.fleetTag, Value: this.fleet },
      { Key: this.poolTag, Value: pool },
      { Key: NODE_TAG, Value: instanceId },
      { Key: 'Name', Value: `wcs-${pool}` },
    ];
    try {
      const out = await this.client.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags }] }));
      return { AllocationId: out.AllocationId, PublicIp: out.PublicIp };
    } catch (error) {
      // AddressLimitExceeded is an account quota: not retryable until an operator raises it.
      if (isQuotaExceeded(error)) {
        throw new LaunchQuotaError('AddressLimitExceeded', `AllocateAddress for ${instanceId}: ${errorMessage(error)}`, error);
      }
      throw ec2Failure(`AllocateAddress for ${instanceId}`, error);
    }
  }

  /** Associate without re-association; `undefined` when someone else took the address first. */
  private async tryAssociate(address: Address, networkInterfaceId: string, privateIp: string): Promise<AddressAssociation | undefined> {
    try {
      await this.client.send(
        new AssociateAddressCommand({
          AllocationId: address.AllocationId,
          NetworkInterfaceId: networkInterfaceId,
          PrivateIpAddress: privateIp,
          AllowReassociation: false,
        }),
      );
      return { privateIp, publicIp: address.PublicIp ?? '', allocationId: address.AllocationId ?? '' };
    } catch (error) {
      if (isAddressTaken(error)) return undefined;
      throw ec2Failure(`AssociateAddress ${address.AllocationId} → ${privateIp}`, error);
    }
  }

  private async disassociate(associationId: string): Promise<void> {
    try {
      await this.client.send(new DisassociateAddressCommand({ AssociationId: associationId }));
    } catch (error) {
      if (!isNotFound(error)) throw ec2Failure(`DisassociateAddress ${associationId}`, error);
    }
  }

  private async describe(filters?: Filter[], allocationIds?: readonly string[]): Promise<Address[]> {
    try {
      const out = await this.client.send(
        new DescribeAddressesCommand({ ...(filters ? { Filters: filters } : {}), ...(allocationIds ? { AllocationIds: [...allocationIds] } : {}) }),
      );
      return out.Addresses ?? [];
    } catch (error) {
      throw ec2Failure(`DescribeAddresses (fleet ${this.fleet})`, error);
    }
  }
}

/** An SDK address as the port's {@link FleetAddress}. */
function fleetView(a: Address, owned: boolean): FleetAddress {
  return {
    allocationId: a.AllocationId ?? '',
    publicIp: a.PublicIp ?? '',
    associated: Boolean(a.AssociationId),
    instanceId: a.InstanceId ?? a.Tags?.find((t) => t.Key === NODE_TAG)?.Value,
    owned,
  };
}

/** The secondary private IPs of an instance's primary ENI and the public IPs associated with them, as DescribeInstances reports them. */
export function addressesOf(instance: Instance): NodeAddresses {
  const eni = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0) ?? instance.NetworkInterfaces?.[0];
  const secondaries = (eni?.PrivateIpAddresses ?? []).filter((p) => !p.Primary && p.PrivateIpAddress);
  const publicIps = new Map<string, string>();
  for (const p of secondaries) if (p.Association?.PublicIp) publicIps.set(p.PrivateIpAddress!, p.Association.PublicIp);
  return { privateIps: secondaries.map((p) => p.PrivateIpAddress!), publicIps };
}
