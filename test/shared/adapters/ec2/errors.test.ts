import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  ec2Failure,
  errorCode,
  isAddressTaken,
  isIdempotentParameterMismatch,
  isNotFound,
  isQuotaExceeded,
  isRetryable,
  isSubnetCapacity,
  isThrottled,
  isUnfulfillableCapacity,
} from '../../../../shared/adapters/ec2/errors.ts';
import { AutoscalerError } from '../../../../shared/errors.ts';

function sdkError(code: string, fault: 'client' | 'server' = 'client'): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: fault, $metadata: {}, message: `${code}: test` });
}

describe('Function: errorCode', () => {
  it.each([
    { name: 'an SDK service error', error: sdkError('VcpuLimitExceeded'), expected: 'VcpuLimitExceeded' },
    { name: 'an error whose Code differs from its name', error: Object.assign(new Error('x'), { Code: 'InvalidAddress.NotFound' }), expected: 'InvalidAddress.NotFound' },
    { name: 'an error with an empty Code', error: Object.assign(new Error('x'), { Code: '', name: 'Throttling' }), expected: 'Throttling' },
    { name: 'a thrown string', error: 'boom', expected: 'UnknownError' },
    { name: 'undefined', error: undefined, expected: 'UnknownError' },
  ])('reads $expected from $name', ({ error, expected }) => {
    // Prepare / Act / Assess
    expect(errorCode(error)).toBe(expected);
  });
});

describe('EC2 error predicates', () => {
  it.each([
    // capacity: try the next offering
    { code: 'InsufficientInstanceCapacity', capacity: true, quota: false, subnet: false },
    { code: 'UnfulfillableCapacity', capacity: true, quota: false, subnet: false },
    { code: 'Unsupported', capacity: true, quota: false, subnet: false },
    { code: 'InsufficientFreeAddressesInSubnet', capacity: true, quota: false, subnet: true },
    { code: 'ReservationCapacityExceeded', capacity: true, quota: false, subnet: false },
    { code: 'InsufficientCapacity', capacity: true, quota: false, subnet: false },
    { code: 'InsufficientHostCapacity', capacity: true, quota: false, subnet: false },
    { code: 'InsufficientCapacityOnHost', capacity: true, quota: false, subnet: false },
    { code: 'InsufficientReservedInstanceCapacity', capacity: true, quota: false, subnet: false },
    { code: 'SpotMaxPriceTooLow', capacity: true, quota: false, subnet: false },
    // quota: stop the launch
    { code: 'InstanceLimitExceeded', capacity: false, quota: true, subnet: false },
    { code: 'VcpuLimitExceeded', capacity: false, quota: true, subnet: false },
    { code: 'MaxSpotInstanceCountExceeded', capacity: false, quota: true, subnet: false },
    { code: 'PendingVerification', capacity: false, quota: true, subnet: false },
    { code: 'AddressLimitExceeded', capacity: false, quota: true, subnet: false },
    // neither
    { code: 'RequestLimitExceeded', capacity: false, quota: false, subnet: false },
    { code: 'UnauthorizedOperation', capacity: false, quota: false, subnet: false },
    { code: 'InvalidParameterValue', capacity: false, quota: false, subnet: false },
    { code: 'insufficientinstancecapacity', capacity: false, quota: false, subnet: false },
  ])('classifies $code as capacity=$capacity quota=$quota subnet-wide=$subnet', ({ code, capacity, quota, subnet }) => {
    // Prepare
    const error = sdkError(code);

    // Act / Assess
    expect(isUnfulfillableCapacity(error)).toBe(capacity);
    expect(isQuotaExceeded(error)).toBe(quota);
    expect(isSubnetCapacity(error)).toBe(subnet);
  });

  it('classifies a value that is not an error as nothing in particular', () => {
    // Prepare / Act / Assess
    for (const predicate of [isUnfulfillableCapacity, isQuotaExceeded, isSubnetCapacity, isThrottled, isNotFound, isAddressTaken]) {
      expect(predicate(undefined)).toBe(false);
    }
  });

  it.each([
    { code: 'InvalidInstanceID.NotFound', notFound: true, taken: false },
    { code: 'InvalidAllocationID.NotFound', notFound: true, taken: true },
    { code: 'InvalidAssociationID.NotFound', notFound: true, taken: false },
    { code: 'InvalidAddress.NotFound', notFound: true, taken: false },
    { code: 'Resource.AlreadyAssociated', notFound: false, taken: true },
    { code: 'UnauthorizedOperation', notFound: false, taken: false },
  ])('reads $code as not-found=$notFound, address-taken=$taken', ({ code, notFound, taken }) => {
    // Prepare / Act / Assess
    expect(isNotFound(sdkError(code))).toBe(notFound);
    expect(isAddressTaken(sdkError(code))).toBe(taken);
  });

  it('tells a ClientToken reused with other parameters', () => {
    // Prepare / Act / Assess
    expect(isIdempotentParameterMismatch(sdkError('IdempotentParameterMismatch'))).toBe(true);
    expect(isIdempotentParameterMismatch(sdkError('InvalidParameterValue'))).toBe(false);
  });
});

describe('Function: isRetryable', () => {
  it.each([
    { name: 'throttling (a client fault)', error: sdkError('RequestLimitExceeded'), expected: true, throttled: true },
    { name: 'ThrottlingException', error: sdkError('ThrottlingException'), expected: true, throttled: true },
    { name: 'a server fault', error: sdkError('InternalError', 'server'), expected: true, throttled: false },
    { name: 'an SDK-flagged retryable client fault', error: Object.assign(sdkError('Whatever'), { $retryable: {} }), expected: true, throttled: false },
    { name: 'a network error (no AWS answer)', error: new Error('socket hang up'), expected: true, throttled: false },
    { name: 'a permission error', error: sdkError('UnauthorizedOperation'), expected: false, throttled: false },
    { name: 'a quota', error: sdkError('VcpuLimitExceeded'), expected: false, throttled: false },
  ])('is $expected for $name', ({ error, expected, throttled }) => {
    // Prepare / Act / Assess
    expect(isRetryable(error)).toBe(expected);
    expect(isThrottled(error)).toBe(throttled);
  });
});

describe('Function: ec2Failure', () => {
  it('names the call, the code and the message, keeps the cause, and is retryable as the error is', () => {
    // Prepare
    const cause = sdkError('RequestLimitExceeded');

    // Act
    const failure = ec2Failure('DescribeAddresses (fleet prod)', cause);

    // Assess
    expect(failure).toBeInstanceOf(AutoscalerError);
    expect(failure).toMatchObject({
      message: 'DescribeAddresses (fleet prod): RequestLimitExceeded: RequestLimitExceeded: test',
      retryable: true,
      cause,
    });
  });

  it('lets the caller decide retryability', () => {
    // Prepare / Act / Assess
    expect(ec2Failure('AllocateAddress', sdkError('InternalError', 'server'), false).retryable).toBe(false);
  });
});
