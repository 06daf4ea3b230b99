import { describe, expect, it } from 'vitest';
import {
  OFFERING_UNAVAILABLE_MS,
  isOfferingAvailable,
  offeringKey,
  offeringsMarkedUnavailable,
  orderOfferings,
} from '../../../shared/domain/offerings.ts';

const TYPES = ['c6i.2xlarge', 'c5.2xlarge'];
const SUBNETS = ['subnet-a', 'subnet-b', 'subnet-c'];
const NOW = 1_000_000;

const keys = (offerings: readonly { key: string }[]): string[] => offerings.map((o) => o.key);

describe('Function: offeringKey', () => {
  it('joins instance type and subnet with a slash', () => {
    // Prepare / Act
    const key = offeringKey('c6i.2xlarge', 'subnet-0a1b');

    // Assess
    expect(key).toBe('c6i.2xlarge/subnet-0a1b');
  });
});

describe('Function: orderOfferings', () => {
  it.each([
    {
      name: 'keeps instance types in configured order, each across all subnets',
      rotation: 0,
      unavailable: new Map<string, number>(),
      expected: [
        'c6i.2xlarge/subnet-a',
        'c6i.2xlarge/subnet-b',
        'c6i.2xlarge/subnet-c',
        'c5.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
        'c5.2xlarge/subnet-c',
      ],
    },
    {
      name: 'rotates the subnets by the rotation',
      rotation: 1,
      unavailable: new Map<string, number>(),
      expected: [
        'c6i.2xlarge/subnet-b',
        'c6i.2xlarge/subnet-c',
        'c6i.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
        'c5.2xlarge/subnet-c',
        'c5.2xlarge/subnet-a',
      ],
    },
    {
      name: 'takes the rotation modulo the subnet count',
      rotation: 3 * 1_000 + 2,
      unavailable: new Map<string, number>(),
      expected: [
        'c6i.2xlarge/subnet-c',
        'c6i.2xlarge/subnet-a',
        'c6i.2xlarge/subnet-b',
        'c5.2xlarge/subnet-c',
        'c5.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
      ],
    },
    {
      name: 'accepts a negative rotation',
      rotation: -1,
      unavailable: new Map<string, number>(),
      expected: [
        'c6i.2xlarge/subnet-c',
        'c6i.2xlarge/subnet-a',
        'c6i.2xlarge/subnet-b',
        'c5.2xlarge/subnet-c',
        'c5.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
      ],
    },
    {
      name: 'skips offerings marked unavailable until after now',
      rotation: 0,
      unavailable: new Map([
        ['c6i.2xlarge/subnet-a', NOW + 1],
        ['c5.2xlarge/subnet-c', NOW + OFFERING_UNAVAILABLE_MS],
      ]),
      expected: ['c6i.2xlarge/subnet-b', 'c6i.2xlarge/subnet-c', 'c5.2xlarge/subnet-a', 'c5.2xlarge/subnet-b'],
    },
    {
      name: 'includes offerings whose unavailability ended at or before now',
      rotation: 0,
      unavailable: new Map([
        ['c6i.2xlarge/subnet-a', NOW],
        ['c6i.2xlarge/subnet-b', NOW - 1],
      ]),
      expected: [
        'c6i.2xlarge/subnet-a',
        'c6i.2xlarge/subnet-b',
        'c6i.2xlarge/subnet-c',
        'c5.2xlarge/subnet-a',
        'c5.2xlarge/subnet-b',
        'c5.2xlarge/subnet-c',
      ],
    },
    {
      name: 'returns nothing when every offering is unavailable',
      rotation: 0,
      unavailable: new Map(TYPES.flatMap((t) => SUBNETS.map((s) => [offeringKey(t, s), NOW + 10] as const))),
      expected: [],
    },
  ])('$name', ({ rotation, unavailable, expected }) => {
    // Prepare / Act
    const offerings = orderOfferings(TYPES, SUBNETS, unavailable, NOW, rotation);

    // Assess
    expect(keys(offerings)).toEqual(expected);
  });

  it('tries a duplicated instance type or subnet once', () => {
    // Prepare / Act
    const offerings = orderOfferings(['c6i.2xlarge', 'c6i.2xlarge'], ['subnet-a', 'subnet-a'], new Map(), NOW);

    // Assess
    expect(offerings).toEqual([{ instanceType: 'c6i.2xlarge', subnetId: 'subnet-a', key: 'c6i.2xlarge/subnet-a' }]);
  });

  it('returns nothing when there is no subnet', () => {
    // Prepare / Act
    const offerings = orderOfferings(TYPES, [], new Map(), NOW, 5);

    // Assess
    expect(offerings).toEqual([]);
  });
});

describe('Function: isOfferingAvailable', () => {
  it.each([
    { until: undefined, expected: true },
    { until: NOW - 1, expected: true },
    { until: NOW, expected: true },
    { until: NOW + 1, expected: false },
  ])('is $expected when the offering is marked until $until (now = 1000000)', ({ until, expected }) => {
    // Prepare
    const unavailable = new Map<string, number>(until === undefined ? [] : [['k', until]]);

    // Act / Assess
    expect(isOfferingAvailable(unavailable, 'k', NOW)).toBe(expected);
  });
});

describe('Function: offeringsMarkedUnavailable', () => {
  it.each([
    { scope: 'offering' as const, expected: ['c6i.2xlarge/subnet-b'] },
    { scope: 'subnet' as const, expected: ['c6i.2xlarge/subnet-b', 'c5.2xlarge/subnet-b'] },
  ])('marks $expected after a failure of scope $scope', ({ scope, expected }) => {
    // Prepare
    const failed = { instanceType: 'c6i.2xlarge', subnetId: 'subnet-b' };

    // Act
    const keys = offeringsMarkedUnavailable(failed, [...TYPES, 'c6i.2xlarge'], scope);

    // Assess
    expect(keys).toEqual(expected);
  });
});

describe('Constant: OFFERING_UNAVAILABLE_MS', () => {
  it('is three minutes, as Karpenter UnavailableOfferingsTTL', () => {
    // Prepare / Act / Assess
    expect(OFFERING_UNAVAILABLE_MS).toBe(3 * 60 * 1000);
  });
});
