/**
 * A node's EC2 `running` event late, lost or failed: its boot unit waits for its Elastic IPs
 * before it starts WCS, so the sweep associates them (shared/app/reconcile-addresses.ts, step 1a);
 * and the simulated node waits for them as the boot unit does (sim/adapters/local-boot-waits.ts).
 */
import { describe, expect, it } from 'vitest';
import { ADDRESS_REPAIR_GRACE_MS } from '../../shared/app/reconcile-addresses.ts';
import { sweepPool } from '../../shared/app/sweep.ts';
import { parseAutoscalerConfig, poolByName, type PoolConfig } from '../../shared/domain/config.ts';
import type { AddressAssociation, InstanceDescription } from '../../shared/ports/compute-provider.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import { BOOT_AFTER_ADDRESSES_MS } from '../../sim/adapters/local-boot-waits.ts';
import { LocalComputeProvider } from '../../sim/adapters/local-compute-provider.ts';
import { LocalEventBus, type BusEvent } from '../../sim/adapters/local-event-bus.ts';
import { TRACE_EPOCH_MS, VirtualTimeLoop } from '../../sim/runtime/event-loop.ts';
import { makeDeps, RecordingCompute, seedLaunchingNode, testPool, useDynalite, type HandlerTestDeps } from '../support/handlers.ts';

const dynalite = useDynalite();
const NODE = 'i-0aaaaaaaaaaaaaaa1';
const POOL = 'default';
const PRIVATE_IPS = ['10.0.0.11', '10.0.0.12'];

/** EC2 as the sweep sees it: its DescribeInstances says whether a secondary private IP lacks its Elastic IP. */
class AddressedCompute extends RecordingCompute {
  public readonly associated: string[] = [];
  public publicIps = new Map<string, string>();

  public override async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    const missingPublicIps = PRIVATE_IPS.some((ip) => !this.publicIps.has(ip));
    return (await super.describeFleet(pool)).map((i) => ({ ...i, missingPublicIps }));
  }

  public async associateAddresses(instanceId: string): Promise<readonly AddressAssociation[]> {
    this.associated.push(instanceId);
    this.publicIps = new Map(PRIVATE_IPS.map((ip, i) => [ip, `198.18.0.${i + 1}`]));
    return PRIVATE_IPS.map((privateIp, i) => ({ privateIp, publicIp: `198.18.0.${i + 1}` }));
  }
}

type Deps = HandlerTestDeps & { readonly compute: AddressedCompute };

function deps(addressing: 'elastic-ip' | 'none' = 'elastic-ip'): Deps {
  const d = makeDeps({ store: dynalite.store, config: { pools: [testPool({ minNodes: 1, headroomMin: 0 })] } });
  const config = Object.assign(Object.create(Object.getPrototypeOf(d.config) as object) as typeof d.config, d.config, {
    getPublicAddressing: async () => addressing,
  });
  return { ...d, config, compute: new AddressedCompute() };
}

/** A launching node whose instance DescribeInstances shows in `state`. */
async function seedLaunching(d: Deps, state: string): Promise<PoolConfig> {
  await seedLaunchingNode(d, NODE);
  const instance = d.compute.fleet.find((i) => i.instanceId === NODE);
  Object.assign(instance as object, { state });
  return poolByName(d.autoscalerConfig, POOL);
}

describe('Sweep: Elastic IPs of a node whose running event was not handled', () => {
  it('replays running for a launching node EC2 shows running: booting, Elastic IPs associated', async () => {
    // Prepare: no `running` event was handled (late, lost, or its invocation failed)
    const d = deps();
    const pool = await seedLaunching(d, 'running');
    d.clock.advance(ADDRESS_REPAIR_GRACE_MS);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.addressRepaired).toEqual([`${NODE}:booting`]);
    expect((await d.store.getNode(NODE))?.state).toBe('booting');
    expect(d.compute.associated).toEqual([NODE]);
  });

  it('leaves a launching node alone within the grace, or while EC2 shows it pending', async () => {
    // Prepare
    const young = deps();
    const youngPool = await seedLaunching(young, 'running');
    young.clock.advance(ADDRESS_REPAIR_GRACE_MS - 1_000);

    // Act
    const first = await sweepPool(young, youngPool);

    // Assess
    expect(first.reconciled.addressRepaired).toEqual([]);
    expect((await young.store.getNode(NODE))?.state).toBe('launching');
    expect(young.compute.associated).toEqual([]);

    // Prepare: old enough, but still pending
    const pending = deps();
    const pendingPool = await seedLaunching(pending, 'pending');
    pending.clock.advance(ADDRESS_REPAIR_GRACE_MS);

    // Act
    const second = await sweepPool(pending, pendingPool);

    // Assess
    expect(second.reconciled.addressRepaired).toEqual([]);
    expect((await pending.store.getNode(NODE))?.state).toBe('launching');
    expect(pending.compute.associated).toEqual([]);
  });

  it('associates the missing Elastic IPs of a booting node (the event\'s invocation failed after the move)', async () => {
    // Prepare: moved to booting, then the association never happened
    const d = deps();
    const pool = await seedLaunching(d, 'running');
    await d.store.transitionNode(NODE, ['launching'], 'booting', d.clock.now());
    d.compute.publicIps = new Map([[PRIVATE_IPS[0] as string, '198.18.0.1']]);
    d.clock.advance(ADDRESS_REPAIR_GRACE_MS);

    // Act
    const result = await sweepPool(d, pool);
    const again = await sweepPool(d, pool);

    // Assess: associated once; the next sweep finds every address and does nothing
    expect(result.reconciled.addressRepaired).toEqual([`${NODE}:addressed`]);
    expect(again.reconciled.addressRepaired).toEqual([]);
    expect(d.compute.associated).toEqual([NODE]);
    expect((await d.store.getNode(NODE))?.state).toBe('booting');
  });

  it('associates nothing for a booting node of a private-only pool', async () => {
    // Prepare
    const d = deps('none');
    const pool = await seedLaunching(d, 'running');
    await d.store.transitionNode(NODE, ['launching'], 'booting', d.clock.now());
    d.clock.advance(ADDRESS_REPAIR_GRACE_MS);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.addressRepaired).toEqual([]);
    expect(d.compute.associated).toEqual([]);
  });
});

describe('Simulated node: NodeReady waits for the Elastic IPs', () => {
  const pool = poolByName(parseAutoscalerConfig({}), 'default');

  /**
   * One instance launched at the epoch (no boot jitter: ready after `bootTimeMs`), its Elastic
   * IPs associated (twice, as a redelivery would) at `associateAt`; when NodeReady events reached
   * node-events, epoch ms.
   */
  async function boot(associateAt: number) {
    const loop = new VirtualTimeLoop();
    const ready: number[] = [];
    const bus = new LocalEventBus({
      appSource: 'app.rooms',
      clock: loop.clock,
      deliver: (_target, event) => {
        if (event['detail-type'] === DetailType.NodeReady) ready.push(loop.now);
      },
    });
    const compute = new LocalComputeProvider({ clock: loop.clock, random: () => 0.5, bootJitter: 0, emit: loop.emit, timers: bus });
    const { instances } = await compute.launch({ pool, count: 1, decisionId: 'd1', now: TRACE_EPOCH_MS });
    const id = (instances[0] as { instanceId: string }).instanceId;
    loop.invoke('sweep', { id: 'associate' } as unknown as BusEvent, associateAt);
    await loop.run(bus, TRACE_EPOCH_MS + 10 * 60_000, async () => {
      await compute.associateAddresses(id);
      await compute.associateAddresses(id);
    });
    return { ready, compute };
  }

  it('puts NodeReady at the end of the boot when the addresses were associated before it', async () => {
    // Act: associated at 15 s, as node-events does on the `running` event
    const { ready, compute } = await boot(TRACE_EPOCH_MS + 15_000);

    // Assess
    expect(ready).toEqual([TRACE_EPOCH_MS + pool.bootTimeMs]);
    expect(compute.bootsAwaitingAddresses).toBe(0);
  });

  it('holds NodeReady until the addresses come, then puts it once, after the rest of the boot', async () => {
    // Act: associated 2 min after the launch (a late `running`, or the sweep's repair)
    const { ready, compute } = await boot(TRACE_EPOCH_MS + 120_000);

    // Assess
    expect(ready).toEqual([TRACE_EPOCH_MS + 120_000 + BOOT_AFTER_ADDRESSES_MS]);
    expect(compute.bootsAwaitingAddresses).toBe(1);
  });
});
