import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDrainCommand } from '../../cli/drain-command.ts';
import { seedReadyNode, T0, useFleetTable } from '../support/fleet.ts';

const fleet = useFleetTable();
const POOL = 'default';
const NODE = 'i-0aaaaaaaaaaaaaaa1';
const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/wcs-autoscaler.js', import.meta.url));

beforeAll(() => {
  // The operator CLI builds its own client: dummy credentials for the local DynamoDB.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});

const seed = () => seedReadyNode(fleet.store, { nodeId: NODE, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
const options = () => ({ table: fleet.tableName, region: 'eu-central-1', endpoint: fleet.db.endpoint });

describe('Command: drain / undrain', () => {
  it('drains a ready node: no new rooms on it, reason operator, and undrain returns it to service', async () => {
    // Prepare
    await seed();

    // Act
    const drained = await runDrainCommand('drain', NODE, options());
    const whileDrained = await fleet.store.getNode(NODE);
    const candidates = await fleet.store.findCandidates(POOL, 1, 10);
    const undrained = await runDrainCommand('undrain', NODE, options());

    // Assess
    expect(drained).toEqual({ outcome: { kind: 'drained', nodeId: NODE, pool: POOL }, exitCode: 0 });
    expect(whileDrained).toMatchObject({ state: 'draining', drainReason: 'operator' });
    expect(whileDrained?.containers.every((c) => !c.accepting)).toBe(true);
    expect(candidates).toEqual([]);
    expect(undrained).toEqual({ outcome: { kind: 'undrained', nodeId: NODE, pool: POOL }, exitCode: 0 });
    const after = await fleet.store.getNode(NODE);
    expect(after?.state).toBe('ready');
    expect(after?.containers.every((c) => c.accepting)).toBe(true);
    expect((await fleet.store.getSummary(POOL)).readyFree).toBe(20);
  });

  it('refuses to undrain a node drained for a fault unless forced', async () => {
    // Prepare
    await seed();
    await fleet.store.transitionNode(NODE, ['ready'], 'draining', T0, 'spot-interruption');
    await fleet.store.setAccepting(NODE, false);

    // Act
    const refused = await runDrainCommand('undrain', NODE, options());
    const forced = await runDrainCommand('undrain', NODE, { ...options(), force: true });

    // Assess
    expect(refused.exitCode).toBe(2);
    expect(refused.outcome).toMatchObject({ kind: 'refused', reason: expect.stringContaining('spot-interruption') });
    expect(forced.outcome.kind).toBe('undrained');
  });

  it('refuses an unknown node and a node that is not ready', async () => {
    // Act
    const unknown = await runDrainCommand('drain', 'i-0nothere00000000', options());

    // Assess
    expect(unknown).toEqual({ outcome: { kind: 'refused', nodeId: 'i-0nothere00000000', reason: 'no such node' }, exitCode: 2 });
  });

  it('runs as `npx wcs-autoscaler drain NODE --table …` and prints the outcome', async () => {
    // Prepare
    await seed();

    // Act
    const { stdout } = await run(process.execPath, [bin, 'drain', NODE, '--table', fleet.tableName, '--region', 'eu-central-1', '--endpoint', fleet.db.endpoint], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    });

    // Assess
    expect(JSON.parse(stdout)).toEqual({ kind: 'drained', nodeId: NODE, pool: POOL });
    expect((await fleet.store.getNode(NODE))?.state).toBe('draining');
  });
});
