import { beforeAll, describe, expect, it } from 'vitest';
import { formatStatus, readStatus, runStatusCommand } from '../../cli/status-command.ts';
import { seedReadyNode, T0, useFleetTable } from '../support/fleet.ts';

const fleet = useFleetTable();
const POOL = 'default';
const NODE_A = 'i-0aaaaaaaaaaaaaaa1';
const NODE_B = 'i-0bbbbbbbbbbbbbbb2';

beforeAll(() => {
  // The operator CLI builds its own client: dummy credentials for the local DynamoDB.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});

async function seedFleet() {
  await seedReadyNode(fleet.store, { nodeId: NODE_A, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
  await seedReadyNode(fleet.store, { nodeId: NODE_B, pool: POOL, containers: 2, capacityPerContainer: 10, now: T0 });
  await fleet.store.claimCapacity({ nodeId: NODE_A, container: 0 }, 'room-1', 3, T0);
  await fleet.store.transitionNode(NODE_B, ['ready'], 'draining', T0, 'operator');
  await fleet.store.setAccepting(NODE_B, false);
}

describe('Command: status', () => {
  it('counts nodes by state, rooms and used / free capacity per pool, one row per node', async () => {
    // Prepare
    await seedFleet();

    // Act
    const [status] = await readStatus(fleet.store, [POOL], T0 + 600_000);

    // Assess
    expect(status!.gauges.nodes).toMatchObject({ ready: 1, draining: 1 });
    expect(status!.gauges.usedCapacity).toBe(3);
    expect(status!.gauges.freeCapacity).toBe(17);
    expect(status!.nodes.map((n) => [n.nodeId, n.state, n.note, n.used, n.capacity])).toEqual([
      [NODE_B, 'draining', 'operator', 0, 20],
      [NODE_A, 'ready', '', 3, 20],
    ]);
    expect(formatStatus([status!])).toContain(NODE_A);
  });

  it('reads the table named by the options and prints one JSON object with --json', async () => {
    // Prepare
    await seedFleet();

    // Act
    const out = await runStatusCommand({ table: fleet.tableName, region: 'eu-central-1', endpoint: fleet.db.endpoint, json: true }, T0);

    // Assess
    const parsed = JSON.parse(out) as { pools: { pool: string; nodes: unknown[] }[] };
    expect(parsed.pools.map((p) => [p.pool, p.nodes.length])).toEqual([[POOL, 2]]);
  });

  it('names the missing table option', async () => {
    delete process.env.FLEET_TABLE;
    await expect(runStatusCommand({})).rejects.toThrow(/--table/);
  });
});
