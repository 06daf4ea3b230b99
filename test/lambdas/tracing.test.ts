/**
 * lambdas/shared/tracing.ts: the tracer loads on the first sampled invocation only; phases run
 * unchanged with or without it.
 */
import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSampled, lazyTracing, resetTracingForTests, traceClient, tracePhase, tracePorts, tracerLoaded } from '../../lambdas/shared/tracing.ts';
import { lambdaContext } from '../support/handlers.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  resetTracingForTests();
});

const SAMPLED = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const UNSAMPLED = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';

describe('Function: isSampled', () => {
  it('reads Sampled=1 from the trace header', () => {
    expect(isSampled(SAMPLED)).toBe(true);
    expect(isSampled(UNSAMPLED)).toBe(false);
    expect(isSampled('Root=1-abc;Sampled=10')).toBe(false);
    expect(isSampled(undefined)).toBe(false);
  });
});

describe('Function: lazyTracing', () => {
  it('does not load the tracer on unsampled invocations, loads it on the first sampled one and keeps it', async () => {
    // Prepare
    const client = { middlewareStack: { use: vi.fn(), add: vi.fn(), addRelativeTo: vi.fn() }, config: {} };
    traceClient(client);
    const handler = middy(async () => 'ok').use(lazyTracing({ enabled: true }));

    // Act, Assess
    vi.stubEnv('_X_AMZN_TRACE_ID', UNSAMPLED);
    await expect(handler({}, lambdaContext('room-events'))).resolves.toBe('ok');
    expect(tracerLoaded()).toBe(false);
    vi.stubEnv('_X_AMZN_TRACE_ID', SAMPLED);
    await expect(handler({}, lambdaContext('room-events'))).resolves.toBe('ok');
    expect(tracerLoaded()).toBe(true);
    vi.stubEnv('_X_AMZN_TRACE_ID', UNSAMPLED);
    await expect(handler({}, lambdaContext('room-events'))).resolves.toBe('ok');
    expect(tracerLoaded()).toBe(true);
  });

  it('never loads the tracer when tracing is disabled', async () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', SAMPLED);
    const handler = middy(async () => 'ok').use(lazyTracing({ enabled: false }));
    await handler({}, lambdaContext('room-events'));
    expect(tracerLoaded()).toBe(false);
  });
});

describe('Function: tracePorts', () => {
  it('passes calls, results and errors through unchanged', async () => {
    // Prepare
    const port = {
      base: 2,
      async add(n: number) {
        return this.base + n;
      },
      async fail() {
        throw new Error('boom');
      },
    };
    const traced = tracePorts(port, { add: 'decide', fail: 'claim' });

    // Act, Assess
    await expect(traced.add(3)).resolves.toBe(5);
    await expect(traced.fail()).rejects.toThrow('boom');
    await expect(tracePhase('parse', async () => 7)).resolves.toBe(7);
    expect(traced.base).toBe(2);
  });
});
