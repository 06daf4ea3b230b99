import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DisassociateAddressCommand,
  EC2Client,
  EC2ServiceException,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider, FLEET_TAG, POOL_TAG } from '../../../../shared/adapters/ec2/compute-provider.ts';
import { NODE_TAG } from '../../../../shared/adapters/ec2/elastic-ips.ts';

const ec2Mock = mockClient(EC2Client);
const ID = 'i-0abc1234def567890';

function provider(addressPool: string[] = []): Ec2ComputeProvider {
  return new Ec2ComputeProvider({ client: new EC2Client({}), launchTemplate: { id: 'lt-1' }, subnetIds: ['subnet-a'], securityGroupIds: [], fleet: 'prod', addressPool });
}

/** DescribeInstances answer: primary ENI with a primary IP and two secondary IPs, `associated` of them with a public IP. */
function instance(associated: Record<string, string> = {}) {
  const ip = (PrivateIpAddress: string, Primary: boolean) => ({
    PrivateIpAddress,
    Primary,
    ...(associated[PrivateIpAddress] ? { Association: { PublicIp: associated[PrivateIpAddress] } } : {}),
  });
  return {
    Reservations: [
      {
        Instances: [
          {
            InstanceId: ID,
            Tags: [{ Key: FLEET_TAG, Value: 'prod' }, { Key: POOL_TAG, Value: 'media' }],
            NetworkInterfaces: [
              {
                NetworkInterfaceId: 'eni-1',
                Attachment: { DeviceIndex: 0 },
                PrivateIpAddresses: [ip('10.0.1.10', true), ip('10.0.1.11', false), ip('10.0.1.12', false)],
              },
            ],
          },
        ],
      },
    ],
  };
}

const clientError = (name: string) => new EC2ServiceException({ name, $fault: 'client', $metadata: {}, message: name });

describe('Class: Ec2ComputeProvider (Elastic IPs)', () => {
  beforeEach(() => ec2Mock.reset());

  describe('Method: associateAddresses', () => {
    it('allocates one tagged Elastic IP per secondary private IP and associates it without reassociation', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(instance());
      ec2Mock
        .on(AllocateAddressCommand)
        .resolvesOnce({ AllocationId: 'eipalloc-1', PublicIp: '3.120.0.21' })
        .resolvesOnce({ AllocationId: 'eipalloc-2', PublicIp: '3.120.0.22' });
      ec2Mock.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-x' });

      // Act
      const result = await provider().associateAddresses(ID);

      // Assess
      expect(result).toEqual([
        { privateIp: '10.0.1.11', publicIp: '3.120.0.21', allocationId: 'eipalloc-1' },
        { privateIp: '10.0.1.12', publicIp: '3.120.0.22', allocationId: 'eipalloc-2' },
      ]);
      expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [ID] });
      expect(ec2Mock).toHaveReceivedCommandWith(AllocateAddressCommand, {
        Domain: 'vpc',
        TagSpecifications: [
          {
            ResourceType: 'elastic-ip',
            Tags: expect.arrayContaining([
              { Key: FLEET_TAG, Value: 'prod' },
              { Key: POOL_TAG, Value: 'media' },
              { Key: NODE_TAG, Value: ID },
            ]) as unknown as never,
          },
        ],
      });
      expect(ec2Mock).toHaveReceivedCommandWith(AssociateAddressCommand, {
        AllocationId: 'eipalloc-2',
        NetworkInterfaceId: 'eni-1',
        PrivateIpAddress: '10.0.1.12',
        AllowReassociation: false,
      });
      expect(ec2Mock).not.toHaveReceivedCommand(DescribeAddressesCommand);
    });

    it('changes nothing when a redelivered event finds every secondary IP associated', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(instance({ '10.0.1.11': '3.120.0.21', '10.0.1.12': '3.120.0.22' }));

      // Act
      const result = await provider().associateAddresses(ID);

      // Assess
      expect(result.map((a) => a.publicIp)).toEqual(['3.120.0.21', '3.120.0.22']);
      expect(ec2Mock).not.toHaveReceivedCommand(AllocateAddressCommand);
      expect(ec2Mock).not.toHaveReceivedCommand(AssociateAddressCommand);
    });

    it('completes a half-done association: only the IP without an Elastic IP gets one', async () => {
      ec2Mock.on(DescribeInstancesCommand).resolves(instance({ '10.0.1.11': '3.120.0.21' }));
      ec2Mock.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-2', PublicIp: '3.120.0.22' });
      ec2Mock.on(AssociateAddressCommand).resolves({});

      await provider().associateAddresses(ID);

      expect(ec2Mock).toHaveReceivedCommandTimes(AllocateAddressCommand, 1);
      expect(ec2Mock).toHaveReceivedCommandWith(AssociateAddressCommand, { PrivateIpAddress: '10.0.1.12' });
    });

    it("takes free addresses from the operator's pool first, skipping one another node took meanwhile", async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(instance());
      ec2Mock.on(DescribeAddressesCommand).resolves({
        Addresses: [
          { AllocationId: 'eipalloc-p1', PublicIp: '52.0.0.1' },
          { AllocationId: 'eipalloc-p2', PublicIp: '52.0.0.2', AssociationId: 'eipassoc-busy' },
          { AllocationId: 'eipalloc-p3', PublicIp: '52.0.0.3' },
        ],
      });
      ec2Mock.on(AssociateAddressCommand, { AllocationId: 'eipalloc-p1' }).rejects(clientError('Resource.AlreadyAssociated'));
      ec2Mock.on(AssociateAddressCommand, { AllocationId: 'eipalloc-p3' }).resolves({});
      ec2Mock.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-new', PublicIp: '3.120.0.9' });
      ec2Mock.on(AssociateAddressCommand, { AllocationId: 'eipalloc-new' }).resolves({});

      // Act
      const result = await provider(['eipalloc-p1', 'eipalloc-p2', 'eipalloc-p3']).associateAddresses(ID);

      // Assess
      expect(result.map((a) => [a.privateIp, a.allocationId])).toEqual([
        ['10.0.1.11', 'eipalloc-p3'],
        ['10.0.1.12', 'eipalloc-new'],
      ]);
      expect(ec2Mock).toHaveReceivedCommandWith(DescribeAddressesCommand, { AllocationIds: ['eipalloc-p1', 'eipalloc-p2', 'eipalloc-p3'] });
    });

    it('throws a retryable error while the instance is not yet visible', async () => {
      ec2Mock.on(DescribeInstancesCommand).rejects(clientError('InvalidInstanceID.NotFound'));

      await expect(provider().associateAddresses(ID)).rejects.toMatchObject({ name: 'AutoscalerError', retryable: true });
    });

    it('throws a non-retryable error when the account is out of Elastic IPs', async () => {
      ec2Mock.on(DescribeInstancesCommand).resolves(instance());
      ec2Mock.on(AllocateAddressCommand).rejects(clientError('AddressLimitExceeded'));

      await expect(provider().associateAddresses(ID)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('AddressLimitExceeded') });
    });

    it('throws a retryable error when EC2 throttles the allocation (a client fault that a later try may pass)', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(instance());
      ec2Mock.on(AllocateAddressCommand).rejects(clientError('RequestLimitExceeded'));

      // Act / Assess
      await expect(provider().associateAddresses(ID)).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('RequestLimitExceeded') });
    });

    it('throws a non-retryable error when the role may not allocate addresses', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves(instance());
      ec2Mock.on(AllocateAddressCommand).rejects(clientError('UnauthorizedOperation'));

      // Act / Assess
      await expect(provider().associateAddresses(ID)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('UnauthorizedOperation') });
    });
  });

  describe('Method: releaseAddresses', () => {
    it("releases the addresses allocated for the node and only disassociates the pool's, tolerating ones already gone", async () => {
      // Prepare
      ec2Mock.on(DescribeAddressesCommand, { Filters: [{ Name: `tag:${FLEET_TAG}`, Values: ['prod'] }, { Name: `tag:${NODE_TAG}`, Values: [ID] }] }).resolves({
        Addresses: [
          { AllocationId: 'eipalloc-1', AssociationId: 'eipassoc-1' },
          { AllocationId: 'eipalloc-2' },
        ],
      });
      ec2Mock.on(DescribeAddressesCommand, { AllocationIds: ['eipalloc-p1'] }).resolves({
        Addresses: [{ AllocationId: 'eipalloc-p1', AssociationId: 'eipassoc-p1', InstanceId: ID }],
      });
      ec2Mock.on(ReleaseAddressCommand, { AllocationId: 'eipalloc-2' }).rejects(clientError('InvalidAllocationID.NotFound'));

      // Act
      await provider(['eipalloc-p1']).releaseAddresses(ID);

      // Assess
      expect(ec2Mock).toHaveReceivedCommandWith(DisassociateAddressCommand, { AssociationId: 'eipassoc-1' });
      expect(ec2Mock).toHaveReceivedCommandWith(DisassociateAddressCommand, { AssociationId: 'eipassoc-p1' });
      expect(ec2Mock).toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: 'eipalloc-1' });
      expect(ec2Mock).not.toHaveReceivedCommandWith(ReleaseAddressCommand, { AllocationId: 'eipalloc-p1' });
    });
  });

  describe('Method: describeAddresses', () => {
    it('lists fleet allocations as owned with their node, and pool addresses as borrowed', async () => {
      ec2Mock.on(DescribeAddressesCommand, { Filters: [{ Name: `tag:${FLEET_TAG}`, Values: ['prod'] }] }).resolves({
        Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '3.1.1.1', Tags: [{ Key: NODE_TAG, Value: ID }] }],
      });
      ec2Mock.on(DescribeAddressesCommand, { AllocationIds: ['eipalloc-p1'] }).resolves({
        Addresses: [{ AllocationId: 'eipalloc-p1', PublicIp: '52.0.0.1', AssociationId: 'a', InstanceId: 'i-0other' }],
      });

      const list = await provider(['eipalloc-p1']).describeAddresses();

      expect(list).toEqual([
        { allocationId: 'eipalloc-1', publicIp: '3.1.1.1', associated: false, instanceId: ID, owned: true },
        { allocationId: 'eipalloc-p1', publicIp: '52.0.0.1', associated: true, instanceId: 'i-0other', owned: false },
      ]);
    });
  });
});
