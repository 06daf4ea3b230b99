/**
 * Security: secrets never appear in the functions' logs, in the events they publish, or in what
 * they dead-letter — on the happy path and on the failure paths (invalid input, a failing
 * store, a failing publish). Canaries: the AWS credentials in the environment and a secret-like
 * value inside the pool's user-data (which the functions pass to EC2 but must never print).
 * (IAM conditions and user-data contents are tested with the stack and the bootstrap.)
 *
 * Runs the real `handler` exports (middy, Powertools logger at DEBUG) and captures everything
 * written to stdout / stderr.
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import type { setDependencies as SetDependencies } from '../../lambdas/shared/dependencies.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StaticConfigSource } from '../../sim/adapters/local-config-source.ts';
import { localLambdaContext } from '../../sim/adapters/local-lambda-context.ts';
import { parseAutoscalerConfig } from '../../shared/domain/config.ts';
import { FleetStoreError } from '../../shared/errors.ts';
import type { FleetStore } from '../../shared/ports/index.ts';
import { makeDeps, useFleetTable } from '../support/fleet.ts';
import { envelope, roomCreated, roomReleased, T0 } from '../support/handlers.ts';

const fleet = useFleetTable();
const SECRET_KEY = 'CANARYsecretAccessKey0123456789abcdefXYZ';
const SESSION_TOKEN = 'CANARYsessionToken9876543210';
const LICENSE = 'CANARY-WCS-LICENSE-5f0c2e';
const CANARIES = [SECRET_KEY, SESSION_TOKEN, LICENSE];

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const handlers: Record<'room' | 'node' | 'sweep', Handler> = {} as never;
let setDependencies: typeof SetDependencies;
const written: string[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'AKIACANARY',
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  delete process.env.IDEMPOTENCY_TABLE;
  const capture = (chunk: unknown) => (written.push(String(chunk)), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  ({ setDependencies } = await import('../../lambdas/shared/dependencies.ts'));
  handlers.room = (await import('../../lambdas/room-events/index.ts')).handler as unknown as Handler;
  handlers.node = (await import('../../lambdas/node-events/index.ts')).handler as unknown as Handler;
  handlers.sweep = (await import('../../lambdas/sweep/index.ts')).handler as unknown as Handler;
});

afterAll(() => {
  vi.restoreAllMocks();
  setDependencies(undefined);
  process.env = saved;
});

describe('Security: secrets stay out of logs, events and the dead-letter queue', () => {
  it('prints and publishes no canary on any path', async () => {
    // Prepare
    const config = parseAutoscalerConfig({ pools: [{ name: 'default', containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0 }] });
    const userData = `#!/bin/bash\nexport WCS_LICENSE=${LICENSE}\n`;
    let failStore = false;
    const store: FleetStore = new Proxy(fleet.store, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (failStore) throw new FleetStoreError('BeginRoom failed', Object.assign(new Error('ProvisionedThroughputExceededException'), { $metadata: { httpStatusCode: 400 } }));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const d = { ...makeDeps({ store, config: {} }), config: new StaticConfigSource(config, () => userData) };
    setDependencies(d);
    const ctx = (fn: string) => localLambdaContext(fn);

    // Act: queue + launch (user-data goes to EC2), NodeReady, place, release, invalid input,
    // a store failure, a publish failure, a sweep
    await handlers.room(roomCreated('sec-1', { roomId: 'room-1', weight: 2 }, T0), ctx('room-events'));
    const launchedId = (await d.compute.describeFleet())[0]?.instanceId ?? 'i-missing';
    await handlers.node(
      envelope('wcs-autoscaler.node', 'NodeReady', { instanceId: launchedId, containers: [{ index: 0, privateIp: '10.0.0.5', cpuset: '0-3' }, { index: 1, privateIp: '10.0.0.6', cpuset: '4-7' }] }, { id: 'sec-2', time: T0 }),
      ctx('node-events'),
    );
    await handlers.room(roomCreated('sec-3', { roomId: 'room-2' }, T0), ctx('room-events'));
    await handlers.room(roomReleased('sec-4', 'room-1', T0), ctx('room-events'));
    await handlers.room(roomCreated('sec-5', { roomId: 'bad id!', weight: 'x' }, T0), ctx('room-events'));
    await handlers.room({ ...roomCreated('sec-6', { roomId: 'room-3' }, T0), 'detail-type': 'Unknown' }, ctx('room-events'));
    failStore = true;
    await expect(handlers.room(roomCreated('sec-7', { roomId: 'room-4' }, T0), ctx('room-events'))).rejects.toThrow();
    failStore = false;
    d.publisher.failNext = 1;
    await expect(handlers.room(roomCreated('sec-8', { roomId: 'room-5' }, T0), ctx('room-events'))).rejects.toThrow();
    await handlers.sweep({ source: 'aws.scheduler' }, ctx('sweep'));

    // Assess
    const logs = written.join('');
    expect(logs.length).toBeGreaterThan(0); // the capture works: the functions did log
    expect(logs).toContain('invocation failed');
    expect(d.compute.launches.some((l) => l.userData?.includes(LICENSE))).toBe(true); // it did reach EC2
    const outbound = JSON.stringify(d.publisher.events);
    const deadLetters = JSON.stringify(d.deadLetters.messages);
    for (const canary of CANARIES) {
      expect(logs).not.toContain(canary);
      expect(outbound).not.toContain(canary);
      expect(deadLetters).not.toContain(canary);
    }
  });
});
