import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../../lambdas/node-events/index.ts';
import { makeHandler as makeRoomHandler } from '../../../lambdas/room-events/index.ts';
import { terminateNode } from '../../../shared/app/nodes.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { poolByName } from '../../../shared/domain/config.ts';
import type { NodeState } from '../../../shared/domain/model.ts';
import { NODE_SOURCE } from '../../../shared/events/schemas.ts';
import type { AddressAssociation, StoppedAddressRelease } from '../../../shared/ports/compute-provider.ts';
import {
  awsEvent,
  envelope,
  makeDeps,
  RecordingCompute,
  roomCreated,
  seedContainers,
  seedReadyNode,
  T0,
  testPool,
  useDynalite,
  type HandlerTestDeps,
} from '../../support/handlers.ts';

const dynalite = useDynalite();
const NODE = 'i-0aaaaaaaaaaaaaaa1';
const POOL = 'default';
const MINUTE = 60_000;

/** The recording compute with the Elastic IP calls of the warm path. */
class WarmCompute extends RecordingCompute {
  public readonly associated: string[] = [];
  public readonly releasedStopped: string[] = [];

  /** Every instance id passed to `terminate`, in order. */
  public get terminated(): string[] {
    return this.terminations.flat();
  }

  public async associateAddresses(instanceId: string): Promise<readonly AddressAssociation[]> {
    this.associated.push(instanceId);
    return [];
  }

  public async releaseStoppedAddresses(instanceId: string): Promise<StoppedAddressRelease> {
    this.releasedStopped.push(instanceId);
    return { released: true, state: 'stopped' };
  }
}

type WarmDeps = HandlerTestDeps & { readonly compute: WarmCompute };

function deps(pool: Record<string, unknown> = {}): WarmDeps {
  const d = makeDeps({ store: dynalite.store, config: { pools: [testPool(pool)] } });
  return { ...d, compute: new WarmCompute() };
}

function ec2(state: 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated', id: string, time: number, instanceId = NODE): Record<string, unknown> {
  return awsEvent(`aws.ec2/state-change-${state}.json`, { id, instanceId, time });
}

function nodeReady(id: string, containers: unknown[], time: number): Record<string, unknown> {
  return envelope(NODE_SOURCE, 'NodeReady', { instanceId: NODE, containers }, { id, time });
}

/** Set the instance's state as DescribeInstances shows it. */
function instanceState(d: WarmDeps, state: string, launchTime?: number, instanceId = NODE): void {
  const known = d.compute.fleet.find((i) => i.instanceId === instanceId);
  if (known) Object.assign(known, { state, ...(launchTime === undefined ? {} : { launchTime }) });
  else d.compute.fleet.push({ instanceId, pool: POOL, state, instanceType: 'c6i.2xlarge', launchTime: launchTime ?? d.clock.now() });
}

/**
 * A ready node taken into the warm pool as the scale-in would: drained, then `stopping`
 * (StopInstances accepted), out of the pool counters; optionally `stopped` and `starting`.
 */
async function seedWarmNode(d: WarmDeps, state: Extract<NodeState, 'stopping' | 'stopped' | 'starting'>): Promise<void> {
  await seedReadyNode(d, NODE);
  const now = d.clock.now();
  await d.store.transitionNode(NODE, ['ready'], 'draining', now, 'surplus');
  await d.store.setAccepting(NODE, false);
  await d.store.transitionNode(NODE, ['draining'], 'stopping', now);
  await d.store.adjustSummary(POOL, { liveNodes: -1, readyFree: -20 }, now);
  instanceState(d, 'stopping');
  if (state === 'stopping') return;
  await d.store.transitionNode(NODE, ['stopping'], 'stopped', now);
  instanceState(d, 'stopped');
  if (state === 'stopped') return;
  await d.store.transitionNode(NODE, ['stopped'], 'starting', now);
  await d.store.adjustSummary(POOL, { liveNodes: 1, pendingCapacity: 20 }, now);
  instanceState(d, 'pending');
}

async function summaryOf(d: WarmDeps) {
  const s = await d.store.getSummary(POOL);
  return { liveNodes: s.liveNodes, readyFree: s.readyFree, pendingCapacity: s.pendingCapacity };
}

describe('EC2 state changes of warm-pool nodes (node-events)', () => {
  it('moves a node we stopped to stopped on EC2 stopped, releases its Elastic IPs when the pool asks, and clears hot', async () => {
    // Prepare
    const d = deps({ warmPool: { releaseAddressesOnStop: true } });
    await seedWarmNode(d, 'stopping');
    await d.store.setHot(NODE, true);
    d.clock.advance(MINUTE);

    // Act
    const result = await makeHandler(d)(ec2('stopped', 'evt-stopped-1', d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'stopped', nodeId: NODE });
    expect(await d.store.getNode(NODE)).toMatchObject({ state: 'stopped', hot: false });
    expect(d.compute.releasedStopped).toEqual([NODE]);
    expect(await summaryOf(d)).toEqual({ liveNodes: 0, readyFree: 0, pendingCapacity: 0 });
    expect(d.publisher.events).toEqual([]);
  });

  it('keeps a stopped node\'s Elastic IPs when the pool says so, and a redelivered stopped changes nothing', async () => {
    // Prepare
    const d = deps({ warmPool: { releaseAddressesOnStop: false } });
    await seedWarmNode(d, 'stopping');
    d.clock.advance(MINUTE);
    const handler = makeHandler(d);
    await handler(ec2('stopped', 'evt-stopped-2', d.clock.now()));
    const before = await dynalite.snapshot();

    // Act
    const again = await handler(ec2('stopped', 'evt-stopped-3', d.clock.now()));

    // Assess
    expect(again).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(d.compute.releasedStopped).toEqual([]);
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it('keeps a stopping node stopping on EC2 stopping, and ignores a late running from before the stop', async () => {
    // Prepare
    const d = deps();
    const ranAt = d.clock.now();
    d.clock.advance(MINUTE);
    await seedWarmNode(d, 'stopping');
    const before = await dynalite.snapshot();
    const handler = makeHandler(d);

    // Act
    const stopping = await handler(ec2('stopping', 'evt-stopping-1', d.clock.now()));
    const lateRunning = await handler(ec2('running', 'evt-running-late', ranAt));

    // Assess
    expect(stopping).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(lateRunning).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it('takes a stopped node started by someone else to starting, then ready on NodeReady with the same containers and new public IPs', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'stopped');
    const stored = (await d.store.getNode(NODE))!.containers;
    d.clock.advance(10 * MINUTE);
    const handler = makeHandler(d);
    const renewed = seedContainers(2, 1).map((c, i) => ({ ...c, publicIp: `198.51.100.${i + 1}` }));

    // Act
    const pending = await handler(ec2('pending', 'evt-pending-1', d.clock.now()));
    const afterPending = await summaryOf(d);
    d.clock.advance(15_000);
    const running = await handler(ec2('running', 'evt-running-1', d.clock.now()));
    d.clock.advance(25_000);
    const ready = await handler(nodeReady('evt-ready-1', renewed, d.clock.now()));

    // Assess
    expect(pending).toEqual({ kind: 'starting', nodeId: NODE });
    expect(afterPending).toEqual({ liveNodes: 1, readyFree: 0, pendingCapacity: 20 });
    expect(running).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(d.compute.associated).toEqual([NODE]);
    expect(ready).toEqual({ kind: 'ready', nodeId: NODE });
    const node = await d.store.getNode(NODE);
    expect(node?.state).toBe('ready');
    expect(node?.containers.map((c) => ({ privateIp: c.privateIp, cpuset: c.cpuset, used: c.used, accepting: c.accepting, publicIp: c.publicIp }))).toEqual(
      stored.map((c, i) => ({ privateIp: c.privateIp, cpuset: c.cpuset, used: 0, accepting: true, publicIp: `198.51.100.${i + 1}` })),
    );
    expect(await summaryOf(d)).toEqual({ liveNodes: 1, readyFree: 20, pendingCapacity: 0 });
    expect(d.publisher.ofType('NodeReady')).toEqual([expect.objectContaining({ instanceId: NODE, pool: POOL })]);
  });

  it('places a room on a node that came back from the warm pool', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'starting');
    d.clock.advance(MINUTE);
    await makeHandler(d)(nodeReady('evt-ready-2', seedContainers(2, 1), d.clock.now()));

    // Act
    const result = await makeRoomHandler(d)(roomCreated('evt-room-1', { roomId: 'room-1', weight: 3 }, d.clock.now()));

    // Assess
    expect(result).toMatchObject({ kind: 'placed' });
    expect(d.publisher.ofType('RoomPlaced')).toEqual([expect.objectContaining({ roomId: 'room-1', nodeId: NODE })]);
  });

  it('refuses a NodeReady after a start that names other private IPs or cpusets than the node had', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'starting');
    d.clock.advance(MINUTE);
    const other = seedContainers(2, 7);

    // Act
    const result = await makeHandler(d)(nodeReady('evt-ready-3', other, d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'refused', nodeId: NODE });
    expect((await d.store.getNode(NODE))?.state).toBe('starting');
    expect(d.deadLetters.messages).toHaveLength(1);
  });

  it('ignores a NodeReady put before the stop (a late retry) for a starting node: WCS is not up yet', async () => {
    // Prepare
    const d = deps();
    const firstBoot = d.clock.now();
    d.clock.advance(30 * MINUTE);
    await seedWarmNode(d, 'starting');
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(nodeReady('evt-ready-old', seedContainers(2, 1), firstBoot));

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.publisher.events).toEqual([]);
  });

  it('terminates a starting node that reports NodeUnhealthy and launches its capacity again', async () => {
    // Prepare
    const d = deps({ headroomMin: 10 });
    await seedWarmNode(d, 'starting');
    d.clock.advance(MINUTE);
    const unhealthy = envelope(NODE_SOURCE, 'NodeUnhealthy', { instanceId: NODE, reason: 'wcs-0 health check failed' }, { id: 'evt-sick-1', time: d.clock.now() });

    // Act
    const result = await makeHandler(d)(unhealthy);

    // Assess
    expect(result).toEqual({ kind: 'terminated', nodeId: NODE });
    expect((await d.store.getNode(NODE))?.state).toBe('terminating');
    expect(d.compute.terminations).toEqual([[NODE]]);
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: NODE, pool: POOL, reason: 'unhealthy: wcs-0 health check failed (after a start)' }]);
    expect(await summaryOf(d)).toMatchObject({ liveNodes: 1, pendingCapacity: 20 });
    expect(d.compute.launches).toHaveLength(1);
  });

  it('returns a starting node to the warm pool when EC2 stops it again (the start undone)', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'starting');
    d.clock.advance(MINUTE);
    const handler = makeHandler(d);

    // Act
    const stopping = await handler(ec2('stopping', 'evt-undo-1', d.clock.now()));
    const stopped = await handler(ec2('stopped', 'evt-undo-2', d.clock.now()));

    // Assess
    expect([stopping.kind, stopped.kind]).toEqual(['stopping', 'stopped']);
    expect((await d.store.getNode(NODE))?.state).toBe('stopped');
    expect(await summaryOf(d)).toEqual({ liveNodes: 0, readyFree: 0, pendingCapacity: 0 });
  });

  it('closes a ready node someone else stopped: rooms interrupted, capacity replaced', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, NODE);
    await makeRoomHandler(d)(roomCreated('evt-room-2', { roomId: 'room-2', weight: 4 }, d.clock.now()));
    d.clock.advance(MINUTE);

    // Act
    const result = await makeHandler(d)(ec2('stopped', 'evt-unasked-1', d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'closed', nodeId: NODE });
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
    expect(d.publisher.ofType('RoomInterrupted')).toEqual([expect.objectContaining({ roomId: 'room-2', reason: 'instance stopped' })]);
    expect(d.compute.launches).toHaveLength(1);
  });

  it('ignores the late stopped of the stop before a node\'s last start (older than its ready)', async () => {
    // Prepare
    const d = deps();
    const stoppedAt = d.clock.now();
    d.clock.advance(5 * MINUTE);
    await seedReadyNode(d, NODE);
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(ec2('stopped', 'evt-late-1', stoppedAt));

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.publisher.events).toEqual([]);
  });

  it('ignores EC2 stopped for a terminating node (TerminateInstances on its way)', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, NODE);
    await d.store.transitionNode(NODE, ['ready'], 'terminating', d.clock.now());
    d.clock.advance(MINUTE);
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(ec2('stopped', 'evt-term-1', d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: NODE });
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it('closes a stopped node on EC2 terminated without touching the pool counters', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'stopped');
    d.clock.advance(MINUTE);

    // Act
    const result = await makeHandler(d)(ec2('terminated', 'evt-gone-1', d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'closed', nodeId: NODE });
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: NODE, pool: POOL, reason: 'instance terminated' }]);
    expect(await summaryOf(d)).toEqual({ liveNodes: 0, readyFree: 0, pendingCapacity: 0 });
  });
});

describe('Function: terminateNode on a warm-pool node (recycling)', () => {
  it('terminates a stopped node without touching the pool counters and publishes NodeTerminated', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'stopped');
    const node = (await d.store.getNode(NODE))!;
    const counters = await summaryOf(d);

    // Act
    const done = await terminateNode(d, node, 'warm-pool-max-age');

    // Assess
    expect(done).toBe(true);
    expect((await d.store.getNode(NODE))?.state).toBe('terminating');
    expect(d.compute.terminations).toEqual([[NODE]]);
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: NODE, pool: POOL, reason: 'warm-pool-max-age' }]);
    expect(await summaryOf(d)).toEqual(counters);
  });

  it('does nothing for a node that left the state the caller saw', async () => {
    // Prepare
    const d = deps();
    await seedWarmNode(d, 'stopped');
    const seen = (await d.store.getNode(NODE))!;
    await d.store.transitionNode(NODE, ['stopped'], 'starting', d.clock.now());

    // Act
    const done = await terminateNode(d, seen, 'warm-pool-max-age');

    // Assess
    expect(done).toBe(false);
    expect((await d.store.getNode(NODE))?.state).toBe('starting');
    expect(d.compute.terminations).toEqual([]);
  });
});

describe('Sweep reconciliation of warm-pool nodes', () => {
  const headroom = { headroomMin: 10 };

  it('terminates a node starting longer than warmPool.startTimeoutMs and launches its capacity again', async () => {
    // Prepare: launched long ago (past readyTimeoutMs), started 5 min ago
    const d = deps(headroom);
    await seedWarmNode(d, 'starting');
    const pool = poolByName(d.autoscalerConfig, POOL);
    d.clock.advance(pool.warmPool.startTimeoutMs);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.startTimedOut).toEqual([NODE]);
    expect(d.compute.terminated).toEqual([NODE]);
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: NODE, pool: POOL, reason: 'start-timeout' }]);
    expect((await d.store.getNode(NODE))?.state).toBe('terminating');
    expect(result.launched).toHaveLength(1);
  });

  it('leaves a node starting within its start timeout alone, however old its launch', async () => {
    // Prepare
    const d = deps(headroom);
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedReadyNode(d, NODE);
    d.clock.advance(pool.readyTimeoutMs * 3);
    await d.store.transitionNode(NODE, ['ready'], 'draining', d.clock.now(), 'surplus');
    await d.store.transitionNode(NODE, ['draining'], 'stopping', d.clock.now());
    await d.store.transitionNode(NODE, ['stopping'], 'stopped', d.clock.now());
    await d.store.transitionNode(NODE, ['stopped'], 'starting', d.clock.now());
    instanceState(d, 'pending');
    d.clock.advance(pool.warmPool.startTimeoutMs - MINUTE);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.startTimedOut).toEqual([]);
    expect(result.terminated).toEqual([]);
    expect(d.compute.terminated).toEqual([]);
    expect((await d.store.getNode(NODE))?.state).toBe('starting');
  });

  it('neither closes nor treats as orphan a stopped node whose instance is stopped', async () => {
    // Prepare
    // The policy keeps one warm node (warmPool.minSize 1), so the sweep's scale-in leaves the reconciled node alone.
    const d = deps({ warmPool: { minSize: 1 } });
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedWarmNode(d, 'stopped');
    d.clock.advance(pool.readyTimeoutMs + 10 * MINUTE);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.closedNodes).toEqual([]);
    expect(result.orphans).toEqual([]);
    expect(d.compute.terminated).toEqual([]);
    expect((await d.store.getNode(NODE))?.state).toBe('stopped');
  });

  it('still closes a ready node whose instance it finds stopped', async () => {
    // Prepare
    const d = deps();
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedReadyNode(d, NODE);
    instanceState(d, 'stopped');
    d.clock.advance(5 * MINUTE);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.closedNodes).toEqual([NODE]);
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
  });

  it('replays a lost stopped event: a stopping node whose instance is stopped becomes stopped', async () => {
    // Prepare
    // The policy keeps one warm node (warmPool.minSize 1), so the sweep's scale-in leaves the reconciled node alone.
    const d = deps({ warmPool: { releaseAddressesOnStop: true, minSize: 1 } });
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedWarmNode(d, 'stopping');
    instanceState(d, 'stopped');
    d.clock.advance(pool.placingTimeoutMs);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.warmRepaired).toEqual([`${NODE}:stopped`]);
    expect((await d.store.getNode(NODE))?.state).toBe('stopped');
    expect(d.compute.releasedStopped).toEqual([NODE]);
  });

  it('waits placingTimeoutMs before replaying a warm node\'s state (DescribeInstances lags)', async () => {
    // Prepare
    const d = deps();
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedWarmNode(d, 'stopping');
    instanceState(d, 'stopped');
    d.clock.advance(pool.placingTimeoutMs - MINUTE);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.warmRepaired).toEqual([]);
    expect((await d.store.getNode(NODE))?.state).toBe('stopping');
  });

  it('adopts a lost stopped instance younger than maxAgeHours as a warm node', async () => {
    // Prepare
    // The policy keeps one warm node (warmPool.minSize 1), so the sweep's scale-in leaves the reconciled node alone.
    const d = deps({ warmPool: { releaseAddressesOnStop: true, minSize: 1 } });
    const pool = poolByName(d.autoscalerConfig, POOL);
    instanceState(d, 'stopped', T0);
    d.clock.advance(pool.readyTimeoutMs + MINUTE);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.adopted).toEqual([NODE]);
    expect(await d.store.getNode(NODE)).toMatchObject({ state: 'stopped', launchedAt: T0, pool: POOL });
    expect(result.orphans).toEqual([]);
    expect(d.compute.terminated).toEqual([]);
    expect(d.compute.releasedStopped).toEqual([NODE]);
    expect(await summaryOf(d)).toMatchObject({ liveNodes: 0 });
  });

  it.each([
    { name: 'older than maxAgeHours', pool: { warmPool: { maxAgeHours: 2 } }, age: 3 * 3_600_000 },
    { name: 'of a pool without a warm pool', pool: { warmPool: { state: 'none' } }, age: 20 * MINUTE },
    { name: 'of a Spot pool', pool: { spot: true }, age: 20 * MINUTE },
  ])('terminates a lost stopped instance $name as an orphan', async ({ pool: overrides, age }) => {
    // Prepare
    const d = deps(overrides);
    const pool = poolByName(d.autoscalerConfig, POOL);
    instanceState(d, 'stopped', T0);
    d.clock.advance(age);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.adopted).toEqual([]);
    expect(result.orphans).toEqual([NODE]);
    expect(await d.store.getNode(NODE)).toBeUndefined();
  });

  it('terminates the stopped instance of a node closed because someone else stopped it', async () => {
    // Prepare
    const d = deps();
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedReadyNode(d, NODE);
    d.clock.advance(MINUTE);
    await makeHandler(d)(ec2('stopped', 'evt-unasked-2', d.clock.now()));
    instanceState(d, 'stopped');
    d.clock.advance(pool.readyTimeoutMs);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.adopted).toEqual([]);
    expect(result.orphans).toEqual([NODE]);
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
  });

  it('terminates again a terminating node whose instance is stopped', async () => {
    // Prepare
    const d = deps();
    const pool = poolByName(d.autoscalerConfig, POOL);
    await seedReadyNode(d, NODE);
    await d.store.transitionNode(NODE, ['ready'], 'terminating', d.clock.now());
    instanceState(d, 'stopped');
    d.clock.advance(pool.placingTimeoutMs);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.reterminated).toEqual([NODE]);
    expect(result.reconciled.closedNodes).toEqual([]);
    expect(d.compute.terminated).toEqual([NODE]);
  });
});
