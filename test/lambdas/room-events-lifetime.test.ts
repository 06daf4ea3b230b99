/**
 * The room-events handler end to end with the lifetime predictor on DynamoDB (dynalite): a
 * RoomCreated's `kind` and `expectedDurationMs` reach the room record, and its RoomReleased adds
 * the observed lifetime to the pool's lifetime cell.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../lambdas/room-events/index.ts';
import { makeDeps, roomCreated, roomReleased, seedReadyNode, T0, useDynalite } from '../support/handlers.ts';

const dynalite = useDynalite();
const MIN = 60_000;

describe('Function: room-events makeHandler (lifetime hints)', () => {
  it('keeps the hints of a RoomCreated on the room and learns its lifetime on RoomReleased', async () => {
    // Prepare: a ready node; the lifetime store on the same table
    const d = { ...makeDeps({ store: dynalite.store }), lifetimes: dynalite.store.lifetimes };
    await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa1', { octet: 7 });
    const handler = makeHandler(d);

    // Act: a webinar hinted at 90 min, released after 99 min
    const created = await handler(roomCreated('evt-c', { roomId: 'web-1', weight: 1, kind: 'webinar', expectedDurationMs: 90 * MIN }));
    const room = await dynalite.store.getRoom('web-1');
    d.clock.set(T0 + 99 * MIN);
    await handler(roomReleased('evt-r', 'web-1', T0 + 99 * MIN));

    // Assess: T0 is 12:00 UTC (band 2); 99 min is bucket 14, ratio 1.1 bucket 9
    expect(created).toMatchObject({ kind: 'placed' });
    expect(room).toMatchObject({ state: 'placed', kind: 'webinar', expectedDurationMs: 90 * MIN });
    expect(await dynalite.store.lifetimes.lifetimeCells('default')).toEqual([{ kind: 'webinar', band: 2, counts: { d14: 1, s14: 5940, r9: 1, q9: 1100 } }]);
  });
});
