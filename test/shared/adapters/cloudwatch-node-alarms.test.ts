import { CloudWatchClient, CloudWatchServiceException, DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchNodeAlarms, DELETE_ALARMS_MAX_NAMES } from '../../../shared/adapters/cloudwatch-node-alarms.ts';
import { nodeAlarmKeys, nodeAlarmSpecs } from '../../../shared/domain/node-alarms.ts';
import { AutoscalerError } from '../../../shared/errors.ts';

const cwMock = mockClient(CloudWatchClient);
const NODE = 'i-0abc1234def567890';
const PREFIX = 'wcs-autoscaler-prod-node-';

function alarms(): CloudWatchNodeAlarms {
  return new CloudWatchNodeAlarms({ client: new CloudWatchClient({}), namePrefix: PREFIX, nodeMetricsNamespace: 'WcsAutoscaler' });
}

function serviceError(name: string, fault: 'client' | 'server'): CloudWatchServiceException {
  return new CloudWatchServiceException({ name, $fault: fault, $metadata: {}, message: `${name} (test)` });
}

describe('Class: CloudWatchNodeAlarms', () => {
  beforeEach(() => {
    cwMock.reset();
  });

  describe('Method: ensure', () => {
    it('puts the instance CPU and status-check alarms on AWS/EC2 and each container alarm in the fleet namespace, named with the routed prefix', async () => {
      // Prepare
      cwMock.on(PutMetricAlarmCommand).resolves({});
      const specs = nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 0, cpuset: '0-3' }, { index: 1, cpuset: '4-7' }] });

      // Act
      await alarms().ensure(NODE, specs);

      // Assess
      expect(cwMock).toHaveReceivedCommandTimes(PutMetricAlarmCommand, 4);
      expect(cwMock).toHaveReceivedNthCommandWith(PutMetricAlarmCommand, 1, {
        AlarmName: `${PREFIX}${NODE}-cpu`,
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'InstanceId', Value: NODE }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 85,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
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
      expect(cwMock).toHaveReceivedNthCommandWith(PutMetricAlarmCommand, 4, {
        AlarmName: `${PREFIX}${NODE}-wcs-1-cpu`,
        Namespace: 'WcsAutoscaler',
        MetricName: 'Cpu',
        Dimensions: [
          { Name: 'InstanceId', Value: NODE },
          { Name: 'Container', Value: '1' },
        ],
        Statistic: 'Maximum',
        Threshold: 360,
      });
      for (const call of cwMock.commandCalls(PutMetricAlarmCommand)) {
        expect(call.args[0].input.AlarmActions, 'the state change reaches node-events through EventBridge, not an action').toBeUndefined();
      }
    });

    it('sends the same requests again on a retry (PutMetricAlarm is an upsert)', async () => {
      // Prepare
      cwMock.on(PutMetricAlarmCommand).resolves({});
      const specs = nodeAlarmSpecs({ nodeId: NODE, containers: [{ index: 0, cpuset: '0-3' }] });
      const adapter = alarms();

      // Act
      await adapter.ensure(NODE, specs);
      await adapter.ensure(NODE, specs);

      // Assess
      const inputs = cwMock.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
      expect(inputs).toHaveLength(2 * specs.length);
      expect(inputs.slice(specs.length)).toEqual(inputs.slice(0, specs.length));
    });

    it.each([
      { name: 'Throttling', fault: 'client' as const, retryable: true },
      { name: 'InternalServiceError', fault: 'server' as const, retryable: true },
      { name: 'InvalidParameterValue', fault: 'client' as const, retryable: false },
    ])('maps $name to an AutoscalerError (retryable: $retryable) naming the alarm', async ({ name, fault, retryable }) => {
      // Prepare
      cwMock.on(PutMetricAlarmCommand).rejects(serviceError(name, fault));

      // Act
      const error = await alarms()
        .ensure(NODE, nodeAlarmSpecs({ nodeId: NODE, containers: [] }))
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect((error as AutoscalerError).retryable).toBe(retryable);
      expect((error as Error).message).toContain(`${PREFIX}${NODE}-cpu`);
    });
  });

  describe('Method: remove', () => {
    it('deletes every alarm the node may have in one request', async () => {
      // Prepare
      cwMock.on(DeleteAlarmsCommand).resolves({});

      // Act
      await alarms().remove(NODE, nodeAlarmKeys(2));

      // Assess
      expect(cwMock).toHaveReceivedCommandTimes(DeleteAlarmsCommand, 1);
      expect(cwMock).toHaveReceivedCommandWith(DeleteAlarmsCommand, {
        AlarmNames: [`${PREFIX}${NODE}-cpu`, `${PREFIX}${NODE}-status`, `${PREFIX}${NODE}-wcs-0-cpu`, `${PREFIX}${NODE}-wcs-1-cpu`],
      });
    });

    it(`sends at most ${DELETE_ALARMS_MAX_NAMES} names per request`, async () => {
      // Prepare
      cwMock.on(DeleteAlarmsCommand).resolves({});
      const keys = Array.from({ length: 150 }, (_, i) => `k${i}`);

      // Act
      await alarms().remove(NODE, keys);

      // Assess
      expect(cwMock.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 50]);
    });

    it('treats absent alarms as deleted: on ResourceNotFound it deletes each name alone and ignores the missing ones', async () => {
      // Prepare
      const names = [`${PREFIX}${NODE}-cpu`, `${PREFIX}${NODE}-status`, `${PREFIX}${NODE}-wcs-0-cpu`];
      cwMock
        .on(DeleteAlarmsCommand, { AlarmNames: names })
        .rejects(serviceError('ResourceNotFound', 'client'))
        .on(DeleteAlarmsCommand, { AlarmNames: [names[0]!] })
        .resolves({})
        .on(DeleteAlarmsCommand, { AlarmNames: [names[1]!] })
        .resolves({})
        .on(DeleteAlarmsCommand, { AlarmNames: [names[2]!] })
        .rejects(serviceError('ResourceNotFound', 'client'));

      // Act
      await alarms().remove(NODE, nodeAlarmKeys(1));

      // Assess
      expect(cwMock.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([names, [names[0]], [names[1]], [names[2]]]);
    });

    it('throws a retryable AutoscalerError when throttled', async () => {
      // Prepare
      cwMock.on(DeleteAlarmsCommand).rejects(serviceError('Throttling', 'client'));

      // Act
      const error = await alarms()
        .remove(NODE, ['cpu'])
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(AutoscalerError);
      expect((error as AutoscalerError).retryable).toBe(true);
    });
  });
});
