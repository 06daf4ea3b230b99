/**
 * The fault "a node that becomes unreachable without any EC2 event": its detection (an EC2
 * status-check alarm per node), its handling (node-events closes the node on the alarm's ALARM),
 * the simulated CloudWatch that evaluates the alarm, and a simulation with `--fault-unreachable`
 * keeping every invariant.
 *
 * @module
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/node-events/index.ts';
import { makeHandler as makeRoomHandler } from '../../lambdas/room-events/index.ts';
import { MeteredPublisher, PublishedEventMetric } from '../../lambdas/shared/metered-publisher.ts';
import { CloudWatchNodeAlarms } from '../../shared/adapters/cloudwatch-node-alarms.ts';
import { parseAutoscalerConfig, poolByName } from '../../shared/domain/config.ts';
import { DEFAULT_NODE_ALARM_POLICY, nodeAlarmAction, nodeAlarmKeys, nodeAlarmSpecs, STATUS_CHECK_ALARM_KEY, UNREACHABLE_REASON, type NodeAlarmSpec } from '../../shared/domain/node-alarms.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import { LocalComputeProvider, UNREACHABLE_WITHIN_MS } from '../../sim/adapters/local-compute-provider.ts';
import { LocalEventBus, type BusEvent } from '../../sim/adapters/local-event-bus.ts';
import { LocalNodeAlarms } from '../../sim/adapters/local-node-alarms.ts';
import { TRACE_EPOCH_MS, VirtualTimeLoop } from '../../sim/runtime/event-loop.ts';
import { faultRates } from '../../sim/runtime/fault-plan.ts';
import { simulate, stopSimulator } from '../../sim/runtime/simulate.ts';
import { formatTraceText } from '../../sim/trace/file.ts';
import { generateTrace } from '../../sim/trace/generator.ts';
import { recordingHandlerMetrics } from '../support/metrics.ts';
import { fixture, isoTime, makeDeps, roomCreated, seedReadyNode, useDynalite, type HandlerTestDeps } from '../support/handlers.ts';

const NODE = 'i-0abc1234def567890';
const OTHER = 'i-0ccccccccccccccc2';
const PREFIX = 'wcs-autoscaler-prod-node-';

function statusSpec(nodeId = NODE, nodeMetrics = false): NodeAlarmSpec {
  const spec = nodeAlarmSpecs({ nodeId, containers: [{ index: 0, cpuset: '0-3' }] }, { ...DEFAULT_NODE_ALARM_POLICY, nodeMetrics }).find((s) => s.key === STATUS_CHECK_ALARM_KEY);
  if (!spec) throw new Error('no status-check alarm');
  return spec;
}

describe('Alarm: EC2 status check of a node', () => {
  it('watches AWS/EC2 StatusCheckFailed, Maximum >= 1 for 2 of 2 one-minute periods, missing data not breaching', () => {
    expect(statusSpec()).toEqual({
      key: 'status',
      description: expect.stringContaining('status check failed'),
      source: 'ec2',
      metricName: 'StatusCheckFailed',
      dimensions: { InstanceId: NODE },
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      action: 'close',
    });
  });

  it('is created whether or not node metrics are trusted (EC2 publishes it, not the node)', () => {
    const keys = (nodeMetrics: boolean) => nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 0, cpuset: '0-3' }] }, { ...DEFAULT_NODE_ALARM_POLICY, nodeMetrics }).map((s) => s.key);
    expect(keys(false)).toEqual(['cpu', 'status']);
    expect(keys(true)).toEqual(['cpu', 'status', 'wcs-0-cpu']);
  });

  it('is deleted with the node, and its ALARM closes the node where the CPU alarms mark it hot', () => {
    expect(nodeAlarmKeys(1)).toContain('status');
    expect(nodeAlarmAction('status')).toBe('close');
    expect(nodeAlarmAction('cpu')).toBe('hot');
    expect(nodeAlarmAction('wcs-3-cpu')).toBe('hot');
    expect(nodeAlarmAction('something-else')).toBeUndefined();
  });

  it('is put on CloudWatch with GreaterThanOrEqualToThreshold 1 (a CPU alarm keeps GreaterThanThreshold)', async () => {
    // Prepare
    const cwMock = mockClient(CloudWatchClient);
    cwMock.on(PutMetricAlarmCommand).resolves({});
    const adapter = new CloudWatchNodeAlarms({ client: new CloudWatchClient({}), namePrefix: PREFIX, nodeMetricsNamespace: 'WcsAutoscaler' });

    // Act
    await adapter.ensure(NODE, nodeAlarmSpecs({ nodeId: NODE, containers: [] }));

    // Assess
    expect(cwMock).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 2);
    expect(cwMock).toHaveReceivedNthCommandWith(PutMetricAlarmCommand, 1, { AlarmName: `${PREFIX}${NODE}-cpu`, ComparisonOperator: 'GreaterThanThreshold', Threshold: 85 });
    expect(cwMock).toHaveReceivedNthCommandWith(PutMetricAlarmCommand, 2, {
      AlarmName: `${PREFIX}${NODE}-status`,
      Namespace: 'AWS/EC2',
      MetricName: 'StatusCheckFailed',
      Dimensions: [{ Name: 'InstanceId', Value: NODE }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(cwMock.commandCalls(PutMetricAlarmCommand)[1]?.args[0].input.AlarmActions).toBeUndefined();
    cwMock.restore();
  });
});

describe('node-events on a status-check alarm', () => {
  const dynalite = useDynalite();

  function alarm(id: string, alarmName: string, value: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'): Record<string, unknown> {
    const event = fixture('aws.cloudwatch/alarm-state-change.json');
    event.id = id;
    const detail = event.detail as { alarmName: string; state: { value: string } };
    detail.alarmName = alarmName;
    detail.state.value = value;
    return event;
  }

  /** A ready node with rooms r1 (weight 2) and r2 (weight 3) placed on it by room-events, and a second ready node after. */
  async function nodeWithRooms(): Promise<HandlerTestDeps> {
    const d = makeDeps({ store: dynalite.store });
    await seedReadyNode(d, NODE, { octet: 1 });
    const rooms = makeRoomHandler(d);
    await rooms(roomCreated('evt-c-1', { roomId: 'r1', weight: 2 }));
    await rooms(roomCreated('evt-c-2', { roomId: 'r2', weight: 3 }));
    await seedReadyNode(d, OTHER, { octet: 2 });
    d.publisher.events.length = 0;
    return d;
  }

  const used = (d: HandlerTestDeps, id: string) => d.store.getNode(id).then((n) => n?.containers.reduce((s, c) => s + c.used, 0));

  it('closes the node: its rooms interrupted and released once, its instance terminated, NodeTerminated with the reason', async () => {
    // Prepare
    const d = await nodeWithRooms();
    const before = await d.store.getSummary('default');
    const handler = makeHandler(d);

    // Act
    const result = await handler(alarm('evt-status-1', `${PREFIX}${NODE}-status`, 'ALARM'));

    // Assess
    expect(result).toEqual({ kind: 'closed' });
    expect(d.compute.terminations).toEqual([[NODE]]);
    expect(d.publisher.ofType('RoomInterrupted').map((r) => [r.roomId, r.nodeId, r.reason]).sort()).toEqual([
      ['r1', NODE, UNREACHABLE_REASON],
      ['r2', NODE, UNREACHABLE_REASON],
    ]);
    expect(d.publisher.ofType('NodeTerminated')).toEqual([{ nodeId: NODE, pool: 'default', reason: UNREACHABLE_REASON }]);
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
    expect(await used(d, NODE)).toBe(0);
    expect((await d.store.getRoom('r1'))?.state).toBe('released');
    expect((await d.store.getRoom('r2'))?.state).toBe('released');
    expect(d.nodeAlarms.calls.filter((c) => c.op === 'remove').map((c) => c.keys)).toEqual([nodeAlarmKeys(2)]);
    const after = await d.store.getSummary('default');
    expect(after.liveNodes).toBe(before.liveNodes - 1);
    expect((await d.store.getNode(OTHER))?.state).toBe('ready');
  });

  it('does nothing more on a redelivered ALARM, nor on the OK that follows once the node is gone', async () => {
    // Prepare
    const d = await nodeWithRooms();
    const handler = makeHandler(d);
    await handler(alarm('evt-status-1', `${PREFIX}${NODE}-status`, 'ALARM'));
    const events = d.publisher.events.length;
    const summary = await d.store.getSummary('default');
    const snapshot = await dynalite.snapshot();

    // Act
    const again = await handler(alarm('evt-status-1', `${PREFIX}${NODE}-status`, 'ALARM'));
    const redelivered = await handler(alarm('evt-status-1b', `${PREFIX}${NODE}-status`, 'ALARM'));
    const ok = await handler(alarm('evt-status-2', `${PREFIX}${NODE}-status`, 'OK'));

    // Assess
    expect([again, redelivered, ok]).toEqual([{ kind: 'ignored' }, { kind: 'ignored' }, { kind: 'ignored' }]);
    expect(d.publisher.events.length).toBe(events);
    expect(d.compute.terminations).toEqual([[NODE]]);
    expect(await d.store.getSummary('default')).toEqual(summary);
    expect(await dynalite.snapshot()).toEqual(snapshot);
  });

  it('completes the closure on the retry after a crash right after TerminateInstances, interrupting each room once', async () => {
    // Prepare
    const d = await nodeWithRooms();
    const terminate = d.compute.terminate.bind(d.compute);
    let crashes = 1;
    d.compute.terminate = async (ids) => {
      await terminate(ids);
      if (crashes-- > 0) throw new Error('crash after TerminateInstances');
    };
    const handler = makeHandler(d);

    // Act
    const first = await handler(alarm('evt-status-1', `${PREFIX}${NODE}-status`, 'ALARM')).catch((e: unknown) => e);
    const whileCrashed = await d.store.getNode(NODE);
    const retry = await handler(alarm('evt-status-1', `${PREFIX}${NODE}-status`, 'ALARM'));

    // Assess
    expect(first).toBeInstanceOf(Error);
    expect(whileCrashed?.state).toBe('draining');
    expect(whileCrashed?.containers.every((c) => !c.accepting)).toBe(true);
    expect(retry).toEqual({ kind: 'closed' });
    expect(d.publisher.ofType('RoomInterrupted').map((r) => r.roomId).sort()).toEqual(['r1', 'r2']);
    expect(d.publisher.ofType('NodeTerminated')).toHaveLength(1);
    expect(await used(d, NODE)).toBe(0);
  });

  it("leaves the node's hot mark alone on the status alarm's OK (only the CPU alarm clears it)", async () => {
    // Prepare
    const d = await nodeWithRooms();
    const handler = makeHandler(d);
    await handler(alarm('evt-cpu-1', `${PREFIX}${OTHER}-cpu`, 'ALARM'));

    // Act
    const ok = await handler(alarm('evt-status-ok', `${PREFIX}${OTHER}-status`, 'OK'));

    // Assess
    expect(ok).toEqual({ kind: 'ignored' });
    expect((await d.store.getNode(OTHER))?.hot).toBe(true);
  });

  it('ignores the ALARM for a warm-pool node that is stopped (EC2 checks no stopped instance)', async () => {
    // Prepare
    const d = await nodeWithRooms();
    const now = d.clock.now();
    await d.store.transitionNode(OTHER, ['ready'], 'draining', now);
    await d.store.transitionNode(OTHER, ['draining'], 'stopping', now);
    await d.store.transitionNode(OTHER, ['stopping'], 'stopped', now);

    // Act
    const result = await makeHandler(d)(alarm('evt-status-warm', `${PREFIX}${OTHER}-status`, 'ALARM'));

    // Assess
    expect(result).toEqual({ kind: 'ignored' });
    expect(d.compute.terminations).toEqual([]);
    expect((await d.store.getNode(OTHER))?.state).toBe('stopped');
  });

  it('ignores an ALARM older than a warm node\'s start (raised in its previous run), and closes it on one raised since', async () => {
    // Prepare: OTHER stopped and started again at the clock's now
    const d = await nodeWithRooms();
    const now = d.clock.now();
    await d.store.transitionNode(OTHER, ['ready'], 'draining', now);
    await d.store.transitionNode(OTHER, ['draining'], 'stopping', now);
    await d.store.transitionNode(OTHER, ['stopping'], 'stopped', now);
    await d.store.transitionNode(OTHER, ['stopped'], 'starting', now);
    const handler = makeHandler(d);
    const at = (id: string, time: number) => ({ ...alarm(id, `${PREFIX}${OTHER}-status`, 'ALARM'), time: isoTime(time) });

    // Act
    const stale = await handler(at('evt-status-old', now - 60_000));
    const fresh = await handler(at('evt-status-new', now + 60_000));

    // Assess
    expect(stale).toEqual({ kind: 'ignored' });
    expect(fresh).toEqual({ kind: 'closed' });
    expect(d.compute.terminations).toEqual([[OTHER]]);
    expect((await d.store.getNode(OTHER))?.state).toBe('terminated');
  });
});

describe('Metric: NodesUnreachable', () => {
  it('counts a node closed by its status-check alarm, not one terminated for another reason', async () => {
    // Prepare
    const sink = recordingHandlerMetrics('prod');
    const publisher = new MeteredPublisher({ publish: async () => undefined }, sink.metrics);

    // Act
    await publisher.publish([
      { detailType: 'NodeTerminated', detail: { nodeId: NODE, pool: 'default', reason: UNREACHABLE_REASON } },
      { detailType: 'NodeTerminated', detail: { nodeId: OTHER, pool: 'default', reason: 'idle' } },
    ]);
    sink.metrics.publishStoredMetrics();

    // Assess
    expect(sink.documents[0]?.[PublishedEventMetric.NodesUnreachable]).toBe(1);
  });
});

describe('Simulated CloudWatch: the status-check alarm', () => {
  const pool = poolByName(parseAutoscalerConfig({}), 'default');

  /** One instance launched at the epoch that stops answering (rate 1), its alarm created at `createdAt`, the loop run to `untilMs`. */
  async function run(options: { createdAt?: number; removeAt?: number; untilMs?: number } = {}) {
    const loop = new VirtualTimeLoop();
    const delivered: { target: string; event: BusEvent; at: number }[] = [];
    const bus = new LocalEventBus({ appSource: 'app.rooms', clock: loop.clock, deliver: (target, event) => delivered.push({ target, event, at: loop.now }) });
    const compute = new LocalComputeProvider({ clock: loop.clock, random: () => 0.5, emit: loop.emit, unreachableRate: 1 });
    const alarms = new LocalNodeAlarms({ clock: loop.clock, ec2: compute, emit: loop.emit, bus });
    const { instances } = await compute.launch({ pool, count: 1, decisionId: 'd1', now: TRACE_EPOCH_MS });
    const id = (instances[0] as { instanceId: string }).instanceId;
    const spec = statusSpec(id);
    const unreachableAt = compute.unreachableFrom(id) as number;
    // Create the alarm at `createdAt` (NodeReady), remove it at `removeAt`: jobs on the same loop.
    const created = options.createdAt ?? TRACE_EPOCH_MS + pool.bootTimeMs;
    const jobs = [
      { at: created, run: () => alarms.ensure(id, [spec]) },
      ...(options.removeAt === undefined ? [] : [{ at: options.removeAt, run: () => alarms.remove(id, [spec.key]) }]),
    ];
    for (const j of jobs) loop.invoke('sweep', { id: `job-${j.at}` } as unknown as BusEvent, j.at);
    const end = options.untilMs ?? unreachableAt + 10 * 60_000;
    await loop.run(bus, end, async (inv) => {
      const job = jobs.find((j) => j.at === inv.at && inv.event.id === `job-${j.at}`);
      if (job) await job.run();
    });
    const alarmsSent = delivered.filter((d) => d.event['detail-type'] === DetailType.AlarmStateChange);
    const ec2Events = delivered.filter((d) => d.event.source === 'aws.ec2').map((d) => (d.event.detail as { state: string }).state);
    return { id, unreachableAt, alarmsSent, ec2Events, compute, alarms };
  }

  it('sends node-events an ALARM after 2 whole failed minutes and the evaluation delay, with no EC2 event', async () => {
    // Act
    const { id, unreachableAt, alarmsSent, ec2Events, compute, alarms } = await run();

    // Assess
    expect(unreachableAt).toBeGreaterThan(TRACE_EPOCH_MS + pool.bootTimeMs);
    expect(unreachableAt).toBeLessThanOrEqual(TRACE_EPOCH_MS + pool.bootTimeMs * 1.15 + UNREACHABLE_WITHIN_MS);
    expect(alarmsSent).toHaveLength(1);
    const sent = alarmsSent[0] as { target: string; event: BusEvent; at: number };
    expect(sent.target).toBe('node-events');
    expect(sent.at).toBe(Math.ceil(unreachableAt / 60_000) * 60_000 + 2 * 60_000 + 60_000);
    expect(sent.at - unreachableAt).toBeGreaterThanOrEqual(180_000);
    expect(sent.at - unreachableAt).toBeLessThan(240_000);
    expect(sent.event.detail).toMatchObject({ alarmName: `wcs-autoscaler-local-node-${id}-status`, state: { value: 'ALARM' }, previousState: { value: 'INSUFFICIENT_DATA' } });
    expect(ec2Events).toEqual(['pending', 'running']);
    expect((await compute.describeFleet()).map((i) => i.state)).toEqual(['running']);
    expect(alarms.detections).toEqual([{ instanceId: id, unreachableAt, alarmAt: sent.at }]);
  });

  it('sends nothing before the instance fails, nor once the alarm is deleted (the node was closed another way)', async () => {
    // Prepare
    const probe = await run({ untilMs: TRACE_EPOCH_MS + 1 });

    // Act
    const early = await run({ untilMs: probe.unreachableAt + 179_000 });
    const removed = await run({ removeAt: probe.unreachableAt + 60_000 });

    // Assess
    expect(early.alarmsSent).toEqual([]);
    expect(removed.alarmsSent).toEqual([]);
    expect(removed.alarms.detections).toEqual([]);
  });

  it('evaluates an alarm created after the instance failed a delay after its creation', async () => {
    // Prepare
    const probe = await run({ untilMs: TRACE_EPOCH_MS + 1 });
    const createdAt = probe.unreachableAt + 10 * 60_000;

    // Act
    const { alarmsSent } = await run({ createdAt, untilMs: createdAt + 5 * 60_000 });

    // Assess
    expect(alarmsSent.map((a) => a.at)).toEqual([createdAt + 60_000]);
  });
});

describe('Simulation with --fault-unreachable', () => {
  afterAll(stopSimulator);

  it('turns the kind on by its own flag and with --faults', () => {
    expect(faultRates(undefined, { unreachable: 0.3 }).unreachable).toBe(0.3);
    expect(faultRates(0.1).unreachable).toBe(0.1);
    expect(faultRates(undefined).unreachable).toBe(0);
  });

  it('detects and closes every unreachable node within minutes, and keeps every invariant and the active-rooms account', async () => {
    // Prepare: two busy hours of a generated day
    const dir = await mkdtemp(join(tmpdir(), 'wcs-unreachable-'));
    const path = join(dir, 'hours.jsonl');
    const events = generateTrace({ seed: 5, days: 1 })
      .filter((e) => e.t >= 9 * 3600 && e.t < 11 * 3600)
      .map((e) => ({ ...e, t: e.t - 9 * 3600, time: (e.time ?? e.t) - 9 * 3600 }));
    await writeFile(path, formatTraceText(events));

    // Act
    const { summary, unexplainedActiveRoomIds } = await simulate({ tracePath: path, seed: 3, faultRates: { unreachable: 1 } });

    // Assess
    const u = summary.unreachable;
    expect(u?.instances).toBeGreaterThan(0);
    expect(u?.detected).toBe(u?.closed);
    expect(u?.closed).toBeGreaterThan(0);
    expect(u?.detectionP50Ms).toBeGreaterThanOrEqual(180_000);
    expect(u?.detectionMaxMs).toBeLessThan(240_000);
    expect(u?.closedMaxMs).toBeGreaterThanOrEqual(u?.detectionMaxMs ?? 0);
    expect(u?.roomsInterrupted).toBeGreaterThan(0);
    expect(summary.interruptedRooms).toBeGreaterThan(0);
    expect(summary.faultsInjected).toBe(u?.instances);
    expect(summary.overbooked).toBe(0);
    expect(summary.leakedCapacity).toBe(0);
    expect(summary.orphanInstances).toBe(0);
    expect(summary.unansweredRooms).toBe(0);
    expect(unexplainedActiveRoomIds).toEqual([]);
    expect(summary.activeRoomsAtEnd).toBe(summary.accountedActiveRoomsAtEnd);
  }, 300_000);
});
