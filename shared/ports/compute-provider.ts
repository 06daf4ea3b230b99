/**
 * Port: the compute the autoscaler launches and terminates (EC2, or the simulated fleet).
 *
 * @module
 */
import type { PoolConfig } from '../domain/config.ts';

/** A request to launch nodes for a pool. */
export interface LaunchRequest {
  readonly pool: PoolConfig;
  /** Nodes to launch (≥ 1). */
  readonly count: number;
  /**
   * Id of the scaling decision; the provider derives the EC2 `ClientToken` from it (per
   * offering tried) so a retried decision never launches twice.
   */
  readonly decisionId: string;
  /** Rendered user-data (plain text; the provider base64-encodes it). */
  readonly userData?: string | undefined;
  /** Epoch ms, for marking offerings unavailable. */
  readonly now: number;
}

/** An instance the provider launched. */
export interface LaunchedInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly subnetId?: string | undefined;
  readonly availabilityZone?: string | undefined;
}

/** Outcome of one offering (instance type × subnet) that failed during a launch. */
export interface LaunchFailure {
  readonly instanceType: string;
  readonly subnetId?: string | undefined;
  /** EC2 error code, e.g. `InsufficientInstanceCapacity`. */
  readonly code: string;
  readonly message: string;
}

/** What a launch achieved: possibly fewer instances than asked for (partial success). */
export interface LaunchResult {
  readonly instances: readonly LaunchedInstance[];
  /** Offerings that failed for capacity reasons before one (or none) succeeded. */
  readonly failures: readonly LaunchFailure[];
}

/** An instance as the provider describes it (found by the fleet's tags). */
export interface InstanceDescription {
  readonly instanceId: string;
  readonly pool: string;
  /** EC2 state name: pending | running | shutting-down | terminated | stopping | stopped. */
  readonly state: string;
  readonly instanceType: string;
  /** When EC2 launched it, epoch ms. */
  readonly launchTime?: number | undefined;
}

/**
 * Launch and terminate media nodes.
 *
 * Errors: `launch` throws {@link LaunchQuotaError} when an account limit blocks every launch,
 * {@link NoCapacityAvailableError} when every offering lacked capacity, and
 * {@link AutoscalerError} (retryable) for other failures; a partial success returns normally.
 * `terminate` is idempotent (already terminated ids are not an error).
 */
export interface ComputeProvider {
  launch(request: LaunchRequest): Promise<LaunchResult>;
  terminate(instanceIds: readonly string[]): Promise<void>;
  /** Instances tagged for this fleet (optionally one pool), not yet terminated. */
  describeFleet(pool?: string): Promise<readonly InstanceDescription[]>;
}
