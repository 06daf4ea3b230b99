/**
 * State changes of existing media nodes on EC2: start and stop (or hibernate) warm-pool nodes
 * (`StartInstances`, `StopInstances`) and terminate nodes (`TerminateInstances`). Used by
 * `Ec2ComputeProvider`; SDK errors are read by the predicates of `errors.ts` and mapped here.
 *
 * EC2 fails a whole `StartInstances` / `StopInstances` call when one of its instances cannot
 * change state (`InsufficientInstanceCapacity` for its type in its AZ, `IncorrectInstanceState`,
 * an unknown id): so a batch that fails with such a client error is retried instance by
 * instance, and one node's failure never blocks the others. Throttling (`RequestLimitExceeded`),
 * server faults and network errors are thrown as retryable `AutoscalerError`s instead: both calls
 * are idempotent (starting a running instance, stopping a stopped one changes nothing), so the
 * caller retries the whole request.
 *
 * Sources: Amazon EC2 API Reference, "StartInstances", "StopInstances" (`Hibernate`), "Error
 * codes for the Amazon EC2 API" (`IncorrectInstanceState`, `InsufficientInstanceCapacity`,
 * `UnsupportedHibernationConfiguration`, `UnsupportedOperation`); Amazon EC2 User Guide,
 * "Prerequisites for EC2 instance hibernation" and "Stop and start Amazon EC2 instances".
 *
 * @module
 */
import { StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type EC2Client, type InstanceStateChange } from '@aws-sdk/client-ec2';
import { StopRefusedError } from '../../errors.ts';
import type { StartFailure, StartResult, StopRequest } from '../../ports/compute-provider.ts';
import { ec2Failure, errorCode, errorMessage, isNotFound, isRetryable, isUnfulfillableCapacity } from './errors.ts';

/** Most instance ids one `StartInstances` / `StopInstances` / `TerminateInstances` call is sent. */
export const INSTANCE_BATCH_SIZE = 1000;

/** EC2 states after which a start counts as done: the instance is on its way up, or up. */
export const STARTED_STATES: ReadonlySet<string> = new Set(['pending', 'running']);

/** What the operator reads when EC2 refuses a stop, by EC2 error code. */
export const STOP_REFUSAL_HINTS: Readonly<Record<string, string>> = {
  UnsupportedHibernationConfiguration:
    'EC2 refused to hibernate: the instance was not launched with hibernation enabled (launch template HibernationOptions.Configured), ' +
    'its root volume is not an encrypted EBS volume large enough for its RAM, its type or AMI does not support hibernation, ' +
    'or its hibernation agent is not ready yet (a few minutes after launch). Not retried as a plain stop: stop it without hibernation or terminate it',
  UnsupportedOperation: 'EC2 refused to stop: a one-time Spot instance cannot be stopped (a Spot pool has no warm pool); terminate it',
  IncorrectInstanceState: 'the instance is not in a state from which it can be stopped (pending, shutting-down or terminated)',
};

/**
 * Why a start failed, for {@link StartResult.failures}: the EC2 code and message, with a note for
 * the codes the caller acts on (capacity: fall back to a cold launch and keep the node stopped).
 */
function startFailure(instanceId: string, error: unknown): StartFailure {
  const code = errorCode(error);
  const note = isUnfulfillableCapacity(error)
    ? ' (no capacity for this instance type in its Availability Zone now: keep the node stopped and launch another)'
    : code === 'IncorrectInstanceState'
      ? ' (not startable now: still stopping, or shutting down / terminated)'
      : '';
  return { instanceId, code, message: `${errorMessage(error)}${note}` };
}

/** Unique ids in the order given. */
function unique(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => id !== ''))];
}

function* batches(ids: readonly string[]): Generator<string[]> {
  for (let i = 0; i < ids.length; i += INSTANCE_BATCH_SIZE) yield ids.slice(i, i + INSTANCE_BATCH_SIZE);
}

/**
 * Starts, stops (or hibernates) and terminates a fleet's instances on EC2. IAM limits every one
 * of these calls to instances carrying the fleet tag (`infra/constructs/media-nodes.ts`).
 *
 * @example
 * const states = new Ec2InstanceStates(createEc2Client());
 * const { started, failures } = await states.start(['i-0a', 'i-0b']);
 * // failures: [{ instanceId: 'i-0b', code: 'InsufficientInstanceCapacity', message: '…' }] → launch cold for i-0b
 */
export class Ec2InstanceStates {
  private readonly client: EC2Client;

  public constructor(client: EC2Client) {
    this.client = client;
  }

  /**
   * Start stopped or hibernated instances (see `ComputeProvider.start`). Instances already
   * `pending` or `running` count as started. A batch that EC2 refuses with a client error is
   * retried one instance at a time, so each failure (capacity, `IncorrectInstanceState` while
   * still `stopping`, an unknown id, a permission refused for an instance without the fleet tag)
   * is reported for its own instance only.
   *
   * @returns started ids and per-instance failures (together: every unique id given)
   * @throws {AutoscalerError} retryable on throttling (`RequestLimitExceeded`), server faults and
   *   network errors (instances started before it stay started; starting them again is a no-op)
   */
  public async start(instanceIds: readonly string[]): Promise<StartResult> {
    const started: string[] = [];
    const failures: StartFailure[] = [];
    for (const batch of batches(unique(instanceIds))) await this.startBatch(batch, started, failures);
    return { started, failures };
  }

  /**
   * Stop instances, hibernating them when `request.hibernate` (see `ComputeProvider.stop`).
   * Idempotent: stopping or stopped instances are not an error. A batch EC2 refuses with a client
   * error is retried one instance at a time, so the stoppable ones stop; a refused hibernation is
   * never downgraded to a plain stop here (the caller decides).
   *
   * @throws {StopRefusedError} (not retryable) naming each refused instance with its EC2 code
   *   (`UnsupportedHibernationConfiguration`, `UnsupportedOperation` for a one-time Spot instance,
   *   `IncorrectInstanceState`, `InvalidInstanceID.NotFound`, …), after the others were stopped
   * @throws {AutoscalerError} retryable on throttling, server faults and network errors
   */
  public async stop(request: StopRequest): Promise<void> {
    const stopped: string[] = [];
    const failures: StartFailure[] = [];
    for (const batch of batches(unique(request.instanceIds))) await this.stopBatch(batch, request.hibernate, stopped, failures);
    if (failures.length > 0) {
      throw new StopRefusedError(
        request.hibernate ? 'hibernate' : 'stop',
        failures.map((f) => ({ ...f, message: STOP_REFUSAL_HINTS[f.code] ? `${f.message}. ${STOP_REFUSAL_HINTS[f.code]}` : f.message })),
        stopped,
      );
    }
  }

  /**
   * Terminate instances, in batches of {@link INSTANCE_BATCH_SIZE}. Idempotent: ids EC2 does
   * not know (`InvalidInstanceID.NotFound`, which fails the whole call) are dropped and the rest
   * retried; already terminated instances are not an error.
   *
   * @throws {AutoscalerError} for any other EC2 failure (retryable when transient)
   */
  public async terminate(instanceIds: readonly string[]): Promise<void> {
    for (const batch of batches(unique(instanceIds))) await this.terminateBatch(batch);
  }

  private async startBatch(batch: readonly string[], started: string[], failures: StartFailure[]): Promise<void> {
    let changes: readonly InstanceStateChange[];
    try {
      changes = (await this.client.send(new StartInstancesCommand({ InstanceIds: [...batch] }))).StartingInstances ?? [];
    } catch (error) {
      if (isRetryable(error)) throw ec2Failure(`StartInstances ${batch.join(', ')}`, error);
      if (batch.length === 1) {
        failures.push(startFailure(batch[0]!, error));
        return;
      }
      for (const id of batch) await this.startBatch([id], started, failures);
      return;
    }
    const stateOf = new Map(changes.map((c) => [c.InstanceId, c.CurrentState?.Name as string | undefined]));
    for (const id of batch) {
      const state = stateOf.get(id);
      if (state !== undefined && STARTED_STATES.has(state)) started.push(id);
      else failures.push({ instanceId: id, code: state === undefined ? 'NotReported' : 'IncorrectInstanceState', message: `StartInstances left ${id} ${state ?? 'unreported'}` });
    }
  }

  private async stopBatch(batch: readonly string[], hibernate: boolean, stopped: string[], failures: StartFailure[]): Promise<void> {
    try {
      await this.client.send(new StopInstancesCommand({ InstanceIds: [...batch], ...(hibernate ? { Hibernate: true } : {}) }));
      stopped.push(...batch);
    } catch (error) {
      if (isRetryable(error)) throw ec2Failure(`StopInstances${hibernate ? ' (hibernate)' : ''} ${batch.join(', ')}`, error);
      if (batch.length === 1) {
        failures.push({ instanceId: batch[0]!, code: errorCode(error), message: errorMessage(error) });
        return;
      }
      for (const id of batch) await this.stopBatch([id], hibernate, stopped, failures);
    }
  }

  private async terminateBatch(batch: readonly string[]): Promise<void> {
    let pending = [...batch];
    while (pending.length > 0) {
      try {
        await this.client.send(new TerminateInstancesCommand({ InstanceIds: pending }));
        return;
      } catch (error) {
        if (!isNotFound(error)) throw ec2Failure('TerminateInstances failed', error);
        // EC2 names the unknown ids in the message ("The instance IDs 'i-1, i-2' do not exist").
        const missing = new Set(errorMessage(error).match(/\bi-[0-9a-zA-Z]+\b/g) ?? []);
        const rest = pending.filter((id) => !missing.has(id));
        if (rest.length === pending.length) {
          // Cannot tell which id is unknown: go one by one (each NotFound then means that id).
          if (pending.length === 1) return;
          for (const id of pending) await this.terminateBatch([id]);
          return;
        }
        pending = rest;
      }
    }
  }
}
