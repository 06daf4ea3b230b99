/**
 * Crash safety: for every pair of consecutive writes of each flow (place, place from the queue,
 * release, launch, ready, drain, terminate, hot, lost instance) the flow crashes between them,
 * the event is redelivered as EventBridge / Lambda would (same event id, a minute later), one
 * sweep runs once the repair grace has passed, and every invariant must hold — including that
 * every room placed at the end was announced to its application (`RoomPlaced` on its placement
 * published at least once): a consistent store is no use to an application never told — and
 * that the pool summary counts each pending and live node once (its pending capacity and live
 * nodes equal a recount of the node records).
 *
 * Writes are counted at the DynamoDB level (every PutItem / UpdateItem of the store, including
 * those inside one store method) and at the compute port (launch, terminate). Each scenario
 * first runs once without a crash and pins its write sequence: a flow that gains a write fails
 * here until the new crash point is listed (and so tested).
 *
 * The handlers run as `makeHandler(deps)`, without the middy stack: the idempotency layer's part
 * (a crashed invocation must not block its retry) is tested in idempotency-retry.test.ts.
 *
 * @module
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { FaultInjector, InjectedFaultError } from '../../sim/adapters/fault-injection.ts';
import { LEAK_CHECK_EVERY_MINUTES } from '../../shared/app/reconcile.ts';
import { sweepAll } from '../../shared/app/sweep.ts';
import { makeHandler as nodeEvents } from '../../lambdas/node-events/index.ts';
import { makeHandler as roomEvents } from '../../lambdas/room-events/index.ts';
import { FakeClock, FakeComputeProvider, makeDeps, scanAll, seedReadyNode, useFleetTable, type TestDeps } from '../support/fleet.ts';
import { awsEvent, envelope, roomCreated, roomReleased, T0 } from '../support/handlers.ts';
import { checkInvariants } from '../support/invariants.ts';
import { summarizePool } from '../../shared/domain/scaling.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const fleet = useFleetTable();
const POOL = 'default';
const NODE_A = 'i-0aaaaaaaaaaaaaaa1';
const NODE_B = 'i-0bbbbbbbbbbbbbbb2';
/** EventBridge → Lambda asynchronous retry delay, ms. */
const RETRY_AFTER_MS = 60_000;
/**
 * After the retry, the sweep runs once the pool's repair grace (placingTimeoutMs) has passed,
 * checking every node's container maps (`leakCheck: 'all'`, what 5 minutes of sweeps do).
 */
const SWEEP_AFTER_MS = 200_000;
const toSweepTime = (clock: FakeClock) => {
  const t = clock.now() + SWEEP_AFTER_MS;
  const every = LEAK_CHECK_EVERY_MINUTES * 60_000;
  clock.set(Math.ceil(t / every) * every);
};

const config = {
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, scaleInMargin: 0, maxNodes: 10, idleGraceMs: 60_000 }],
};

/** One flow under test: how to set the fleet up, and the event (or sweep) that runs the flow. */
interface Scenario {
  readonly name: string;
  setup(d: TestDeps): Promise<void>;
  /** The event to deliver; `sweep` runs the sweep (retried by the next scheduled sweep). */
  readonly event: Record<string, unknown> | 'sweep';
  readonly handler: 'room' | 'node' | 'sweep';
  /** The writes of a crash-free run, in order (the crash points are between them). */
  readonly writes: readonly string[];
}

const seed = (d: TestDeps, nodeId: string) => seedReadyNode(d.store, { nodeId, pool: POOL, containers: 2, capacityPerContainer: 10, now: d.clock.now() });
const create = (d: TestDeps, id: string, roomId: string, weight: number) => roomEvents(d)(roomCreated(id, { roomId, weight }, d.clock.now()));
const ROOM = (id: string) => `ROOM#${id}/ROOM`;
const C = (node: string, i: number) => `NODE#${node}/C#0${i}`;
const NODE = (node: string) => `NODE#${node}/NODE`;
/**
 * The pool summary's writes: a counter shard (random of S, so the shard is masked) and the
 * minute bucket of arrivals and launches on the same shard; a draining node's own item.
 */
const TOTALS = `dynamodb.UpdateItem SUMMARY#${POOL}#*/TOTALS`;
const MINUTE = `dynamodb.UpdateItem SUMMARY#${POOL}#*/M#*`;
const DRAINING = (node: string) => `POOL#${POOL}/SUMMARY#D#${node}`;
/** A write's label with the summary shard and minute masked. */
const masked = (w: string) => w.replace(/ SUMMARY#([^#/]+)#\d+\//, ' SUMMARY#$1#*/').replace(/\/M#\d+$/, '/M#*');
const up = (k: string) => `dynamodb.UpdateItem ${k}`;
const put = (k: string) => `dynamodb.PutItem ${k}`;
const del = (k: string) => `dynamodb.DeleteItem ${k}`;
/**
 * A scale-out decision's launch reservation: counted before RunInstances, settled once the nodes
 * are recorded (both conditional updates of its own item).
 */
const RESERVATION = (decisionId: string) => up(`POOL#${POOL}/SUMMARY#L#${decisionId}`);
/** The hold item of a room on a container (its id, listed before the claim, deleted after the release). */
const H = (node: string, i: number, roomId: string) => `NODE#${node}/H#0${i}#${roomId}`;
/** The id the fake compute gives its first launched instance. */
const LAUNCHED = 'i-fake000000000001';

const scenarios: readonly Scenario[] = [
  {
    name: 'repair (sweep: a room stranded in placing, its target holding it, is announced and placed)',
    setup: async (d) => {
      await seed(d, NODE_A);
      // A create that claimed the room and its capacity, then crashed on every retry (dead-lettered)
      const target = { nodeId: NODE_A, container: 1 };
      await d.store.beginRoom({ roomId: 'room-s', pool: POOL, weight: 2, eventId: 'evt-lost', eventTime: T0, now: d.clock.now(), target });
      await d.store.claimCapacity(target, 'room-s', 2, d.clock.now());
      d.clock.advance(SWEEP_AFTER_MS);
    },
    event: 'sweep',
    handler: 'sweep',
    // Reconciliation runs first (the lease has ended: the room is taken over, then confirmed),
    // then the policy drains the lone, nearly idle node (surplus: headroom 0); the room stays
    // placed on it until released. The day's peak of live nodes (the warm pool's history) is
    // recorded before the policy runs.
    writes: [up(ROOM('room-s')), up(ROOM('room-s')), up(`POOL#${POOL}/HISTORY`), up(`POOL#${POOL}/PEAKS`), up(NODE(NODE_A)), up(C(NODE_A, 0)), up(C(NODE_A, 1)), TOTALS, put(DRAINING(NODE_A)), TOTALS],
  },
  {
    name: 'place',
    setup: async (d) => void (await seed(d, NODE_A)),
    event: roomCreated('evt-place', { roomId: 'room-1', weight: 3 }, T0),
    handler: 'room',
    writes: [up(ROOM('room-1')), put(H(NODE_A, 0, 'room-1')), up(C(NODE_A, 0)), up(ROOM('room-1')), TOTALS, MINUTE],
  },
  {
    name: 'place with launch (no capacity: queue, launch a node)',
    setup: async () => undefined,
    event: roomCreated('evt-launch', { roomId: 'room-1', weight: 3 }, T0),
    handler: 'room',
    writes: [up(ROOM('room-1')), up(ROOM('room-1')), TOTALS, MINUTE, RESERVATION('evt-launch:scale-out'), 'compute.launch', put(NODE(LAUNCHED)), RESERVATION('evt-launch:scale-out')],
  },
  {
    name: 'release, placing a queued room on the freed capacity',
    setup: async (d) => {
      await seed(d, NODE_A);
      await create(d, 'evt-full-0', 'room-0', 10);
      await create(d, 'evt-full-9', 'room-9', 10);
      d.compute.mode = 'launch-nothing';
      await create(d, 'evt-queued', 'room-q', 5);
      d.compute.mode = 'launch';
    },
    event: roomReleased('evt-release-0', 'room-0', T0),
    handler: 'room',
    writes: [up(ROOM('room-0')), up(C(NODE_A, 0)), del(H(NODE_A, 0, 'room-0')), TOTALS, up(ROOM('room-q')), put(H(NODE_A, 0, 'room-q')), up(C(NODE_A, 0)), up(ROOM('room-q')), TOTALS],
  },
  {
    name: 'release',
    setup: async (d) => void (await create(d, 'evt-c', 'room-1', 4).then(() => undefined)),
    event: roomReleased('evt-release', 'room-1', T0),
    handler: 'room',
    writes: [up(ROOM('room-1')), up(C(NODE_A, 0)), del(H(NODE_A, 0, 'room-1')), TOTALS],
  },
  {
    name: 'ready (NodeReady creates containers, accepts, places the queue)',
    setup: async (d) => {
      d.compute.mode = 'launch';
      await create(d, 'evt-early', 'room-q', 2);
    },
    event: envelope('wcs-autoscaler.node', 'NodeReady', {
      instanceId: LAUNCHED,
      containers: [
        { index: 0, privateIp: '10.0.9.10', publicIp: '203.0.113.90', cpuset: '0-3' },
        { index: 1, privateIp: '10.0.9.11', publicIp: '203.0.113.91', cpuset: '4-7' },
      ],
    }, { id: 'evt-ready', time: T0 }),
    handler: 'node',
    writes: [put(C(LAUNCHED, 0)), put(C(LAUNCHED, 1)), up(NODE(LAUNCHED)), up(C(LAUNCHED, 0)), up(C(LAUNCHED, 1)), TOTALS, up(ROOM('room-q')), put(H(LAUNCHED, 0, 'room-q')), up(C(LAUNCHED, 0)), up(ROOM('room-q')), TOTALS],
  },
  {
    name: 'drain (Spot interruption warning: drain, publish rooms, launch a replacement)',
    setup: async (d) => {
      await seed(d, NODE_A);
      await seed(d, NODE_B);
      await create(d, 'evt-on-a', 'room-1', 4);
    },
    event: awsEvent('aws.ec2/spot-interruption-warning.json', { id: 'evt-spot', instanceId: NODE_A, time: T0 }),
    handler: 'node',
    writes: [up(NODE(NODE_A)), up(C(NODE_A, 0)), up(C(NODE_A, 1)), TOTALS, del(DRAINING(NODE_A)), RESERVATION(`replace:${NODE_A}`), 'compute.launch', put(NODE(LAUNCHED)), RESERVATION(`replace:${NODE_A}`)],
  },
  {
    name: 'terminate (sweep: an idle draining node)',
    setup: async (d) => {
      await seed(d, NODE_A);
      await create(d, 'evt-on-a', 'room-1', 4); // A is the only node: the room lands there
      await seed(d, NODE_B);
      await sweepAll(d); // drains B (surplus) and marks it empty
      d.clock.advance(61_000);
    },
    event: 'sweep',
    handler: 'sweep',
    // The pool's arrival history (the predictor's) is folded first, then the idle node goes.
    writes: [up(`POOL#${POOL}/HISTORY`), up(NODE(NODE_B)), up(C(NODE_B, 0)), up(C(NODE_B, 1)), 'compute.terminate', TOTALS, del(DRAINING(NODE_B)), TOTALS],
  },
  {
    name: 'hot (CloudWatch alarm on a node)',
    setup: async (d) => {
      await seed(d, NODE_A);
      await seed(d, NODE_B);
    },
    event: envelope('aws.cloudwatch', 'CloudWatch Alarm State Change', {
      alarmName: `wcs-cpu-high-${NODE_A}`,
      state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-03-02T12:00:00.000+0000' },
    }, { id: 'evt-alarm', time: T0 }),
    handler: 'node',
    writes: [up(NODE(NODE_A)), up(C(NODE_A, 0)), up(C(NODE_A, 1)), TOTALS],
  },
  {
    name: 'lost instance (EC2 terminated: close the node, interrupt its rooms)',
    setup: async (d) => {
      await seed(d, NODE_A);
      await create(d, 'evt-on-a', 'room-1', 4);
      d.compute.lose(NODE_A);
    },
    event: awsEvent('aws.ec2/state-change-terminated.json', { id: 'evt-gone', instanceId: NODE_A, time: T0 }),
    handler: 'node',
    writes: [up(C(NODE_A, 0)), up(C(NODE_A, 1)), up(ROOM('room-1')), up(C(NODE_A, 0)), del(H(NODE_A, 0, 'room-1')), up(NODE(NODE_A)), up(C(NODE_A, 0)), up(C(NODE_A, 1)), TOTALS, RESERVATION('evt-gone:replace'), 'compute.launch', put(NODE(LAUNCHED)), RESERVATION('evt-gone:replace')],
  },
];

/**
 * Rooms placed in the table that no published `RoomPlaced` announced on their placement (must be
 * none: every path that places a room publishes it at least once, crash or not).
 */
async function unannounced(d: TestDeps, tableName: string): Promise<string[]> {
  const announced = new Set(d.publisher.ofType('RoomPlaced').map((p) => `${p.roomId}@${p.nodeId}/${p.container}`));
  const items = await scanAll(DynamoDBDocumentClient.from(fleet.db.client), tableName);
  return items
    .filter((it) => it.type === 'room' && it.state === 'placed')
    .map((it) => `${String(it.roomId)}@${String(it.nodeId)}/${String(it.container)}`)
    .filter((k) => !announced.has(k));
}

/** The pool's pending capacity and live nodes recounted from its node records. */
async function recountOf(d: TestDeps): Promise<[number, number]> {
  const real = summarizePool(await d.store.listNodes(POOL), 0, 0);
  return [real.pendingCapacity, real.liveNodes];
}

/** The summary's pending capacity and live nodes beside the recount. */
async function summaryVsRecords(d: TestDeps): Promise<{ summary: [number, number]; records: [number, number] }> {
  const summary = await d.store.getSummary(POOL);
  return { summary: [summary.pendingCapacity, summary.liveNodes], records: await recountOf(d) };
}

/** The injected crash behind an error (adapters wrap it, e.g. in FleetStoreError), or the error. */
function crashCause(e: unknown): unknown {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if (c instanceof InjectedFaultError) return c;
  return e;
}

/** A store on an instrumented client, for one fresh table; the rest of the deps are fakes. */
async function arrange(client: DynamoDBClient, scenario: Scenario): Promise<{ d: TestDeps; tableName: string }> {
  const tableName = await fleet.createTable();
  const store = new DynamoDbFleetStore({ client, tableName });
  const clock = new FakeClock(T0);
  const compute = new FakeComputeProvider('launch', clock);
  const d = makeDeps({ store, config, clock, compute });
  if (scenario.name === 'release') await seed(d, NODE_A);
  await scenario.setup(d);
  return { d, tableName };
}

async function deliver(d: TestDeps, scenario: Scenario): Promise<unknown> {
  if (scenario.handler === 'sweep') {
    const { errors } = await sweepAll(d);
    if (errors[0]) throw errors[0].error;
    return undefined;
  }
  const event = scenario.event as Record<string, unknown>;
  return scenario.handler === 'room' ? roomEvents(d)(event) : nodeEvents(d)(event);
}

describe('Crash safety: a crash between any two writes, a redelivery and one sweep lose nothing', () => {
  let client: DynamoDBClient | undefined;
  const faults = new FaultInjector();
  const instrumented = () => {
    if (!client) {
      client = fleet.newClient();
      faults.instrumentDynamoDb(client);
    }
    return client;
  };

  for (const scenario of scenarios) {
    describe(`flow: ${scenario.name}`, () => {
      it('performs the listed writes when nothing crashes, and keeps every invariant', async () => {
        // Prepare
        const { d, tableName } = await arrange(instrumented(), scenario);
        const compute = d.compute;
        const wrapped = { ...d, compute: faults.wrap(compute, 'compute') };
        faults.arm({ kind: 'off' });

        // Act
        await deliver(wrapped, scenario);
        const writes = faults.writes.map(masked);
        if (process.env.SHOW_WRITES) console.log("WRITES", scenario.name, JSON.stringify(writes));
        toSweepTime(d.clock);
        await sweepAll(d, { leakCheck: 'all' }); // every node's container maps, as over 5 minutes of sweeps

        // Assess
        expect(writes).toEqual(scenario.writes);
        expect(await checkInvariants({ doc: DynamoDBDocumentClient.from(instrumented()), tableName, compute })).toEqual([]);
        expect(await unannounced(d, tableName)).toEqual([]);
      });

      it.each(scenario.writes.map((w, i) => ({ k: i + 1, after: w, before: scenario.writes[i + 1] ?? '(end)' })))(
        'crash after write $k ($after, before $before): redelivery + one sweep keep every invariant',
        async ({ k }) => {
          // Prepare
          const { d, tableName } = await arrange(instrumented(), scenario);
          const compute = d.compute;
          const wrapped = { ...d, compute: faults.wrap(compute, 'compute') };
          faults.arm({ kind: 'crash-after-write', write: k });

          // Act: the crash, EventBridge's retry of the same event a minute later, then the sweep
          await expect(deliver(wrapped, scenario).then(() => 'completed', crashCause)).resolves.toBeInstanceOf(InjectedFaultError);
          d.clock.advance(RETRY_AFTER_MS);
          await deliver(wrapped, scenario);
          toSweepTime(d.clock);
          const { errors } = await sweepAll(d, { leakCheck: 'all' });

          // Assess
          expect(errors).toEqual([]);
          expect(await checkInvariants({ doc: DynamoDBDocumentClient.from(instrumented()), tableName, compute })).toEqual([]);
          expect(await unannounced(d, tableName)).toEqual([]);
          // The pool summary counts every pending and live node once (a launch neither lost nor double-counted)
          const counted = await summaryVsRecords(d);
          expect(counted.summary).toEqual(counted.records);
        },
      );
    });
  }
});
