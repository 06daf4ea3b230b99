import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../shared/errors.ts';
import { parseNodeEvent, parseRoomEvent } from '../../../shared/events/parse.ts';
import { matchesPattern, routeRules } from '../../../shared/events/routing.ts';
import { boundNodeSource, MAX_CPUSET_LENGTH, NODE_SOURCE, NodeReadyDetailSchema, senderOfNodeSource } from '../../../shared/events/schemas.ts';

const ARN = 'arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc12345678';

function event(source: string, detailType: string, detail: unknown): Record<string, unknown> {
  return { version: '0', id: 'e1', source, account: '123456789012', time: '2026-01-01T00:00:00Z', region: 'eu-central-1', resources: [], 'detail-type': detailType, detail };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Function: senderOfNodeSource', () => {
  it('reads the instance id from a bound source and nothing from anything else', () => {
    expect(boundNodeSource(ARN)).toBe(`${NODE_SOURCE}/${ARN}`);
    expect(senderOfNodeSource(boundNodeSource(ARN))).toBe('i-0abc12345678');
    expect(senderOfNodeSource(boundNodeSource('arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0abc12345678'))).toBe('i-0abc12345678');
    expect(senderOfNodeSource(NODE_SOURCE)).toBeUndefined();
    expect(senderOfNodeSource(`${NODE_SOURCE}/i-0abc12345678`)).toBeUndefined();
    expect(senderOfNodeSource(`${NODE_SOURCE}/${ARN}/extra`)).toBeUndefined();
    expect(senderOfNodeSource(`${NODE_SOURCE}x/${ARN}`)).toBeUndefined();
  });
});

describe('Function: parseNodeEvent (sender)', () => {
  const ready = { instanceId: 'i-0abc12345678', containers: [{ index: 0, privateIp: '10.0.0.10', cpuset: '0-3' }] };

  it('returns the sender of a bound NodeReady about itself, and none for the unbound source', () => {
    expect(parseNodeEvent(event(boundNodeSource(ARN), 'NodeReady', ready))).toMatchObject({ kind: 'node-ready', sender: 'i-0abc12345678' });
    expect(parseNodeEvent(event(NODE_SOURCE, 'NodeReady', ready))).toMatchObject({ kind: 'node-ready', sender: undefined });
  });

  it('refuses a bound source about another instance, an unbound one when required, and a foreign source', () => {
    const other = thrown(() => parseNodeEvent(event(boundNodeSource(ARN), 'NodeUnhealthy', { instanceId: 'i-0def00000000', reason: 'x' })));
    const unbound = thrown(() => parseNodeEvent(event(NODE_SOURCE, 'NodeReady', ready), { requireSender: true }));
    const foreign = thrown(() => parseNodeEvent(event('app.rooms', 'NodeReady', ready)));
    for (const e of [other, unbound, foreign]) expect(e).toBeInstanceOf(InvalidEventError);
    expect((other as InvalidEventError).field).toBe('source');
  });

  it('refuses AWS detail-types from another source, and room events from the node or autoscaler source', () => {
    expect(thrown(() => parseNodeEvent(event('app.rooms', 'CloudWatch Alarm State Change', {})))).toBeInstanceOf(InvalidEventError);
    expect(thrown(() => parseRoomEvent(event(NODE_SOURCE, 'RoomCreated', { roomId: 'r1' })))).toBeInstanceOf(InvalidEventError);
    expect(thrown(() => parseRoomEvent(event('wcs-autoscaler', 'RoomReleased', { roomId: 'r1' })))).toBeInstanceOf(InvalidEventError);
  });
});

describe('Schema: NodeReady cpuset', () => {
  it('caps a cpuset\'s length and its CPU numbers', () => {
    const detail = (cpuset: string) => ({ instanceId: 'i-0abc12345678', containers: [{ index: 0, privateIp: '10.0.0.10', cpuset }] });
    expect(NodeReadyDetailSchema.safeParse(detail('0-3,8-11')).success).toBe(true);
    expect(NodeReadyDetailSchema.safeParse(detail('0-4294967295')).success).toBe(false);
    expect(NodeReadyDetailSchema.safeParse(detail(Array.from({ length: 200 }, (_, i) => String(i)).join(','))).success).toBe(false);
    expect(MAX_CPUSET_LENGTH).toBe(256);
  });
});

describe('Routing: bound node sources', () => {
  it('routes bound and unbound node reports to node-events, and nothing else with a similar source', () => {
    const rule = routeRules('app.rooms').find((r) => r.name === 'node-reports')!;
    expect(matchesPattern(rule.pattern, event(boundNodeSource(ARN), 'NodeReady', {}))).toBe(true);
    expect(matchesPattern(rule.pattern, event(NODE_SOURCE, 'NodeUnhealthy', {}))).toBe(true);
    expect(matchesPattern(rule.pattern, event(`${NODE_SOURCE}x`, 'NodeReady', {}))).toBe(false);
    expect(matchesPattern(rule.pattern, event(boundNodeSource(ARN), 'RoomCreated', {}))).toBe(false);
  });
});
