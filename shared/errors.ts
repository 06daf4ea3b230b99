/**
 * The one error hierarchy of wcs-autoscaler. Adapters map SDK exceptions to these (with
 * `cause`); nothing above an adapter checks an SDK exception type. Lambdas map them to
 * outcomes in one middy `onError`.
 *
 * @module
 */

/** Base class: every error the autoscaler raises on purpose. */
export class AutoscalerError extends Error {
  /** Whether retrying the same input may succeed (throttling, capacity). */
  public readonly retryable: boolean;
  public constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AutoscalerError';
    this.retryable = options.retryable ?? false;
  }
}

/** An inbound event does not match its schema; `field` names the first offending field. */
export class InvalidEventError extends AutoscalerError {
  public readonly field: string;
  public readonly detailType: string | undefined;
  public readonly roomId: string | undefined;
  public constructor(message: string, field: string, detailType?: string, roomId?: string) {
    super(message);
    this.name = 'InvalidEventError';
    this.field = field;
    this.detailType = detailType;
    this.roomId = roomId;
  }
}

/** EC2 has no capacity for this offering (instance type × subnet) right now. */
export class InsufficientCapacityError extends AutoscalerError {
  public readonly instanceType: string;
  public readonly subnetId: string | undefined;
  public readonly code: string;
  public constructor(code: string, instanceType: string, subnetId: string | undefined, cause?: unknown) {
    super(`${code}: no capacity for ${instanceType}${subnetId ? ` in ${subnetId}` : ''}`, { cause, retryable: true });
    this.name = 'InsufficientCapacityError';
    this.code = code;
    this.instanceType = instanceType;
    this.subnetId = subnetId;
  }
}

/** An account limit (instance count, vCPU quota) blocks launches; retrying will not help. */
export class LaunchQuotaError extends AutoscalerError {
  public readonly code: string;
  public constructor(code: string, message: string, cause?: unknown) {
    super(`${code}: ${message}`, { cause, retryable: false });
    this.name = 'LaunchQuotaError';
    this.code = code;
  }
}

/** Every offering failed for capacity reasons; `failures` lists each try. */
export class NoCapacityAvailableError extends AutoscalerError {
  public readonly failures: readonly InsufficientCapacityError[];
  public constructor(failures: readonly InsufficientCapacityError[]) {
    super(`no offering had capacity (${failures.map((f) => `${f.instanceType}/${f.subnetId ?? '-'}`).join(', ')})`, {
      retryable: true,
    });
    this.name = 'NoCapacityAvailableError';
    this.failures = failures;
  }
}

/** A configuration parameter is missing or does not validate. */
export class ConfigSourceError extends AutoscalerError {
  public readonly parameter: string;
  public constructor(parameter: string, message: string, cause?: unknown) {
    super(`${parameter}: ${message}`, { cause });
    this.name = 'ConfigSourceError';
    this.parameter = parameter;
  }
}

/** A store call failed in a way the caller cannot fix (not a lost conditional race). */
export class FleetStoreError extends AutoscalerError {
  public constructor(message: string, cause?: unknown, retryable = true) {
    super(message, { cause, retryable });
    this.name = 'FleetStoreError';
  }
}

/** Publishing events failed for some entries; `failed` counts them. */
export class PublishError extends AutoscalerError {
  public readonly failed: number;
  public constructor(failed: number, message: string, cause?: unknown) {
    super(message, { cause, retryable: true });
    this.name = 'PublishError';
    this.failed = failed;
  }
}

/** One instance EC2 refused to stop, and why (EC2 error code and message). */
export interface RefusedStop {
  readonly instanceId: string;
  /** EC2 error code, e.g. `UnsupportedHibernationConfiguration`, `UnsupportedOperation`. */
  readonly code: string;
  readonly message: string;
}

/**
 * `StopInstances` refused some warm-pool nodes (e.g. `UnsupportedHibernationConfiguration`: the
 * node cannot hibernate); the others in the same request were stopped. Not retryable: the caller
 * terminates the refused nodes or stops them without hibernation — the provider never does that
 * on its own.
 */
export class StopRefusedError extends AutoscalerError {
  /** `'hibernate'` when the request asked for hibernation. */
  public readonly action: 'stop' | 'hibernate';
  public readonly refused: readonly RefusedStop[];
  /** Instances of the same request that were stopped. */
  public readonly stopped: readonly string[];
  public constructor(action: 'stop' | 'hibernate', refused: readonly RefusedStop[], stopped: readonly string[]) {
    super(`${action} refused for ${refused.map((r) => `${r.instanceId}: ${r.code}: ${r.message}`).join('; ')}`);
    this.name = 'StopRefusedError';
    this.action = action;
    this.refused = refused;
    this.stopped = stopped;
  }
}
