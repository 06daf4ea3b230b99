/**
 * Lifetime-aware placement (placement.ts `rankByLifetime`, `nodeEnds`, and `decidePlacement`
 * with a room's predicted end).
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { decidePlacement, LIFETIME_CLASS_MS, nodeEnds, rankByLifetime, type PlacementCandidate } from '../../../shared/domain/placement.ts';

const NOW = 1_800_000_000_000;
const MIN = 60_000;

/** A container `nodeId/index` with `used` of 10 units, hosting rooms predicted to end `ends` minutes from now. */
const c = (id: string, used: number, ends: readonly number[] = []): PlacementCandidate => {
  const [nodeId = '', index = '0'] = id.split('/');
  return { nodeId, index: Number(index), capacity: 10, used, accepting: true, ...(ends.length ? { roomEnds: ends.map((m) => NOW + m * MIN) } : {}) };
};
const ids = (cs: readonly PlacementCandidate[]): string[] => cs.map((x) => `${x.nodeId}/${x.index}`);
const never = () => 0;

describe('Function: nodeEnds', () => {
  it('is the latest predicted end over each node’s candidate containers, never before now', () => {
    // Prepare
    const candidates = [c('a/0', 5, [10, 40]), c('a/1', 2, [70]), c('b/0', 3, [-30]), c('e/0', 0)];

    // Act
    const ends = nodeEnds(candidates, NOW);

    // Assess: a → 70 min; b's only room is past its end (counts as now); e has none
    expect(ends).toEqual(new Map([['a', NOW + 70 * MIN], ['b', NOW]]));
  });
});

describe('Function: rankByLifetime', () => {
  it.each([
    {
      name: 'sends a long room to the node that stays anyway, not to the fuller one emptying soon',
      ranked: [c('full/0', 8, [10]), c('long/0', 3, [240])],
      roomEnd: 120,
      expected: ['long/0', 'full/0'],
    },
    {
      name: 'among nodes it does not outlive, prefers the least slack',
      ranked: [c('late/0', 8, [300]), c('close/0', 4, [65])],
      roomEnd: 60,
      expected: ['close/0', 'late/0'],
    },
    {
      name: 'keeps best fit among nodes in the same class of slack',
      ranked: [c('a/0', 8, [62]), c('b/0', 4, [61])],
      roomEnd: 60,
      expected: ['a/0', 'b/0'],
    },
    {
      name: 'when the room outlives every node, prefers the least extension, an empty node last',
      ranked: [c('empty/0', 9), c('soon/0', 7, [5]), c('later/0', 2, [50])],
      roomEnd: 90,
      expected: ['later/0', 'soon/0', 'empty/0'],
    },
  ])('$name', ({ ranked, roomEnd, expected }) => {
    // Prepare / Act
    const out = rankByLifetime(ranked, NOW + roomEnd * MIN, NOW, 5 * MIN);

    // Assess
    expect(ids(out)).toEqual(expected);
  });

  it('with one class (Infinity) only separates "does not extend the node" from "extends it", best fit within', () => {
    // Prepare
    const ranked = [c('x/0', 9, [20]), c('y/0', 6, [500]), c('z/0', 5, [100])];

    // Act
    const out = rankByLifetime(ranked, NOW + 60 * MIN, NOW, Infinity);

    // Assess
    expect(ids(out)).toEqual(['y/0', 'z/0', 'x/0']);
  });

  it('uses 30-minute classes by default', () => {
    // Prepare: slack 3 min and 20 min fall in one default class: best fit decides
    const ranked = [c('fuller/0', 8, [80]), c('closer/0', 4, [63])];

    // Act / Assess
    expect(LIFETIME_CLASS_MS).toBe(30 * MIN);
    expect(ids(rankByLifetime(ranked, NOW + 60 * MIN, NOW))).toEqual(['fuller/0', 'closer/0']);
    expect(ids(rankByLifetime(ranked, NOW + 60 * MIN, NOW, 5 * MIN))).toEqual(['closer/0', 'fuller/0']);
  });
});

describe('Function: decidePlacement with a predicted end', () => {
  it('places by lifetime when the room has a predicted end and `now` is known', () => {
    // Prepare: best fit is i-short (8 used) whose rooms end in 10 min; the room lasts 2 h
    const candidates = [c('i-short/0', 8, [10]), c('i-long/0', 3, [180])];

    // Act
    const lifetime = decidePlacement(candidates, 2, 10, 1, never, { containersPerNode: 1, now: NOW, expectedEnd: NOW + 120 * MIN });
    const bestFit = decidePlacement(candidates, 2, 10, 1, never, { containersPerNode: 1, now: NOW });

    // Assess
    expect(lifetime).toMatchObject({ kind: 'place', candidate: { nodeId: 'i-long' }, alternatives: [{ nodeId: 'i-short' }] });
    expect(bestFit).toMatchObject({ kind: 'place', candidate: { nodeId: 'i-short' } });
  });

  it('never picks a container the room does not fit, whatever its node’s lifetime', () => {
    // Prepare: the long-lived node is full
    const candidates = [c('i-long/0', 9, [600]), c('i-short/0', 2, [5])];

    // Act
    const out = decidePlacement(candidates, 3, 10, 1, never, { now: NOW, expectedEnd: NOW + 120 * MIN });

    // Assess
    expect(out).toMatchObject({ kind: 'place', candidate: { nodeId: 'i-short' }, alternatives: [] });
  });
});
