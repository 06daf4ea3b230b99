/**
 * Where `publicAddressing` comes from and what the simulated fleet does with it: the SSM source
 * reads it from a pool's node settings (cached, default 'elastic-ip'), and the local compute
 * provider models the Elastic IP quota and private-only nodes.
 */
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_TTL_MS, SsmConfigSource } from '../../../shared/adapters/ssm-config-source.ts';
import { LocalComputeProvider } from '../../../sim/adapters/local-compute-provider.ts';
import type { BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import { PoolConfigSchema } from '../../../shared/domain/config.ts';
import { ConfigSourceError, LaunchQuotaError } from '../../../shared/errors.ts';
import { MemoryFleetStore } from '../../../sim/adapters/memory-fleet-store.ts';
import { executeScaleOut } from '../../../shared/app/scaling-executor.ts';
import { makeDeps, type TestDeps } from '../../support/fleet.ts';
import type { NodeReadyDetail } from '../../../shared/events/schemas.ts';

const ssmMock = mockClient(SSMClient);
const SETTINGS = '/wcs-autoscaler/prod/pools/media/node-settings';

function parameters(values: Record<string, string>): void {
  ssmMock.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
    const value = input.Name === undefined ? undefined : values[input.Name];
    if (value === undefined) throw new ParameterNotFound({ $metadata: {}, message: `${input.Name} not found` });
    return { Parameter: { Name: input.Name, Type: 'String', Value: value } };
  });
}

describe('Class: SsmConfigSource (public addressing)', () => {
  let now = 0;
  const source = () => new SsmConfigSource({ client: new SSMClient({}), configParameter: '/wcs-autoscaler/prod/config', clock: { now: () => now } });
  beforeEach(() => {
    ssmMock.reset();
    now = 1_700_000_000_000;
  });

  it("reads publicAddressing from the pool's node settings, through the TTL cache", async () => {
    // Prepare
    parameters({ [SETTINGS]: JSON.stringify({ publicAddressing: 'none' }) });
    const config = source();

    // Act
    const first = await config.getPublicAddressing('media');
    const cached = await config.getPublicAddressing('media');
    now += DEFAULT_CONFIG_TTL_MS;
    await config.getPublicAddressing('media');

    // Assess
    expect([first, cached]).toEqual(['none', 'none']);
    expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, { Name: SETTINGS, WithDecryption: false });
    expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it("is 'elastic-ip' when the pool has no node settings parameter", async () => {
    // Prepare
    parameters({});

    // Act / Assess
    expect(await source().getPublicAddressing('media')).toBe('elastic-ip');
  });

  it('refuses an unknown mode naming the parameter', async () => {
    // Prepare
    parameters({ [SETTINGS]: JSON.stringify({ publicAddressing: 'ipv6' }) });

    // Act
    const error = await source().getPublicAddressing('media').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigSourceError);
    expect((error as Error).message).toContain(SETTINGS);
  });
});

describe('Class: LocalComputeProvider (public addressing)', () => {
  const pool = PoolConfigSchema.parse({ name: 'p', containersPerNode: 2 });
  const fleet = (elasticIpQuota?: number) => {
    const emitted: BusEvent[] = [];
    const compute = new LocalComputeProvider({ clock: { now: () => 0 }, random: () => 0.5, emit: (e) => emitted.push(e), ...(elasticIpQuota === undefined ? {} : { elasticIpQuota }) });
    return { compute, emitted };
  };

  it("reports NodeReady without public IPs and holds no Elastic IP for a 'none' launch", async () => {
    // Prepare
    const { compute, emitted } = fleet();

    // Act
    const [node] = (await compute.launch({ pool, count: 1, decisionId: 'd', now: 0, publicAddressing: 'none' })).instances;

    // Assess
    const ready = emitted.find((e) => e['detail-type'] === 'NodeReady')!.detail as NodeReadyDetail;
    expect(ready.containers).toHaveLength(2);
    expect(ready.containers.every((c) => c.privateIp && c.publicIp === undefined)).toBe(true);
    expect(await compute.associateAddresses(node!.instanceId)).toEqual([]);
    expect(await compute.describeAddresses()).toEqual([]);
  });

  it('models the quota: addressQuota reports it, and an association past it fails with AddressLimitExceeded', async () => {
    // Prepare: the AWS default of 5; two-container nodes
    const { compute } = fleet(5);
    const ids = (await compute.launch({ pool, count: 3, decisionId: 'd', now: 0 })).instances.map((i) => i.instanceId);

    // Act
    await compute.associateAddresses(ids[0]!);
    await compute.associateAddresses(ids[1]!);
    const quota = await compute.addressQuota();
    const third = await compute.associateAddresses(ids[2]!).catch((e: unknown) => e);

    // Assess
    expect(quota).toMatchObject({ limit: 5, source: 'simulated', allocated: 4 });
    expect(third).toBeInstanceOf(LaunchQuotaError);
    expect(third).toMatchObject({ code: 'AddressLimitExceeded' });
  });

  it('reports an unlimited quota without a modelled one', async () => {
    // Act / Assess
    expect(await fleet().compute.addressQuota()).toMatchObject({ limit: Number.POSITIVE_INFINITY, source: 'simulated' });
  });
});

describe('Elastic IP quota through the local adapters (executeScaleOut)', () => {
  it('launches the nodes the simulated quota has room for, counting the ones still booting, and blocks the rest', async () => {
    // Prepare: quota 5, two containers per node
    const emitted: BusEvent[] = [];
    const compute = new LocalComputeProvider({ clock: { now: () => 0 }, random: () => 0.5, emit: (e) => emitted.push(e), elasticIpQuota: 5 });
    const raw = { defaultPool: 'p', pools: [{ name: 'p', containersPerNode: 2, maxNodes: 10 }] };
    const base = makeDeps({ store: new MemoryFleetStore(), config: raw });
    const d = { ...base, compute: compute as unknown as TestDeps['compute'] };
    const pool = PoolConfigSchema.parse(raw.pools[0]);

    // Act: three nodes wanted at once, then one more while those two still boot
    const first = await executeScaleOut(d, pool, { kind: 'scale-out', launch: 3, undrain: [], targetHeadroom: 0, deficit: 60 }, 'd-1');
    const second = await executeScaleOut(d, pool, { kind: 'scale-out', launch: 1, undrain: [], targetHeadroom: 0, deficit: 20 }, 'd-2');

    // Assess: 5 addresses = two nodes; the two booting nodes are owed 4, so the fifth fits no node
    expect(first).toHaveLength(2);
    expect(second).toEqual([]);
    expect(base.publisher.ofType('ScalingBlocked')).toEqual([
      expect.objectContaining({ limit: 'quota', wanted: 1, reason: expect.stringContaining('room for 2 of 3') }),
      expect.objectContaining({ limit: 'quota', wanted: 1, reason: expect.stringContaining('4 owed to booting nodes') }),
    ]);
    expect(compute.launched).toBe(2);
  });
});
