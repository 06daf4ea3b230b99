/**
 * `extensionParameterReader` against a fake Parameters and Secrets extension on 127.0.0.1, and
 * `SsmConfigSource` reading through it (in-process cache across calls, no SSM client).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extensionParameterReader } from '../../../shared/adapters/parameters-extension.ts';
import { SsmConfigSource } from '../../../shared/adapters/ssm-config-source.ts';
import { AutoscalerError } from '../../../shared/errors.ts';

let server: Server;
let port: number;
const requests: { name: string | null; token: string | undefined; decrypt: string | null }[] = [];
let reply: (name: string) => { status: number; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const name = url.searchParams.get('name');
    requests.push({ name, token: req.headers['x-aws-parameters-secrets-token'] as string | undefined, decrypt: url.searchParams.get('withDecryption') });
    const r = reply(name ?? '');
    res.writeHead(r.status).end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

beforeEach(() => {
  requests.length = 0;
  reply = (name) => ({ status: 200, body: JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: `value of ${name}`, Version: 3 } }) });
});

describe('Function: extensionParameterReader', () => {
  it('reads a String parameter with the session token, without decryption', async () => {
    // Prepare
    const read = extensionParameterReader({ host: '127.0.0.1', port, sessionToken: 'tok' });

    // Act
    const value = await read('/wcs-autoscaler/prod/config');

    // Assess
    expect(value).toBe('value of /wcs-autoscaler/prod/config');
    expect(requests).toEqual([{ name: '/wcs-autoscaler/prod/config', token: 'tok', decrypt: 'false' }]);
  });

  it('returns undefined when SSM says ParameterNotFound', async () => {
    reply = () => ({ status: 400, body: 'ParameterNotFound: an error occurred' });
    await expect(extensionParameterReader({ host: '127.0.0.1', port })('/missing')).resolves.toBeUndefined();
  });

  it('throws a retryable AutoscalerError when throttled or the extension fails, a final one on access denied', async () => {
    const read = extensionParameterReader({ host: '127.0.0.1', port });
    reply = () => ({ status: 400, body: 'ThrottlingException: Rate exceeded' });
    await expect(read('/p')).rejects.toMatchObject({ name: 'AutoscalerError', retryable: true });
    reply = () => ({ status: 500, body: 'internal error' });
    await expect(read('/p')).rejects.toMatchObject({ retryable: true });
    reply = () => ({ status: 400, body: 'AccessDeniedException: not authorized to perform ssm:GetParameter' });
    const error = await read('/p').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutoscalerError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining('/p') });
  });

  it('throws a retryable AutoscalerError when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', () => ok()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    await expect(extensionParameterReader({ host: '127.0.0.1', port: deadPort })('/p')).rejects.toMatchObject({ retryable: true });
  });
});

describe('Class: SsmConfigSource with a reader', () => {
  it('keeps the configuration for its TTL across calls, then reads again', async () => {
    // Prepare
    reply = (name) => ({ status: 200, body: JSON.stringify({ Parameter: { Name: name, Value: JSON.stringify({ pools: [{ name: 'default' }] }) } }) });
    let now = 0;
    const source = new SsmConfigSource({ reader: extensionParameterReader({ host: '127.0.0.1', port }), configParameter: '/wcs-autoscaler/prod/config', clock: { now: () => now }, ttlMs: 30_000 });

    // Act
    await source.getConfig();
    now = 29_999;
    await source.getConfig();
    now = 30_000;
    const config = await source.getConfig();

    // Assess
    expect(config.pools.map((p) => p.name)).toEqual(['default']);
    expect(requests).toHaveLength(2);
  });

  it('refuses to be built with neither a client nor a reader', () => {
    expect(() => new SsmConfigSource({ configParameter: '/x/config', clock: { now: () => 0 } })).toThrow(TypeError);
  });
});
