/**
 * The functions' composition root as deployed (lambdas/shared/dependencies.ts `awsDependencies`):
 * heavy clients load on the paths that use them, inside the invocation that needs them;
 * configuration comes through the Parameters and Secrets extension (a fake on 127.0.0.1).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../lambdas/room-events/index.ts';
import { awsDependencies, loadedLazyClients } from '../../lambdas/shared/dependencies.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import { bootstrapParameterNames, encodeTemplate, readBootstrapTemplate } from '../../shared/bootstrap/parameters.ts';
import { makeDeps, roomCreated, seedReadyNode, testPool, useDynalite } from '../support/handlers.ts';

const CONFIG_PARAMETER = '/wcs-autoscaler/test/config';
const SESSION_TOKEN = 'session-token-1';

const dynalite = useDynalite();
const ec2 = mockClient(EC2Client);
const events = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);

/** The extension's HTTP API: GET /systemsmanager/parameters/get?name=…, token checked. */
const parameters = new Map<string, string>();
const extensionReads: string[] = [];
let extension: Server;

beforeAll(async () => {
  extension = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const name = url.searchParams.get('name') ?? '';
    if (req.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    extensionReads.push(name);
    const value = parameters.get(name);
    if (value === undefined) res.writeHead(400).end(`ParameterNotFound: ${name}`);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: value, Version: 1 } }));
  });
  await new Promise<void>((ok) => extension.listen(0, '127.0.0.1', () => ok()));
});

afterAll(async () => {
  await new Promise<void>((ok) => extension.close(() => ok()));
});

beforeEach(() => {
  ec2.reset();
  events.reset();
  sqs.reset();
  extensionReads.length = 0;
  events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `ev-${i}` })) }));
  ec2.on(RunInstancesCommand).callsFake((input: { MaxCount: number }) => ({
    Instances: Array.from({ length: input.MaxCount }, (_, i) => ({ InstanceId: `i-0launched00000000${i}`, InstanceType: 'c6i.2xlarge', SubnetId: 'subnet-0a', Placement: { AvailabilityZone: 'eu-central-1a' } })),
  }));
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  parameters.clear();
  parameters.set(CONFIG_PARAMETER, JSON.stringify({ pools: [testPool()] }));
  // The real template, stored as the stateful stack stores it.
  parameters.set(bootstrapParameterNames(CONFIG_PARAMETER).template, encodeTemplate(readBootstrapTemplate()));
  vi.stubEnv('FLEET_TABLE', dynalite.tableName);
  vi.stubEnv('EVENT_BUS_NAME', 'wcs-autoscaler-test');
  vi.stubEnv('CONFIG_PARAMETER', CONFIG_PARAMETER);
  vi.stubEnv('LAUNCH_TEMPLATE_ID', 'lt-0123456789abcdef0');
  vi.stubEnv('SUBNET_IDS', 'subnet-0a');
  vi.stubEnv('SECURITY_GROUP_IDS', 'sg-0a');
  vi.stubEnv('FLEET_NAME', 'test');
  vi.stubEnv('DLQ_URL', 'https://sqs.eu-central-1.amazonaws.com/123456789012/test-dlq');
  vi.stubEnv('AWS_SESSION_TOKEN', SESSION_TOKEN);
  vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', String((extension.address() as AddressInfo).port));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The deployed dependency set, on this test's dynalite table (the module's own DynamoDB client points at AWS). */
function deployedDeps(): AppDeps {
  return { ...awsDependencies(), store: dynalite.store };
}

/** A store/clock/config view for the seeding helpers, matching the configuration the extension serves. */
function seeding() {
  return makeDeps({ store: dynalite.store, clock: { now: () => Date.now() } as never });
}

// These run in order: the module-level set of loaded clients is this file's (vitest isolates files).
describe('Composition root: lazily loaded clients', () => {
  it('places a RoomCreated loading EventBridge only (no EC2, SQS or CloudWatch)', async () => {
    // Prepare
    await seedReadyNode(seeding(), 'i-0aaaaaaaaaaaaaaa1', { octet: 7 });
    const handle = makeHandler(deployedDeps());

    // Act
    const result = await handle(roomCreated('evt-place-1', { roomId: 'room-1', weight: 1 }));

    // Assess
    expect(result).toMatchObject({ kind: 'placed', placement: { nodeId: 'i-0aaaaaaaaaaaaaaa1' } });
    expect([...loadedLazyClients()]).toEqual(['eventbridge']);
    expect(ec2.calls()).toHaveLength(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(extensionReads).toEqual([CONFIG_PARAMETER]);
  });

  it('launches in the same invocation when a RoomCreated scales out, loading EC2', async () => {
    // Prepare: no node at all, so the room queues and the pool scales out
    const handle = makeHandler(deployedDeps());

    // Act
    const result = await handle(roomCreated('evt-scale-1', { roomId: 'room-2', weight: 1 }));

    // Assess: RunInstances was sent before the invocation returned, with the rendered user-data
    expect(result).toMatchObject({ kind: 'queued' });
    const runs = ec2.commandCalls(RunInstancesCommand);
    expect(runs).toHaveLength(1);
    const userData = Buffer.from(runs[0]?.args[0].input.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain("FLEET='test'");
    expect(userData).toContain("EVENT_BUS='wcs-autoscaler-test'");
    expect([...loadedLazyClients()].sort()).toEqual(['ec2', 'eventbridge']);
    expect(sqs.calls()).toHaveLength(0);
    expect(extensionReads).toContain(bootstrapParameterNames(CONFIG_PARAMETER).template);
  });

  it('loads SQS only to dead-letter an invalid event', async () => {
    // Prepare
    const handle = makeHandler(deployedDeps());

    // Act
    const result = await handle(roomCreated('evt-bad-1', { roomId: 'room-3', weight: -1 }));

    // Assess
    expect(result).toMatchObject({ kind: 'rejected' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect([...loadedLazyClients()].sort()).toEqual(['ec2', 'eventbridge', 'sqs']);
  });
});
