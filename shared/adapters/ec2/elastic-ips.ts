/**
 * Elastic IPs of media nodes on EC2: one per secondary private IP of a node's primary ENI, so
 * each WCS container has a public IP for its `ip` setting (ICE candidates) — the node reads the
 * associations from IMDS. Used by `Ec2ComputeProvider`; SDK errors are read by the predicates of
 * `errors.ts` and mapped here.
 *
 * @module
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  type Address,
  type EC2Client,
  type Filter,
  type Tag,
} from '@aws-sdk/client-ec2';
import { AutoscalerError } from '../../errors.ts';
import type { AddressAssociation, FleetAddress } from '../../ports/compute-provider.ts';
import { ec2Failure, isAddressTaken, isNotFound, isQuotaExceeded } from './errors.ts';

/** Tag naming the instance an Elastic IP was allocated for. */
export const NODE_TAG = 'wcs-autoscaler:node';

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
}

/** Associates, releases and reconciles the Elastic IPs of a fleet. */
export class Ec2ElasticIps {
  private readonly client: EC2Client;
  private readonly fleet: string;
  private readonly fleetTag: string;
  private readonly poolTag: string;
  private readonly addressPool: readonly string[];

  public constructor(options: Ec2ElasticIpsOptions) {
    this.client = options.client;
    this.fleet = options.fleet;
    this.fleetTag = options.fleetTag;
    this.poolTag = options.poolTag;
    this.addressPool = [...(options.addressPool ?? [])];
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

  /** See `ComputeProvider.describeAddresses`. */
  public async list(): Promise<readonly FleetAddress[]> {
    const owned = await this.describe([{ Name: `tag:${this.fleetTag}`, Values: [this.fleet] }]);
    const pooled = this.addressPool.length > 0 ? await this.describe(undefined, this.addressPool) : [];
    const view = (a: Address, isOwned: boolean): FleetAddress => ({
      allocationId: a.AllocationId ?? '',
      publicIp: a.PublicIp ?? '',
      associated: Boolean(a.AssociationId),
      instanceId: a.InstanceId ?? a.Tags?.find((t) => t.Key === NODE_TAG)?.Value,
      owned: isOwned,
    });
    return [...owned.map((a) => view(a, true)), ...pooled.filter((a) => !owned.some((o) => o.AllocationId === a.AllocationId)).map((a) => view(a, false))];
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
      throw ec2Failure(`AllocateAddress for ${instanceId}`, error, isQuotaExceeded(error) ? false : undefined);
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
