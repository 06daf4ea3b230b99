import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/node-events/index.ts';
import { makeHandler as makeRoomHandler } from '../../lambdas/room-events/index.ts';
import { NODE_SOURCE } from '../../shared/events/schemas.ts';
import {
  awsEvent,
  envelope,
  fixture,
  makeDeps,
  roomCreated,
  seedLaunchingNode,
  seedReadyNode,
  T0,
  testPool,
  useDynalite,
  type HandlerTestDeps,
} from '../support/handlers.ts';

const dynalite = useDynalite();

/** The instance ids of the AWS fixtures (README of test/fixtures/events). */
const STATE_CHANGE_ID = 'i-abcd1111';
const SPOT_ID = 'i-1234567890abcdef0';
const ALARM_ID = 'i-12345678901234567';

function deps(config?: unknown): HandlerTestDeps {
  return makeDeps({ store: dynalite.store, ...(config === undefined ? {} : { config }) });
}

function nodeReady(id: string, instanceId: string, containers: unknown[]): Record<string, unknown> {
  return envelope(NODE_SOURCE, 'NodeReady', { instanceId, containers }, { id });
}

function alarm(id: string, alarmName: string, value: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'): Record<string, unknown> {
  const event = fixture('aws.cloudwatch/alarm-state-change.json');
  event.id = id;
  const detail = event.detail as { alarmName: string; state: { value: string } };
  detail.alarmName = alarmName;
  detail.state.value = value;
  return event;
}

describe('Function: node-events makeHandler', () => {
  it('moves a launching node to booting on EC2 running', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, STATE_CHANGE_ID);
    const handler = makeHandler(d);

    // Act
    const result = await handler(awsEvent('aws.ec2/state-change-running.json', { id: 'evt-running-1' }));

    // Assess
    expect(result).toEqual({ kind: 'booting', nodeId: STATE_CHANGE_ID });
    expect((await d.store.getNode(STATE_CHANGE_ID))?.state).toBe('booting');
    expect(d.publisher.events).toEqual([]);
  });

  it('ignores EC2 pending', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, STATE_CHANGE_ID);
    const handler = makeHandler(d);
    const before = await dynalite.snapshot();

    // Act
    const result = await handler(awsEvent('aws.ec2/state-change-pending.json', { id: 'evt-pending-1' }));

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: STATE_CHANGE_ID });
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it('makes a node ready on NodeReady, creates its containers and places a room queued before', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, STATE_CHANGE_ID);
    const handler = makeHandler(d);
    await handler(awsEvent('aws.ec2/state-change-running.json', { id: 'evt-running-2' }));
    const queued = await makeRoomHandler(d)(roomCreated('evt-create-early', { roomId: 'room-early', weight: 2 }));
    const containers = [
      { index: 0, privateIp: '10.0.3.21', publicIp: '203.0.113.21', cpuset: '0-3' },
      { index: 1, privateIp: '10.0.3.22', publicIp: '203.0.113.22', cpuset: '4-7' },
    ];

    // Act
    const result = await handler(nodeReady('evt-ready-1', STATE_CHANGE_ID, containers));

    // Assess
    expect(queued).toEqual({ kind: 'queued', pool: 'default' });
    expect(result).toEqual({ kind: 'ready', nodeId: STATE_CHANGE_ID });
    const node = await d.store.getNode(STATE_CHANGE_ID);
    expect(node?.state).toBe('ready');
    expect(node?.containers).toEqual([
      { nodeId: STATE_CHANGE_ID, index: 0, capacity: 10, used: 2, accepting: true, privateIp: '10.0.3.21', publicIp: '203.0.113.21', cpuset: '0-3', rooms: { 'room-early': 2 }, lastPlacedAt: T0 },
      { nodeId: STATE_CHANGE_ID, index: 1, capacity: 10, used: 0, accepting: true, privateIp: '10.0.3.22', publicIp: '203.0.113.22', cpuset: '4-7', rooms: {} },
    ]);
    expect(d.publisher.ofType('NodeReady')).toEqual([{ instanceId: STATE_CHANGE_ID, containers, pool: 'default' }]);
    expect(d.publisher.ofType('RoomPlaced')).toEqual([
      {
        roomId: 'room-early',
        pool: 'default',
        nodeId: STATE_CHANGE_ID,
        container: 0,
        privateIp: '10.0.3.21',
        publicIp: '203.0.113.21',
        wssUrl: 'wss://203.0.113.21:8443',
        weight: 2,
        waitedMs: 0,
      },
    ]);
    expect(await d.store.getRoom('room-early')).toMatchObject({ state: 'placed', placement: { nodeId: STATE_CHANGE_ID, container: 0 } });
    expect(await d.store.listQueued('default', 10)).toEqual([]);
    expect(d.compute.launches).toEqual([]);
  });

  it('changes nothing on a second NodeReady for a ready node', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, STATE_CHANGE_ID);
    const handler = makeHandler(d);
    const containers = [
      { index: 0, privateIp: '10.0.3.31', cpuset: '0-3' },
      { index: 1, privateIp: '10.0.3.32', cpuset: '4-7' },
    ];
    await handler(nodeReady('evt-ready-a', STATE_CHANGE_ID, containers));
    const before = await dynalite.snapshot();
    const published = d.publisher.events.length;

    // Act
    const result = await handler(nodeReady('evt-ready-b', STATE_CHANGE_ID, containers));

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: STATE_CHANGE_ID });
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.publisher.events).toHaveLength(published);
  });

  it('closes a node hosting rooms on EC2 terminated, interrupts its rooms and releases their capacity', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, STATE_CHANGE_ID);
    const rooms = makeRoomHandler(d);
    await rooms(roomCreated('evt-c-a', { roomId: 'room-a' }));
    await rooms(roomCreated('evt-c-b', { roomId: 'room-b', weight: 9 }));
    await rooms(roomCreated('evt-c-c', { roomId: 'room-c', weight: 5 }));
    d.publisher.events.length = 0;
    const handler = makeHandler(d);

    // Act
    const result = await handler(awsEvent('aws.ec2/state-change-terminated.json', { id: 'evt-terminated-1' }));

    // Assess
    expect(result).toEqual({ kind: 'closed', nodeId: STATE_CHANGE_ID });
    const node = await d.store.getNode(STATE_CHANGE_ID);
    expect(node?.state).toBe('terminated');
    expect(node?.containers.map((c) => ({ used: c.used, accepting: c.accepting }))).toEqual([
      { used: 0, accepting: false },
      { used: 0, accepting: false },
    ]);
    expect((await d.store.roomsOnNode(STATE_CHANGE_ID)).get(0)).toEqual([]);
    const interrupted = d.publisher.ofType('RoomInterrupted');
    expect(interrupted.map((r) => r.roomId).sort()).toEqual(['room-a', 'room-b', 'room-c']);
    for (const r of interrupted) expect(r).toMatchObject({ nodeId: STATE_CHANGE_ID, reason: 'instance terminated' });
    for (const roomId of ['room-a', 'room-b', 'room-c']) expect((await d.store.getRoom(roomId))?.state).toBe('released');
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: STATE_CHANGE_ID, pool: 'default', reason: 'instance terminated' }]);
    expect(await d.store.findCandidates('default', 1, 10)).toEqual([]);
    // The pool lost its only ready node while rooms were arriving: replacement capacity is
    // launched by this event (on top of what the arrivals' burst already launched).
    const byThisEvent = d.compute.launches.filter((l) => l.decisionId === 'evt-terminated-1:replace');
    expect(byThisEvent).toHaveLength(1);
    const summary = await d.store.getSummary('default');
    expect(summary).toMatchObject({ readyFree: 0 });
    expect(summary.pendingCapacity).toBe(20 * summary.liveNodes);
  });

  it('drains a node on a Spot interruption warning and launches one replacement at once, even while the rest covers headroom', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, SPOT_ID, { octet: 1 });
    await seedReadyNode(d, 'i-0bbbbbbbbbbbbbbb2', { octet: 2 });
    const handler = makeHandler(d);

    // Act
    const result = await handler(awsEvent('aws.ec2/spot-interruption-warning.json', { id: 'evt-spot-1' }));

    // Assess
    expect(result).toEqual({ kind: 'draining', nodeId: SPOT_ID });
    expect(d.publisher.ofType('NodeDraining')).toEqual([{ nodeId: SPOT_ID, pool: 'default', reason: 'spot-interruption' }]);
    const node = await d.store.getNode(SPOT_ID);
    expect(node?.state).toBe('draining');
    expect(node?.containers.every((c) => !c.accepting)).toBe(true);
    const candidates = await d.store.findCandidates('default', 1, 10);
    expect(candidates.map((c) => c.nodeId)).toEqual(['i-0bbbbbbbbbbbbbbb2', 'i-0bbbbbbbbbbbbbbb2']);
    expect(d.compute.launches).toEqual([expect.objectContaining({ count: 1, decisionId: `replace:${SPOT_ID}` })]);
  });

  it('keeps a Spot-interrupted node draining and asks for replacement capacity when headroom is short', async () => {
    // Prepare
    const d = deps({ pools: [testPool({ headroomMin: 10 })] });
    await seedReadyNode(d, SPOT_ID);
    const handler = makeHandler(d);

    // Act
    const result = await handler(awsEvent('aws.ec2/spot-interruption-warning.json', { id: 'evt-spot-2' }));

    // Assess
    expect(result).toEqual({ kind: 'draining', nodeId: SPOT_ID });
    expect(d.publisher.ofType('NodeDraining')).toHaveLength(1);
    expect((await d.store.getNode(SPOT_ID))?.state).toBe('draining');
    // One replacement for the doomed node; the headroom it took away is already covered by it.
    expect(d.compute.launches).toHaveLength(1);
    expect(d.compute.launches[0]).toMatchObject({ count: 1, decisionId: `replace:${SPOT_ID}` });
  });

  it('marks a node hot on an ALARM whose name contains its instance id, and OK clears it', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, ALARM_ID, { octet: 1 });
    await seedReadyNode(d, 'i-0ccccccccccccccc2', { octet: 2 });
    const handler = makeHandler(d);
    const name = `wcs-cpu-high-${ALARM_ID}`;
    const nodesOf = async () => [...new Set((await d.store.findCandidates('default', 1, 10)).map((c) => c.nodeId))].sort();

    // Act
    const hot = await handler(alarm('evt-alarm-1', name, 'ALARM'));
    const whileHot = await nodesOf();
    const summaryHot = await d.store.getSummary('default');
    const cool = await handler(alarm('evt-alarm-2', name, 'OK'));

    // Assess
    expect(hot).toEqual({ kind: 'hot' });
    expect(whileHot).toEqual(['i-0ccccccccccccccc2']);
    expect(summaryHot.readyFree).toBe(20);
    expect(cool).toEqual({ kind: 'cool' });
    expect(await nodesOf()).toEqual([ALARM_ID, 'i-0ccccccccccccccc2'].sort());
    expect((await d.store.getNode(ALARM_ID))?.hot).toBe(false);
    expect((await d.store.getSummary('default')).readyFree).toBe(40);
  });

  it('ignores the verbatim alarm sample, whose name names no instance', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, ALARM_ID);
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)({ ...fixture('aws.cloudwatch/alarm-state-change.json'), id: 'evt-alarm-raw' });

    // Assess
    expect(result).toEqual({ kind: 'ignored' });
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it.each([
    { name: 'EC2 terminated', event: () => awsEvent('aws.ec2/state-change-terminated.json', { id: 'evt-u-1', instanceId: 'i-0ddddddddddddddd9' }) },
    { name: 'NodeReady', event: () => nodeReady('evt-u-2', 'i-0ddddddddddddddd9', [{ index: 0, privateIp: '10.0.9.9', cpuset: '0-3' }]) },
  ])('answers unknown-node for $name of an unknown instance and changes nothing', async ({ event }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0ddddddddddddddd1');
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(event());

    // Assess
    expect(result).toEqual({ kind: 'unknown-node', nodeId: 'i-0ddddddddddddddd9' });
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.publisher.events).toEqual([]);
    expect(d.compute.launches).toEqual([]);
    expect(d.deadLetters.messages).toEqual([]);
  });

  it.each([
    { name: 'EC2 running', event: () => awsEvent('aws.ec2/state-change-running.json', { id: 'evt-i-1', instanceId: 'i-0ddddddddddddddd9' }) },
    { name: 'Spot interruption', event: () => awsEvent('aws.ec2/spot-interruption-warning.json', { id: 'evt-i-2', instanceId: 'i-0ddddddddddddddd9' }) },
    { name: 'rebalance', event: () => awsEvent('aws.ec2/rebalance-recommendation.json', { id: 'evt-i-3', instanceId: 'i-0ddddddddddddddd9' }) },
  ])('ignores $name of an unknown instance and changes nothing', async ({ event }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0ddddddddddddddd1');
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(event());

    // Assess
    expect(result).toEqual({ kind: 'ignored', nodeId: 'i-0ddddddddddddddd9' });
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.publisher.events).toEqual([]);
  });

  it.each([
    {
      name: 'an EC2 state the schema does not know',
      event: () => {
        const e = awsEvent('aws.ec2/state-change-running.json', { id: 'evt-bad-1' });
        (e.detail as Record<string, unknown>).state = 'exploded';
        return e;
      },
      field: /^detail\.state: /,
    },
    {
      name: 'a Spot warning without instance-id',
      event: () => ({ ...awsEvent('aws.ec2/spot-interruption-warning.json', { id: 'evt-bad-2' }), detail: { 'instance-action': 'terminate' } }),
      field: /^detail\.instance-id: /,
    },
    {
      name: 'a NodeReady with a bad private IP',
      event: () => nodeReady('evt-bad-3', STATE_CHANGE_ID, [{ index: 0, privateIp: '10.0.0.300', cpuset: '0-3' }]),
      field: /^detail\.containers\.0\.privateIp: /,
    },
    {
      name: 'a NodeReady without containers',
      event: () => nodeReady('evt-bad-4', STATE_CHANGE_ID, []),
      field: /^detail\.containers: /,
    },
    {
      name: 'an alarm without state',
      event: () => {
        const e = alarm('evt-bad-5', `x-${STATE_CHANGE_ID}`, 'ALARM');
        delete (e.detail as Record<string, unknown>).state;
        return e;
      },
      field: /^detail\.state: /,
    },
  ])('rejects $name and dead-letters it', async ({ event, field }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, STATE_CHANGE_ID);
    const before = await dynalite.snapshot();
    const input = event();

    // Act
    const result = await makeHandler(d)(input);

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason: expect.stringMatching(field) });
    expect(d.deadLetters.messages).toEqual([{ event: input, reason: (result as { reason: string }).reason, source: 'node-events' }]);
    expect(d.publisher.events).toEqual([]);
    expect(await dynalite.snapshot()).toEqual(before);
  });
});
