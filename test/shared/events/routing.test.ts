import { describe, expect, it } from 'vitest';
import { matchesPattern, OUTBOUND_SOURCE, routeRules, type FunctionName } from '../../../shared/events/routing.ts';
import { AUTOSCALER_SOURCE, DEFAULT_APP_SOURCE, NODE_SOURCE, OutboundDetailSchemas } from '../../../shared/events/schemas.ts';
import { envelope, fixture } from '../../support/handlers.ts';

/** Functions an event is routed to, in rule order. */
function route(event: Record<string, unknown>, appSource = DEFAULT_APP_SOURCE): FunctionName[] {
  return routeRules(appSource)
    .filter((r) => matchesPattern(r.pattern, event))
    .map((r) => r.target);
}

describe('Function: matchesPattern', () => {
  it.each([
    { name: 'a value listed in the array', pattern: { source: ['a', 'b'] }, event: { source: 'b' }, matches: true },
    { name: 'a value not listed', pattern: { source: ['a'] }, event: { source: 'c' }, matches: false },
    { name: 'a missing field', pattern: { source: ['a'] }, event: {}, matches: false },
    { name: 'an array value with one listed element', pattern: { source: ['a'] }, event: { source: ['x', 'a'] }, matches: true },
    { name: 'an array value without a listed element', pattern: { source: ['a'] }, event: { source: ['x', 'y'] }, matches: false },
    { name: 'every key matching', pattern: { source: ['a'], 'detail-type': ['T'] }, event: { source: 'a', 'detail-type': 'T' }, matches: true },
    { name: 'one key not matching', pattern: { source: ['a'], 'detail-type': ['T'] }, event: { source: 'a', 'detail-type': 'U' }, matches: false },
    { name: 'a nested detail match', pattern: { detail: { state: ['running'] } }, event: { detail: { state: 'running', x: 1 } }, matches: true },
    { name: 'a nested detail mismatch', pattern: { detail: { state: ['running'] } }, event: { detail: { state: 'pending' } }, matches: false },
    { name: 'a nested pattern against a scalar', pattern: { detail: { state: ['running'] } }, event: { detail: 'running' }, matches: false },
    { name: 'an empty pattern', pattern: {}, event: { source: 'anything' }, matches: true },
    { name: 'case-sensitive values', pattern: { source: ['aws.ec2'] }, event: { source: 'AWS.EC2' }, matches: false },
  ])('returns $matches for $name', ({ pattern, event, matches }) => {
    // Act
    const result = matchesPattern(pattern, event);

    // Assess
    expect(result).toBe(matches);
  });
});

describe('Function: routeRules', () => {
  it.each([
    'aws.ec2/state-change-pending.json',
    'aws.ec2/state-change-running.json',
    'aws.ec2/state-change-terminated.json',
    'aws.ec2/spot-interruption-warning.json',
    'aws.ec2/rebalance-recommendation.json',
    'aws.cloudwatch/alarm-state-change.json',
  ])('routes the AWS sample %s to node-events only', (file) => {
    // Prepare
    const event = fixture(file);

    // Act
    const targets = route(event);

    // Assess
    expect(targets).toEqual(['node-events']);
  });

  it.each([
    { source: DEFAULT_APP_SOURCE, detailType: 'RoomCreated', target: 'room-events' },
    { source: DEFAULT_APP_SOURCE, detailType: 'RoomReleased', target: 'room-events' },
    { source: NODE_SOURCE, detailType: 'NodeReady', target: 'node-events' },
    { source: NODE_SOURCE, detailType: 'NodeUnhealthy', target: 'node-events' },
  ])('routes $detailType from $source to $target only', ({ source, detailType, target }) => {
    // Prepare
    const event = envelope(source, detailType, { roomId: 'r1' }, { id: 'e1' });

    // Act
    const targets = route(event);

    // Assess
    expect(targets).toEqual([target]);
  });

  it('routes room events from a configured application source, and not from the default one', () => {
    // Prepare
    const custom = envelope('tenant.webinars', 'RoomCreated', { roomId: 'r1' }, { id: 'e1' });
    const fromDefault = envelope(DEFAULT_APP_SOURCE, 'RoomCreated', { roomId: 'r1' }, { id: 'e2' });

    // Act
    const customTargets = route(custom, 'tenant.webinars');
    const defaultTargets = route(fromDefault, 'tenant.webinars');

    // Assess
    expect(customTargets).toEqual(['room-events']);
    expect(defaultTargets).toEqual([]);
  });

  it.each(Object.keys(OutboundDetailSchemas))('routes the autoscaler’s own outbound %s to no function', (detailType) => {
    // Prepare
    const event = envelope(AUTOSCALER_SOURCE, detailType, { roomId: 'r1', nodeId: 'i-1' }, { id: 'e1' });

    // Act
    const targets = route(event);

    // Assess
    expect(OUTBOUND_SOURCE).toBe(AUTOSCALER_SOURCE);
    expect(targets).toEqual([]);
  });

  it.each([
    { name: 'RoomCreated from another source', event: envelope('evil.app', 'RoomCreated', { roomId: 'r1' }, { id: 'e1' }) },
    { name: 'RoomCreated from the autoscaler', event: envelope(AUTOSCALER_SOURCE, 'RoomCreated', { roomId: 'r1' }, { id: 'e2' }) },
    { name: 'NodeReady from an application', event: envelope(DEFAULT_APP_SOURCE, 'NodeReady', { instanceId: 'i-1' }, { id: 'e3' }) },
    { name: 'an EC2 detail-type from another source', event: { ...fixture('aws.ec2/state-change-running.json'), source: 'app.rooms' } },
    { name: 'a scheduled event', event: envelope('aws.events', 'Scheduled Event', {}, { id: 'e4' }) },
  ])('routes $name to no function', ({ event }) => {
    // Act
    const targets = route(event);

    // Assess
    expect(targets).toEqual([]);
  });

  it('gives every rule a unique name', () => {
    // Act
    const names = routeRules(DEFAULT_APP_SOURCE).map((r) => r.name);

    // Assess
    expect(new Set(names).size).toBe(names.length);
  });
});
