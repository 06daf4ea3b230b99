import { describe, expect, it } from 'vitest';
import { makeHandler as roomEvents } from '../../../lambdas/room-events/index.ts';
import { sweepPool } from '../../../shared/app/sweep.ts';
import { parseAutoscalerConfig, poolByName } from '../../../shared/domain/config.ts';
import { FakeComputeProvider, makeDeps, seedInstance, seedReadyNode, T0, useFleetTable } from '../../support/fleet.ts';
import { roomCreated } from '../../support/handlers.ts';

const fleet = useFleetTable();
const POOL = 'default';
const rawConfig = { pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, scaleInMargin: 0 }] };
const pool = poolByName(parseAutoscalerConfig(rawConfig), POOL);

function setup() {
  return makeDeps({ store: fleet.store, config: rawConfig });
}

describe('Function: reconcilePool (through sweepPool)', () => {
  it('rejects a room queued longer than queueTimeoutMs with a reason, and no younger one', async () => {
    // Prepare: no capacity and launches that start nothing, so rooms stay queued
    const d = makeDeps({ store: fleet.store, config: rawConfig, compute: new FakeComputeProvider('launch-nothing') });
    await roomEvents(d)(roomCreated('e-old', { roomId: 'room-old' }, d.clock.now()));
    d.clock.advance(pool.queueTimeoutMs - 60_000);
    await roomEvents(d)(roomCreated('e-young', { roomId: 'room-young' }, d.clock.now()));
    d.clock.advance(60_000);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.rejectedQueued).toEqual(['room-old']);
    expect(d.publisher.ofType('RoomRejected')).toEqual([{ roomId: 'room-old', reason: expect.stringMatching(/^queued for 900 s without capacity/) }]);
    expect((await fleet.store.getRoom('room-old'))?.state).toBe('released');
    expect((await fleet.store.listQueued(POOL, 10)).map((r) => r.roomId)).toEqual(['room-young']);
  });

  it('closes a node whose instance vanished without an event, interrupts its rooms and replaces it', async () => {
    // Prepare
    const d = setup();
    await seedReadyNode(fleet.store, { nodeId: 'i-0aaaaaaaaaaaaaaa1', pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
    await roomEvents(d)(roomCreated('e-1', { roomId: 'room-1', weight: 4 }, T0));
    d.compute.lose('i-0aaaaaaaaaaaaaaa1');
    d.clock.advance(150_000);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.closedNodes).toEqual(['i-0aaaaaaaaaaaaaaa1']);
    expect(d.publisher.ofType('RoomInterrupted')).toEqual([expect.objectContaining({ roomId: 'room-1', reason: 'instance gone' })]);
    expect((await fleet.store.getNode('i-0aaaaaaaaaaaaaaa1'))?.state).toBe('terminated');
    expect((await fleet.store.getRoom('room-1'))?.state).toBe('released');
  });

  it('adopts a young instance no record accounts for, and leaves a node whose instance runs alone', async () => {
    // Prepare
    const d = setup();
    seedInstance('i-0unrecorded00001', POOL, T0);
    d.clock.advance(60_000);

    // Act
    const result = await sweepPool(d, pool);

    // Assess
    expect(result.reconciled.adopted).toEqual(['i-0unrecorded00001']);
    // Its `running` event came before the record (ignored then): the same sweep replays it, so
    // the adopted node boots and gets its Elastic IPs (step 1a).
    expect(result.reconciled.addressRepaired).toEqual(['i-0unrecorded00001:booting']);
    expect(await fleet.store.getNode('i-0unrecorded00001')).toMatchObject({ state: 'booting', launchedAt: T0 });
    expect(d.compute.terminated).toEqual([]);
  });
});
