/**
 * EC2 API errors, read in one place: the code of an SDK error and Karpenter-style predicates
 * over it, used by `Ec2ComputeProvider` and `Ec2ElasticIps`. The domain keeps the policy these
 * feed (fallback order and unavailable-offering marking, `shared/domain/offerings.ts`); the SDK's
 * codes stay here, in the adapter that owns the SDK.
 *
 * Sources:
 * - Karpenter (aws/karpenter-provider-aws), `pkg/errors/errors.go`: `IsUnfulfillableCapacity`,
 *   `unfulfillableCapacityErrorCodes` = InsufficientInstanceCapacity, MaxSpotInstanceCountExceeded,
 *   VcpuLimitExceeded, UnfulfillableCapacity, Unsupported, InsufficientFreeAddressesInSubnet,
 *   ReservationCapacityExceeded; `IsNotFound`.
 * - Amazon EC2 API Reference, "Error codes for the Amazon EC2 API"
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 *
 * @module
 */
import { AutoscalerError } from '../../errors.ts';

/**
 * EC2 error codes that mean "this offering (instance type × subnet/AZ) cannot be launched right
 * now; another offering may work". Karpenter's `unfulfillableCapacityErrorCodes` minus the two
 * account-wide quotas (see {@link QUOTA_CODES}), plus the other insufficient-capacity codes of the
 * EC2 API error reference.
 */
export const UNFULFILLABLE_CAPACITY_CODES: ReadonlySet<string> = new Set([
  // Karpenter pkg/errors/errors.go
  'InsufficientInstanceCapacity',
  'UnfulfillableCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'ReservationCapacityExceeded',
  // EC2 API error reference
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientReservedInstanceCapacity',
  // Spot: the price cap is below the Spot price of this type in this AZ; another may be cheaper.
  'SpotMaxPriceTooLow',
]);

/**
 * EC2 error codes for account-wide limits: every offering would fail the same way, so a launch
 * stops at once, and an Elastic IP allocation is not retried until an operator raises the quota.
 * `VcpuLimitExceeded` and `MaxSpotInstanceCountExceeded` are in Karpenter's unfulfillable list
 * because Karpenter can fall back to another capacity type (Spot ↔ On-Demand) in one CreateFleet
 * call; this provider's launch template fixes the market, and the vCPU quota covers all the
 * same-family (Standard: C, M, R, …) types a pool lists, so here they are quotas. Karpenter itself
 * reports them as `VCPULimitExceeded` / `SpotQuotaExceeded` and maps `PendingVerification` to
 * `AccountPendingVerification` (`ToReasonMessage`). `AddressLimitExceeded` is the Elastic IP quota.
 */
export const QUOTA_CODES: ReadonlySet<string> = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'PendingVerification',
  'AddressLimitExceeded',
]);

/** Error codes the SDK reports for EC2 API throttling. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/** Codes meaning "no such resource (any more)": an instance or an address already gone. */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidAllocationID.NotFound',
  'InvalidAssociationID.NotFound',
  'InvalidAddress.NotFound',
]);

/** Codes after which another free address (or a retry) may succeed: someone else took it first. */
const ADDRESS_TAKEN_CODES: ReadonlySet<string> = new Set(['Resource.AlreadyAssociated', 'InvalidAllocationID.NotFound']);

/**
 * The EC2 error code of an SDK error: its `Code`, else its `name` (the SDK sets both to the code
 * for service errors), else `'UnknownError'` (a network error, a thrown non-error).
 *
 * @example
 * errorCode(new EC2ServiceException({ name: 'VcpuLimitExceeded', $fault: 'client', $metadata: {} })); // → 'VcpuLimitExceeded'
 */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { Code, name } = error as { Code?: unknown; name?: unknown };
    if (typeof Code === 'string' && Code) return Code;
    if (typeof name === 'string' && name) return name;
  }
  return 'UnknownError';
}

/** The message of an error, or the thrown value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the error means the offering lacks capacity now (mark it unavailable for
 * `OFFERING_UNAVAILABLE_MS` and try the next one).
 *
 * @example
 * isUnfulfillableCapacity(sdkError('InsufficientInstanceCapacity')); // → true
 * isUnfulfillableCapacity(sdkError('VcpuLimitExceeded')); // → false (a quota)
 */
export function isUnfulfillableCapacity(error: unknown): boolean {
  return UNFULFILLABLE_CAPACITY_CODES.has(errorCode(error));
}

/**
 * Whether the capacity failure concerns the whole subnet rather than one instance type in it
 * (`InsufficientFreeAddressesInSubnet`: every type in that subnet is marked unavailable).
 */
export function isSubnetCapacity(error: unknown): boolean {
  return errorCode(error) === 'InsufficientFreeAddressesInSubnet';
}

/**
 * Whether the error is an account limit that blocks every offering (retrying elsewhere will not
 * help; raise the quota).
 *
 * @example
 * isQuotaExceeded(sdkError('VcpuLimitExceeded')); // → true
 */
export function isQuotaExceeded(error: unknown): boolean {
  return QUOTA_CODES.has(errorCode(error));
}

/** Whether EC2 throttled the call (`RequestLimitExceeded`, …): retry later, more slowly. */
export function isThrottled(error: unknown): boolean {
  return THROTTLING_CODES.has(errorCode(error));
}

/** Whether the resource does not exist (any more): an idempotent delete has nothing left to do. */
export function isNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(errorCode(error));
}

/** Whether an address was taken (associated or released) by someone else meanwhile: try another. */
export function isAddressTaken(error: unknown): boolean {
  return ADDRESS_TAKEN_CODES.has(errorCode(error));
}

/**
 * Whether a retried `RunInstances` reused a `ClientToken` with different parameters (e.g. another
 * count): the instances the first request launched are to be adopted.
 */
export function isIdempotentParameterMismatch(error: unknown): boolean {
  return errorCode(error) === 'IdempotentParameterMismatch';
}

/**
 * Whether a retry may succeed: throttling, server faults, SDK-flagged retryables, or no AWS
 * answer at all (network); not client errors (permissions, invalid parameters, quotas).
 */
export function isRetryable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return true;
  const e = error as { $fault?: unknown; $retryable?: unknown };
  if (e.$retryable) return true;
  if (isThrottled(error)) return true;
  return e.$fault !== 'client';
}

/**
 * An EC2 failure as the `AutoscalerError` callers handle: `"<what>: <code>: <message>"`, the SDK
 * error as `cause`.
 *
 * @param retryable - default {@link isRetryable} of the error
 * @example
 * throw ec2Failure(`DescribeAddresses (fleet ${fleet})`, error);
 */
export function ec2Failure(what: string, error: unknown, retryable = isRetryable(error)): AutoscalerError {
  return new AutoscalerError(`${what}: ${errorCode(error)}: ${errorMessage(error)}`, { cause: error, retryable });
}
