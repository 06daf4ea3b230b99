/**
 * Predicted room ends on container items written before them (no `re` map): claims and releases
 * keep working, and the first claim with an end adds the map.
 *
 * @module
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { containerKey } from '../../../../shared/adapters/dynamodb/items.ts';
import { scanAll, seedReadyNode, T0, useFleetTable } from '../../../support/fleet.ts';

const fleet = useFleetTable();
const POOL = 'media';
const ref = { nodeId: 'i-a', container: 0 };

/** The raw container item 0 of i-a. */
const container = async () => (await scanAll(fleet.doc, fleet.tableName)).find((i) => i.type === 'container' && i.idx === 0) as Record<string, unknown>;

describe('Class: DynamoDbCapacityStore predicted ends on older containers', () => {
  it('releases a room from a container without an `re` map, then records ends again once claimed with one', async () => {
    // Prepare: a container as written before predicted ends, hosting a room
    await seedReadyNode(fleet.store, { nodeId: 'i-a', pool: POOL, containers: 1, capacityPerContainer: 10, now: T0 });
    await fleet.doc.send(new UpdateCommand({ TableName: fleet.tableName, Key: containerKey('i-a', 0), UpdateExpression: 'REMOVE re' }));
    expect((await fleet.store.claimCapacity(ref, 'old', 3, T0, { pool: POOL })).kind).toBe('claimed');
    expect((await container()).re).toBeUndefined();

    // Act
    const released = await fleet.store.releaseCapacity(ref, 'old', 3);
    const claimed = await fleet.store.claimCapacity(ref, 'new', 2, T0, { pool: POOL, expectedEndAt: T0 + 600_000 });

    // Assess
    expect(released).toMatchObject({ used: 0 });
    expect(claimed).toMatchObject({ kind: 'claimed', container: { used: 2, roomEnds: [T0 + 600_000] } });
    expect(Object.values((await container()).re as Record<string, number>)).toEqual([(T0 + 600_000) / 1000]);
  });
});
