import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider } from '../../../../shared/adapters/ec2/compute-provider.ts';

const ec2Mock = mockClient(EC2Client);
const ID = 'i-0abc1234def567890';

function provider(): Ec2ComputeProvider {
  return new Ec2ComputeProvider({ client: new EC2Client({}), launchTemplate: { id: 'lt-1' }, subnetIds: ['subnet-a'], securityGroupIds: [], fleet: 'prod' });
}

const clientError = (name: string, fault: 'client' | 'server' = 'client') => new EC2ServiceException({ name, $fault: fault, $metadata: {}, message: name });

describe('Class: Ec2ComputeProvider (Method: nodeAddresses)', () => {
  beforeEach(() => ec2Mock.reset());

  it('returns the primary interface\'s secondary private IPs in order and the public IP associated with each', async () => {
    // Prepare: a second interface (device 1) whose addresses must not count
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: ID,
              NetworkInterfaces: [
                { NetworkInterfaceId: 'eni-2', Attachment: { DeviceIndex: 1 }, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.9.9', Primary: false }] },
                {
                  NetworkInterfaceId: 'eni-1',
                  Attachment: { DeviceIndex: 0 },
                  PrivateIpAddresses: [
                    { PrivateIpAddress: '10.0.1.10', Primary: true, Association: { PublicIp: '3.120.0.1' } },
                    { PrivateIpAddress: '10.0.1.11', Primary: false, Association: { PublicIp: '3.120.0.21' } },
                    { PrivateIpAddress: '10.0.1.12', Primary: false },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });

    // Act
    const result = await provider().nodeAddresses(ID);

    // Assess
    expect(result?.privateIps).toEqual(['10.0.1.11', '10.0.1.12']);
    expect([...(result?.publicIps ?? [])]).toEqual([['10.0.1.11', '3.120.0.21']]);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [ID] });
  });

  it('returns undefined for an instance EC2 does not know, and throws a retryable error when EC2 fails', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).rejectsOnce(clientError('InvalidInstanceID.NotFound')).rejectsOnce(clientError('RequestLimitExceeded'));

    // Act
    const missing = await provider().nodeAddresses(ID);
    const error = await provider().nodeAddresses(ID).catch((e: unknown) => e);

    // Assess
    expect(missing).toBeUndefined();
    expect(error).toMatchObject({ retryable: true });
  });
});
