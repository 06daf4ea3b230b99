/**
 * The idempotency layer (Powertools, keyed on the EventBridge event id, on DynamoDB) must not
 * block the retry of a crashed invocation:
 * - a crash the function sees (an error thrown out of the handler) deletes the in-progress
 *   record in the middleware's `onError`, so the retry runs at once;
 * - a hard crash (the process dies, nothing runs `onError`) leaves the record `INPROGRESS` until
 *   `in_progress_expiration` = start + the invocation's remaining time (the function timeout):
 *   a retry before that fails with IdempotencyAlreadyInProgressError (Lambda retries again
 *   later), one after it runs. Lambda's asynchronous retries come after ≥ 1 min, beyond our
 *   functions' timeouts.
 * A completed invocation's duplicate returns the stored result without running again.
 *
 * Runs the real `handler` export (middy + Powertools) against dynalite; Powertools reads the
 * wall clock (`Date.now()`), so the hard-crash case moves it with fake timers (Date only).
 *
 * @module
 */
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import type { setDependencies as SetDependencies } from '../../lambdas/shared/dependencies.ts';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultInjector } from '../../sim/adapters/fault-injection.ts';
import { localLambdaContext } from '../../sim/adapters/local-lambda-context.ts';
import type { FleetStore } from '../../shared/ports/index.ts';
import { FakeClock, makeDeps, seedReadyNode, useFleetTable } from '../support/fleet.ts';
import { roomCreated, T0 } from '../support/handlers.ts';
import { checkInvariants } from '../support/invariants.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const fleet = useFleetTable();
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Handler;
let setDependencies: typeof SetDependencies;
/** The remaining time the local context reports (the function timeout budget), ms. */
const REMAINING_MS = 30_000;

beforeAll(async () => {
  // The handler module builds its DynamoDB client and idempotency store at import, as in Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: fleet.db.endpoint,
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    IDEMPOTENCY_TABLE: fleet.db.idempotencyTable,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ setDependencies } = await import('../../lambdas/shared/dependencies.ts'));
  handler = (await import('../../lambdas/room-events/index.ts')).handler as unknown as Handler;
});

afterEach(() => {
  vi.useRealTimers();
  setDependencies(undefined);
});

const config = { pools: [{ name: 'default', containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0 }] };

function install(store: FleetStore) {
  const d = makeDeps({ store, config, clock: new FakeClock(T0) });
  setDependencies(d);
  return d;
}

describe('Idempotency on the event id vs crashed invocations', () => {
  it('runs the retry of an invocation that crashed with an error (the in-progress record is deleted)', async () => {
    // Prepare
    await seedReadyNode(fleet.store, { nodeId: 'i-0aaaaaaaaaaaaaaa1', pool: 'default', containers: 2, capacityPerContainer: 10, now: T0 });
    const faults = new FaultInjector({ kind: 'crash-after-write', write: 2 });
    const d = install(faults.wrap(fleet.store, 'store'));
    const event = roomCreated('evt-crash-1', { roomId: 'room-1', weight: 2 }, T0);

    // Act
    const first = handler(event, localLambdaContext('room-events', 'req-1'));
    await expect(first).rejects.toThrow('injected crash after write 2');
    const retry = await handler(event, localLambdaContext('room-events', 'req-2'));
    const duplicate = await handler(event, localLambdaContext('room-events', 'req-3'));

    // Assess
    expect(retry).toMatchObject({ kind: 'placed' });
    expect(duplicate).toEqual(retry); // the stored result, not a second run
    expect(d.publisher.ofType('RoomPlaced')).toHaveLength(1);
    expect(await checkInvariants({ doc: DynamoDBDocumentClient.from(fleet.db.client), tableName: fleet.tableName, compute: d.compute })).toEqual([]);
  });

  it('blocks the retry of a hard-crashed invocation until its timeout has passed, then runs it', async () => {
    // Prepare: the first invocation never finishes (the process died after its first write)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    await seedReadyNode(fleet.store, { nodeId: 'i-0aaaaaaaaaaaaaaa1', pool: 'default', containers: 2, capacityPerContainer: 10, now: T0 });
    let reached: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (reached = resolve));
    const dying: FleetStore = new Proxy(fleet.store, {
      get: (target, prop, receiver) =>
        prop === 'claimCapacity' ? () => (reached(), new Promise<never>(() => undefined)) : Reflect.get(target, prop, receiver),
    });
    install(dying);
    const event = roomCreated('evt-hard-crash', { roomId: 'room-2', weight: 2 }, T0);
    void handler(event, { ...localLambdaContext('room-events', 'req-1'), getRemainingTimeInMillis: () => REMAINING_MS });
    await hung;
    const d = install(fleet.store);

    // Act
    const early = handler(event, localLambdaContext('room-events', 'req-2'));
    await expect(early).rejects.toBeInstanceOf(IdempotencyAlreadyInProgressError);
    vi.setSystemTime(Date.now() + REMAINING_MS + 1);
    const late = await handler(event, localLambdaContext('room-events', 'req-3'));

    // Assess
    expect(late).toMatchObject({ kind: 'placed' });
    expect(d.publisher.ofType('RoomPlaced')).toEqual([expect.objectContaining({ roomId: 'room-2' })]);
  });
});
