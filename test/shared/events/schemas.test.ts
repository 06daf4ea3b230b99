import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../shared/errors.ts';
import { parseNodeEvent, parseRoomEvent } from '../../../shared/events/parse.ts';

function fixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../fixtures/events/${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Function: parseNodeEvent with AWS sample events', () => {
  it.each([
    { file: 'aws.ec2/state-change-pending.json', state: 'pending' },
    { file: 'aws.ec2/state-change-running.json', state: 'running' },
    { file: 'aws.ec2/state-change-terminated.json', state: 'terminated' },
  ])('parses the EC2 state-change sample $file', ({ file, state }) => {
    // Prepare
    const event = fixture(file);

    // Act
    const parsed = parseNodeEvent(event);

    // Assess
    expect(parsed).toEqual({
      kind: 'ec2-state',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      time: Date.parse('2021-11-11T21:29:54Z'),
      detail: { 'instance-id': 'i-abcd1111', state },
    });
  });

  it('parses the Spot interruption warning sample', () => {
    // Prepare
    const event = fixture('aws.ec2/spot-interruption-warning.json');

    // Act
    const parsed = parseNodeEvent(event);

    // Assess
    expect(parsed).toEqual({
      kind: 'spot-interruption',
      id: '12345678-1234-1234-1234-123456789012',
      time: Date.parse('2021-11-11T21:40:00Z'),
      instanceId: 'i-1234567890abcdef0',
    });
  });

  it('parses the rebalance recommendation sample', () => {
    // Prepare
    const event = fixture('aws.ec2/rebalance-recommendation.json');

    // Act
    const parsed = parseNodeEvent(event);

    // Assess
    expect(parsed).toEqual({
      kind: 'rebalance',
      id: '12345678-1234-1234-1234-123456789012',
      time: Date.parse('2021-11-11T21:38:00Z'),
      instanceId: 'i-1234567890abcdef0',
    });
  });

  it('parses the CloudWatch alarm state change sample', () => {
    // Prepare
    const event = fixture('aws.cloudwatch/alarm-state-change.json');

    // Act
    const parsed = parseNodeEvent(event);

    // Assess
    expect(parsed).toEqual({
      kind: 'alarm',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      time: Date.parse('2019-10-02T17:04:40Z'),
      alarmName: 'ServerCpuTooHigh',
      state: 'ALARM',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
    });
  });

  it('rejects an EC2 state-change event with an unknown state, naming detail.state', () => {
    // Prepare
    const event = { ...fixture('aws.ec2/state-change-pending.json'), detail: { 'instance-id': 'i-abcd1111', state: 'exploded' } };

    // Act
    const error = thrown(() => parseNodeEvent(event));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ field: 'detail.state', detailType: 'EC2 Instance State-change Notification' });
  });

  it('rejects an envelope without version, naming the field', () => {
    // Prepare
    const { version: _version, ...event } = fixture('aws.ec2/state-change-pending.json');

    // Act
    const error = thrown(() => parseNodeEvent(event));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ field: 'version' });
  });
});

describe('Function: parseRoomEvent', () => {
  const envelope = {
    version: '0',
    id: 'e-1',
    source: 'app.rooms',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-central-1',
    resources: [],
    'detail-type': 'RoomCreated',
  };

  it('parses a valid RoomCreated and applies the default weight', () => {
    // Prepare / Act
    const parsed = parseRoomEvent({ ...envelope, detail: { roomId: 'tenant-1:room_2.a' } });

    // Assess
    expect(parsed).toEqual({
      kind: 'created',
      id: 'e-1',
      time: Date.parse('2026-01-01T00:00:00Z'),
      detail: { roomId: 'tenant-1:room_2.a', weight: 1 },
    });
  });

  it('accepts a roomId of exactly 128 characters', () => {
    // Prepare / Act
    const parsed = parseRoomEvent({ ...envelope, detail: { roomId: 'r'.repeat(128) } });

    // Assess
    expect(parsed.detail.roomId).toHaveLength(128);
  });

  it.each([
    { name: 'an empty roomId', event: { ...envelope, detail: { roomId: '' } }, field: 'detail.roomId' },
    { name: 'a 129-char roomId', event: { ...envelope, detail: { roomId: 'r'.repeat(129) } }, field: 'detail.roomId' },
    { name: 'a roomId with a space', event: { ...envelope, detail: { roomId: 'room 1' } }, field: 'detail.roomId' },
    { name: 'a roomId with a slash', event: { ...envelope, detail: { roomId: 'a/b' } }, field: 'detail.roomId' },
    { name: 'a numeric roomId', event: { ...envelope, detail: { roomId: 42 } }, field: 'detail.roomId' },
    { name: 'weight 0', event: { ...envelope, detail: { roomId: 'r1', weight: 0 } }, field: 'detail.weight' },
    { name: 'weight 1.5', event: { ...envelope, detail: { roomId: 'r1', weight: 1.5 } }, field: 'detail.weight' },
    { name: 'a string weight', event: { ...envelope, detail: { roomId: 'r1', weight: '2' } }, field: 'detail.weight' },
    { name: 'a missing detail', event: { ...envelope }, field: 'detail' },
    { name: 'an unknown detail-type', event: { ...envelope, 'detail-type': 'RoomDeleted', detail: { roomId: 'r1' } }, field: 'detail-type' },
    { name: 'a missing detail-type', event: (({ 'detail-type': _dt, ...rest }) => ({ ...rest, detail: { roomId: 'r1' } }))(envelope), field: 'detail-type' },
    { name: 'a bad time', event: { ...envelope, time: 'yesterday', detail: { roomId: 'r1' } }, field: 'time' },
  ])('throws InvalidEventError naming $field for $name', ({ event, field }) => {
    // Prepare / Act
    const error = thrown(() => parseRoomEvent(event));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).field).toBe(field);
    expect((error as InvalidEventError).message).toContain(field);
  });

  it('names the room in the error when its id is readable', () => {
    // Prepare / Act
    const error = thrown(() => parseRoomEvent({ ...envelope, detail: { roomId: 'r1', weight: 0 } }));

    // Assess
    expect(error).toMatchObject({ field: 'detail.weight', detailType: 'RoomCreated', roomId: 'r1' });
  });
});
