import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeHandler, type RoomEventsResult } from '../../lambdas/room-events/index.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import {
  envelope,
  lambdaContext,
  makeDeps,
  roomCreated,
  roomReleased,
  seedReadyNode,
  T0,
  useDynalite,
  type HandlerTestDeps,
} from '../support/handlers.ts';

const dynalite = useDynalite();

function deps(): HandlerTestDeps {
  return makeDeps({ store: dynalite.store });
}

describe('Function: room-events makeHandler', () => {
  it('places a RoomCreated on a ready node and publishes RoomPlaced with the wssUrl', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa1', { octet: 7 });
    const handler = makeHandler(d);

    // Act
    const result = await handler(roomCreated('evt-create-1', { roomId: 'room-1', weight: 2 }));

    // Assess
    const expected = {
      roomId: 'room-1',
      pool: 'default',
      nodeId: 'i-0aaaaaaaaaaaaaaa1',
      container: 0,
      privateIp: '10.0.7.10',
      publicIp: '203.0.113.70',
      wssUrl: 'wss://203.0.113.70:8443',
      weight: 2,
      waitedMs: 0,
    };
    expect(result).toEqual({ kind: 'placed', placement: expected });
    expect(d.publisher.events).toEqual([{ detailType: 'RoomPlaced', detail: expected }]);
    expect(await d.store.getRoom('room-1')).toMatchObject({
      state: 'placed',
      placement: { nodeId: 'i-0aaaaaaaaaaaaaaa1', container: 0 },
    });
    const node = await d.store.getNode('i-0aaaaaaaaaaaaaaa1');
    expect(node?.containers.map((c) => c.used)).toEqual([2, 0]);
    expect(d.compute.launches).toEqual([]);
    expect(d.deadLetters.messages).toEqual([]);
  });

  it('queues a RoomCreated and launches a node when no node is ready', async () => {
    // Prepare
    const d = deps();
    const handler = makeHandler(d);

    // Act
    const result = await handler(roomCreated('evt-create-q', { roomId: 'room-q' }));

    // Assess
    expect(result).toEqual({ kind: 'queued', pool: 'default' });
    expect(d.publisher.ofType('RoomQueued')).toEqual([{ roomId: 'room-q', pool: 'default', weight: 1 }]);
    expect(d.compute.launches).toHaveLength(1);
    expect(d.compute.launches[0]).toMatchObject({ count: 1, decisionId: 'evt-create-q:scale-out' });
    expect(d.publisher.ofType('NodeLaunched')).toHaveLength(1);
    expect(await d.store.getRoom('room-q')).toMatchObject({ state: 'queued' });
  });

  it('releases a placed room on RoomReleased and gives its capacity back', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa2');
    const handler = makeHandler(d);
    await handler(roomCreated('evt-create-2', { roomId: 'room-2', weight: 3 }));
    d.clock.advance(60_000);

    // Act
    const result = await handler(roomReleased('evt-release-2', 'room-2', d.clock.now()));

    // Assess
    expect(result).toEqual({ kind: 'released', previousState: 'placed', placedQueued: 0 });
    expect(await d.store.getRoom('room-2')).toMatchObject({ state: 'released', releasedAt: T0 + 60_000 });
    const node = await d.store.getNode('i-0aaaaaaaaaaaaaaa2');
    expect(node?.containers.map((c) => c.used)).toEqual([0, 0]);
    expect(d.deadLetters.messages).toEqual([]);
  });

  it('leaves no ghost room when RoomReleased arrives before its RoomCreated', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaab1');
    const handler = makeHandler(d);

    // Act
    const released = await handler(roomReleased('evt-early-release', 'room-ghost', T0 + 60_000));
    const created = await handler(roomCreated('evt-late-create', { roomId: 'room-ghost' }, T0));

    // Assess
    expect(released).toEqual({ kind: 'tombstoned' });
    expect(created).toEqual({ kind: 'stale', releasedAt: T0 + 60_000 });
    expect(await d.store.getRoom('room-ghost')).toMatchObject({ state: 'released' });
    const node = await d.store.getNode('i-0aaaaaaaaaaaaaab1');
    expect(node?.containers.map((c) => c.used)).toEqual([0, 0]);
    expect(d.publisher.events).toEqual([]);
  });

  it('changes no state when the same RoomCreated is delivered twice to the bare handler', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaab2');
    const handler = makeHandler(d);
    const event = roomCreated('evt-twice', { roomId: 'room-twice', weight: 4 });
    await handler(event);
    const firstAnswer = d.publisher.events[0];
    const before = await dynalite.snapshot();

    // Act
    const second = await handler(event);

    // Assess
    expect(second).toEqual({ kind: 'duplicate', state: 'placed' });
    expect(await dynalite.snapshot()).toEqual(before);
    // At-least-once: a redelivery may repeat the first answer, never a different one.
    for (const e of d.publisher.events) expect(e).toEqual(firstAnswer);
    expect(d.compute.launches).toEqual([]);
  });

  it.each([
    { name: 'names an unknown pool', detail: { roomId: 'room-pool', pool: 'nowhere' }, reason: 'unknown pool "nowhere"' },
    { name: 'is heavier than a container', detail: { roomId: 'room-heavy', weight: 11 }, reason: "weight 11 exceeds a container's capacity (10 units)" },
  ])('refuses a valid RoomCreated that $name with RoomRejected and dead-letters it with the reason', async ({ detail, reason }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaab3');
    const before = await dynalite.snapshot();

    // Act
    const result = await makeHandler(d)(roomCreated('evt-refused', detail));

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason });
    expect(d.publisher.events).toEqual([{ detailType: 'RoomRejected', detail: { roomId: detail.roomId, reason } }]);
    expect(d.deadLetters.messages).toEqual([expect.objectContaining({ reason, source: 'room-events' })]);
    expect(await dynalite.snapshot()).toEqual(before);
  });

  const valid = roomCreated('evt-valid', { roomId: 'room-v' });
  const withDetail = (detail: unknown, id: string) => ({ ...valid, id, detail });

  it.each([
    {
      name: 'detail.roomId is missing',
      event: withDetail({ weight: 1 }, 'evt-bad-1'),
      field: /^detail\.roomId: /,
      rejectedRoomId: undefined,
    },
    {
      name: 'detail.roomId has spaces',
      event: withDetail({ roomId: 'room one' }, 'evt-bad-2'),
      field: /^detail\.roomId: roomId may contain only/,
      rejectedRoomId: 'room one',
    },
    {
      name: 'detail.weight is 0',
      event: withDetail({ roomId: 'room-w0', weight: 0 }, 'evt-bad-3'),
      field: /^detail\.weight: weight must be ≥ 1/,
      rejectedRoomId: 'room-w0',
    },
    {
      name: 'detail.weight is the string "2"',
      event: withDetail({ roomId: 'room-ws', weight: '2' }, 'evt-bad-4'),
      field: /^detail\.weight: /,
      rejectedRoomId: 'room-ws',
    },
    {
      name: 'the detail-type is unknown',
      event: { ...valid, id: 'evt-bad-5', 'detail-type': 'RoomDeleted', detail: { roomId: 'room-dt' } },
      field: /^detail-type: unknown detail-type "RoomDeleted"/,
      rejectedRoomId: 'room-dt',
    },
  ])('rejects the event, publishes RoomRejected and dead-letters it when $name', async ({ event, field, rejectedRoomId }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa3');
    const handler = makeHandler(d);
    await handler(roomCreated('evt-bystander', { roomId: 'bystander' }));
    d.publisher.events.length = 0;
    const before = await dynalite.snapshot();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason: expect.stringMatching(field) });
    const reason = (result as { reason: string }).reason;
    expect(d.publisher.events).toEqual([
      { detailType: 'RoomRejected', detail: { ...(rejectedRoomId === undefined ? {} : { roomId: rejectedRoomId }), reason } },
    ]);
    expect(d.deadLetters.messages).toEqual([{ event, reason, source: 'room-events' }]);
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.compute.launches).toEqual([]);
  });

  it.each([
    { name: 'a plain object', event: { roomId: 'room-x' } },
    { name: 'a string', event: 'RoomCreated room-x' },
    { name: 'null', event: null },
  ])('rejects $name that is not an EventBridge envelope and dead-letters it', async ({ event }) => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa4');
    const handler = makeHandler(d);
    const before = await dynalite.snapshot();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toMatchObject({ kind: 'rejected' });
    const reason = (result as { reason: string }).reason;
    expect(reason).toMatch(/^(event|version|id|detail-type|source|account|time|region|resources|detail): /);
    expect(d.publisher.events).toEqual([]);
    expect(d.deadLetters.messages).toEqual([{ event, reason, source: 'room-events' }]);
    expect(await dynalite.snapshot()).toEqual(before);
  });

  it('rejects an envelope without `id`, naming the field, and dead-letters it', async () => {
    // Prepare
    const d = deps();
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa5');
    const handler = makeHandler(d);
    const { id: _id, ...event } = roomCreated('unused', { roomId: 'room-noid' });
    const before = await dynalite.snapshot();

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^id: /) });
    const reason = (result as { reason: string }).reason;
    expect(d.deadLetters.messages).toEqual([{ event, reason, source: 'room-events' }]);
    expect(await dynalite.snapshot()).toEqual(before);
    expect(d.compute.launches).toEqual([]);
  });

  it('publishes RoomRejected naming the room when the envelope is broken but the room id is readable', async () => {
    // Prepare
    const d = deps();
    const handler = makeHandler(d);
    const { id: _id, ...event } = roomCreated('unused', { roomId: 'room-noid' });

    // Act
    const result = await handler(event);

    // Assess
    expect(d.publisher.ofType('RoomRejected')).toEqual([{ roomId: 'room-noid', reason: (result as { reason: string }).reason }]);
  });
});

describe('Function: room-events handler (middy, Powertools idempotency on dynalite)', () => {
  type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<RoomEventsResult>;
  let handler: Handler;
  let setDependencies: (deps: AppDeps | undefined) => void;
  let moduleClient: { destroy(): void } | undefined;
  const context = lambdaContext('room-events');

  beforeAll(async () => {
    // The module builds its DynamoDB client and idempotency layer at import, from the environment.
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynalite.db.endpoint);
    vi.stubEnv('IDEMPOTENCY_TABLE', dynalite.db.idempotencyTable);
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'room-events');
    vi.resetModules();
    const mod = await import('../../lambdas/room-events/index.ts');
    const dependencies = await import('../../lambdas/shared/dependencies.ts');
    setDependencies = dependencies.setDependencies;
    moduleClient = dependencies.dynamoDbClient;
    handler = mod.handler as unknown as Handler;
  });

  afterAll(() => {
    setDependencies(undefined);
    moduleClient?.destroy();
    vi.unstubAllEnvs();
  });

  it('executes a RoomCreated delivered twice with the same id once and returns the same result', async () => {
    // Prepare
    const d = deps();
    setDependencies(d);
    const event = roomCreated('evt-dup-queued', { roomId: 'room-dup-q' });

    // Act
    const first = await handler(event, context);
    const second = await handler(structuredClone(event), context);

    // Assess
    expect(first).toEqual({ kind: 'queued', pool: 'default' });
    expect(second).toEqual(first);
    expect(d.compute.launches).toHaveLength(1);
    expect(d.publisher.types.filter((t) => t === 'RoomQueued')).toHaveLength(1);
    expect(d.publisher.types.filter((t) => t === 'NodeLaunched')).toHaveLength(1);
    const records = await dynalite.db.client.send(new ScanCommand({ TableName: dynalite.db.idempotencyTable, ConsistentRead: true }));
    expect(records.Items?.filter((i) => i.status?.S === 'COMPLETED')).toHaveLength(1);
  });

  it('publishes RoomPlaced once for a placed room delivered twice', async () => {
    // Prepare
    const d = deps();
    setDependencies(d);
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa6', { octet: 9 });
    const event = roomCreated('evt-dup-placed', { roomId: 'room-dup-p' });

    // Act
    const first = await handler(event, context);
    const eventsAfterFirst = [...d.publisher.events];
    const second = await handler(event, context);

    // Assess
    expect(first).toMatchObject({ kind: 'placed', placement: { roomId: 'room-dup-p', wssUrl: 'wss://203.0.113.90:8443' } });
    expect(second).toEqual(first);
    expect(d.publisher.events).toEqual(eventsAfterFirst);
    expect(d.publisher.ofType('RoomPlaced')).toHaveLength(1);
    const node = await d.store.getNode('i-0aaaaaaaaaaaaaaa6');
    expect(node?.containers.map((c) => c.used)).toEqual([1, 0]);
  });

  it('executes a redelivery with a new id (control: the key is the event id)', async () => {
    // Prepare
    const d = deps();
    setDependencies(d);
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa7');
    await handler(roomCreated('evt-ctl-1', { roomId: 'room-ctl' }), context);

    // Act
    const other = await handler(roomCreated('evt-ctl-2', { roomId: 'room-ctl' }), context);

    // Assess
    expect(other).toEqual({ kind: 'duplicate', state: 'placed' });
    expect(d.publisher.ofType('RoomPlaced')).toHaveLength(1);
  });

  it('rejects an invalid event through the middy stack without throwing', async () => {
    // Prepare
    const d = deps();
    setDependencies(d);
    const event = envelope('app.rooms', 'RoomCreated', { roomId: 'bad room' }, { id: 'evt-mw-bad' });

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^detail\.roomId: /) });
    expect(d.deadLetters.messages).toHaveLength(1);
    expect(d.publisher.ofType('RoomRejected')).toEqual([{ roomId: 'bad room', reason: (result as { reason: string }).reason }]);
  });
});
