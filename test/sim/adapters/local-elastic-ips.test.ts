import { describe, expect, it } from 'vitest';
import { LocalComputeProvider } from '../../../sim/adapters/local-compute-provider.ts';
import type { BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import { PoolConfigSchema } from '../../../shared/domain/config.ts';
import type { NodeReadyDetail } from '../../../shared/events/schemas.ts';

describe('Class: LocalComputeProvider (simulated Elastic IPs)', () => {
  it("associates the public IPs its NodeReady reports, idempotently, and releases them", async () => {
    // Prepare
    const emitted: BusEvent[] = [];
    const compute = new LocalComputeProvider({ clock: { now: () => 0 }, random: () => 0.5, emit: (e) => emitted.push(e) });
    const pool = PoolConfigSchema.parse({ name: 'p', containersPerNode: 2 });
    const [node] = (await compute.launch({ pool, count: 1, decisionId: 'd', now: 0 })).instances;
    const ready = emitted.find((e) => e['detail-type'] === 'NodeReady')!.detail as NodeReadyDetail;

    // Act
    const first = await compute.associateAddresses(node!.instanceId);
    const again = await compute.associateAddresses(node!.instanceId);

    // Assess
    expect(first.map((a) => [a.privateIp, a.publicIp])).toEqual(ready.containers.map((c) => [c.privateIp, c.publicIp]));
    expect(again).toEqual(first);
    expect((await compute.describeAddresses()).every((a) => a.associated && a.owned)).toBe(true);
    await compute.releaseAddresses(node!.instanceId);
    expect(await compute.describeAddresses()).toEqual([]);
  });
});
