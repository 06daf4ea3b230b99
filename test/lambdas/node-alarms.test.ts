import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/node-events/index.ts';
import { terminateNode } from '../../shared/app/nodes.ts';
import type { NodeAlarmSpec } from '../../shared/domain/node-alarms.ts';
import { AutoscalerError } from '../../shared/errors.ts';
import { NODE_SOURCE } from '../../shared/events/schemas.ts';
import type { NodeAlarms } from '../../shared/ports/index.ts';
import { awsEvent, envelope, makeDeps, seedLaunchingNode, seedReadyNode, testPool, useDynalite, type HandlerTestDeps } from '../support/handlers.ts';

const dynalite = useDynalite();

/** The instance id of the EC2 state-change fixtures. */
const NODE = 'i-abcd1111';
const CONTAINERS = [
  { index: 0, privateIp: '10.0.3.21', publicIp: '203.0.113.21', cpuset: '0-3' },
  { index: 1, privateIp: '10.0.3.22', publicIp: '203.0.113.22', cpuset: '4-7' },
];

function deps(nodeAlarms?: NodeAlarms, trustNodeMetrics = true): HandlerTestDeps {
  const d = makeDeps({ store: dynalite.store, config: { pools: [testPool()], trustNodeMetrics } });
  return nodeAlarms ? { ...d, nodeAlarms: nodeAlarms as HandlerTestDeps['nodeAlarms'] } : d;
}

function nodeReady(id: string): Record<string, unknown> {
  return envelope(NODE_SOURCE, 'NodeReady', { instanceId: NODE, containers: CONTAINERS }, { id });
}

describe('Per-node alarms over the node lifecycle', () => {
  it('creates only the instance alarms on AWS/EC2 (CPU, status check) when the configuration does not trust node metrics', async () => {
    // Prepare: the default configuration (trustNodeMetrics false)
    const d = deps(undefined, false);
    await seedLaunchingNode(d, NODE);

    // Act
    const result = await makeHandler(d)(nodeReady('evt-ready-ec2-only'));

    // Assess: no alarm reads what a node can push for another instance
    expect(result).toEqual({ kind: 'ready', nodeId: NODE });
    expect(d.nodeAlarms.keysOf(NODE)).toEqual(['cpu', 'status']);
    expect(d.nodeAlarms.alarms.get(`${NODE}-cpu`)).toMatchObject({ source: 'ec2', metricName: 'CPUUtilization', dimensions: { InstanceId: NODE } });
    expect(d.nodeAlarms.alarms.get(`${NODE}-status`)).toMatchObject({ source: 'ec2', metricName: 'StatusCheckFailed', dimensions: { InstanceId: NODE } });
  });

  it('creates the instance alarms and one CPU alarm per container when the node becomes ready', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, NODE);

    // Act
    const result = await makeHandler(d)(nodeReady('evt-ready-1'));

    // Assess
    expect(result).toEqual({ kind: 'ready', nodeId: NODE });
    expect(d.nodeAlarms.keysOf(NODE)).toEqual(['cpu', 'status', 'wcs-0-cpu', 'wcs-1-cpu']);
    expect(d.nodeAlarms.alarms.get(`${NODE}-wcs-1-cpu`)).toMatchObject({ dimensions: { InstanceId: NODE, Container: '1' }, threshold: 360 });
  });

  it('upserts the same alarms again on a redelivered NodeReady', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, NODE);
    const handler = makeHandler(d);
    await handler(nodeReady('evt-ready-1'));

    // Act
    await handler(nodeReady('evt-ready-2'));

    // Assess
    expect(d.nodeAlarms.calls.map((c) => c.op)).toEqual(['ensure', 'ensure']);
    expect(d.nodeAlarms.calls[1]).toEqual(d.nodeAlarms.calls[0]);
    expect(d.nodeAlarms.keysOf(NODE)).toEqual(['cpu', 'status', 'wcs-0-cpu', 'wcs-1-cpu']);
  });

  it('makes the node ready before creating alarms, and creates them on the retry when CloudWatch refused', async () => {
    // Prepare: CloudWatch throttles the first try
    const created: string[] = [];
    let fail = true;
    const flaky: NodeAlarms = {
      ensure: async (instanceId: string, alarms: readonly NodeAlarmSpec[]) => {
        if (fail) {
          fail = false;
          throw new AutoscalerError('PutMetricAlarm failed: Throttling (test)', { retryable: true });
        }
        created.push(...alarms.map((a) => `${instanceId}-${a.key}`));
      },
      remove: async () => undefined,
    };
    const d = deps(flaky);
    await seedLaunchingNode(d, NODE);
    const handler = makeHandler(d);

    // Act
    const first = await handler(nodeReady('evt-ready-1')).catch((e: unknown) => e);
    const stateAfterFailure = (await d.store.getNode(NODE))?.state;
    await handler(nodeReady('evt-ready-1'));

    // Assess
    expect(first).toBeInstanceOf(AutoscalerError);
    expect(stateAfterFailure).toBe('ready');
    expect(created).toEqual([`${NODE}-cpu`, `${NODE}-status`, `${NODE}-wcs-0-cpu`, `${NODE}-wcs-1-cpu`]);
  });

  it('deletes the node\'s alarms when EC2 reports it terminated', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, NODE);
    const handler = makeHandler(d);
    await handler(nodeReady('evt-ready-1'));

    // Act
    const result = await handler(awsEvent('aws.ec2/state-change-terminated.json', { id: 'evt-terminated-1' }));

    // Assess
    expect(result).toEqual({ kind: 'closed', nodeId: NODE });
    expect(d.nodeAlarms.keysOf(NODE)).toEqual([]);
    expect(d.nodeAlarms.calls.at(-1)).toEqual({ op: 'remove', instanceId: NODE, keys: ['cpu', 'status', 'wcs-0-cpu', 'wcs-1-cpu'] });
  });

  it('deletes the alarms when the autoscaler terminates an idle node', async () => {
    // Prepare
    const d = deps();
    const node = await seedReadyNode(d, 'i-0eeeeeeeeeeeeeee1', { octet: 1 });
    await d.nodeAlarms.ensure(node.nodeId, []);

    // Act
    const terminated = await terminateNode(d, node, 'idle');

    // Assess
    expect(terminated).toBe(true);
    expect(d.compute.terminations).toEqual([[node.nodeId]]);
    expect(d.nodeAlarms.calls.at(-1)).toEqual({ op: 'remove', instanceId: node.nodeId, keys: ['cpu', 'status', 'wcs-0-cpu', 'wcs-1-cpu'] });
  });

  it('makes no CloudWatch call for a node that never became ready', async () => {
    // Prepare
    const d = deps();
    await seedLaunchingNode(d, NODE);

    // Act
    await makeHandler(d)(awsEvent('aws.ec2/state-change-terminated.json', { id: 'evt-terminated-1' }));

    // Assess
    expect((await d.store.getNode(NODE))?.state).toBe('terminated');
    expect(d.nodeAlarms.calls).toEqual([]);
  });
});
