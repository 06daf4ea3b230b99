import { describe, expect, it } from 'vitest';
import { busEvent, LocalEventBus, LOCAL_ACCOUNT, LOCAL_REGION, type BusEvent } from '../../../sim/adapters/local-event-bus.ts';
import { parseEnvelope, parseRoomEvent } from '../../../shared/events/parse.ts';
import type { FunctionName } from '../../../shared/events/routing.ts';
import { AUTOSCALER_SOURCE, NODE_SOURCE, type OutboundEvent } from '../../../shared/events/schemas.ts';
import { fixture, FixedClock, T0 } from '../../support/handlers.ts';

function bus(options: { appSource?: string; keepPublished?: boolean } = {}) {
  const deliveries: { target: FunctionName; event: BusEvent }[] = [];
  const clock = new FixedClock(T0 + 1_234);
  const b = new LocalEventBus({
    appSource: options.appSource ?? 'app.rooms',
    clock,
    deliver: (target, event) => deliveries.push({ target, event }),
    ...(options.keepPublished === undefined ? {} : { keepPublished: options.keepPublished }),
  });
  return { bus: b, deliveries, clock };
}

const placed: OutboundEvent = {
  detailType: 'RoomPlaced',
  detail: { roomId: 'r1', pool: 'default', nodeId: 'i-1', container: 0, weight: 1, waitedMs: 0 },
};

describe('Function: busEvent', () => {
  it('builds an EventBridge envelope the parsers accept, with whole-second time', () => {
    // Act
    const event = busEvent('app.rooms', 'RoomCreated', { roomId: 'r1' }, T0 + 999, { id: 'e-1', resources: ['arn:x'] });

    // Assess
    expect(event).toEqual({
      version: '0',
      id: 'e-1',
      'detail-type': 'RoomCreated',
      source: 'app.rooms',
      account: LOCAL_ACCOUNT,
      time: '2026-03-02T12:00:00Z',
      region: LOCAL_REGION,
      resources: ['arn:x'],
      detail: { roomId: 'r1' },
    });
    expect(() => parseEnvelope(event)).not.toThrow();
    expect(parseRoomEvent(event)).toMatchObject({ kind: 'created', id: 'e-1', time: T0 });
  });

  it('gives each event a fresh id when none is given', () => {
    // Act
    const a = busEvent('s', 'T', {}, T0);
    const b = busEvent('s', 'T', {}, T0);

    // Assess
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.resources).toEqual([]);
  });
});

describe('Class: LocalEventBus', () => {
  describe('Method: put', () => {
    it.each([
      { name: 'a RoomCreated from the application source', event: busEvent('app.rooms', 'RoomCreated', { roomId: 'r' }, T0), targets: ['room-events'] },
      { name: 'a NodeReady from a node', event: busEvent(NODE_SOURCE, 'NodeReady', {}, T0), targets: ['node-events'] },
      { name: 'the AWS EC2 sample', event: fixture('aws.ec2/state-change-running.json') as unknown as BusEvent, targets: ['node-events'] },
      { name: 'the AWS alarm sample', event: fixture('aws.cloudwatch/alarm-state-change.json') as unknown as BusEvent, targets: ['node-events'] },
      { name: 'a RoomCreated from another source', event: busEvent('other.app', 'RoomCreated', { roomId: 'r' }, T0), targets: [] },
    ])('delivers $name to $targets', ({ event, targets }) => {
      // Prepare
      const { bus: b, deliveries } = bus();

      // Act
      const routed = b.put(event);

      // Assess
      expect(routed).toEqual(targets);
      expect(deliveries).toEqual(targets.map((target) => ({ target, event })));
    });

    it('routes room events from a configured application source', () => {
      // Prepare
      const { bus: b, deliveries } = bus({ appSource: 'tenant.webinars' });

      // Act
      const custom = b.put(busEvent('tenant.webinars', 'RoomReleased', { roomId: 'r' }, T0));
      const fromDefault = b.put(busEvent('app.rooms', 'RoomReleased', { roomId: 'r' }, T0));

      // Assess
      expect(custom).toEqual(['room-events']);
      expect(fromDefault).toEqual([]);
      expect(deliveries).toHaveLength(1);
    });
  });

  describe('Method: publish', () => {
    it('stamps the autoscaler source and the clock, records in order and routes to no function', async () => {
      // Prepare
      const { bus: b, deliveries } = bus();
      const queued: OutboundEvent = { detailType: 'RoomQueued', detail: { roomId: 'r2', pool: 'default', weight: 1 } };

      // Act
      await b.publish([placed, queued]);

      // Assess
      expect(b.published.map((e) => [e.source, e['detail-type'], e.time, e.detail])).toEqual([
        [AUTOSCALER_SOURCE, 'RoomPlaced', '2026-03-02T12:00:01Z', placed.detail],
        [AUTOSCALER_SOURCE, 'RoomQueued', '2026-03-02T12:00:01Z', queued.detail],
      ]);
      expect(new Set(b.published.map((e) => e.id)).size).toBe(2);
      expect(deliveries).toEqual([]);
    });

    it('tells every listener about each event, even when it keeps none', async () => {
      // Prepare
      const { bus: b } = bus({ keepPublished: false });
      const seen: string[][] = [[], []];
      b.onPublished((e) => seen[0]?.push(e['detail-type']));
      b.onPublished((e) => seen[1]?.push(e['detail-type']));

      // Act
      await b.publish([placed]);
      await b.publish([]);

      // Assess
      expect(seen).toEqual([['RoomPlaced'], ['RoomPlaced']]);
      expect(b.published).toEqual([]);
    });
  });
});
