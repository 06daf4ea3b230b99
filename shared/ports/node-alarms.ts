/**
 * Port: the CloudWatch alarms that watch single media nodes (instance CPU, WCS container CPU).
 * Their state changes come back to node-events and mark a node hot until they clear.
 *
 * @module
 */
import type { NodeAlarmSpec } from '../domain/node-alarms.ts';

/**
 * Create and delete a node's alarms. Alarm names are `<fleet prefix><instance id>-<key>`; the
 * adapter owns the prefix (`wcs-autoscaler-<fleet>-node-`, the one the node-events rule routes).
 *
 * Both methods are idempotent: `ensure` upserts (PutMetricAlarm replaces an alarm of the same
 * name), `remove` treats alarms that do not exist as already deleted.
 *
 * Errors: both throw {@link AutoscalerError} (retryable when throttled or transient) when
 * CloudWatch refuses; the caller's event is then retried.
 */
export interface NodeAlarms {
  /**
   * Create or update the alarms of a node.
   *
   * @param instanceId - the node's EC2 instance id
   * @param alarms - the specs (shared/domain/node-alarms.ts `nodeAlarmSpecs`)
   */
  ensure(instanceId: string, alarms: readonly NodeAlarmSpec[]): Promise<void>;
  /**
   * Delete the alarms of a node.
   *
   * @param instanceId - the node's EC2 instance id
   * @param keys - the alarm keys it may have (`nodeAlarmKeys`); absent ones are not an error
   */
  remove(instanceId: string, keys: readonly string[]): Promise<void>;
}
