import { describe, expect, it } from 'vitest';
import { reconcileAddresses, releaseStoppedNodeAddresses, unusedAddresses } from '../../../shared/app/addresses.ts';
import type { AppDeps } from '../../../shared/app/deps.ts';
import { parseAutoscalerConfig } from '../../../shared/domain/config.ts';
import type { FleetAddress } from '../../../shared/ports/compute-provider.ts';

const addr = (allocationId: string, over: Partial<FleetAddress> = {}): FleetAddress => ({ allocationId, publicIp: '3.0.0.1', associated: false, owned: true, ...over });

describe('Function: unusedAddresses', () => {
  it.each([
    ['an unattached allocation of a gone node', addr('a', { instanceId: 'i-gone' }), true],
    ['an unattached allocation with no node tag', addr('a'), true],
    ['an allocation waiting for its live node', addr('a', { instanceId: 'i-live' }), false],
    ['an associated allocation', addr('a', { associated: true, instanceId: 'i-gone' }), false],
    ["an operator-pool address", addr('a', { owned: false }), false],
  ])('%s → release: %s', (_, address, released) => {
    expect(unusedAddresses([address], new Set(['i-live'])).length).toBe(released ? 1 : 0);
  });
});

describe('Function: reconcileAddresses', () => {
  it('releases unused fleet Elastic IPs and skips providers without them', async () => {
    // Prepare
    const released: string[] = [];
    const compute = {
      describeFleet: async () => [{ instanceId: 'i-live', pool: 'p', state: 'running', instanceType: 'c6i.2xlarge' }],
      describeAddresses: async () => [addr('eipalloc-1', { instanceId: 'i-gone' }), addr('eipalloc-2', { instanceId: 'i-live' })],
      releaseAddress: async (id: string) => {
        released.push(id);
      },
    };
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

    // Act
    const result = await reconcileAddresses({ compute, logger } as unknown as AppDeps);
    const none = await reconcileAddresses({ compute: { describeFleet: async () => [] }, logger } as unknown as AppDeps);

    // Assess
    expect(result).toEqual(['eipalloc-1']);
    expect(released).toEqual(['eipalloc-1']);
    expect(none).toEqual([]);
  });
});

describe('Function: releaseStoppedNodeAddresses', () => {
  const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const config = parseAutoscalerConfig({
    defaultPool: 'keep',
    pools: [{ name: 'keep', warmPool: { releaseAddressesOnStop: false } }, { name: 'release' }, { name: 'private', warmPool: { releaseAddressesOnStop: true } }],
  });

  function deps(state = 'stopped') {
    const calls: string[] = [];
    const compute = {
      releaseStoppedAddresses: async (id: string) => {
        calls.push(id);
        return { released: state === 'stopped', state };
      },
    };
    const source = { getConfig: async () => config, getPublicAddressing: async (pool: string) => (pool === 'private' ? 'none' : 'elastic-ip') };
    return { calls, deps: { compute, config: source, logger } as unknown as AppDeps };
  }

  it.each([
    ['keeps them when the pool says so (releaseAddressesOnStop false)', 'keep', 'stopped', false, []],
    ['releases them by default (releaseAddressesOnStop true)', 'release', 'stopped', true, ['i-1']],
    ['asks nothing for a private-only pool', 'private', 'stopped', false, []],
    ['reports nothing released when the node runs again (a late stopped event)', 'release', 'running', false, ['i-1']],
    ['asks nothing for a pool the configuration no longer has', 'gone', 'stopped', false, []],
  ])('%s', async (_, pool, state, released, calls) => {
    // Prepare
    const fake = deps(state);

    // Act
    const result = await releaseStoppedNodeAddresses(fake.deps, { nodeId: 'i-1', pool });

    // Assess
    expect(result).toBe(released);
    expect(fake.calls).toEqual(calls);
  });

  it('does nothing with a provider without Elastic IPs', async () => {
    // Act / Assess
    await expect(releaseStoppedNodeAddresses({ compute: {}, config: { getConfig: async () => config }, logger } as unknown as AppDeps, { nodeId: 'i-1', pool: 'release' })).resolves.toBe(false);
  });
});
