/**
 * The attacks of a node (root on one media node, or code in one of its containers with the
 * instance role's credentials) on the others, through node-events — each must be refused
 * (docs/security.md#node-reports).
 */
import { describe, expect, it } from 'vitest';
import { makeHandler, senderOptionsFromEnv } from '../../lambdas/node-events/index.ts';
import { makeHandler as makeRoomHandler } from '../../lambdas/room-events/index.ts';
import { boundNodeSource, NODE_SOURCE } from '../../shared/events/schemas.ts';
import type { NodeAddresses } from '../../shared/ports/compute-provider.ts';
import {
  envelope,
  makeDeps,
  RecordingCompute,
  roomCreated,
  seedContainers,
  seedLaunchingNode,
  seedReadyNode,
  testPool,
  useDynalite,
  type HandlerTestDeps,
} from '../support/handlers.ts';

const dynalite = useDynalite();

const VICTIM = 'i-0aaaa000000000001';
const ATTACKER = 'i-0bbbb000000000002';
const arn = (id: string) => `arn:aws:ec2:eu-central-1:123456789012:instance/${id}`;

/** The recording compute plus what EC2 would say about each instance's addresses. */
class AddressedCompute extends RecordingCompute {
  public readonly addresses = new Map<string, NodeAddresses>();

  public async nodeAddresses(instanceId: string): Promise<NodeAddresses | undefined> {
    return this.addresses.get(instanceId);
  }
}

/** Deps whose compute knows the addresses of VICTIM (containers of seedContainers(2, 1)). */
function deps(): HandlerTestDeps & { compute: AddressedCompute } {
  const d = makeDeps({ store: dynalite.store, config: { pools: [testPool()] } });
  const compute = new AddressedCompute();
  const truth = seedContainers(2, 1);
  compute.addresses.set(VICTIM, { privateIps: truth.map((c) => c.privateIp), publicIps: new Map(truth.map((c) => [c.privateIp, c.publicIp!])) });
  return { ...d, compute };
}

function nodeReady(id: string, source: string, instanceId: string, containers: unknown[]): Record<string, unknown> {
  return envelope(source, 'NodeReady', { instanceId, containers }, { id });
}

function nodeUnhealthy(id: string, source: string, instanceId: string): Record<string, unknown> {
  return envelope(source, 'NodeUnhealthy', { instanceId, reason: 'wcs-0 health check failed' }, { id });
}

describe('Attacks on node-events from one node against another', () => {
  it('refuses a NodeReady whose bound source names another instance than the detail (forged NodeReady for a booting node)', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, VICTIM);

    // Act: the attacker may only put its own bound source (IAM); it names the victim in the detail
    const result = await makeHandler(d)(nodeReady('evt-forged-ready', boundNodeSource(arn(ATTACKER)), VICTIM, seedContainers(2, 1)));

    // Assess: refused before any state is read; the victim still boots; the event is kept
    expect(result).toMatchObject({ kind: 'rejected', reason: expect.stringContaining(`sent by ${ATTACKER} about ${VICTIM}`) });
    expect((await d.store.getNode(VICTIM))?.state).toBe('launching');
    expect((d.deadLetters as { messages: unknown[] }).messages).toHaveLength(1);
    expect(d.publisher.events).toEqual([]);
  });

  it('refuses a second NodeReady for a ready node that would rewrite its containers\' IPs, and rooms keep the true address', async () => {
    // Prepare: the victim is ready with the addresses EC2 gave it
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });
    const forged = seedContainers(2, 1).map((c) => ({ ...c, publicIp: '203.0.113.66' }));

    // Act: the unbound source (accepted while bootstraps still put it) with a rewrite
    const result = await makeHandler(d, { requireSender: false })(nodeReady('evt-rewrite', NODE_SOURCE, VICTIM, forged));
    const placed = await makeRoomHandler(d)(roomCreated('evt-room-after', { roomId: 'room-after' }));

    // Assess
    expect(result).toEqual({ kind: 'refused', nodeId: VICTIM });
    expect((d.deadLetters as { messages: { reason: string }[] }).messages.map((m) => m.reason)).toEqual([expect.stringContaining(`NodeReady for ${VICTIM} refused`)]);
    expect(placed).toMatchObject({ kind: 'placed' });
    const roomPlaced = d.publisher.events.find((e) => e.detailType === 'RoomPlaced');
    expect(roomPlaced?.detail).toMatchObject({ nodeId: VICTIM, publicIp: '203.0.113.10' });
    expect(JSON.stringify(d.publisher.events)).not.toContain('203.0.113.66');
  });

  it('refuses a second NodeReady for a ready node that adds a container the pool does not run', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });
    const extra = [...seedContainers(2, 1), { index: 2, privateIp: '10.0.1.12', publicIp: '203.0.113.66', cpuset: '8-11' }];

    // Act
    const result = await makeHandler(d, { requireSender: false })(nodeReady('evt-extra', NODE_SOURCE, VICTIM, extra));

    // Assess
    expect(result).toEqual({ kind: 'refused', nodeId: VICTIM });
    expect((await d.store.getNode(VICTIM))?.containers.map((c) => c.index)).toEqual([0, 1]);
  });

  it('refuses a NodeReady whose private IPs are not the instance\'s, and takes public IPs from EC2 rather than the report', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, VICTIM);
    const handler = makeHandler(d);
    const wrongPrivate = seedContainers(2, 7);
    const noPublic = seedContainers(2, 1).map(({ publicIp: _p, ...c }) => c);

    // Act
    const refused = await handler(nodeReady('evt-wrong-ip', boundNodeSource(arn(VICTIM)), VICTIM, wrongPrivate));
    const accepted = await handler(nodeReady('evt-right-ip', boundNodeSource(arn(VICTIM)), VICTIM, noPublic));

    // Assess
    expect(refused).toEqual({ kind: 'refused', nodeId: VICTIM });
    expect(accepted).toEqual({ kind: 'ready', nodeId: VICTIM });
    const node = await d.store.getNode(VICTIM);
    expect(node?.containers.map((c) => [c.privateIp, c.publicIp])).toEqual([
      ['10.0.1.10', '203.0.113.10'],
      ['10.0.1.11', '203.0.113.11'],
    ]);
  });

  it('refuses a NodeReady that claims another public IP than EC2 associated', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, VICTIM);
    const claimed = seedContainers(2, 1).map((c, i) => (i === 1 ? { ...c, publicIp: '203.0.113.66' } : c));

    // Act
    const result = await makeHandler(d)(nodeReady('evt-claim', boundNodeSource(arn(VICTIM)), VICTIM, claimed));

    // Assess
    expect(result).toEqual({ kind: 'refused', nodeId: VICTIM });
    expect((await d.store.getNode(VICTIM))?.state).toBe('launching');
  });

  it('refuses a NodeReady with fewer containers than the pool runs', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, VICTIM);

    // Act
    const result = await makeHandler(d)(nodeReady('evt-short', boundNodeSource(arn(VICTIM)), VICTIM, seedContainers(1, 1)));

    // Assess
    expect(result).toEqual({ kind: 'refused', nodeId: VICTIM });
    expect((await d.store.getNode(VICTIM))?.state).toBe('launching');
  });

  it('refuses a forged NodeUnhealthy: the victim keeps serving and no replacement is launched', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });

    // Act
    const result = await makeHandler(d)(nodeUnhealthy('evt-forged-unhealthy', boundNodeSource(arn(ATTACKER)), VICTIM));

    // Assess
    expect(result).toMatchObject({ kind: 'rejected' });
    const node = await d.store.getNode(VICTIM);
    expect(node?.state).toBe('ready');
    expect(node?.containers.every((c) => c.accepting)).toBe(true);
    expect(d.compute.launches).toEqual([]);
  });

  it('accepts a NodeUnhealthy a node puts about itself (bound source)', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });

    // Act
    const result = await makeHandler(d)(nodeUnhealthy('evt-own-unhealthy', boundNodeSource(arn(VICTIM)), VICTIM));

    // Assess
    expect(result).toEqual({ kind: 'draining', nodeId: VICTIM });
  });

  it('refuses unbound node reports when the sender is required (NODE_EVENT_SENDER=required)', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });
    const handler = makeHandler(d, senderOptionsFromEnv({ NODE_EVENT_SENDER: 'required' }));

    // Act
    const result = await handler(nodeUnhealthy('evt-unbound', NODE_SOURCE, VICTIM));

    // Assess
    expect(result).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('unbound node source') });
    expect((await d.store.getNode(VICTIM))?.state).toBe('ready');
  });

  it('refuses node reports from another source and AWS detail-types from a node source', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });
    const handler = makeHandler(d);

    // Act
    const fromApp = await handler(nodeUnhealthy('evt-app', 'app.rooms', VICTIM));
    const spoofedEc2 = await handler(envelope(NODE_SOURCE, 'EC2 Instance State-change Notification', { 'instance-id': VICTIM, state: 'terminated' }, { id: 'evt-spoof' }));

    // Assess
    expect(fromApp).toMatchObject({ kind: 'rejected' });
    expect(spoofedEc2).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('must come from aws.ec2') });
    expect((await d.store.getNode(VICTIM))?.state).toBe('ready');
  });
});

describe('NodeReady before EC2 shows what the node saw', () => {
  it('retries (throws retryable) rather than refusing when EC2 shows no Elastic IP yet, and accepts once it does', async () => {
    // Prepare: EC2 knows the private IPs but not yet the associations
    const d = deps();
    await seedLaunchingNode(d, VICTIM);
    const truth = seedContainers(2, 1);
    d.compute.addresses.set(VICTIM, { privateIps: truth.map((c) => c.privateIp), publicIps: new Map() });
    const handler = makeHandler(d);
    const event = nodeReady('evt-early', boundNodeSource(arn(VICTIM)), VICTIM, truth);

    // Act
    const early = await handler(event).catch((e: unknown) => e);
    d.compute.addresses.set(VICTIM, { privateIps: truth.map((c) => c.privateIp), publicIps: new Map(truth.map((c) => [c.privateIp, c.publicIp!])) });
    const later = await handler(event);

    // Assess
    expect(early).toMatchObject({ retryable: true });
    expect(later).toEqual({ kind: 'ready', nodeId: VICTIM });
  });
});

describe('A metric a node pushes for another instance', () => {
  function alarmChange(id: string, alarmName: string): Record<string, unknown> {
    return envelope('aws.cloudwatch', 'CloudWatch Alarm State Change', { alarmName, state: { value: 'ALARM', timestamp: '2026-01-01T00:00:00Z' } }, { id });
  }

  it('cannot mark the other node hot: a container CPU alarm counts only while node metrics are trusted', async () => {
    // Prepare: an alarm on the victim's container CPU (left from when node metrics were trusted)
    const d = deps();
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });
    const handler = makeHandler(d);

    // Act
    const container = await handler(alarmChange('evt-wcs-alarm', `wcs-autoscaler-prod-node-${VICTIM}-wcs-0-cpu`));
    const instance = await handler(alarmChange('evt-ec2-alarm', `wcs-autoscaler-prod-node-${VICTIM}-cpu`));

    // Assess: only EC2's own CPUUtilization alarm marks the node hot
    expect(container).toEqual({ kind: 'untrusted' });
    expect(instance).toEqual({ kind: 'hot' });
  });

  it('marks the node hot on a container alarm when the configuration trusts node metrics', async () => {
    // Prepare
    const d = makeDeps({ store: dynalite.store, config: { pools: [testPool()], trustNodeMetrics: true } });
    await seedReadyNode(d, VICTIM, { containers: seedContainers(2, 1) });

    // Act
    const result = await makeHandler(d)(alarmChange('evt-wcs-trusted', `wcs-autoscaler-prod-node-${VICTIM}-wcs-0-cpu`));

    // Assess
    expect(result).toEqual({ kind: 'hot' });
  });
});
