/**
 * {@link PoolSummaryStore} on the fleet table: one summary item per pool (`POOL#<pool>` /
 * `SUMMARY`) holding the counters, one attribute per minute bucket (`arr_<minute>`,
 * `lau_<minute>`) and one per draining node (`drn_<nodeId>`).
 *
 * @module
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { bucketKey } from '../../domain/buckets.ts';
import type { PoolSummary, PoolSummaryStore, SummaryDelta, SummarySnapshot } from '../../ports/fleet-store.ts';
import { ARRIVAL_PREFIX, DRAINING_PREFIX, LAUNCH_PREFIX, summaryKey, toSummary, type Item } from './items.ts';
import type { FleetTableClient } from './table-client.ts';

/**
 * Pool summaries on DynamoDB: `adjustSummary` is one unconditional UpdateItem (ADD), so
 * concurrent writers never conflict; the sweep's `replaceSummary` makes the figures exact again.
 * Failures throw {@link FleetStoreError}.
 *
 * @example
 * const summaries = new DynamoDbPoolSummaryStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const after = await summaries.adjustSummary('default', { arrivals: 2, queuedWeight: 2 }, now);
 */
export class DynamoDbPoolSummaryStore implements PoolSummaryStore {
  public constructor(private readonly table: FleetTableClient) {}

  public async adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const adds: string[] = [];
    const sets: string[] = [];
    const removes: string[] = [];
    const add = (attr: string, v: number | undefined) => {
      if (v === undefined || v === 0) return;
      const n = `#a${adds.length}`;
      names[n] = attr;
      values[`:a${adds.length}`] = v;
      adds.push(`${n} :a${adds.length}`);
    };
    add('readyFree', delta.readyFree);
    add('pendingCapacity', delta.pendingCapacity);
    add('queuedWeight', delta.queuedWeight);
    add('liveNodes', delta.liveNodes);
    add(`${ARRIVAL_PREFIX}${bucketKey(now)}`, delta.arrivals);
    add(`${LAUNCH_PREFIX}${bucketKey(now)}`, delta.launches);
    for (const [nodeId, free] of Object.entries(delta.drainingSet ?? {})) {
      const i = sets.length;
      names[`#d${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      values[`:d${i}`] = free;
      sets.push(`#d${i} = :d${i}`);
    }
    (delta.drainingRemove ?? []).forEach((nodeId, i) => {
      names[`#r${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      removes.push(`#r${i}`);
    });
    const parts = [
      adds.length ? `ADD ${adds.join(', ')}` : '',
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ].filter(Boolean);
    if (parts.length === 0) return this.getSummary(pool);
    const out = await this.table.call('AdjustSummary', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: summaryKey(pool),
          UpdateExpression: parts.join(' '),
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return toSummary(pool, out.Attributes);
  }

  public async getSummary(pool: string): Promise<PoolSummary> {
    return toSummary(pool, await this.table.getItem('GetSummary', summaryKey(pool)));
  }

  public async replaceSummary(pool: string, snapshot: SummarySnapshot, current: PoolSummary, now: number, windowMs: number): Promise<void> {
    const oldest = Math.floor((now - windowMs) / 60_000) + 1;
    const keys = [
      ...Object.keys(current.arrivals).map((k) => `${ARRIVAL_PREFIX}${k}`),
      ...Object.keys(current.launches).map((k) => `${LAUNCH_PREFIX}${k}`),
      ...Object.keys(current.draining).map((k) => `${DRAINING_PREFIX}${k}`),
    ];
    const names: Record<string, string> = {};
    const values: Item = {
      ':rf': snapshot.readyFree,
      ':pc': snapshot.pendingCapacity,
      ':qw': snapshot.queuedWeight,
      ':ln': snapshot.liveNodes,
      ':at': now,
    };
    const sets = ['readyFree = :rf', 'pendingCapacity = :pc', 'queuedWeight = :qw', 'liveNodes = :ln', 'reconciledAt = :at'];
    if (snapshot.forecastWeight !== undefined) {
      sets.push('forecastWeight = :fw');
      values[':fw'] = snapshot.forecastWeight;
    }
    const removes: string[] = [];
    let i = 0;
    for (const k of keys) {
      const stale =
        ((k.startsWith(ARRIVAL_PREFIX) || k.startsWith(LAUNCH_PREFIX)) && Number(k.slice(4)) < oldest) ||
        (k.startsWith(DRAINING_PREFIX) && !(k.slice(DRAINING_PREFIX.length) in snapshot.draining));
      if (stale) {
        names[`#x${i}`] = k;
        removes.push(`#x${i++}`);
      }
    }
    for (const [nodeId, free] of Object.entries(snapshot.draining)) {
      names[`#x${i}`] = `${DRAINING_PREFIX}${nodeId}`;
      values[`:x${i}`] = free;
      sets.push(`#x${i} = :x${i++}`);
    }
    await this.table.call('ReplaceSummary', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: summaryKey(pool),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
