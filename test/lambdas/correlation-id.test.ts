/**
 * Every log line of an invocation carries its EventBridge event id as `correlation_id`
 * (lambdas/shared/middleware.ts), through the deployed entry point `handler`.
 */
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/room-events/index.ts';
import { setDependencies } from '../../lambdas/shared/dependencies.ts';
import { logger } from '../../lambdas/shared/observability.ts';
import { lambdaContext, makeDeps, roomCreated, seedReadyNode, useDynalite } from '../support/handlers.ts';

// The logger reads its level once, when its module loads (before the imports above run).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

const dynalite = useDynalite();

describe('Middleware: correlation id', () => {
  it('puts the EventBridge event id on every log line of its invocation, and only of its invocation', async () => {
    // Prepare
    await seedReadyNode(makeDeps({ store: dynalite.store, clock: { now: () => Date.now() } as never }), 'i-0aaaaaaaaaaaaaaa2', { octet: 8 });
    setDependencies({ ...makeDeps({ store: dynalite.store, clock: { now: () => Date.now() } as never }), logger });
    const lines: Record<string, unknown>[] = [];
    const capture = (chunk: string | Uint8Array) => {
      for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
      return true;
    };
    // INFO lines go to stdout, WARN and ERROR to stderr.
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);

    // Act
    try {
      await handler(roomCreated('evt-log-1', { roomId: 'room-4', weight: 1 }), lambdaContext('room-events'));
      await handler(roomCreated('evt-log-2', { roomId: 'room-5', weight: 1 }), lambdaContext('room-events'));
      await handler({ source: 'aws.scheduler', detail: {} }, lambdaContext('room-events'));
    } finally {
      out.mockRestore();
      err.mockRestore();
      setDependencies(undefined);
    }

    // Assess: each invocation logged, and every line carries its own event's id
    const logs = lines.filter((l) => typeof l.message === 'string');
    const byId = (id: string | undefined) => logs.filter((l) => l.correlation_id === id);
    expect(byId('evt-log-1').map((l) => l.message)).toContain('RoomCreated');
    expect(byId('evt-log-2').map((l) => l.message)).toContain('RoomCreated');
    expect(logs.filter((l) => l.message === 'RoomCreated')).toHaveLength(2);
    expect(logs.every((l) => l.correlation_id === 'evt-log-1' || l.correlation_id === 'evt-log-2' || l.correlation_id === undefined)).toBe(true);
    // The third event has no id: its lines carry none (keys are reset between invocations).
    expect(byId(undefined).length).toBeGreaterThan(0);
  });
});
