import { describe, expect, it } from 'vitest';
import { reconcileAddresses, unusedAddresses } from '../../../shared/app/addresses.ts';
import type { AppDeps } from '../../../shared/app/deps.ts';
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
