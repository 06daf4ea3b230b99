import { describe, expect, it } from 'vitest';
import { CONTENTION_WINDOW_MS, decidePlacement, nodeLoads, rankCandidates, type PlacementCandidate } from '../../../shared/domain/placement.ts';

/** A container candidate: `nodeId/index` with `used` of `capacity` units. */
const c = (id: string, used: number, capacity = 10, accepting = true): PlacementCandidate => {
  const [nodeId = '', index = '0'] = id.split('/');
  return { nodeId, index: Number(index), capacity, used, accepting };
};
const ids = (cs: readonly PlacementCandidate[]): string[] => cs.map((x) => `${x.nodeId}/${x.index}`);
/** A random source that always returns `v`. */
const fixed = (v: number) => () => v;

describe('Function: rankCandidates', () => {
  it.each([
    {
      name: 'orders by least free first (best fit)',
      candidates: [c('a/0', 2), c('b/0', 7), c('c/0', 5)],
      weight: 1,
      expected: ['b/0', 'c/0', 'a/0'],
    },
    {
      name: 'breaks ties by node id then index',
      candidates: [c('b/1', 4), c('b/0', 4), c('a/1', 4)],
      weight: 1,
      expected: ['a/1', 'b/0', 'b/1'],
    },
    {
      name: 'drops containers that are not accepting',
      candidates: [c('a/0', 9, 10, false), c('b/0', 0)],
      weight: 1,
      expected: ['b/0'],
    },
    {
      name: 'drops containers whose free capacity is below the weight (rooms are never split)',
      candidates: [c('a/0', 8), c('b/0', 7), c('c/0', 10)],
      weight: 3,
      expected: ['b/0'],
    },
    {
      name: 'treats an over-full container as having no free capacity',
      candidates: [c('a/0', 12), c('b/0', 0)],
      weight: 1,
      expected: ['b/0'],
    },
    { name: 'returns nothing for no candidates', candidates: [], weight: 1, expected: [] },
  ])('$name', ({ candidates, weight, expected }) => {
    // Prepare / Act
    const ranked = rankCandidates(candidates, weight);

    // Assess
    expect(ids(ranked)).toEqual(expected);
  });
});

describe('Function: decidePlacement', () => {
  it.each([
    {
      name: 'places on the most loaded container that fits when spread is 1',
      candidates: [c('a/0', 1), c('b/0', 6), c('c/0', 9)],
      weight: 2,
      spread: 1,
      random: 0.99,
      expected: { kind: 'place', candidate: 'b/0', alternatives: ['a/0'] },
    },
    {
      name: 'picks the first of the top few when random is 0',
      candidates: [c('a/0', 1), c('b/0', 5), c('c/0', 7)],
      weight: 1,
      spread: 3,
      random: 0,
      expected: { kind: 'place', candidate: 'c/0', alternatives: ['b/0', 'a/0'] },
    },
    {
      name: 'picks the last of the top few when random is just below 1',
      candidates: [c('a/0', 1), c('b/0', 5), c('c/0', 7), c('d/0', 0)],
      weight: 1,
      spread: 3,
      random: 0.999_999,
      expected: { kind: 'place', candidate: 'a/0', alternatives: ['c/0', 'b/0', 'd/0'] },
    },
    {
      name: 'picks the middle of the top few for a middle random value',
      candidates: [c('a/0', 1), c('b/0', 5), c('c/0', 7)],
      weight: 1,
      spread: 3,
      random: 0.5,
      expected: { kind: 'place', candidate: 'b/0', alternatives: ['c/0', 'a/0'] },
    },
    {
      name: 'spreads only over the candidates that exist when spread exceeds them',
      candidates: [c('a/0', 1), c('b/0', 5)],
      weight: 1,
      spread: 10,
      random: 0.999_999,
      expected: { kind: 'place', candidate: 'a/0', alternatives: ['b/0'] },
    },
    {
      name: 'treats a spread below 1 as 1',
      candidates: [c('a/0', 1), c('b/0', 5)],
      weight: 1,
      spread: 0,
      random: 0.9,
      expected: { kind: 'place', candidate: 'b/0', alternatives: ['a/0'] },
    },
    {
      name: 'never places on a container that is not accepting, even the best fit',
      candidates: [c('a/0', 9, 10, false), c('b/0', 3)],
      weight: 1,
      spread: 1,
      random: 0,
      expected: { kind: 'place', candidate: 'b/0', alternatives: [] },
    },
    {
      name: 'never splits a room: queues when free capacity is only available in pieces',
      candidates: [c('a/0', 7), c('b/0', 7), c('c/0', 8)],
      weight: 4,
      spread: 3,
      random: 0,
      expected: { kind: 'queue', reason: 'no-capacity' },
    },
    {
      name: 'queues when nothing fits now',
      candidates: [c('a/0', 10), c('b/0', 9, 10, false)],
      weight: 1,
      spread: 3,
      random: 0,
      expected: { kind: 'queue', reason: 'no-capacity' },
    },
    {
      name: 'queues when there are no candidates at all',
      candidates: [],
      weight: 1,
      spread: 3,
      random: 0,
      expected: { kind: 'queue', reason: 'no-capacity' },
    },
    {
      name: 'rejects a room heavier than a container can ever hold',
      candidates: [c('a/0', 0)],
      weight: 11,
      spread: 3,
      random: 0,
      expected: { kind: 'reject', reason: 'too-heavy' },
    },
    {
      name: 'places a room exactly as heavy as an empty container',
      candidates: [c('a/0', 0), c('b/0', 1)],
      weight: 10,
      spread: 3,
      random: 0,
      expected: { kind: 'place', candidate: 'a/0', alternatives: [] },
    },
  ])('$name', ({ candidates, weight, spread, random, expected }) => {
    // Prepare / Act
    const decision = decidePlacement(candidates, weight, 10, spread, fixed(random));

    // Assess
    if (decision.kind === 'place') {
      expect({ kind: decision.kind, candidate: ids([decision.candidate])[0], alternatives: ids(decision.alternatives) }).toEqual(expected);
    } else {
      expect(decision).toEqual(expected);
    }
  });

  it('keeps the candidate object it was given (generic over the candidate type)', () => {
    // Prepare
    const candidate = { ...c('a/0', 3), privateIp: '10.0.0.1' };

    // Act
    const decision = decidePlacement([candidate], 1, 10, 3, fixed(0));

    // Assess
    expect(decision).toEqual({ kind: 'place', candidate, alternatives: [] });
  });

  it.each([0, 0.1, 0.34, 0.5, 0.67, 0.9, 0.999_999])('picks only among the top `spread` candidates when random is %s', (r) => {
    // Prepare
    const candidates = [c('a/0', 0), c('b/0', 2), c('c/0', 4), c('d/0', 6), c('e/0', 8)];

    // Act
    const decision = decidePlacement(candidates, 1, 10, 3, fixed(r));

    // Assess
    expect(decision.kind).toBe('place');
    if (decision.kind === 'place') {
      expect(['e/0', 'd/0', 'c/0']).toContain(ids([decision.candidate])[0]);
      expect(decision.alternatives).toHaveLength(4);
      expect(decision.alternatives).not.toContain(decision.candidate);
    }
  });
});

describe('Function: nodeLoads', () => {
  it('sums the containers given and counts each missing container of a node as full', () => {
    // Prepare: a/0 did not fit (the query left it out); b shows both containers
    const candidates = [c('a/1', 2), c('b/0', 1), c('b/1', 0)];

    // Act
    const loads = nodeLoads(candidates, 2);

    // Assess
    expect(Object.fromEntries(loads)).toEqual({ a: 12, b: 1 });
  });
});

describe('Function: rankCandidates (node-level tie-break)', () => {
  it.each([
    {
      name: 'puts an empty container beside a busy one before an empty node',
      candidates: [c('a/0', 0), c('a/1', 0), c('b/1', 0)], // b/0 is full (not returned)
      expected: ['b/1', 'a/0', 'a/1'],
    },
    {
      name: 'still ranks by container free first',
      candidates: [c('a/0', 6), c('a/1', 6), c('b/1', 2)],
      expected: ['a/0', 'a/1', 'b/1'],
    },
    {
      name: 'prefers the more loaded node among equally free containers',
      candidates: [c('a/0', 3), c('a/1', 1), c('b/0', 3), c('b/1', 5)],
      expected: ['b/1', 'b/0', 'a/0', 'a/1'],
    },
  ])('$name', ({ candidates, expected }) => {
    // Prepare / Act
    const ranked = rankCandidates(candidates, 1, 2);

    // Assess
    expect(ids(ranked)).toEqual(expected);
  });
});

describe('Function: decidePlacement (spread only under contention)', () => {
  const NOW = 1_767_600_000_000;
  const recent = (p: PlacementCandidate, agoMs: number): PlacementCandidate => ({ ...p, lastPlacedAt: NOW - agoMs });

  it.each([
    { name: 'takes the best fit when no top candidate took a room recently', ago: [60_000, undefined, 5_000], random: 0.999, expected: 'c/0' },
    { name: 'takes the best fit when the last placement is exactly one window old', ago: [CONTENTION_WINDOW_MS, undefined, undefined], random: 0.999, expected: 'c/0' },
    { name: 'spreads when a top candidate took a room within the window', ago: [undefined, 200, undefined], random: 0.999, expected: 'a/0' },
  ])('$name', ({ ago, random, expected }) => {
    // Prepare: best fit c/0, then b/0, then a/0
    const base = [c('a/0', 1), c('b/0', 5), c('c/0', 7)];
    const candidates = base.map((p, i) => (ago[i] === undefined ? p : recent(p, ago[i] as number)));

    // Act
    const decision = decidePlacement(candidates, 1, 10, 3, fixed(random), { now: NOW });

    // Assess
    expect(decision.kind === 'place' ? ids([decision.candidate])[0] : decision.kind).toBe(expected);
  });

  it('draws no random number when it takes the best fit', () => {
    // Prepare
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.5;
    };

    // Act
    decidePlacement([c('a/0', 1), c('b/0', 5)], 1, 10, 3, random, { now: NOW });

    // Assess
    expect(draws).toBe(0);
  });
});
