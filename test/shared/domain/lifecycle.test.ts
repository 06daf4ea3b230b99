import { describe, expect, it } from 'vitest';
import {
  canTransition,
  EC2_STATES,
  isStaleEc2Event,
  isStaleNodeReady,
  NODE_STATES,
  NODE_TRANSITIONS,
  onEc2State,
  statesInto,
  type Ec2Reaction,
  type Ec2State,
} from '../../../shared/domain/lifecycle.ts';
import type { NodeState } from '../../../shared/domain/model.ts';

/** A reaction written compactly: `ignore`, `close`, `move:<state>`, with `+assoc` / `+release`. */
function code(r: Ec2Reaction): string {
  const base = r.action === 'move' ? `move:${r.to}` : r.action;
  const assoc = r.action !== 'close' && r.associateAddresses ? '+assoc' : '';
  const release = r.action !== 'close' && r.releaseStoppedAddresses ? '+release' : '';
  return `${base}${assoc}${release}`;
}

/** Every (node state × EC2 state) pair, fresh events: rows node states, columns in EC2_STATES order. */
const EXPECTED: Record<NodeState, Record<Ec2State, string>> = {
  //             pending           running                    stopping          stopped                  shutting-down  terminated
  launching:   { pending: 'ignore', running: 'move:booting+assoc', stopping: 'close', stopped: 'close', 'shutting-down': 'close', terminated: 'close' },
  booting:     { pending: 'ignore', running: 'ignore+assoc', stopping: 'close', stopped: 'close', 'shutting-down': 'close', terminated: 'close' },
  ready:       { pending: 'ignore', running: 'ignore', stopping: 'close', stopped: 'close', 'shutting-down': 'close', terminated: 'close' },
  draining:    { pending: 'ignore', running: 'ignore', stopping: 'close', stopped: 'close', 'shutting-down': 'close', terminated: 'close' },
  stopping:    { pending: 'ignore', running: 'ignore', stopping: 'ignore', stopped: 'move:stopped+release', 'shutting-down': 'close', terminated: 'close' },
  stopped:     { pending: 'move:starting', running: 'move:starting+assoc', stopping: 'ignore', stopped: 'ignore+release', 'shutting-down': 'close', terminated: 'close' },
  starting:    { pending: 'ignore', running: 'ignore+assoc', stopping: 'move:stopping', stopped: 'move:stopped+release', 'shutting-down': 'close', terminated: 'close' },
  terminating: { pending: 'ignore', running: 'ignore', stopping: 'ignore', stopped: 'ignore', 'shutting-down': 'close', terminated: 'close' },
  terminated:  { pending: 'ignore', running: 'ignore', stopping: 'ignore', stopped: 'ignore', 'shutting-down': 'ignore', terminated: 'ignore' },
};

const PAIRS = NODE_STATES.flatMap((node) => EC2_STATES.map((ec2) => ({ node, ec2, expected: EXPECTED[node][ec2] })));

describe('Function: onEc2State', () => {
  it('covers every node state and every EC2 state', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...NODE_STATES].sort());
    expect(PAIRS).toHaveLength(9 * 6);
  });

  it.each(PAIRS)('$node node, EC2 $ec2 → $expected', ({ node, ec2, expected }) => {
    // Act
    const reaction = onEc2State(node, ec2);

    // Assess
    expect(code(reaction)).toBe(expected);
    expect(reaction.why.length).toBeGreaterThan(0);
  });

  it.each(PAIRS)('every move it asks for is a legal transition ($node, $ec2)', ({ node, ec2 }) => {
    const reaction = onEc2State(node, ec2);
    if (reaction.action === 'move') expect(canTransition(node, reaction.to)).toBe(true);
    if (reaction.action === 'close') expect(canTransition(node, 'terminated')).toBe(true);
  });

  it.each(PAIRS.filter((p) => p.ec2 !== 'shutting-down' && p.ec2 !== 'terminated'))('a stale $ec2 event changes nothing for a $node node', ({ node, ec2 }) => {
    // Act / Assess
    expect(code(onEc2State(node, ec2, true))).toBe('ignore');
  });

  it.each(NODE_STATES.filter((s) => s !== 'terminated'))('closes a %s node on a final EC2 state even when the event looks stale', (node) => {
    expect(onEc2State(node, 'terminated', true).action).toBe('close');
    expect(onEc2State(node, 'shutting-down', true).action).toBe('close');
  });
});

describe('Function: isStaleEc2Event', () => {
  const S = 1_000;
  it.each([
    { node: 'ready', ec2: 'stopped', event: 100 * S, changed: 200 * S, stale: true, why: 'the stop before the last start, delivered late' },
    { node: 'ready', ec2: 'stopped', event: 300 * S, changed: 200 * S, stale: false, why: 'a stop after the record became ready' },
    { node: 'ready', ec2: 'stopped', event: 200 * S, changed: 200 * S + 700, stale: false, why: 'same second (event times are whole seconds)' },
    { node: 'ready', ec2: 'stopped', event: 199 * S, changed: 200 * S + 700, stale: true, why: 'the second before' },
    { node: 'stopped', ec2: 'running', event: 100 * S, changed: 200 * S, stale: true, why: 'the running before the stop' },
    { node: 'ready', ec2: 'terminated', event: 100 * S, changed: 200 * S, stale: false, why: 'final states are never stale' },
    { node: 'starting', ec2: 'shutting-down', event: 100 * S, changed: 200 * S, stale: false, why: 'final states are never stale' },
    { node: 'launching', ec2: 'running', event: 100 * S, changed: 200 * S, stale: false, why: 'a first launch has no earlier state' },
    { node: 'booting', ec2: 'stopped', event: 100 * S, changed: 200 * S, stale: false, why: 'a first launch has no earlier state' },
    { node: 'ready', ec2: 'stopped', event: undefined, changed: 200 * S, stale: false, why: 'no event time' },
    { node: 'ready', ec2: 'stopped', event: 100 * S, changed: undefined, stale: false, why: 'no record time' },
  ] as const)('$node, $ec2 at $event vs $changed → $stale ($why)', ({ node, ec2, event, changed, stale }) => {
    expect(isStaleEc2Event(node, ec2, event, changed)).toBe(stale);
  });
});

describe('Function: isStaleNodeReady', () => {
  it.each([
    { node: 'starting', event: 100_000, changed: 200_000, stale: true },
    { node: 'starting', event: 240_000, changed: 200_000, stale: false },
    { node: 'starting', event: undefined, changed: 200_000, stale: false },
    { node: 'booting', event: 100_000, changed: 200_000, stale: false },
    { node: 'ready', event: 100_000, changed: 200_000, stale: false },
  ] as const)('$node node, NodeReady at $event vs change at $changed → $stale', ({ node, event, changed, stale }) => {
    expect(isStaleNodeReady(node, event, changed)).toBe(stale);
  });
});

describe('Function: canTransition', () => {
  it('allows the warm-pool cycle draining → stopping → stopped → starting → ready', () => {
    expect(canTransition('draining', 'stopping')).toBe(true);
    expect(canTransition('stopping', 'stopped')).toBe(true);
    expect(canTransition('stopped', 'starting')).toBe(true);
    expect(canTransition('starting', 'ready')).toBe(true);
  });

  it.each([
    ['ready', 'stopping'],
    ['stopped', 'ready'],
    ['stopping', 'starting'],
    ['terminated', 'launching'],
    ['terminated', 'ready'],
    ['starting', 'draining'],
    ['launching', 'stopped'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no self-moves and no way out of terminated; every state but terminated can be closed', () => {
    for (const s of NODE_STATES) {
      expect(canTransition(s, s)).toBe(false);
      expect(canTransition(s, 'terminated')).toBe(s !== 'terminated');
    }
    expect(NODE_TRANSITIONS.terminated).toEqual([]);
  });

  it('lists the states a move comes from', () => {
    expect(statesInto('terminated')).toEqual(['launching', 'booting', 'ready', 'draining', 'stopping', 'stopped', 'starting', 'terminating']);
    expect(statesInto('ready')).toEqual(['launching', 'booting', 'draining', 'starting', 'terminating']);
    expect(statesInto('starting')).toEqual(['stopped']);
  });
});
