/**
 * Cost limits on rooms (docs/security.md#cost-limits): a tenant over its cap, a pool a tenant
 * may not name, and a room past its maximum age — each refused or released.
 */
import { describe, expect, it } from 'vitest';
import { makeHandler as makeRoomHandler } from '../../../lambdas/room-events/index.ts';
import { makeHandler as makeSweepHandler } from '../../../lambdas/sweep/index.ts';
import { allowedPools, tenantCap } from '../../../shared/app/room-limits.ts';
import { parseAutoscalerConfig } from '../../../shared/domain/config.ts';
import { makeDeps, roomCreated, roomReleased, seedReadyNode, testPool, useDynalite, type HandlerTestDeps } from '../../support/handlers.ts';

const dynalite = useDynalite();

function deps(limits: Record<string, unknown>): HandlerTestDeps {
  return makeDeps({ store: dynalite.store, config: { pools: [testPool({ maxNodes: 4 }), testPool({ name: 'gpu', maxNodes: 2 })], limits } });
}

function rejections(d: HandlerTestDeps): unknown[] {
  return d.publisher.events.filter((e) => e.detailType === 'RoomRejected').map((e) => e.detail);
}

describe('Per-tenant cap on active weight', () => {
  it('rejects a RoomCreated that would take a tenant past its cap (reason tenant-limit), and accepts it again after a release', async () => {
    // Prepare: cap 5 units for tenant acme; nodes to place on
    const d = deps({ tenantMaxWeight: { acme: 5 } });
    await seedReadyNode(d, 'i-0aaaa000000000001');
    const rooms = makeRoomHandler(d);
    await rooms(roomCreated('e1', { roomId: 'r1', weight: 3, tenantId: 'acme' }));

    // Act
    const over = await rooms(roomCreated('e2', { roomId: 'r2', weight: 3, tenantId: 'acme' }));
    const other = await rooms(roomCreated('e3', { roomId: 'r3', weight: 3, tenantId: 'globex' }));
    await rooms(roomReleased('e4', 'r1'));
    const after = await rooms(roomCreated('e5', { roomId: 'r2', weight: 3, tenantId: 'acme' }));

    // Assess
    expect(over).toMatchObject({ kind: 'rejected', reason: 'tenant-limit' });
    expect(rejections(d)).toEqual([{ roomId: 'r2', reason: 'tenant-limit' }]);
    expect(await d.store.getRoom('r2').then((r) => r?.state)).toBe('placed');
    expect(other).toMatchObject({ kind: 'placed' });
    expect(after).toMatchObject({ kind: 'placed' });
  });

  it('counts queued rooms too, and never a room against its own cap on a redelivery', async () => {
    // Prepare: no ready node, so rooms queue; default cap 4 for every tenant
    const d = deps({ defaultTenantMaxWeight: 4 });
    const rooms = makeRoomHandler(d);
    const first = await rooms(roomCreated('e1', { roomId: 'r1', weight: 4 }));

    // Act
    const again = await rooms(roomCreated('e1', { roomId: 'r1', weight: 4 }));
    const over = await rooms(roomCreated('e2', { roomId: 'r2', weight: 1 }));

    // Assess
    expect(first).toMatchObject({ kind: 'queued' });
    expect(again).toMatchObject({ kind: 'duplicate' });
    expect(over).toMatchObject({ kind: 'rejected', reason: 'tenant-limit' });
  });

  it('lets only one of two parallel creates through when together they would pass the cap', async () => {
    // Prepare
    const d = deps({ tenantMaxWeight: { acme: 5 } });
    await seedReadyNode(d, 'i-0aaaa000000000001');
    const rooms = makeRoomHandler(d);

    // Act
    const results = await Promise.all([
      rooms(roomCreated('e1', { roomId: 'r1', weight: 3, tenantId: 'acme' })),
      rooms(roomCreated('e2', { roomId: 'r2', weight: 3, tenantId: 'acme' })),
    ]);

    // Assess
    expect(results.map((r) => r.kind).sort()).toEqual(['placed', 'rejected']);
    expect(await d.store.listTenantWeights()).toEqual(new Map([['acme', 3]]));
  });

  it('recounts every tenant counter in the sweep from the active rooms (a room lost without a release frees its share)', async () => {
    // Prepare: acme holds 3 units; its counter is then corrupted, and a stale tenant counter exists
    const d = deps({ tenantMaxWeight: { acme: 5 } });
    await seedReadyNode(d, 'i-0aaaa000000000001');
    await makeRoomHandler(d)(roomCreated('e1', { roomId: 'r1', weight: 3, tenantId: 'acme' }));
    await d.store.setTenantWeight('acme', 5);
    await d.store.setTenantWeight('gone', 7);

    // Act
    await makeSweepHandler(d)({});
    const after = await makeRoomHandler(d)(roomCreated('e2', { roomId: 'r2', weight: 2, tenantId: 'acme' }));

    // Assess
    expect(after).toMatchObject({ kind: 'placed' });
    expect(await d.store.listTenantWeights()).toEqual(new Map([['acme', 5], ['gone', 0]]));
  });

  it('reads tenant caps and pool allow-lists with the defaults of rooms without a tenant', () => {
    // Prepare
    const { limits } = parseAutoscalerConfig({ pools: [testPool(), testPool({ name: 'gpu' })], limits: { tenantMaxWeight: { acme: 10 }, defaultTenantMaxWeight: 3, tenantPools: { acme: ['gpu'], '*': ['default'] } } });

    // Assess
    expect([tenantCap(limits, 'acme'), tenantCap(limits, 'globex'), tenantCap(limits, undefined)]).toEqual([10, 3, 3]);
    expect([allowedPools(limits, 'acme'), allowedPools(limits, 'globex'), allowedPools(limits, undefined)]).toEqual([['gpu'], ['default'], ['default']]);
    expect(() => parseAutoscalerConfig({ pools: [testPool()], limits: { tenantPools: { acme: ['nope'] } } })).toThrow(/tenantPools/);
  });
});

describe('Pool allow-list per tenant', () => {
  it('rejects a RoomCreated naming a pool its tenant may not use (reason pool-not-allowed)', async () => {
    // Prepare
    const d = deps({ tenantPools: { acme: ['default'] } });
    const rooms = makeRoomHandler(d);

    // Act
    const refused = await rooms(roomCreated('e1', { roomId: 'r1', tenantId: 'acme', pool: 'gpu' }));
    const allowed = await rooms(roomCreated('e2', { roomId: 'r2', tenantId: 'acme', pool: 'default' }));
    const unlisted = await rooms(roomCreated('e3', { roomId: 'r3', tenantId: 'globex', pool: 'gpu' }));

    // Assess
    expect(refused).toMatchObject({ kind: 'rejected', reason: 'pool-not-allowed' });
    expect(await d.store.getRoom('r1')).toBeUndefined();
    expect(allowed.kind).not.toBe('rejected');
    expect(unlisted.kind).not.toBe('rejected');
  });
});

describe('Maximum room age', () => {
  it('releases a placed room older than maxRoomAgeMs in the sweep and publishes RoomExpired; younger rooms stay', async () => {
    // Prepare
    const d = deps({ maxRoomAgeMs: 3_600_000 });
    await seedReadyNode(d, 'i-0aaaa000000000001');
    const rooms = makeRoomHandler(d);
    await rooms(roomCreated('e1', { roomId: 'old', weight: 2 }, d.clock.now()));
    d.clock.advance(3_000_000);
    await rooms(roomCreated('e2', { roomId: 'young', weight: 2 }, d.clock.now()));
    d.clock.advance(700_000);

    // Act
    await makeSweepHandler(d)({});

    // Assess
    expect((await d.store.getRoom('old'))?.state).toBe('released');
    expect((await d.store.getRoom('young'))?.state).toBe('placed');
    const expired = d.publisher.events.filter((e) => e.detailType === 'RoomExpired').map((e) => e.detail);
    expect(expired).toEqual([{ roomId: 'old', pool: 'default', nodeId: 'i-0aaaa000000000001', ageMs: 3_700_000, maxAgeMs: 3_600_000 }]);
    const node = await d.store.getNode('i-0aaaa000000000001');
    expect(node?.containers.reduce((s, c) => s + c.used, 0)).toBe(2);
  });

  it('expires nothing without a maximum age', async () => {
    // Prepare
    const d = deps({});
    await seedReadyNode(d, 'i-0aaaa000000000001');
    await makeRoomHandler(d)(roomCreated('e1', { roomId: 'old' }, d.clock.now()));
    d.clock.advance(30 * 86_400_000);

    // Act
    await makeSweepHandler(d)({});

    // Assess
    expect((await d.store.getRoom('old'))?.state).toBe('placed');
    expect(d.publisher.events.filter((e) => e.detailType === 'RoomExpired')).toEqual([]);
  });
});
