import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DECISION_TAG,
  Ec2ComputeProvider,
  FLEET_TAG,
  POOL_TAG,
  clientTokenFor,
  createEc2Client,
  subnetRotationFor,
  type Ec2ComputeProviderOptions,
} from '../../../../shared/adapters/ec2/compute-provider.ts';
import { PoolConfigSchema, type PoolConfig } from '../../../../shared/domain/config.ts';
import { OFFERING_UNAVAILABLE_MS } from '../../../../shared/domain/offerings.ts';
import { AutoscalerError, LaunchQuotaError, NoCapacityAvailableError } from '../../../../shared/errors.ts';
import type { LaunchRequest } from '../../../../shared/ports/compute-provider.ts';

const ec2Mock = mockClient(EC2Client);

const NOW = 1_700_000_000_000;
const POOL: PoolConfig = PoolConfigSchema.parse({
  name: 'media',
  instanceTypes: ['c6i.2xlarge', 'c5.2xlarge', 'm6i.2xlarge'],
  containersPerNode: 2,
});

function ec2Error(code: string, message = `${code}: test`, fault: 'client' | 'server' = 'client'): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message });
}

function provider(overrides: Partial<Ec2ComputeProviderOptions> = {}): Ec2ComputeProvider {
  return new Ec2ComputeProvider({
    client: new EC2Client({}),
    launchTemplate: { id: 'lt-0123456789abcdef0' },
    subnetIds: ['subnet-a'],
    securityGroupIds: ['sg-1', 'sg-2'],
    fleet: 'prod',
    ...overrides,
  });
}

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return { pool: POOL, count: 1, decisionId: 'decision-1', now: NOW, ...overrides };
}

let nextId = 0;
/** A RunInstances answer launching `n` instances of the requested offering. */
function launched(input: RunInstancesCommandInput, n = input.MaxCount ?? 1): RunInstancesCommandOutput {
  const subnetId = input.NetworkInterfaces?.[0]?.SubnetId;
  return {
    $metadata: {},
    Instances: Array.from({ length: n }, () => ({
      InstanceId: `i-${(nextId++).toString(16).padStart(8, '0')}`,
      InstanceType: input.InstanceType,
      SubnetId: subnetId,
      Placement: { AvailabilityZone: `eu-central-1${subnetId?.slice(-1) ?? 'a'}` },
    })),
  };
}

/** Answer RunInstances per offering: an error code fails it, a number launches that many, absent launches all. */
function runInstancesBy(plan: Record<string, string | number>): void {
  ec2Mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
    const key = `${input.InstanceType}/${input.NetworkInterfaces?.[0]?.SubnetId}`;
    const step = plan[key];
    if (typeof step === 'string') throw ec2Error(step, `${step}: ${key}`, 'server');
    return launched(input, step);
  });
}

function runCalls(): { offering: string; input: RunInstancesCommandInput }[] {
  return ec2Mock.commandCalls(RunInstancesCommand).map((c) => {
    const input = c.args[0].input;
    return { offering: `${input.InstanceType}/${input.NetworkInterfaces?.[0]?.SubnetId}`, input };
  });
}

/** A decision id whose subnet rotation is `index` modulo `count`. */
function decisionStartingAt(index: number, count: number): string {
  for (let i = 0; ; i++) {
    const id = `decision-${i}`;
    if (subnetRotationFor(id) % count === index) return id;
  }
}

beforeEach(() => {
  ec2Mock.reset();
  nextId = 0;
});

describe('Function: createEc2Client', () => {
  it('builds a client with the adaptive retry mode in the given region', async () => {
    // Prepare / Act
    const client = createEc2Client('eu-west-1');

    // Assess
    const strategy = await client.config.retryStrategy();
    expect(strategy).toHaveProperty('mode', 'adaptive');
    expect(await client.config.region()).toBe('eu-west-1');
  });
});

describe('Function: clientTokenFor', () => {
  it('is deterministic, at most 64 ASCII chars, and differs per offering and per decision', () => {
    // Prepare / Act
    const token = clientTokenFor('d-1', 'c6i.2xlarge/subnet-a');

    // Assess
    expect(token).toBe(clientTokenFor('d-1', 'c6i.2xlarge/subnet-a'));
    expect(token).toMatch(/^[\x20-\x7e]{1,64}$/);
    expect(token).toHaveLength(64);
    expect(token).not.toBe(clientTokenFor('d-1', 'c5.2xlarge/subnet-a'));
    expect(token).not.toBe(clientTokenFor('d-2', 'c6i.2xlarge/subnet-a'));
  });
});

describe('Class: Ec2ComputeProvider', () => {
  describe('Method: launch', () => {
    it('sends RunInstances with the launch template, type override, network interface, tags, user-data and token', async () => {
      // Prepare
      runInstancesBy({});
      const compute = provider({ launchTemplate: { id: 'lt-0123456789abcdef0', version: '7' } });

      // Act
      const result = await compute.launch(request({ count: 3, userData: '#!/bin/bash\necho héllo\n' }));

      // Assess
      const tags = [
        { Key: FLEET_TAG, Value: 'prod' },
        { Key: POOL_TAG, Value: 'media' },
        { Key: DECISION_TAG, Value: 'decision-1' },
        { Key: 'Name', Value: 'wcs-media' },
      ];
      expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(RunInstancesCommand, {
        LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' },
        InstanceType: 'c6i.2xlarge',
        MinCount: 1,
        MaxCount: 3,
        NetworkInterfaces: [
          { DeviceIndex: 0, SubnetId: 'subnet-a', Groups: ['sg-1', 'sg-2'], SecondaryPrivateIpAddressCount: 2 },
        ],
        UserData: Buffer.from('#!/bin/bash\necho héllo\n', 'utf8').toString('base64'),
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
          { ResourceType: 'network-interface', Tags: tags },
        ],
        ClientToken: clientTokenFor('decision-1', 'c6i.2xlarge/subnet-a'),
      });
      const input = runCalls()[0]?.input;
      expect(input?.SubnetId).toBeUndefined();
      expect(input?.SecurityGroupIds).toBeUndefined();
      expect(result.instances).toHaveLength(3);
      expect(result.instances[0]).toEqual({
        instanceId: 'i-00000000',
        instanceType: 'c6i.2xlarge',
        subnetId: 'subnet-a',
        availabilityZone: 'eu-central-1a',
      });
      expect(result.failures).toEqual([]);
    });

    it('uses the launch template name and the $Default version when no id or version is given', async () => {
      // Prepare
      runInstancesBy({});
      const compute = provider({ launchTemplate: { name: 'wcs-node' }, securityGroupIds: [] });

      // Act
      await compute.launch(request());

      // Assess
      const input = runCalls()[0]?.input;
      expect(input?.LaunchTemplate).toEqual({ LaunchTemplateName: 'wcs-node', Version: '$Default' });
      expect(input?.NetworkInterfaces?.[0]).not.toHaveProperty('Groups');
      expect(input).not.toHaveProperty('UserData');
    });

    it('sends the same ClientToken when the same decision is retried', async () => {
      // Prepare
      runInstancesBy({});
      const compute = provider({ subnetIds: ['subnet-a', 'subnet-b', 'subnet-c'] });

      // Act
      await compute.launch(request({ decisionId: 'retry-me' }));
      await compute.launch(request({ decisionId: 'retry-me', now: NOW + 5_000 }));

      // Assess
      const [first, second] = runCalls();
      expect(second?.offering).toBe(first?.offering);
      expect(second?.input.ClientToken).toBe(first?.input.ClientToken);
    });

    it('sends a different ClientToken for each offering it falls back to', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity' });

      // Act
      await provider().launch(request());

      // Assess
      const [first, second] = runCalls();
      expect(first?.input.ClientToken).toBe(clientTokenFor('decision-1', 'c6i.2xlarge/subnet-a'));
      expect(second?.input.ClientToken).toBe(clientTokenFor('decision-1', 'c5.2xlarge/subnet-a'));
    });

    it('falls back through instance types in configured order on InsufficientInstanceCapacity', async () => {
      // Prepare
      runInstancesBy({
        'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity',
        'c5.2xlarge/subnet-a': 'InsufficientInstanceCapacity',
      });

      // Act
      const result = await provider().launch(request({ count: 2 }));

      // Assess
      expect(runCalls().map((c) => c.offering)).toEqual([
        'c6i.2xlarge/subnet-a',
        'c5.2xlarge/subnet-a',
        'm6i.2xlarge/subnet-a',
      ]);
      expect(result.instances.map((i) => i.instanceType)).toEqual(['m6i.2xlarge', 'm6i.2xlarge']);
      expect(result.failures).toEqual([
        {
          instanceType: 'c6i.2xlarge',
          subnetId: 'subnet-a',
          code: 'InsufficientInstanceCapacity',
          message: 'InsufficientInstanceCapacity: c6i.2xlarge/subnet-a',
        },
        {
          instanceType: 'c5.2xlarge',
          subnetId: 'subnet-a',
          code: 'InsufficientInstanceCapacity',
          message: 'InsufficientInstanceCapacity: c5.2xlarge/subnet-a',
        },
      ]);
    });

    it('tries every subnet of an instance type before the next type, starting at the decision rotation', async () => {
      // Prepare
      const subnetIds = ['subnet-a', 'subnet-b', 'subnet-c'];
      runInstancesBy({
        'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity',
        'c6i.2xlarge/subnet-b': 'InsufficientInstanceCapacity',
        'c6i.2xlarge/subnet-c': 'InsufficientInstanceCapacity',
      });

      // Act
      await provider({ subnetIds }).launch(request({ decisionId: decisionStartingAt(1, 3) }));

      // Assess
      expect(runCalls().map((c) => c.offering)).toEqual([
        'c6i.2xlarge/subnet-b',
        'c6i.2xlarge/subnet-c',
        'c6i.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
      ]);
    });

    it('starts different decisions in different subnets', async () => {
      // Prepare
      runInstancesBy({});
      const compute = provider({ subnetIds: ['subnet-a', 'subnet-b'] });

      // Act
      const a = await compute.launch(request({ decisionId: decisionStartingAt(0, 2) }));
      const b = await compute.launch(request({ decisionId: decisionStartingAt(1, 2) }));

      // Assess
      expect(a.instances[0]?.subnetId).toBe('subnet-a');
      expect(b.instances[0]?.subnetId).toBe('subnet-b');
    });

    it('skips an offering marked unavailable in the next launch and tries it again after the window', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity' });
      const compute = provider();
      await compute.launch(request({ decisionId: 'd-1' }));
      ec2Mock.resetHistory();

      // Act
      await compute.launch(request({ decisionId: 'd-2', now: NOW + OFFERING_UNAVAILABLE_MS - 1 }));
      const within = runCalls().map((c) => c.offering);
      ec2Mock.resetHistory();
      await compute.launch(request({ decisionId: 'd-3', now: NOW + OFFERING_UNAVAILABLE_MS }));
      const after = runCalls().map((c) => c.offering);

      // Assess
      expect(within).toEqual(['c5.2xlarge/subnet-a']);
      expect(after[0]).toBe('c6i.2xlarge/subnet-a');
    });

    it('honours a custom unavailability window', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity' });
      const compute = provider({ unavailableForMs: 10_000 });
      await compute.launch(request({ decisionId: 'd-1' }));
      ec2Mock.resetHistory();

      // Act
      await compute.launch(request({ decisionId: 'd-2', now: NOW + 10_000 }));

      // Assess
      expect(runCalls()[0]?.offering).toBe('c6i.2xlarge/subnet-a');
    });

    it('marks every instance type of a subnet unavailable on InsufficientFreeAddressesInSubnet', async () => {
      // Prepare
      runInstancesBy({
        'c6i.2xlarge/subnet-a': 'InsufficientFreeAddressesInSubnet',
        'c6i.2xlarge/subnet-b': 'InsufficientInstanceCapacity',
      });
      const compute = provider({ subnetIds: ['subnet-a', 'subnet-b'] });

      // Act
      const result = await compute.launch(request({ decisionId: decisionStartingAt(0, 2) }));

      // Assess
      expect(runCalls().map((c) => c.offering)).toEqual([
        'c6i.2xlarge/subnet-a',
        'c6i.2xlarge/subnet-b',
        'c5.2xlarge/subnet-b',
      ]);
      expect(result.instances[0]?.subnetId).toBe('subnet-b');
    });

    it('continues with the next offering for the rest after a partial success', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 1, 'c5.2xlarge/subnet-a': 2 });

      // Act
      const result = await provider().launch(request({ count: 3 }));

      // Assess
      const calls = runCalls();
      expect(calls.map((c) => [c.offering, c.input.MaxCount])).toEqual([
        ['c6i.2xlarge/subnet-a', 3],
        ['c5.2xlarge/subnet-a', 2],
      ]);
      expect(result.instances.map((i) => i.instanceType)).toEqual(['c6i.2xlarge', 'c5.2xlarge', 'c5.2xlarge']);
      expect(result.failures).toEqual([]);
    });

    it('adopts the instances of an earlier request with the same ClientToken on IdempotentParameterMismatch', async () => {
      // Prepare: the first attempt launched 2; the retry asks for 3 with the same token.
      ec2Mock.on(RunInstancesCommand).rejects(ec2Error('IdempotentParameterMismatch'));
      ec2Mock.on(DescribeInstancesCommand).resolves({
        Reservations: [{ Instances: [{ InstanceId: 'i-0aaa', InstanceType: 'c6i.2xlarge', SubnetId: 'subnet-a' }, { InstanceId: 'i-0bbb', InstanceType: 'c6i.2xlarge', SubnetId: 'subnet-a' }] }],
      });

      // Act
      const result = await provider().launch(request({ count: 3 }));

      // Assess
      const token = ec2Mock.commandCalls(RunInstancesCommand)[0]!.args[0].input.ClientToken;
      const filters = ec2Mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters;
      expect(filters).toContainEqual({ Name: 'client-token', Values: [token] });
      expect(result.instances.map((i) => i.instanceId)).toEqual(expect.arrayContaining(['i-0aaa', 'i-0bbb']));
    });

    it('throws a non-retryable AutoscalerError on IdempotentParameterMismatch when the token launched nothing', async () => {
      ec2Mock.on(RunInstancesCommand).rejects(ec2Error('IdempotentParameterMismatch'));
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });

      const error = await provider().launch(request()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AutoscalerError);
      expect((error as AutoscalerError).retryable).toBe(false);
    });

    it('throws LaunchQuotaError at once on VcpuLimitExceeded when nothing was launched', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 'VcpuLimitExceeded' });

      // Act
      const launch = provider().launch(request());

      // Assess
      await expect(launch).rejects.toBeInstanceOf(LaunchQuotaError);
      await expect(launch).rejects.toMatchObject({ code: 'VcpuLimitExceeded', retryable: false, cause: expect.any(EC2ServiceException) });
      expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    });

    it('returns the partial result with the quota failure listed when some instances already launched', async () => {
      // Prepare
      runInstancesBy({ 'c6i.2xlarge/subnet-a': 1, 'c5.2xlarge/subnet-a': 'InstanceLimitExceeded' });

      // Act
      const result = await provider().launch(request({ count: 3 }));

      // Assess
      expect(result.instances).toHaveLength(1);
      expect(result.failures).toEqual([expect.objectContaining({ instanceType: 'c5.2xlarge', code: 'InstanceLimitExceeded' })]);
      expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 2);
    });

    it('throws NoCapacityAvailableError listing every offering when all lack capacity', async () => {
      // Prepare
      ec2Mock.on(RunInstancesCommand).rejects(ec2Error('InsufficientInstanceCapacity', 'no capacity', 'server'));

      // Act
      const launch = provider({ subnetIds: ['subnet-a', 'subnet-b'] }).launch(request());

      // Assess
      await expect(launch).rejects.toBeInstanceOf(NoCapacityAvailableError);
      const error = (await launch.catch((e: unknown) => e)) as NoCapacityAvailableError;
      expect(error.retryable).toBe(true);
      expect(error.failures).toHaveLength(6);
      expect(error.failures.every((f) => f.code === 'InsufficientInstanceCapacity')).toBe(true);
    });

    it('throws NoCapacityAvailableError without calling EC2 when every offering is marked unavailable', async () => {
      // Prepare
      ec2Mock.on(RunInstancesCommand).rejects(ec2Error('InsufficientInstanceCapacity', 'no capacity', 'server'));
      const compute = provider();
      await compute.launch(request({ decisionId: 'd-1' })).catch(() => undefined);
      ec2Mock.resetHistory();

      // Act
      const launch = compute.launch(request({ decisionId: 'd-2', now: NOW + 1_000 }));

      // Assess
      await expect(launch).rejects.toMatchObject({
        name: 'NoCapacityAvailableError',
        failures: [
          expect.objectContaining({ instanceType: 'c6i.2xlarge', code: 'InsufficientInstanceCapacity' }),
          expect.objectContaining({ instanceType: 'c5.2xlarge' }),
          expect.objectContaining({ instanceType: 'm6i.2xlarge' }),
        ],
      });
      expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    });

    it.each([
      { code: 'RequestLimitExceeded', fault: 'client' as const, retryable: true },
      { code: 'InternalError', fault: 'server' as const, retryable: true },
      { code: 'UnauthorizedOperation', fault: 'client' as const, retryable: false },
      { code: 'InvalidLaunchTemplateId.NotFound', fault: 'client' as const, retryable: false },
    ])('throws AutoscalerError (retryable: $retryable) with the cause on $code', async ({ code, fault, retryable }) => {
      // Prepare
      const sdkError = ec2Error(code, 'boom', fault);
      ec2Mock.on(RunInstancesCommand).rejects(sdkError);

      // Act
      const error = await provider().launch(request()).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect(error).toMatchObject({ name: 'AutoscalerError', retryable, cause: sdkError });
      expect((error as Error).message).toContain(code);
      expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    });

    it('rejects a launch template without id or name', () => {
      // Prepare / Act / Assess
      expect(() => provider({ launchTemplate: {} })).toThrow(AutoscalerError);
    });
  });

  describe('Method: terminate', () => {
    it('terminates in batches of at most 1000 ids', async () => {
      // Prepare
      ec2Mock.on(TerminateInstancesCommand).resolves({});
      const ids = Array.from({ length: 2500 }, (_, i) => `i-${i.toString(16).padStart(8, '0')}`);

      // Act
      await provider().terminate(ids);

      // Assess
      const sizes = ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length);
      expect(sizes).toEqual([1000, 1000, 500]);
    });

    it('treats InvalidInstanceID.NotFound as done', async () => {
      // Prepare
      ec2Mock.on(TerminateInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound', "The instance ID 'i-0000dead' does not exist"));

      // Act / Assess
      await expect(provider().terminate(['i-0000dead'])).resolves.toBeUndefined();
    });

    it('drops the unknown ids EC2 names and terminates the rest', async () => {
      // Prepare
      ec2Mock
        .on(TerminateInstancesCommand)
        .rejectsOnce(ec2Error('InvalidInstanceID.NotFound', "The instance IDs 'i-0000dead, i-0000beef' do not exist"))
        .resolves({});

      // Act
      await provider().terminate(['i-00000001', 'i-0000dead', 'i-0000beef', 'i-00000002']);

      // Assess
      expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 2);
      expect(ec2Mock).toHaveReceivedLastCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-00000001', 'i-00000002'] });
    });

    it('falls back to one id per call when the NotFound message names no id', async () => {
      // Prepare
      ec2Mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
        if ((input.InstanceIds?.length ?? 0) > 1 || input.InstanceIds?.[0] === 'i-0000dead') {
          throw ec2Error('InvalidInstanceID.NotFound', 'The instance ID does not exist');
        }
        return {};
      });

      // Act
      await provider().terminate(['i-00000001', 'i-0000dead']);

      // Assess
      const calls = ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds);
      expect(calls).toEqual([['i-00000001', 'i-0000dead'], ['i-00000001'], ['i-0000dead']]);
    });

    it('does nothing for an empty list', async () => {
      // Prepare / Act
      await provider().terminate([]);

      // Assess
      expect(ec2Mock).not.toHaveReceivedCommand(TerminateInstancesCommand);
    });

    it('throws AutoscalerError with the cause on other errors', async () => {
      // Prepare
      const sdkError = ec2Error('UnauthorizedOperation', 'denied');
      ec2Mock.on(TerminateInstancesCommand).rejects(sdkError);

      // Act
      const error = await provider().terminate(['i-00000001']).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect(error).toMatchObject({ retryable: false, cause: sdkError });
    });
  });

  describe('Method: describeFleet', () => {
    it('filters on the fleet tag and the live states and reads every page', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).callsFake((input: { NextToken?: string }) =>
        input.NextToken === undefined
          ? {
              NextToken: 'page-2',
              Reservations: [
                {
                  Instances: [
                    {
                      InstanceId: 'i-00000001',
                      InstanceType: 'c6i.2xlarge',
                      State: { Name: 'running' },
                      LaunchTime: new Date('2026-01-01T00:00:00Z'),
                      Tags: [
                        { Key: FLEET_TAG, Value: 'prod' },
                        { Key: POOL_TAG, Value: 'media' },
                      ],
                    },
                  ],
                },
              ],
            }
          : {
              Reservations: [
                { Instances: [{ InstanceId: 'i-00000002', InstanceType: 'c5.2xlarge', State: { Name: 'pending' }, Tags: [] }] },
              ],
            },
      );

      // Act
      const fleet = await provider().describeFleet();

      // Assess
      expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
      expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 1, {
        Filters: [
          { Name: `tag:${FLEET_TAG}`, Values: ['prod'] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] },
        ],
      });
      expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 2, { NextToken: 'page-2' });
      expect(fleet).toEqual([
        {
          instanceId: 'i-00000001',
          pool: 'media',
          state: 'running',
          instanceType: 'c6i.2xlarge',
          launchTime: Date.parse('2026-01-01T00:00:00Z'),
        },
        { instanceId: 'i-00000002', pool: '', state: 'pending', instanceType: 'c5.2xlarge', launchTime: undefined },
      ]);
    });

    it('says whether a secondary private IP of the primary ENI lacks its public IP', async () => {
      // Prepare: i-1 has one of its two secondary IPs associated, i-2 both, i-3 no ENI data yet
      const eni = (associated: boolean[]) => [
        {
          Attachment: { DeviceIndex: 0 },
          PrivateIpAddresses: [
            { Primary: true, PrivateIpAddress: '10.0.0.10' },
            ...associated.map((a, k) => ({ Primary: false, PrivateIpAddress: `10.0.0.${11 + k}`, ...(a ? { Association: { PublicIp: `198.18.0.${k + 1}` } } : {}) })),
          ],
        },
      ];
      ec2Mock.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              { InstanceId: 'i-1', State: { Name: 'running' }, NetworkInterfaces: eni([true, false]) },
              { InstanceId: 'i-2', State: { Name: 'running' }, NetworkInterfaces: eni([true, true]) },
              { InstanceId: 'i-3', State: { Name: 'pending' } },
            ],
          },
        ],
      });

      // Act
      const fleet = await provider().describeFleet();

      // Assess
      expect(fleet.map((i) => [i.instanceId, i.missingPublicIps])).toEqual([
        ['i-1', true],
        ['i-2', false],
        ['i-3', undefined],
      ]);
    });

    it('adds a pool tag filter when a pool is given', async () => {
      // Prepare
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });

      // Act
      await provider().describeFleet('media');

      // Assess
      const filters = ec2Mock.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters;
      expect(filters).toContainEqual({ Name: `tag:${POOL_TAG}`, Values: ['media'] });
      expect(filters).toContainEqual({ Name: `tag:${FLEET_TAG}`, Values: ['prod'] });
    });

    it('throws a retryable AutoscalerError when EC2 throttles', async () => {
      // Prepare
      const sdkError = ec2Error('RequestLimitExceeded', 'Request limit exceeded.');
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError);

      // Act
      const error = await provider().describeFleet().catch((e: unknown) => e);

      // Assess
      expect(error).toMatchObject({ name: 'AutoscalerError', retryable: true, cause: sdkError });
    });
  });
});
