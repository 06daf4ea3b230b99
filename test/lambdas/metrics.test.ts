import { describe, expect, it } from 'vitest';
import { makeHandler as makeRoomHandler } from '../../lambdas/room-events/index.ts';
import { makeHandler as makeSweepHandler } from '../../lambdas/sweep/index.ts';
import { PoolGaugeMetric, RoomMetric, SweepMetric } from '../../lambdas/shared/fleet-metrics.ts';
import { MeteredPublisher, PublishedEventMetric } from '../../lambdas/shared/metered-publisher.ts';
import type { OutboundEvent } from '../../shared/events/schemas.ts';
import { FLEET_DIMENSION, METRICS_NAMESPACE, POOL_DIMENSION, poolMetrics } from '../../lambdas/shared/observability.ts';
import { envelope, isoTime, makeDeps, roomCreated, seedReadyNode, T0, testPool, useDynalite, type HandlerTestDeps } from '../support/handlers.ts';
import { poolDocuments, recordingHandlerMetrics, RecordingMetrics, unitsOf, type EmfDocument } from '../support/metrics.ts';

const dynalite = useDynalite();

function deps(): HandlerTestDeps {
  return makeDeps({ store: dynalite.store, config: { pools: [testPool(), testPool({ name: 'gpu' })] } });
}

function dimensionSets(doc: EmfDocument): (readonly string[])[] {
  return doc._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.map((d) => [...d].sort()));
}

describe('Metrics emitted by the handlers', () => {
  describe('Function: sweep makeHandler', () => {
    it('publishes one EMF document of gauges per pool, with the Fleet and Pool dimensions', async () => {
      // Prepare: pool default has a ready node with 3 units placed and one room queued for a
      // room too heavy for it; pool gpu is empty.
      const d = deps();
      await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa1', { octet: 1 });
      const rooms = makeRoomHandler(d, recordingHandlerMetrics());
      await rooms(roomCreated('evt-1', { roomId: 'r1', weight: 1 }));
      await rooms(roomCreated('evt-2', { roomId: 'r2', weight: 2 }));
      const sink = recordingHandlerMetrics('prod');

      // Act
      await makeSweepHandler(d, sink)();
      sink.metrics.publishStoredMetrics(); // what the logMetrics middleware does after the handler

      // Assess
      const [pool] = poolDocuments(sink.documents, 'default');
      expect(poolDocuments(sink.documents, 'default')).toHaveLength(1);
      expect(pool!._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
      expect(dimensionSets(pool!)).toEqual([[FLEET_DIMENSION, POOL_DIMENSION, 'service'].sort()]);
      expect(pool).toMatchObject({
        [FLEET_DIMENSION]: 'prod',
        [POOL_DIMENSION]: 'default',
        [PoolGaugeMetric.PlacedRooms]: 2,
        [PoolGaugeMetric.UsedCapacity]: 3,
        [PoolGaugeMetric.FreeCapacity]: 17,
        [PoolGaugeMetric.NodesReady]: 1,
        [PoolGaugeMetric.NodesLaunching]: 0,
        [PoolGaugeMetric.NodesBooting]: 0,
        [PoolGaugeMetric.NodesDraining]: 0,
        [PoolGaugeMetric.NodesTerminating]: 0,
        [PoolGaugeMetric.NodesHot]: 0,
        [PoolGaugeMetric.QueuedRooms]: 0,
        [PoolGaugeMetric.OldestQueuedAge]: 0,
      });
      expect(typeof pool![PoolGaugeMetric.HeadroomTarget]).toBe('number');
      expect(unitsOf(pool!)[PoolGaugeMetric.OldestQueuedAge]).toBe('Milliseconds');
      expect(unitsOf(pool!)[PoolGaugeMetric.FreeCapacity]).toBe('Count');
      expect(poolDocuments(sink.documents, 'gpu')[0]).toMatchObject({ [PoolGaugeMetric.NodesReady]: 0, [PoolGaugeMetric.PlacedRooms]: 0 });
      const fleet = sink.documents.find((doc) => doc[POOL_DIMENSION] === undefined)!;
      expect(dimensionSets(fleet)).toEqual([[FLEET_DIMENSION, 'service'].sort()]);
      expect(fleet).toMatchObject({ NodesLaunched: [0, 0], NodesTerminated: [0, 0] });
    });

    it('publishes the scheduled weight it counted (pre-warming) over the DynamoDB schedule', async () => {
      // Prepare: three 2-unit rooms announced to start in 2 minutes (within the lead), one in 2 hours
      const d = deps();
      const rooms = makeRoomHandler(d, recordingHandlerMetrics());
      for (const [i, startIn] of [2, 2, 2, 120].entries()) {
        await rooms(envelope('app.rooms', 'RoomScheduled', { roomId: `web-${i}`, weight: 2, startAt: isoTime(T0 + startIn * 60_000) }, { id: `s${i}` }));
      }
      const sink = recordingHandlerMetrics('prod');

      // Act
      await makeSweepHandler(d, sink)();
      sink.metrics.publishStoredMetrics();

      // Assess
      expect(poolDocuments(sink.documents, 'default')[0]).toMatchObject({ [PoolGaugeMetric.ScheduledWeight]: 6, [PoolGaugeMetric.ScheduledRooms]: 3 });
      expect(poolDocuments(sink.documents, 'gpu')[0]).toMatchObject({ [PoolGaugeMetric.ScheduledWeight]: 0, [PoolGaugeMetric.ScheduledRooms]: 0 });
    });

    it('publishes its own duration (SweepDuration, ms) on every shard, the gauges only from shard 0', async () => {
      // Prepare
      const d = deps();
      await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa1', { octet: 1 });
      const first = recordingHandlerMetrics('prod');
      const other = recordingHandlerMetrics('prod');

      // Act
      const out0 = await makeSweepHandler(d, first)({ shard: 0, shards: 2 });
      const out1 = await makeSweepHandler(d, other)({ shard: 1, shards: 2 });
      first.metrics.publishStoredMetrics();
      other.metrics.publishStoredMetrics();

      // Assess
      for (const sink of [first, other]) {
        const fleet = sink.documents.find((doc) => doc[POOL_DIMENSION] === undefined)!;
        expect(typeof fleet[SweepMetric.SweepDuration]).toBe('number');
        expect(fleet[SweepMetric.SweepDuration] as number).toBeGreaterThanOrEqual(0);
        expect(unitsOf(fleet)[SweepMetric.SweepDuration]).toBe('Milliseconds');
      }
      expect(out0.pools.map((p) => p.pool).sort()).toEqual(['default', 'gpu']);
      expect(out1.pools).toEqual([]);
      expect(poolDocuments(other.documents, 'default')).toEqual([]);
      expect(poolDocuments(first.documents, 'default')).toHaveLength(1);
    });

    it('refuses a shard out of range without sweeping', async () => {
      // Act / Assess
      await expect(makeSweepHandler(deps(), recordingHandlerMetrics())({ shard: 3, shards: 2 })).rejects.toThrow(/shard 3 of 2/);
    });

    it('reports queued rooms and how long the oldest has waited', async () => {
      // Prepare: no node at all, two rooms queue a minute apart
      const d = deps();
      const rooms = makeRoomHandler(d, recordingHandlerMetrics());
      await rooms(roomCreated('evt-q1', { roomId: 'q1', weight: 2 }));
      d.clock.advance(60_000);
      await rooms(roomCreated('evt-q2', { roomId: 'q2', weight: 1 }, d.clock.now()));
      d.clock.advance(15_000);
      const sink = recordingHandlerMetrics('prod');

      // Act
      await makeSweepHandler(d, sink)();

      // Assess
      expect(poolDocuments(sink.documents, 'default')[0]).toMatchObject({ [PoolGaugeMetric.QueuedRooms]: 2, [PoolGaugeMetric.OldestQueuedAge]: 75_000 });
    });
  });

  describe('Function: room-events makeHandler', () => {
    it('counts a placement per pool with its handler latency and the room\'s wait, and the outcome per fleet', async () => {
      // Prepare
      const d = deps();
      await seedReadyNode(d, 'i-0aaaaaaaaaaaaaaa1', { octet: 1 });
      const sink = recordingHandlerMetrics('prod');

      // Act
      const outcome = await makeRoomHandler(d, sink)(roomCreated('evt-p', { roomId: 'p1', weight: 1 }));
      sink.metrics.publishStoredMetrics();

      // Assess
      expect(outcome.kind).toBe('placed');
      const [pool] = poolDocuments(sink.documents, 'default');
      expect(dimensionSets(pool!)).toEqual([[FLEET_DIMENSION, POOL_DIMENSION, 'service'].sort()]);
      expect(pool).toMatchObject({ [RoomMetric.RoomsPlaced]: 1, [RoomMetric.PlacementWait]: outcome.kind === 'placed' ? outcome.placement.waitedMs : -1 });
      expect(pool![RoomMetric.PlacementLatency]).toBeGreaterThanOrEqual(0);
      expect(unitsOf(pool!)).toMatchObject({ [RoomMetric.PlacementLatency]: 'Milliseconds', [RoomMetric.PlacementWait]: 'Milliseconds' });
      expect(sink.documents.find((doc) => doc[POOL_DIMENSION] === undefined)).toMatchObject({ [FLEET_DIMENSION]: 'prod', Rooms_placed: 1 });
    });

    it('counts a queued room in its pool, and a rejected one per fleet only (an unknown pool name is no dimension)', async () => {
      // Prepare
      const d = deps();
      const sink = recordingHandlerMetrics('prod');
      const handler = makeRoomHandler(d, sink);

      // Act
      await handler(roomCreated('evt-q', { roomId: 'q1', weight: 1, pool: 'gpu' }));
      await handler(roomCreated('evt-x', { roomId: 'x1', weight: 1, pool: 'no-such-pool' }));
      sink.metrics.publishStoredMetrics();

      // Assess
      expect(poolDocuments(sink.documents, 'gpu')).toEqual([expect.objectContaining({ [RoomMetric.RoomsQueued]: 1 })]);
      expect(poolDocuments(sink.documents, 'no-such-pool')).toEqual([]);
      expect(sink.documents.filter((doc) => doc[POOL_DIMENSION] === undefined)).toEqual([expect.objectContaining({ Rooms_queued: 1, Rooms_rejected: 1 })]);
    });
  });

  describe('Class: MeteredPublisher', () => {
    it.each([
      { limit: 'quota', launchFailures: 1 },
      { limit: 'capacity', launchFailures: 1 },
      { limit: 'error', launchFailures: 1 },
      { limit: 'max-nodes', launchFailures: 0 },
      { limit: 'launch-rate', launchFailures: 0 },
    ])('counts ScalingBlocked with limit $limit as $launchFailures launch failure(s), per fleet', async ({ limit, launchFailures }) => {
      // Prepare
      const sink = recordingHandlerMetrics('prod');
      const publisher = new MeteredPublisher({ publish: async () => undefined }, sink.metrics);
      const blocked: OutboundEvent = { detailType: 'ScalingBlocked', detail: { pool: 'default', limit, wanted: 1, reason: 'test' } };

      // Act
      await publisher.publish([blocked]);
      sink.metrics.publishStoredMetrics();

      // Assess
      const [doc] = sink.documents;
      expect(doc).toMatchObject({ [FLEET_DIMENSION]: 'prod', [PublishedEventMetric.ScalingBlocked]: 1 });
      expect(doc![PublishedEventMetric.LaunchFailures]).toBe(launchFailures === 0 ? undefined : launchFailures);
    });
  });

  describe('Function: poolMetrics', () => {
    it('dimensions a pool\'s metrics by service, Fleet and Pool', () => {
      // Prepare
      const m = poolMetrics('default', 'prod');
      m.addMetric('QueuedRooms', 'Count', 3);

      // Act
      const emf = m.serializeMetrics();

      // Assess
      expect(emf._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', FLEET_DIMENSION, POOL_DIMENSION]]);
      expect(emf).toMatchObject({ service: 'wcs-autoscaler', [FLEET_DIMENSION]: 'prod', [POOL_DIMENSION]: 'default', QueuedRooms: 3 });
      expect(new RecordingMetrics({}).serializeMetrics()._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    });
  });
});
