/**
 * EC2 faults end to end through `executeScaleOut` with the real `Ec2ComputeProvider` on a mocked
 * EC2 client (aws-sdk-client-mock) and the real store on dynalite: capacity fallback, quota
 * (ScalingBlocked, no retry storm), throttling (never a crash loop), partial launches accounted
 * exactly, Spot market options.
 *
 * @module
 */
import { EC2Client, EC2ServiceException, RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ComputeProvider } from '../../shared/adapters/ec2/compute-provider.ts';
import { executeScaleOut } from '../../shared/app/scaling-executor.ts';
import { parseAutoscalerConfig, poolByName, type PoolConfig } from '../../shared/domain/config.ts';
import { OFFERING_UNAVAILABLE_MS } from '../../shared/domain/offerings.ts';
import type { ScaleOutDecision } from '../../shared/domain/scaling.ts';
import { makeDeps, useFleetTable, type TestDeps } from '../support/fleet.ts';

const fleet = useFleetTable();
const ec2Mock = mockClient(EC2Client);
const POOL = 'media';

function ec2Error(code: string, fault: 'client' | 'server' = 'client'): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code} (test)` });
}

let nextId = 0;
/** RunInstances by offering: a code fails it, a number launches that many, absent launches all. */
function runInstancesBy(plan: Record<string, string | number>): void {
  ec2Mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
    const key = `${input.InstanceType}/${input.NetworkInterfaces?.[0]?.SubnetId}`;
    const step = plan[key];
    if (typeof step === 'string') throw ec2Error(step);
    return {
      $metadata: {},
      Instances: Array.from({ length: step ?? input.MaxCount ?? 1 }, () => ({
        InstanceId: `i-${(nextId++).toString(16).padStart(17, '0')}`,
        InstanceType: input.InstanceType,
        SubnetId: input.NetworkInterfaces?.[0]?.SubnetId,
      })),
    };
  });
}

function setup(poolOverrides: Record<string, unknown> = {}): { d: TestDeps; pool: PoolConfig; ec2: Ec2ComputeProvider } {
  const ec2 = new Ec2ComputeProvider({
    client: new EC2Client({ region: 'eu-central-1' }),
    launchTemplate: { id: 'lt-0123456789abcdef0' },
    subnetIds: ['subnet-a'],
    securityGroupIds: [],
    fleet: 'prod',
  });
  const config = { defaultPool: POOL, pools: [{ name: POOL, instanceTypes: ['c6i.2xlarge', 'c5.2xlarge'], containersPerNode: 2, capacityPerContainer: 10, ...poolOverrides }] };
  const d = makeDeps({ store: fleet.store, config });
  const pool = poolByName(parseAutoscalerConfig(config), POOL);
  return { d: { ...d, compute: ec2 as unknown as TestDeps['compute'] }, pool, ec2 };
}

const launch = (n: number): ScaleOutDecision => ({ kind: 'scale-out', launch: n, undrain: [], targetHeadroom: 0, deficit: n * 20 });

beforeEach(() => {
  ec2Mock.reset();
  nextId = 0;
});

describe('EC2 faults through executeScaleOut', () => {
  it('falls back to the next instance type on InsufficientInstanceCapacity and records what launched', async () => {
    // Prepare
    runInstancesBy({ 'c6i.2xlarge/subnet-a': 'InsufficientInstanceCapacity' });
    const { d, pool } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(2), 'decision-ice');

    // Assess
    expect(launched).toHaveLength(2);
    const nodes = await fleet.store.listNodes(POOL);
    expect(nodes.map((n) => n.instanceType)).toEqual(['c5.2xlarge', 'c5.2xlarge']);
    expect(d.publisher.ofType('ScalingBlocked')).toEqual([]);
  });

  it('accounts a partial launch exactly: the nodes that started are recorded, the rest is ScalingBlocked', async () => {
    // Prepare: one c6i starts, then the account's instance limit stops the fallback
    runInstancesBy({ 'c6i.2xlarge/subnet-a': 1, 'c5.2xlarge/subnet-a': 'InstanceLimitExceeded' });
    const { d, pool } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(3), 'decision-partial');

    // Assess
    expect(launched).toHaveLength(1);
    expect(await fleet.store.listNodes(POOL)).toHaveLength(1);
    expect(await fleet.store.getSummary(POOL)).toMatchObject({ liveNodes: 1, pendingCapacity: 20 });
    expect(d.publisher.ofType('NodeLaunched')).toHaveLength(1);
    expect(d.publisher.ofType('ScalingBlocked')).toEqual([expect.objectContaining({ pool: POOL, limit: 'capacity', wanted: 2 })]);
  });

  it('publishes ScalingBlocked (quota) on VcpuLimitExceeded and does not call EC2 again within the window', async () => {
    // Prepare
    runInstancesBy({ 'c6i.2xlarge/subnet-a': 'VcpuLimitExceeded', 'c5.2xlarge/subnet-a': 'VcpuLimitExceeded' });
    const { d, pool } = setup();

    // Act: three room events in a row each want a node
    for (const id of ['e1', 'e2', 'e3']) await executeScaleOut(d, pool, launch(1), `${id}:scale-out`);
    d.clock.advance(OFFERING_UNAVAILABLE_MS);
    await executeScaleOut(d, pool, launch(1), 'e4:scale-out');

    // Assess
    const blocked = d.publisher.ofType('ScalingBlocked');
    expect(blocked).toHaveLength(4);
    for (const b of blocked) expect(b).toMatchObject({ limit: 'quota', wanted: 1, reason: expect.stringContaining('VcpuLimitExceeded') });
    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 2); // once, then once after the window
    expect(await fleet.store.listNodes(POOL)).toEqual([]);
  });

  it('turns throttling that outlasts the SDK retries into ScalingBlocked, not a failed invocation', async () => {
    // Prepare
    ec2Mock.on(RunInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));
    const { d, pool } = setup();

    // Act
    const launched = await executeScaleOut(d, pool, launch(1), 'decision-throttled');

    // Assess
    expect(launched).toEqual([]);
    expect(d.publisher.ofType('ScalingBlocked')).toEqual([expect.objectContaining({ limit: 'error', reason: expect.stringContaining('RequestLimitExceeded') })]);
  });

  it('launches one-time Spot instances for a Spot pool, on-demand otherwise', async () => {
    // Prepare
    runInstancesBy({});
    const spot = setup({ spot: true });
    const onDemand = setup();

    // Act
    await executeScaleOut(spot.d, spot.pool, launch(1), 'decision-spot');
    await executeScaleOut(onDemand.d, onDemand.pool, launch(1), 'decision-od');

    // Assess
    const [spotCall, odCall] = ec2Mock.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
    expect(spotCall?.InstanceMarketOptions).toEqual({
      MarketType: 'spot',
      SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
    });
    expect(odCall?.InstanceMarketOptions).toBeUndefined();
  });
});
