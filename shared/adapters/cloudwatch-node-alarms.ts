/**
 * `NodeAlarms` on Amazon CloudWatch: `PutMetricAlarm` per alarm (an upsert keyed on the name, so
 * a retried NodeReady changes nothing) and `DeleteAlarms` in batches of at most 100 names.
 *
 * Sources: CloudWatch API Reference — `PutMetricAlarm` ("If you update an existing alarm, its
 * state is left unchanged"), `DeleteAlarms` (up to 100 alarms per call; "If you specify any
 * incorrect alarm names, the alarms you specify with correct names are still deleted" — older
 * behaviour answered `ResourceNotFound` and deleted none, so on that error each name is deleted
 * alone). PutMetricAlarm has a low default rate quota (a few requests per second per account),
 * hence the client's adaptive retry mode: a burst of nodes becoming ready is slowed down, not
 * failed.
 *
 * IAM: `cloudwatch:PutMetricAlarm` and `cloudwatch:DeleteAlarms` on
 * `arn:aws:cloudwatch:<region>:<account>:alarm:wcs-autoscaler-<fleet>-node-*` only.
 *
 * @module
 */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { NodeAlarmSpec } from '../domain/node-alarms.ts';
import { AutoscalerError } from '../errors.ts';
import type { NodeAlarms } from '../ports/index.ts';

/** Most alarm names one `DeleteAlarms` request accepts (CloudWatch API limit). */
export const DELETE_ALARMS_MAX_NAMES = 100;

/** Namespace of EC2's own instance metrics. */
export const EC2_NAMESPACE = 'AWS/EC2';

/** A CloudWatch client with adaptive retries (PutMetricAlarm's rate quota is low). */
export function createCloudWatchClient(region?: string): CloudWatchClient {
  return new CloudWatchClient({ retryMode: 'adaptive', ...(region ? { region } : {}) });
}

/** Options of {@link CloudWatchNodeAlarms}. */
export interface CloudWatchNodeAlarmsOptions {
  /** CloudWatch client, built once at module scope. */
  readonly client: CloudWatchClient;
  /** Prefix of every alarm name, `wcs-autoscaler-<fleet>-node-` (infra/naming.ts `nodeAlarmNamePrefix`). */
  readonly namePrefix: string;
  /** Namespace the nodes push their WCS figures to (the fleet's metrics namespace). */
  readonly nodeMetricsNamespace: string;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'LimitExceeded', 'LimitExceededException', 'RequestLimitExceeded']);

function errorName(error: unknown): string {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : '';
}

function isNotFound(error: unknown): boolean {
  return ['ResourceNotFound', 'ResourceNotFoundException'].includes(errorName(error));
}

function isRetryable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return true;
  const e = error as { $fault?: unknown; $retryable?: unknown };
  if (e.$retryable || THROTTLING.has(errorName(error))) return true;
  return e.$fault !== 'client';
}

/**
 * Creates and deletes the CloudWatch alarms of media nodes.
 *
 * @example
 * const alarms = new CloudWatchNodeAlarms({ client: createCloudWatchClient(), namePrefix: nodeAlarmNamePrefix('prod'), nodeMetricsNamespace: 'WcsAutoscaler' });
 * await alarms.ensure('i-0abc1234def567890', nodeAlarmSpecs(node));
 */
export class CloudWatchNodeAlarms implements NodeAlarms {
  private readonly client: CloudWatchClient;
  private readonly namePrefix: string;
  private readonly nodeMetricsNamespace: string;

  public constructor(options: CloudWatchNodeAlarmsOptions) {
    this.client = options.client;
    this.namePrefix = options.namePrefix;
    this.nodeMetricsNamespace = options.nodeMetricsNamespace;
  }

  /** The full alarm name of a node's alarm. */
  public alarmName(instanceId: string, key: string): string {
    return `${this.namePrefix}${instanceId}-${key}`;
  }

  /**
   * PutMetricAlarm for each spec, in order.
   *
   * @throws {AutoscalerError} naming the alarm (retryable unless CloudWatch refused the request itself)
   */
  public async ensure(instanceId: string, alarms: readonly NodeAlarmSpec[]): Promise<void> {
    for (const spec of alarms) {
      const input = this.toInput(instanceId, spec);
      try {
        await this.client.send(new PutMetricAlarmCommand(input));
      } catch (e) {
        throw new AutoscalerError(`PutMetricAlarm ${input.AlarmName} failed: ${errorName(e) || 'Error'}: ${(e as Error).message}`, {
          cause: e,
          retryable: isRetryable(e),
        });
      }
    }
  }

  /**
   * DeleteAlarms for the node's alarm names, at most {@link DELETE_ALARMS_MAX_NAMES} per request.
   *
   * @throws {AutoscalerError} (retryable unless CloudWatch refused the request itself)
   */
  public async remove(instanceId: string, keys: readonly string[]): Promise<void> {
    const names = [...new Set(keys)].map((k) => this.alarmName(instanceId, k));
    for (let i = 0; i < names.length; i += DELETE_ALARMS_MAX_NAMES) {
      const batch = names.slice(i, i + DELETE_ALARMS_MAX_NAMES);
      try {
        await this.client.send(new DeleteAlarmsCommand({ AlarmNames: batch }));
      } catch (e) {
        if (!isNotFound(e)) throw this.deleteError(batch, e);
        // Some name did not exist; make sure the others are gone (each alone, absent is fine).
        if (batch.length > 1) for (const name of batch) await this.deleteOne(name);
      }
    }
  }

  private async deleteOne(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
    } catch (e) {
      if (!isNotFound(e)) throw this.deleteError([name], e);
    }
  }

  private deleteError(names: readonly string[], e: unknown): AutoscalerError {
    return new AutoscalerError(`DeleteAlarms ${names.join(', ')} failed: ${errorName(e) || 'Error'}: ${(e as Error).message}`, {
      cause: e,
      retryable: isRetryable(e),
    });
  }

  private toInput(instanceId: string, spec: NodeAlarmSpec): PutMetricAlarmCommandInput {
    return {
      AlarmName: this.alarmName(instanceId, spec.key),
      AlarmDescription: spec.description,
      // No alarm actions: CloudWatch puts every state change on the default bus, whose rule
      // (alarm name prefix) sends it to node-events.
      Namespace: spec.source === 'ec2' ? EC2_NAMESPACE : this.nodeMetricsNamespace,
      MetricName: spec.metricName,
      Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: spec.statistic,
      Period: spec.periodSeconds,
      EvaluationPeriods: spec.evaluationPeriods,
      DatapointsToAlarm: spec.datapointsToAlarm,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      TreatMissingData: spec.treatMissingData,
    };
  }
}
