/**
 * Public addressing through the use cases, with the real `Ec2ComputeProvider` on mocked EC2 and
 * Service Quotas clients (aws-sdk-client-mock): the Elastic IP quota checked before a launch
 * (room for all, a shortfall, a partial launch, an unreadable quota), private-only pools that
 * never touch Elastic IPs, and an `AddressLimitExceeded` at association that ends the node.
 */
import {
  AllocateAddressCommand,
  DescribeAccountAttributesCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient, ServiceQuotasServiceException } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider, FLEET_TAG, POOL_TAG } from '../../../shared/adapters/ec2/compute-provider.ts';
import { NODE_TAG } from '../../../shared/adapters/ec2/elastic-ips.ts';
import { StaticConfigSource } from '../../../sim/adapters/local-config-source.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { addressBudget } from '../../../shared/app/addresses.ts';
import { onInstanceState } from '../../../shared/app/nodes.ts';
import { wssUrl } from '../../../shared/app/rooms.ts';
import { executeScaleOut } from '../../../shared/app/scaling-executor.ts';
import { parseAutoscalerConfig, poolByName, type PoolConfig } from '../../../shared/domain/config.ts';
import type { ScaleOutDecision } from '../../../shared/domain/scaling.ts';
import type { AppLogger, FleetAddress, InstanceDescription, PublicAddressing } from '../../../shared/ports/index.ts';
import { MeteredPublisher, PublishedEventMetric } from '../../../lambdas/shared/metered-publisher.ts';
import { makeDeps, type TestDeps } from '../../support/fleet.ts';

const ec2Mock = mockClient(EC2Client);
const quotasMock = mockClient(ServiceQuotasClient);
const POOL = 'media';

/** A logger that keeps its warnings. */
function recordingLogger(): AppLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined };
}

let nextId = 0;
function runInstancesLaunchesAll(): void {
  ec2Mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => ({
    $metadata: {},
    Instances: Array.from({ length: input.MaxCount ?? 1 }, () => ({ InstanceId: `i-${(nextId++).toString(16).padStart(17, '0')}`, InstanceType: input.InstanceType, SubnetId: 'subnet-a' })),
  }));
}

/** The account's addresses: `others` allocated by someone else, plus fleet addresses. */
function accountAddresses(others: number, fleet: Array<{ instanceId: string }> = []): void {
  ec2Mock.on(DescribeAddressesCommand).resolves({
    Addresses: [
      ...Array.from({ length: others }, (_, i) => ({ AllocationId: `eipalloc-other${i}`, PublicIp: `198.51.100.${i + 1}`, AssociationId: `eipassoc-o${i}` })),
      ...fleet.map((f, i) => ({ AllocationId: `eipalloc-fleet${i}`, PublicIp: `203.0.113.${i + 1}`, AssociationId: `eipassoc-f${i}`, Tags: [{ Key: FLEET_TAG, Value: 'prod' }, { Key: NODE_TAG, Value: f.instanceId }] })),
    ],
  });
}

/** DescribeInstances answers: the fleet's live instances (for the owed addresses). */
function liveInstances(instances: Array<{ id: string; state: string }>): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: instances.map((i) => ({ InstanceId: i.id, State: { Name: i.state as 'pending' }, InstanceType: 'c6i.2xlarge', Tags: [{ Key: POOL_TAG, Value: POOL }] })) }],
  });
}

function setup(addressing: PublicAddressing = 'elastic-ip'): { d: TestDeps; pool: PoolConfig; logger: ReturnType<typeof recordingLogger>; metrics: string[] } {
  const compute = new Ec2ComputeProvider({
    client: new EC2Client({ region: 'eu-central-1' }),
    launchTemplate: { id: 'lt-0123456789abcdef0' },
    subnetIds: ['subnet-a'],
    securityGroupIds: [],
    fleet: 'prod',
    serviceQuotas: new ServiceQuotasClient({ region: 'eu-central-1' }),
  });
  const raw = { defaultPool: POOL, pools: [{ name: POOL, instanceTypes: ['c6i.2xlarge'], containersPerNode: 2, capacityPerContainer: 10 }] };
  const base = makeDeps({ store: new MemoryFleetStore(), config: raw });
  const config = parseAutoscalerConfig(raw);
  const logger = recordingLogger();
  const metrics: string[] = [];
  const d = {
    ...base,
    compute: compute as unknown as TestDeps['compute'],
    config: new StaticConfigSource(config, undefined, () => addressing),
    publisher: base.publisher,
    logger,
  };
  const metered = { ...d, publisher: new MeteredPublisher(base.publisher, { addMetric: (name: string) => void metrics.push(name) }) } as unknown as TestDeps;
  return { d: metered, pool: poolByName(config, POOL), logger, metrics };
}

const launch = (n: number): ScaleOutDecision => ({ kind: 'scale-out', launch: n, undrain: [], targetHeadroom: 0, deficit: n * 20 });
const blocked = (d: TestDeps) => (d.publisher as unknown as { inner: TestDeps['publisher'] }).inner.ofType('ScalingBlocked');

beforeEach(() => {
  ec2Mock.reset();
  quotasMock.reset();
  nextId = 0;
  runInstancesLaunchesAll();
  liveInstances([]);
});

describe('Function: addressBudget', () => {
  const fleet = (entries: Array<Partial<FleetAddress>>): FleetAddress[] => entries.map((e, i) => ({ allocationId: `a${i}`, publicIp: `p${i}`, associated: true, owned: true, ...e }));
  const inst = (instanceId: string, state: string, pool = POOL): InstanceDescription => ({ instanceId, pool, state, instanceType: 'c6i.2xlarge' });

  it.each([
    { case: 'empty account', limit: 5, allocated: 0, addresses: [], instances: [], available: 5, owed: 0 },
    { case: 'a booting node without its addresses is owed them', limit: 5, allocated: 0, addresses: [], instances: [inst('i-1', 'pending')], available: 3, owed: 2 },
    { case: 'a node holding one of two is owed one', limit: 5, allocated: 1, addresses: [{ instanceId: 'i-1' }], instances: [inst('i-1', 'running')], available: 3, owed: 1 },
    { case: 'a fully addressed node owes nothing', limit: 5, allocated: 2, addresses: [{ instanceId: 'i-1' }, { instanceId: 'i-1' }], instances: [inst('i-1', 'running')], available: 3, owed: 0 },
    { case: 'a stopped node is not owed (it keeps what it has)', limit: 5, allocated: 0, addresses: [], instances: [inst('i-1', 'stopped')], available: 5, owed: 0 },
    { case: 'a private-only pool is not owed', limit: 5, allocated: 0, addresses: [], instances: [inst('i-1', 'pending', 'private')], available: 5, owed: 0 },
    { case: 'free operator-pool addresses are usable although allocated', limit: 5, allocated: 5, addresses: [{ owned: false, associated: false }, { owned: false, associated: false }], instances: [], available: 2, owed: 0 },
    { case: 'over quota is negative', limit: 5, allocated: 6, addresses: [], instances: [], available: -1, owed: 0 },
  ])('$case: available $available', ({ limit, allocated, addresses, instances, available, owed }) => {
    // Act
    const budget = addressBudget({ limit, allocated, fleet: fleet(addresses) }, instances, new Map([[POOL, 2]]));

    // Assess
    expect(budget).toMatchObject({ available, owed });
  });
});

describe('Elastic IP quota before a launch (executeScaleOut)', () => {
  it('launches every wanted node when the quota has room', async () => {
    // Prepare
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 10 } });
    accountAddresses(2);
    const { d, pool } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(2), 'd-room');

    // Assess: 10 − 2 = 8 addresses = 4 two-container nodes of room
    expect(launched).toHaveLength(2);
    expect(ec2Mock).toHaveReceivedCommandWith(RunInstancesCommand, { MaxCount: 2 });
    expect(blocked(d)).toEqual([]);
  });

  it('launches nothing and publishes ScalingBlocked (quota) with the reason when the quota is used up', async () => {
    // Prepare: the default 5, four taken by other resources: not one two-container node fits
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 5 } });
    accountAddresses(4);
    const { d, pool, metrics } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(2), 'd-full');

    // Assess
    expect(launched).toEqual([]);
    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(blocked(d)).toEqual([
      { pool: POOL, limit: 'quota', wanted: 2, reason: expect.stringMatching(/Elastic IP quota: 5 per Region \(service-quotas\), 4 allocated.*room for 0 of 2.*L-0263D0A3/) },
    ]);
    expect(metrics).toEqual(expect.arrayContaining([PublishedEventMetric.ScalingBlocked, PublishedEventMetric.ScalingBlockedQuota]));
    expect(await d.store.listNodes(POOL)).toEqual([]);
  });

  it('launches only as many nodes as the quota allows, counting addresses owed to booting nodes', async () => {
    // Prepare: quota 8, one address of someone else, one booting node (i-boot) holding 1 of its 2
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 8 } });
    accountAddresses(1, [{ instanceId: 'i-boot' }]);
    liveInstances([{ id: 'i-boot', state: 'running' }]);
    const { d, pool } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(3), 'd-partial');

    // Assess: 8 − 2 allocated − 1 owed = 5 → two nodes of two containers; the third is blocked
    expect(launched).toHaveLength(2);
    expect(ec2Mock).toHaveReceivedCommandWith(RunInstancesCommand, { MaxCount: 2 });
    expect(blocked(d)).toEqual([expect.objectContaining({ limit: 'quota', wanted: 1, reason: expect.stringContaining('1 owed to booting nodes') })]);
    expect(await d.store.listNodes(POOL)).toHaveLength(2);
  });

  it('launches unchecked, with a logged warning, when neither Service Quotas nor DescribeAccountAttributes may be read', async () => {
    // Prepare
    quotasMock.on(GetServiceQuotaCommand).rejects(new ServiceQuotasServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'denied' }));
    ec2Mock.on(DescribeAccountAttributesCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: {}, message: 'denied' }));
    accountAddresses(4);
    const { d, pool, logger } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(2), 'd-unknown');

    // Assess
    expect(launched).toHaveLength(2);
    expect(blocked(d)).toEqual([]);
    expect(logger.warnings).toContain('elastic IP quota unknown: launching unchecked');
  });
});

describe("Private-only pools (publicAddressing 'none')", () => {
  it('launches without reading the Elastic IP quota', async () => {
    // Prepare: a quota that would block an 'elastic-ip' pool
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 5 } });
    accountAddresses(5);
    const { d, pool } = setup('none');

    // Act
    const launched = await executeScaleOut(d, pool, launch(2), 'd-none');

    // Assess
    expect(launched).toHaveLength(2);
    expect(quotasMock).not.toHaveReceivedCommand(GetServiceQuotaCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeAddressesCommand);
    expect(blocked(d)).toEqual([]);
  });

  it('associates no Elastic IP when the node runs', async () => {
    // Prepare
    const { d, pool } = setup('none');
    const [id] = await executeScaleOut(d, pool, launch(1), 'd-none-run');
    ec2Mock.resetHistory();

    // Act
    const outcome = await onInstanceState(d, { 'instance-id': id!, state: 'running' }, 'evt-run');

    // Assess
    expect(outcome).toBe('booting');
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstancesCommand);
    expect(ec2Mock).not.toHaveReceivedCommand(AllocateAddressCommand);
  });

  it('gives a container without a public IP its private IP in wssUrl', () => {
    // Act / Assess
    expect(wssUrl({ privateIp: '10.60.1.21', publicIp: undefined }, { wssPort: 8443 } as PoolConfig)).toBe('wss://10.60.1.21:8443');
    expect(wssUrl({ privateIp: '10.60.1.21', publicIp: '203.0.113.9' }, { wssPort: 8443 } as PoolConfig)).toBe('wss://203.0.113.9:8443');
  });
});

describe('AddressLimitExceeded while addressing a booting node', () => {
  it('terminates the node and publishes ScalingBlocked (quota) instead of leaving it to time out', async () => {
    // Prepare: the pre-launch check saw room (another decision raced it)
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 10 } });
    accountAddresses(0);
    const { d, pool } = setup();
    const [id] = await executeScaleOut(d, pool, launch(1), 'd-race');
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: id,
              Tags: [{ Key: POOL_TAG, Value: POOL }],
              NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Attachment: { DeviceIndex: 0 }, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.9', Primary: true }, { PrivateIpAddress: '10.0.0.10', Primary: false }] }],
            },
          ],
        },
      ],
    });
    ec2Mock.on(AllocateAddressCommand).rejects(new EC2ServiceException({ name: 'AddressLimitExceeded', $fault: 'client', $metadata: {}, message: 'The maximum number of addresses has been reached.' }));
    ec2Mock.on(TerminateInstancesCommand).resolves({});

    // Act
    const outcome = await onInstanceState(d, { 'instance-id': id!, state: 'running' }, 'evt-limit');

    // Assess
    expect(outcome).toBe('address-quota');
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [id!] });
    expect((await d.store.getNode(id!))?.state).toBe('terminating');
    expect(blocked(d)).toEqual([expect.objectContaining({ pool: POOL, limit: 'quota', wanted: 1, reason: expect.stringContaining('AddressLimitExceeded') })]);
  });
});
