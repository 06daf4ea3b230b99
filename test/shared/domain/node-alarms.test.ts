import { describe, expect, it } from 'vitest';
import { instanceIdOfAlarm } from '../../../shared/app/nodes.ts';
import { cpusetSize, DEFAULT_NODE_ALARM_POLICY, nodeAlarmKeys, nodeAlarmSpecs } from '../../../shared/domain/node-alarms.ts';
import { nodeAlarmNamePrefix } from '../../../shared/events/routing.ts';

const NODE = 'i-0abc1234def567890';

describe('Function: cpusetSize', () => {
  it.each([
    ['0-3', 4],
    ['0,4,1,5', 4],
    ['2-3,10-11', 4],
    ['7', 1],
    ['0-3,2-5', 6],
    ['', undefined],
    ['3-1', undefined],
    ['a-b', undefined],
  ])('counts the logical CPUs of %j as %s', (cpuset, expected) => {
    expect(cpusetSize(cpuset)).toBe(expected);
  });
});

describe('Function: nodeAlarmSpecs', () => {
  it('watches the instance CPU > 85% for 3 of 3 one-minute periods, missing data not breaching', () => {
    // Act
    const [cpu] = nodeAlarmSpecs({ nodeId: NODE, containers: [] });

    // Assess
    expect(cpu).toMatchObject({
      key: 'cpu',
      source: 'ec2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: NODE },
      statistic: 'Average',
      periodSeconds: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 85,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      action: 'hot',
    });
  });

  it('watches EC2 status checks on every node: StatusCheckFailed Maximum >= 1 for 2 of 2 minutes, closing the node', () => {
    // Act
    const status = nodeAlarmSpecs({ nodeId: NODE, containers: [] }, { ...DEFAULT_NODE_ALARM_POLICY, nodeMetrics: false })[1];

    // Assess
    expect(status).toMatchObject({
      key: 'status',
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

  it.each([
    { cpuset: '0-3', threshold: 360 },
    { cpuset: '0,4', threshold: 180 },
    { cpuset: '0-7', threshold: 720 },
  ])('sizes a container pinned to $cpuset at 90% of its CPUs as Docker reports them ($threshold%)', ({ cpuset, threshold }) => {
    // Act
    const specs = nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 1, cpuset }] });

    // Assess
    expect(specs[2]).toMatchObject({
      key: 'wcs-1-cpu',
      source: 'node',
      metricName: 'Cpu',
      dimensions: { InstanceId: NODE, Container: '1' },
      statistic: 'Maximum',
      threshold,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  });

  it('gives a container whose cpuset is unknown no alarm, and orders the rest by index', () => {
    const specs = nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 2, cpuset: '8-11' }, { index: 1 }, { index: 0, cpuset: '0-3' }] });
    expect(specs.map((s) => s.key)).toEqual(['cpu', 'status', 'wcs-0-cpu', 'wcs-2-cpu']);
  });

  it('follows another policy when given one', () => {
    const specs = nodeAlarmSpecs(
      { nodeId: NODE, containers: [{ index: 0, cpuset: '0-1' }] },
      { ...DEFAULT_NODE_ALARM_POLICY, instanceCpuPercent: 70, containerCpuFraction: 0.5, periods: 5, statusCheckPeriods: 3 },
    );
    expect(specs.map((s) => [s.key, s.threshold, s.evaluationPeriods, s.datapointsToAlarm])).toEqual([
      ['cpu', 70, 5, 5],
      ['status', 1, 3, 3],
      ['wcs-0-cpu', 100, 5, 5],
    ]);
  });

  it('names alarms so that node-events reads the instance id back from the routed name', () => {
    for (const spec of nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 0, cpuset: '0-3' }] })) {
      expect(instanceIdOfAlarm(`${nodeAlarmNamePrefix('prod')}${NODE}-${spec.key}`)).toBe(NODE);
    }
  });
});

describe('Function: nodeAlarmKeys', () => {
  it('lists the instance alarms (CPU, status check) and one per container, whatever the cpusets were', () => {
    expect(nodeAlarmKeys(0)).toEqual(['cpu', 'status']);
    expect(nodeAlarmKeys(3)).toEqual(['cpu', 'status', 'wcs-0-cpu', 'wcs-1-cpu', 'wcs-2-cpu']);
  });
});
