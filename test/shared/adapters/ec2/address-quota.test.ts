/**
 * The Elastic IP quota as `Ec2ComputeProvider.addressQuota` reads it: Service Quotas first,
 * EC2 `DescribeAccountAttributes` (`vpc-max-elastic-ips`) when that is denied, unknown (with the
 * reasons) when both fail; the limit cached for a TTL, the usage read every time.
 */
import { AllocateAddressCommand, DescribeAccountAttributesCommand, DescribeAddressesCommand, DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient, ServiceQuotasServiceException } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider, FLEET_TAG, POOL_TAG } from '../../../../shared/adapters/ec2/compute-provider.ts';
import { ELASTIC_IP_QUOTA_CODE, ELASTIC_IP_QUOTA_RETRY_MS, ELASTIC_IP_QUOTA_TTL_MS, NODE_TAG } from '../../../../shared/adapters/ec2/elastic-ips.ts';
import { LaunchQuotaError } from '../../../../shared/errors.ts';

const ec2Mock = mockClient(EC2Client);
const quotasMock = mockClient(ServiceQuotasClient);

function provider(options: { serviceQuotas?: boolean; addressPool?: string[] } = {}): Ec2ComputeProvider {
  return new Ec2ComputeProvider({
    client: new EC2Client({ region: 'eu-central-1' }),
    launchTemplate: { id: 'lt-1' },
    subnetIds: ['subnet-a'],
    securityGroupIds: [],
    fleet: 'prod',
    addressPool: options.addressPool ?? [],
    ...(options.serviceQuotas === false ? {} : { serviceQuotas: new ServiceQuotasClient({ region: 'eu-central-1' }) }),
  });
}

const denied = () => new ServiceQuotasServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized to perform servicequotas:GetServiceQuota' });
const ec2Denied = () => new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: {}, message: 'not authorized to perform ec2:DescribeAccountAttributes' });

/** Three addresses in the account: one of this fleet (tagged for i-1), one of the operator pool (free), one of someone else. */
const ACCOUNT_ADDRESSES = {
  Addresses: [
    { AllocationId: 'eipalloc-fleet1', PublicIp: '198.51.100.1', AssociationId: 'eipassoc-1', Tags: [{ Key: FLEET_TAG, Value: 'prod' }, { Key: NODE_TAG, Value: 'i-1' }] },
    { AllocationId: 'eipalloc-pool1', PublicIp: '198.51.100.2' },
    { AllocationId: 'eipalloc-other', PublicIp: '198.51.100.3', AssociationId: 'eipassoc-3', Tags: [{ Key: FLEET_TAG, Value: 'staging' }] },
  ],
};

describe('Class: Ec2ComputeProvider (Elastic IP quota)', () => {
  beforeEach(() => {
    ec2Mock.reset();
    quotasMock.reset();
    ec2Mock.on(DescribeAddressesCommand).resolves(ACCOUNT_ADDRESSES);
  });

  describe('Method: addressQuota', () => {
    it('reads the limit from Service Quotas (ec2 / L-0263D0A3) and counts every address of the account', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaCode: ELASTIC_IP_QUOTA_CODE, Value: 10 } });

      // Act
      const quota = await provider({ addressPool: ['eipalloc-pool1'] }).addressQuota(0);

      // Assess
      expect(quotasMock).toHaveReceivedCommandWith(GetServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' });
      expect(ec2Mock).not.toHaveReceivedCommand(DescribeAccountAttributesCommand);
      expect(quota).toMatchObject({ limit: 10, source: 'service-quotas', allocated: 3 });
      expect(quota.warning).toBeUndefined();
      expect(quota.fleet).toEqual([
        { allocationId: 'eipalloc-fleet1', publicIp: '198.51.100.1', associated: true, instanceId: 'i-1', owned: true },
        { allocationId: 'eipalloc-pool1', publicIp: '198.51.100.2', associated: false, instanceId: undefined, owned: false },
      ]);
    });

    it('falls back to DescribeAccountAttributes vpc-max-elastic-ips when Service Quotas is denied, and says so', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).rejects(denied());
      ec2Mock.on(DescribeAccountAttributesCommand).resolves({
        AccountAttributes: [
          { AttributeName: 'max-instances', AttributeValues: [{ AttributeValue: '20' }] },
          { AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '5' }] },
        ],
      });

      // Act
      const quota = await provider().addressQuota(0);

      // Assess
      expect(quota).toMatchObject({ limit: 5, source: 'account-attributes', allocated: 3 });
      expect(quota.warning).toContain('AccessDeniedException');
    });

    it('asks only DescribeAccountAttributes without a Service Quotas client', async () => {
      // Prepare
      ec2Mock.on(DescribeAccountAttributesCommand).resolves({ AccountAttributes: [{ AttributeName: 'vpc-max-elastic-ips', AttributeValues: [{ AttributeValue: '7' }] }] });

      // Act
      const quota = await provider({ serviceQuotas: false }).addressQuota(0);

      // Assess
      expect(quotasMock).not.toHaveReceivedCommand(GetServiceQuotaCommand);
      expect(quota).toMatchObject({ limit: 7, source: 'account-attributes' });
    });

    it('reports the limit unknown, naming both failures, when both sources are denied (the caller proceeds)', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).rejects(denied());
      ec2Mock.on(DescribeAccountAttributesCommand).rejects(ec2Denied());

      // Act
      const quota = await provider().addressQuota(0);

      // Assess
      expect(quota).toMatchObject({ limit: undefined, source: 'unknown', allocated: 3 });
      expect(quota.warning).toMatch(/GetServiceQuota.*AccessDeniedException.*DescribeAccountAttributes.*UnauthorizedOperation/);
    });

    it('caches a read limit for the TTL and reads the usage on every call', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).resolvesOnce({ Quota: { Value: 10 } }).resolves({ Quota: { Value: 50 } });
      const compute = provider();

      // Act
      const first = await compute.addressQuota(0);
      const cached = await compute.addressQuota(ELASTIC_IP_QUOTA_TTL_MS - 1);
      const expired = await compute.addressQuota(ELASTIC_IP_QUOTA_TTL_MS);

      // Assess
      expect([first.limit, cached.limit, expired.limit]).toEqual([10, 10, 50]);
      expect(quotasMock).toHaveReceivedCommandTimes(GetServiceQuotaCommand, 2);
      expect(ec2Mock).toHaveReceivedCommandTimes(DescribeAddressesCommand, 3);
    });

    it('asks again after a minute when no source answered', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).rejectsOnce(denied()).resolves({ Quota: { Value: 12 } });
      ec2Mock.on(DescribeAccountAttributesCommand).rejects(ec2Denied());
      const compute = provider();

      // Act
      const unknown = await compute.addressQuota(0);
      const stillUnknown = await compute.addressQuota(ELASTIC_IP_QUOTA_RETRY_MS - 1);
      const known = await compute.addressQuota(ELASTIC_IP_QUOTA_RETRY_MS);

      // Assess
      expect([unknown.limit, stillUnknown.limit, known.limit]).toEqual([undefined, undefined, 12]);
    });

    it('throws a retryable error when the addresses cannot be listed', async () => {
      // Prepare
      quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 10 } });
      ec2Mock.on(DescribeAddressesCommand).rejects(new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'server', $metadata: {}, message: 'slow down' }));

      // Act / Assess
      await expect(provider().addressQuota(0)).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('DescribeAddresses') });
    });
  });

  describe('Method: associateAddresses', () => {
    it('maps AddressLimitExceeded to LaunchQuotaError (not retryable)', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              {
                InstanceId: 'i-9',
                Tags: [{ Key: POOL_TAG, Value: 'media' }],
                NetworkInterfaces: [{ NetworkInterfaceId: 'eni-9', Attachment: { DeviceIndex: 0 }, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.9', Primary: true }, { PrivateIpAddress: '10.0.0.10', Primary: false }] }],
              },
            ],
          },
        ],
      });
      ec2Mock.on(AllocateAddressCommand).rejects(new EC2ServiceException({ name: 'AddressLimitExceeded', $fault: 'client', $metadata: {}, message: 'The maximum number of addresses has been reached.' }));

      // Act
      const error = await provider().associateAddresses('i-9').catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(LaunchQuotaError);
      expect(error).toMatchObject({ code: 'AddressLimitExceeded', retryable: false });
    });
  });
});
