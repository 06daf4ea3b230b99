/**
 * Scale-out under faults counts every launch once: the pool summary counts a decision's nodes
 * before RunInstances (its launch reservation), so an invocation that fails between the launch
 * and recording it — a crash, a throttled DynamoDB call — leaves them counted as pending, and the
 * next creates do not launch them again (the over-launch of docs/reliability.md, "Cost under
 * faults"). A crash after counting but before the launch blocks nothing for long: the count is a
 * lease that ends with the invocation's deadline, after which the next create takes the launch
 * over and replays it under its decision id; the retry or, without one, the sweep cover the rest.
 *
 * Real DynamoDB store (dynalite), the room-events handler without its middy stack, fake EC2.
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { FleetStoreError } from '../../shared/errors.ts';
import type { ComputeProvider } from '../../shared/ports/compute-provider.ts';
import type { FleetStore } from '../../shared/ports/fleet-store.ts';
import { sweepAll } from '../../shared/app/sweep.ts';
import { summarizePool } from '../../shared/domain/scaling.ts';
import { InjectedFaultError } from '../../sim/adapters/fault-injection.ts';
import { makeHandler as roomEvents } from '../../lambdas/room-events/index.ts';
import { FakeClock, FakeComputeProvider, makeDeps, useFleetTable, type TestDeps } from '../support/fleet.ts';
import { roomCreated, T0 } from '../support/handlers.ts';

const fleet = useFleetTable();
const POOL = 'default';
/** EventBridge → Lambda asynchronous retry delay, ms. */
const RETRY_AFTER_MS = 60_000;
/** One node: 2 containers × 10 units. */
const NODE_CAPACITY = 20;
const config = {
  pools: [{ name: POOL, containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, scaleInMargin: 0, maxNodes: 10, idleGraceMs: 60_000 }],
};

/** A compute port whose `launch` runs, then the invocation dies before it hears back (once). */
function crashingAfterLaunch<T extends ComputeProvider>(inner: T): T {
  const wrapper = Object.create(inner) as T;
  let armed = true;
  wrapper.launch = async (request) => {
    const result = await inner.launch(request);
    if (armed) {
      armed = false;
      throw new InjectedFaultError('compute.launch', 0);
    }
    return result;
  };
  return wrapper;
}

/**
 * A store whose `method` fails once: throttled (a {@link FleetStoreError}, nothing written) or
 * crashed after its write (`after`: written, then {@link InjectedFaultError}).
 */
function failingOnce(inner: FleetStore, method: keyof FleetStore, how: 'throttled' | 'after'): FleetStore {
  let armed = true;
  return new Proxy(inner, {
    get: (obj, prop, receiver) => {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => Promise<unknown>).bind(obj);
      if (prop !== method) return bound;
      return async (...args: unknown[]) => {
        if (!armed) return bound(...args);
        armed = false;
        if (how === 'throttled') throw new FleetStoreError(`${String(method)} failed (throttled, test)`);
        await bound(...args);
        throw new InjectedFaultError(`store.${String(method)}`, 0);
      };
    },
  });
}

async function arrange(): Promise<{ d: TestDeps; compute: FakeComputeProvider }> {
  const tableName = await fleet.createTable();
  const store = new DynamoDbFleetStore({ client: fleet.db.client, tableName });
  const clock = new FakeClock(T0);
  const compute = new FakeComputeProvider('launch', clock);
  return { d: makeDeps({ store, config, clock, compute }), compute };
}

/** A create of weight 1: the arrivals' headroom (≤ 3 units per minute over a 90 s boot) stays below one node. */
const create = (d: TestDeps, id: string, roomId: string, context?: Context) => roomEvents(d)(roomCreated(id, { roomId, weight: 1 }, d.clock.now()), context);

/** The function's timeout (the stack's default, 30 s): each invocation's deadline is its start + this. */
const TIMEOUT_MS = 30_000;
/** A Lambda context with {@link TIMEOUT_MS} left (only the remaining time is read). */
const invocation = { getRemainingTimeInMillis: () => TIMEOUT_MS } as unknown as Context;

/** Distinct instances EC2 started (a replayed ClientToken returns the same ones). */
const instancesStarted = async (compute: FakeComputeProvider) => (await compute.describeFleet(POOL)).length;

/** The summary's pending capacity and live nodes beside a recount of the node records. */
async function countedVsRecords(d: TestDeps): Promise<{ summary: [number, number]; records: [number, number] }> {
  const summary = await d.store.getSummary(POOL);
  const real = summarizePool(await d.store.listNodes(POOL), 0, 0);
  return { summary: [summary.pendingCapacity, summary.liveNodes], records: [real.pendingCapacity, real.liveNodes] };
}

/** The crash (adapters wrap it) behind an error, or the error. */
const cause = (e: unknown): unknown => {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if (c instanceof InjectedFaultError || c instanceof FleetStoreError) return c;
  return e;
};

describe('Scale-out under faults: a launch is counted once, before RunInstances', () => {
  it.each([
    ['a crash right after RunInstances (no node record)', 'crash-after-launch'],
    ['a throttled node record', 'throttled-record'],
    ['a crash after the node record, before the count is settled', 'crash-after-record'],
    ['a throttled settle of the count', 'throttled-settle'],
  ] as const)('%s: the next create does not launch again; the retry records the node once', async (_name, fault) => {
    // Prepare: an empty pool; the first room's create queues it and launches one node
    const { d, compute } = await arrange();
    const faulty: TestDeps = {
      ...d,
      compute: fault === 'crash-after-launch' ? crashingAfterLaunch(compute) : compute,
      store:
        fault === 'throttled-record'
          ? failingOnce(d.store, 'createNode', 'throttled')
          : fault === 'crash-after-record'
            ? failingOnce(d.store, 'createNode', 'after')
            : fault === 'throttled-settle'
              ? failingOnce(d.store, 'settleLaunch', 'throttled')
              : d.store,
    };

    // Act: the create fails between the launch and its record / count
    await expect(create(faulty, 'e1', 'room-1').then(() => 'completed', cause)).resolves.toBeInstanceOf(Error);
    expect(await instancesStarted(compute)).toBe(1);
    // …and the next rooms arrive before its retry
    d.clock.advance(5_000);
    await create(faulty, 'e2', 'room-2');
    await create(faulty, 'e3', 'room-3');

    // Assess: the queued 3 units fit in the node launched already: nothing more launched
    expect(await instancesStarted(compute)).toBe(1);
    expect((await d.store.getSummary(POOL)).pendingCapacity).toBe(NODE_CAPACITY);

    // Act: EventBridge retries the first create a minute later; then a sweep
    d.clock.advance(RETRY_AFTER_MS);
    await create(faulty, 'e1', 'room-1');
    d.clock.advance(RETRY_AFTER_MS);
    const { errors } = await sweepAll(d);

    // Assess: one instance, one node record, counted once
    expect(errors).toEqual([]);
    expect(await instancesStarted(compute)).toBe(1);
    expect((await d.store.listNodes(POOL)).map((n) => n.state)).toEqual(['launching']);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it('a crash after counting, before RunInstances: no second launch meanwhile, and the retry launches it', async () => {
    // Prepare
    const { d, compute } = await arrange();
    const faulty: TestDeps = { ...d, store: failingOnce(d.store, 'reserveLaunch', 'after') };

    // Act: counted, then the crash; a second room arrives
    await expect(create(faulty, 'e1', 'room-1').then(() => 'completed', cause)).resolves.toBeInstanceOf(InjectedFaultError);
    d.clock.advance(5_000);
    await create(faulty, 'e2', 'room-2');

    // Assess: counted as pending, nothing launched (not two launches for 2 units)
    expect(await instancesStarted(compute)).toBe(0);
    expect(compute.launches).toHaveLength(0);

    // Act: the retry replays the counted launch
    d.clock.advance(RETRY_AFTER_MS);
    await create(faulty, 'e1', 'room-1');

    // Assess
    expect(compute.launches.map((l) => [l.decisionId, l.count])).toEqual([['e1:scale-out', 1]]);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it('a crash after counting and no retry (dead-lettered): the sweep takes the count back and launches', async () => {
    // Prepare
    const { d, compute } = await arrange();
    const faulty: TestDeps = { ...d, store: failingOnce(d.store, 'reserveLaunch', 'after') };
    await expect(create(faulty, 'e1', 'room-1').then(() => 'completed', cause)).resolves.toBeInstanceOf(InjectedFaultError);

    // Act: the first sweep once the invocation has surely ended folds the count away; the queued
    // room needs a node
    d.clock.advance(RETRY_AFTER_MS);
    expect((await sweepAll(d)).errors).toEqual([]);

    // Assess: one node launched by the sweep, counted once
    expect(compute.launches.map((l) => l.decisionId)).toEqual([expect.stringMatching(/^sweep:/)]);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it.each([
    ['a crash after counting, before RunInstances', 'crash-after-reserve'],
    ['a crash right after RunInstances (no node record)', 'crash-after-launch'],
  ] as const)('%s: once its deadline has passed, the next create takes the launch over and replays it under its id', async (_name, fault) => {
    // Prepare: the first create counts a node, then dies (deadline: its start + 30 s)
    const { d, compute } = await arrange();
    const faulty: TestDeps =
      fault === 'crash-after-reserve' ? { ...d, store: failingOnce(d.store, 'reserveLaunch', 'after') } : { ...d, compute: crashingAfterLaunch(compute) };
    await expect(create(faulty, 'e1', 'room-1', invocation).then(() => 'completed', cause)).resolves.toBeInstanceOf(InjectedFaultError);
    const startedByOwner = await instancesStarted(compute);

    // Act: a create before the owner's deadline leaves the launch to it
    d.clock.advance(10_000);
    await create(d, 'e2', 'room-2', invocation);

    // Assess: nothing taken over, nothing launched under another id
    expect(compute.launches.map((l) => l.decisionId)).toEqual(fault === 'crash-after-reserve' ? [] : ['e1:scale-out']);
    expect(await d.store.listNodes(POOL)).toHaveLength(0);

    // Act: a create 31 s after the first, its owner's deadline passed
    d.clock.advance(21_000);
    await create(d, 'e3', 'room-3', invocation);

    // Assess: the launch replayed under the original decision id (same ClientToken: the instance
    // the owner may have started is the one recorded), counted once, nothing launched besides
    expect(compute.launches.map((l) => [l.decisionId, l.count])).toEqual([...(startedByOwner ? [['e1:scale-out', 1]] : []), ['e1:scale-out', 1]]);
    expect(await instancesStarted(compute)).toBe(1);
    expect((await d.store.listNodes(POOL)).map((n) => n.decisionId)).toEqual(['e1:scale-out']);
    expect((await d.store.getSummary(POOL)).launchReservations?.['e1:scale-out']?.launched).toBe(1);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });

    // Act: EventBridge's retry of the first create, then a sweep
    d.clock.advance(RETRY_AFTER_MS);
    await create(d, 'e1', 'room-1', invocation);
    d.clock.advance(RETRY_AFTER_MS);
    expect((await sweepAll(d)).errors).toEqual([]);

    // Assess: still one instance, one record, counted once
    expect(await instancesStarted(compute)).toBe(1);
    expect(await d.store.listNodes(POOL)).toHaveLength(1);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it('two creates that both see an abandoned launch: one takes it over, the launch is replayed once', async () => {
    // Prepare
    const { d, compute } = await arrange();
    const faulty: TestDeps = { ...d, store: failingOnce(d.store, 'reserveLaunch', 'after') };
    await expect(create(faulty, 'e1', 'room-1', invocation).then(() => 'completed', cause)).resolves.toBeInstanceOf(InjectedFaultError);

    // Act: two concurrent creates past the owner's deadline
    d.clock.advance(TIMEOUT_MS + 1_000);
    await Promise.all([create(d, 'e2', 'room-2', invocation), create(d, 'e3', 'room-3', invocation)]);

    // Assess: one replay, one node
    expect(compute.launches.map((l) => l.decisionId)).toEqual(['e1:scale-out']);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it('the sweep that sees an abandoned launch first takes it over and launches nothing besides for the same rooms', async () => {
    // Prepare
    const { d, compute } = await arrange();
    const faulty: TestDeps = { ...d, store: failingOnce(d.store, 'reserveLaunch', 'after') };
    await expect(create(faulty, 'e1', 'room-1', invocation).then(() => 'completed', cause)).resolves.toBeInstanceOf(InjectedFaultError);

    // Act: a sweep past the owner's deadline, before the fold age
    d.clock.advance(TIMEOUT_MS + 1_000);
    expect((await sweepAll(d)).errors).toEqual([]);

    // Assess: the queued room's node is the replayed launch, not a second one under the sweep's id
    expect(compute.launches.map((l) => l.decisionId)).toEqual(['e1:scale-out']);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });

  it('a launch that fails (no capacity) gives its count back at once: the next create tries again', async () => {
    // Prepare: EC2 has nothing to give the first time
    const { d, compute } = await arrange();
    compute.mode = 'launch-nothing';
    await create(d, 'e1', 'room-1');
    expect((await d.store.getSummary(POOL)).pendingCapacity).toBe(0);

    // Act
    compute.mode = 'launch';
    d.clock.advance(5_000);
    await create(d, 'e2', 'room-2');

    // Assess
    expect(compute.launches.map((l) => l.decisionId)).toEqual(['e1:scale-out', 'e2:scale-out']);
    expect(await countedVsRecords(d)).toEqual({ summary: [NODE_CAPACITY, 1], records: [NODE_CAPACITY, 1] });
  });
});
