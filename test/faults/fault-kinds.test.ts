/**
 * The kinds of fault `simulate` injects beyond crashes: DynamoDB throttling, EC2 throttling,
 * Lambda's retry schedule for throttled and failed asynchronous invocations, EventBridge
 * delivery delays — each on by its own flag — and a simulation with all of them on keeping every
 * invariant.
 *
 * @module
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultRatesOf } from '../../cli/simulate-command.ts';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { isThrottled } from '../../shared/adapters/ec2/errors.ts';
import { parseAutoscalerConfig, poolByName } from '../../shared/domain/config.ts';
import { AutoscalerError, FleetStoreError } from '../../shared/errors.ts';
import { DYNAMODB_THROTTLING_CODES, DynamoDbThrottler } from '../../sim/adapters/fault-injection.ts';
import { LocalComputeProvider } from '../../sim/adapters/local-compute-provider.ts';
import { busEvent, LocalEventBus } from '../../sim/adapters/local-event-bus.ts';
import { MAX_EVENT_AGE_MS, RETRY_DELAYS_MS, TRACE_EPOCH_MS, VirtualTimeLoop } from '../../sim/runtime/event-loop.ts';
import { faultRates, FAULT_KINDS } from '../../sim/runtime/fault-plan.ts';
import { simulate, stopSimulator } from '../../sim/runtime/simulate.ts';
import { formatTraceText } from '../../sim/trace/file.ts';
import { generateTrace } from '../../sim/trace/generator.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import { useFleetTable } from '../support/fleet.ts';

const fleet = useFleetTable();

describe('Fault: DynamoDB throttling', () => {
  it('fails a call with the error the SDK surfaces, before anything is written, only while active', async () => {
    // Prepare
    const tableName = await fleet.createTable();
    const store = new DynamoDbFleetStore({ client: fleet.db.client, tableName });
    const throttler = new DynamoDbThrottler(1, () => 0);
    const remove = throttler.instrument(fleet.db.client);
    try {
      // Act
      throttler.active = true;
      const failed = await store.beginRoom({ roomId: 'r1', pool: 'default', weight: 1, eventId: 'e1', eventTime: 0, now: 0 }).catch((e: unknown) => e);
      throttler.active = false;
      const room = await store.getRoom('r1');

      // Assess
      expect(failed).toBeInstanceOf(FleetStoreError);
      expect(DYNAMODB_THROTTLING_CODES).toContain(((failed as FleetStoreError).cause as Error).name);
      expect(room).toBeUndefined();
      expect(throttler.throttled).toBe(1);
    } finally {
      remove();
    }
  });
});

describe('Fault: EC2 API throttling', () => {
  const pool = poolByName(parseAutoscalerConfig({}), 'default');
  const compute = (throttleRate: number) =>
    new LocalComputeProvider({ clock: { now: () => TRACE_EPOCH_MS }, random: () => 0, emit: () => undefined, throttleRate });

  it('fails RunInstances with a retryable RequestLimitExceeded, launching nothing', async () => {
    // Prepare
    const ec2 = compute(1);

    // Act
    const failed = await ec2.launch({ pool, count: 1, decisionId: 'd1', now: TRACE_EPOCH_MS }).catch((e: unknown) => e);

    // Assess
    expect(failed).toBeInstanceOf(AutoscalerError);
    expect((failed as AutoscalerError).retryable).toBe(true);
    expect(isThrottled((failed as AutoscalerError).cause)).toBe(true);
    expect(ec2.launched).toBe(0);
    expect(ec2.throttled).toBe(1);
  });

  it('fails TerminateInstances the same way, leaving the instance running', async () => {
    // Prepare
    const ec2 = compute(0);
    const { instances } = await ec2.launch({ pool, count: 1, decisionId: 'd1', now: TRACE_EPOCH_MS });
    const throttled = new LocalComputeProvider({ clock: { now: () => TRACE_EPOCH_MS }, random: () => 0, emit: () => undefined, throttleRate: 1 });

    // Act / Assess
    await expect(throttled.terminate([instances[0]?.instanceId ?? ''])).rejects.toThrow(/RequestLimitExceeded/);
    expect(ec2.running).toBe(1);
  });
});

describe("Fault: Lambda's asynchronous retry schedule", () => {
  const setup = () => {
    const loop = new VirtualTimeLoop();
    const bus = new LocalEventBus({ appSource: 'app.rooms', clock: loop.clock, keepPublished: false, deliver: loop.deliver });
    loop.put(busEvent('app.rooms', DetailType.RoomCreated, { roomId: 'r1', weight: 1 }, TRACE_EPOCH_MS, { id: 'e1' }), TRACE_EPOCH_MS);
    return { loop, bus };
  };

  it('retries a throttled invocation from 1 s, doubling to 5 min, until the event is 6 h old', async () => {
    // Prepare
    const { loop, bus } = setup();
    const at: number[] = [];
    let dropped = false;

    // Act: every invocation is throttled
    await loop.run(bus, TRACE_EPOCH_MS + MAX_EVENT_AGE_MS + 3_600_000, async (inv) => {
      at.push(loop.now - TRACE_EPOCH_MS);
      if (!loop.throttle(inv)) dropped = true;
    });

    // Assess
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(gaps.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(Math.max(...gaps)).toBe(300_000);
    expect(dropped).toBe(true);
    expect(at[at.length - 1]).toBeLessThanOrEqual(MAX_EVENT_AGE_MS);
    expect(at[at.length - 1]).toBeGreaterThan(MAX_EVENT_AGE_MS - 300_000);
  });

  it('retries a failed invocation twice (1 and 2 min later), then gives it up for the DLQ', async () => {
    // Prepare
    const { loop, bus } = setup();
    const at: number[] = [];
    let dropped = false;

    // Act: every invocation fails
    await loop.run(bus, TRACE_EPOCH_MS + 3_600_000, async (inv) => {
      at.push(loop.now - TRACE_EPOCH_MS);
      if (!loop.retry(inv)) dropped = true;
    });

    // Assess
    expect(at).toEqual([0, RETRY_DELAYS_MS[0], RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1]]);
    expect(dropped).toBe(true);
  });
});

describe('Fault flags', () => {
  it('turns each kind on by its own flag, over the --faults rate', () => {
    // Act
    const rates = faultRates(0.1, { 'ddb-throttle': 0.3, crash: 0 });

    // Assess
    expect(rates['ddb-throttle']).toBe(0.3);
    expect(rates.crash).toBe(0);
    expect(rates['ec2-throttle']).toBe(0.1);
    expect(faultRates(undefined, { 'delivery-delay': 0.2 })).toMatchObject({ 'delivery-delay': 0.2, crash: 0, 'lambda-throttle': 0 });
    expect(() => faultRates(1.5)).toThrow(RangeError);
  });

  it('reads --fault-<kind> options as commander names them', () => {
    // Act
    const rates = faultRatesOf({ trace: 't', seed: 1, launchFailureRate: 0, faultDdbThrottle: 0.2, faultEc2Throttle: 0.05, faultLambdaThrottle: 0 });

    // Assess
    expect(rates).toEqual({ 'ddb-throttle': 0.2, 'ec2-throttle': 0.05, 'lambda-throttle': 0 });
  });
});

describe('Simulation with every kind of fault on', () => {
  afterAll(stopSimulator);

  it('keeps every invariant and the rooms active at the end the trace implies', async () => {
    // Prepare: a busy hour of the generated week
    const dir = await mkdtemp(join(tmpdir(), 'wcs-faults-'));
    const path = join(dir, 'hour.jsonl');
    const events = generateTrace({ seed: 5, days: 1 })
      .filter((e) => e.t >= 9 * 3600 && e.t < 10 * 3600)
      .map((e) => ({ ...e, t: e.t - 9 * 3600, time: (e.time ?? e.t) - 9 * 3600 }));
    await writeFile(path, formatTraceText(events));

    // Act
    const { summary, unexplainedActiveRoomIds } = await simulate({ tracePath: path, seed: 3, faultRates: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.2])) });

    // Assess
    expect(summary.rooms).toBeGreaterThan(50);
    expect(summary.faultsInjected).toBeGreaterThan(summary.crashesInjected);
    expect(summary.overbooked).toBe(0);
    expect(summary.leakedCapacity).toBe(0);
    expect(summary.orphanInstances).toBe(0);
    // A create that failed every attempt before its first write (throttled) is in the DLQ, its
    // room never stored: the only rooms left unanswered, for the operator to redrive.
    // Each room active at the end against the trace has its named cause: a room on a lost
    // instance (RoomInterrupted), or an event in the DLQ never applied (outcomes.ts).
    expect(summary.unansweredRooms).toBeLessThanOrEqual(summary.deadLettered);
    expect(unexplainedActiveRoomIds).toEqual([]);
    expect(summary.activeRoomsAtEnd).toBe(summary.accountedActiveRoomsAtEnd);
    expect(summary.deadLetteredCreates + summary.deadLetteredReleases).toBeLessThanOrEqual(summary.deadLettered);
  }, 300_000);
});
