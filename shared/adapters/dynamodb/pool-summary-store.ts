/**
 * {@link PoolSummaryStore} on the fleet table, in items of a fixed size (layout in
 * `summary-items.ts`): S counter shards, one item per minute bucket and shard, one item per
 * draining node, and the legacy single summary item of earlier versions folded in on reads.
 *
 * @module
 */
import { BatchWriteCommand, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BUCKET_MS } from '../../domain/buckets.ts';
import { FleetStoreError } from '../../errors.ts';
import {
  LAUNCH_RESERVATION_FOLD_MS,
  reservedCounts,
  SUMMARY_BUCKET_READ_MS,
  type PoolSummary,
  type PoolSummaryStore,
  type SummaryDelta,
  type SummarySnapshot,
} from '../../ports/fleet-store.ts';
import type { Item, ItemKey } from './items.ts';
import {
  DEFAULT_SUMMARY_SHARDS,
  drainingKey,
  foldSummary,
  launchKey,
  LEGACY_PREFIX,
  legacySummaryKey,
  legacyTrimmable,
  minuteKey,
  minuteSk,
  summaryShardPk,
  totalsKey,
} from './summary-items.ts';
import { isConditionFailure, type FleetTableClient } from './table-client.ts';

/** Options of {@link DynamoDbPoolSummaryStore}. */
export interface PoolSummaryStoreOptions {
  /** Counter shards per pool (S, ≥ 1). Default {@link DEFAULT_SUMMARY_SHARDS}. */
  readonly shards?: number | undefined;
  /** Shard choice for a write: a uniform number in [0, 1). Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/** Most deletes of one BatchWriteItem (DynamoDB's limit). */
const BATCH_WRITE_MAX = 25;

/**
 * Most attributes one REMOVE of the legacy item names: `#rNNN, ` is ≤ 7 characters, and an
 * expression string may be at most 4 KB ("Expression parameters", DynamoDB quotas,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 */
const LEGACY_REMOVE_MAX = 400;

/** Counter attributes of a shard and the summary fields they hold. */
const COUNTERS = [
  ['rf', 'readyFree'],
  ['pc', 'pendingCapacity'],
  ['qw', 'queuedWeight'],
  ['ln', 'liveNodes'],
] as const;

/**
 * Pool summaries on DynamoDB. Writes, all ≤ 1 KB whatever the fleet (see `summary-items.ts`):
 * `adjustSummary` ADDs to one random counter shard and to that shard's current minute bucket
 * (two UpdateItems in parallel, no condition), puts or deletes draining items, then reads the
 * summary back. Reads are S + 1 consistent Queries in parallel (each shard's partition, and the
 * pool's `SUMMARY…` items). The sweep's {@link correctSummary} ADDs differences, never overwrites
 * a counter. Failures throw {@link FleetStoreError}.
 *
 * Throughput: a pool's placements spread their counter writes over S items (and S partition
 * keys), so the per-item limit (~1,000 writes/s) binds at S × 1,000 counter writes/s.
 *
 * @example
 * const summaries = new DynamoDbPoolSummaryStore(new FleetTableClient({ client, tableName: 'fleet' }));
 * const after = await summaries.adjustSummary('default', { arrivals: 2, queuedWeight: 2 }, now);
 */
export class DynamoDbPoolSummaryStore implements PoolSummaryStore {
  private readonly shards: number;
  private readonly random: () => number;

  public constructor(
    private readonly table: FleetTableClient,
    options: PoolSummaryStoreOptions = {},
  ) {
    this.shards = Math.max(1, Math.floor(options.shards ?? DEFAULT_SUMMARY_SHARDS));
    this.random = options.random ?? Math.random;
  }

  public async adjustSummary(pool: string, delta: SummaryDelta, now: number): Promise<PoolSummary> {
    const shard = Math.min(this.shards - 1, Math.floor(this.random() * this.shards));
    const counters: Record<string, number> = {};
    for (const [attr, field] of COUNTERS) if (delta[field]) counters[attr] = delta[field];
    const buckets: Record<string, number> = {};
    if (delta.arrivals) buckets.a = delta.arrivals;
    if (delta.launches) buckets.l = delta.launches;
    await Promise.all([
      this.add('AdjustSummary', totalsKey(pool, shard), counters),
      this.add('AdjustSummaryBucket', minuteKey(pool, shard, Math.floor(now / BUCKET_MS)), buckets),
      ...Object.entries(delta.drainingSet ?? {}).map(([nodeId, free]) => this.putDraining(pool, nodeId, free)),
      ...(delta.drainingRemove ?? []).map((nodeId) => this.deleteItem('RemoveDraining', drainingKey(pool, nodeId))),
    ]);
    return this.getSummary(pool, now);
  }

  public async getSummary(pool: string, now?: number): Promise<PoolSummary> {
    const from = now === undefined ? undefined : minuteSk(Math.floor((now - SUMMARY_BUCKET_READ_MS) / BUCKET_MS));
    const [shardItems, poolItems] = await Promise.all([
      Promise.all(
        Array.from({ length: this.shards }, (_, s) =>
          this.table.queryAll({
            KeyConditionExpression: from === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :from',
            ExpressionAttributeValues: { ':pk': summaryShardPk(pool, s), ...(from === undefined ? {} : { ':from': from }) },
            ConsistentRead: true,
          }),
        ),
      ),
      this.table.queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':pk': legacySummaryKey(pool).pk, ':s': legacySummaryKey(pool).sk },
        ConsistentRead: true,
      }),
    ]);
    return foldSummary(pool, shardItems.flat(), poolItems);
  }

  public async correctSummary(pool: string, exact: SummarySnapshot, read: PoolSummary, now: number, windowMs: number): Promise<void> {
    const oldest = Math.floor((now - windowMs) / BUCKET_MS) + 1;
    // Counters: the difference, ADDed to shard 0, so deltas applied since `read` survive.
    const diff: Record<string, number> = {};
    for (const [attr, field] of COUNTERS) if (exact[field] !== read[field]) diff[attr] = exact[field] - read[field];
    // Old launch reservations: what each counted is ADDed to shard 0 with the difference, and
    // the reservation deleted after (a crash between counts it twice until the next sweep).
    const folded = Object.entries(read.launchReservations ?? {}).filter(([, r]) => now - r.at >= LAUNCH_RESERVATION_FOLD_MS);
    const foldedLaunches: Record<string, number> = {};
    for (const [, r] of folded) {
      const counted = reservedCounts(r);
      diff.pc = (diff.pc ?? 0) + counted.pendingCapacity;
      diff.ln = (diff.ln ?? 0) + counted.nodes;
      const minute = Math.floor(r.at / BUCKET_MS);
      if (minute >= oldest && counted.nodes > 0) foldedLaunches[minute] = (foldedLaunches[minute] ?? 0) + counted.nodes;
    }
    for (const attr of ['pc', 'ln']) if (diff[attr] === 0) delete diff[attr];
    const set: Record<string, number> = { at: now };
    if (exact.forecastWeight !== undefined) set.fw = exact.forecastWeight;
    if (exact.announcedWeight !== undefined) set.aw = exact.announcedWeight;
    const legacy = await this.table.getItem('GetLegacySummary', legacySummaryKey(pool));
    const fromLegacy = new Set(legacyTrimmable(legacy).draining);
    await Promise.all([
      this.add('CorrectSummary', totalsKey(pool, 0), diff, set),
      legacy ? this.trimLegacy(pool, legacy, oldest) : undefined,
      ...Object.keys(read.draining)
        .filter((nodeId) => !(nodeId in exact.draining))
        .map((nodeId) => this.deleteItem('RemoveDraining', drainingKey(pool, nodeId))),
      ...Object.entries(exact.draining)
        .filter(([nodeId, free]) => fromLegacy.has(nodeId) || read.draining[nodeId] !== free)
        .map(([nodeId, free]) =>
          // An entry the caller read is only updated if still there (an undrain since wins); a new
          // one only created if absent (a drain since wrote a fresher figure).
          this.putDraining(pool, nodeId, free, fromLegacy.has(nodeId) ? undefined : nodeId in read.draining ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)'),
        ),
      this.trimBuckets(pool, [...new Set([...Object.keys(read.arrivals), ...Object.keys(read.launches)])].map(Number).filter((m) => m < oldest)),
      ...Object.entries(foldedLaunches).map(([minute, l]) => this.add('CorrectSummaryBucket', minuteKey(pool, 0, minute), { l })),
    ]);
    // Only as read: one settled since is counted again by the next sweep's fold.
    await Promise.all(folded.map(([decisionId, r]) => this.deleteReservation(pool, decisionId, r.launched)));
  }

  public async reserveLaunch(pool: string, decisionId: string, nodes: number, capacityPerNode: number, now: number, leaseUntil?: number): Promise<boolean> {
    return this.table.conditional('ReserveLaunch', {
      Key: launchKey(pool, decisionId),
      UpdateExpression: 'SET #n = :n, #c = :c, #at = :at, #lu = :lu',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: { '#n': 'n', '#c': 'c', '#at': 'at', '#lu': 'lu' },
      ExpressionAttributeValues: { ':n': nodes, ':c': capacityPerNode, ':at': now, ':lu': leaseUntil ?? now + LAUNCH_RESERVATION_FOLD_MS },
    });
  }

  public async takeOverLaunch(pool: string, decisionId: string, now: number, leaseUntil: number): Promise<boolean> {
    // Lease ended: `lu` passed, or (an item of an earlier version, no `lu`) counted a fold age ago.
    return this.table.conditional('TakeOverLaunch', {
      Key: launchKey(pool, decisionId),
      UpdateExpression: 'SET #lu = :lu',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#x) AND (#lu <= :now OR (attribute_not_exists(#lu) AND #at <= :old))',
      ExpressionAttributeNames: { '#lu': 'lu', '#x': 'x', '#at': 'at' },
      ExpressionAttributeValues: { ':lu': leaseUntil, ':now': now, ':old': now - LAUNCH_RESERVATION_FOLD_MS },
    });
  }

  public async settleLaunch(pool: string, decisionId: string, launched: number): Promise<boolean> {
    return this.table.conditional('SettleLaunch', {
      Key: launchKey(pool, decisionId),
      UpdateExpression: 'SET #x = :x',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#x)',
      ExpressionAttributeNames: { '#x': 'x' },
      ExpressionAttributeValues: { ':x': launched },
    });
  }

  /** Delete a launch reservation if it is still settled as `launched` (undefined: not settled). */
  private async deleteReservation(pool: string, decisionId: string, launched: number | undefined): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: launchKey(pool, decisionId),
          ConditionExpression: launched === undefined ? 'attribute_not_exists(#x)' : '#x = :x',
          ExpressionAttributeNames: { '#x': 'x' },
          ...(launched === undefined ? {} : { ExpressionAttributeValues: { ':x': launched } }),
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) return;
      throw new FleetStoreError('FoldLaunchReservation failed', e);
    }
  }

  /** ADD `adds` (and SET `sets`) on an item; nothing when both are empty. */
  private async add(op: string, key: ItemKey, adds: Record<string, number>, sets: Record<string, number> = {}): Promise<void> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const parts = (list: Record<string, number>, prefix: string, form: (n: string, v: string) => string) =>
      Object.entries(list).map(([attr, v], i) => {
        names[`#${prefix}${i}`] = attr;
        values[`:${prefix}${i}`] = v;
        return form(`#${prefix}${i}`, `:${prefix}${i}`);
      });
    const add = parts(adds, 'a', (n, v) => `${n} ${v}`);
    const set = parts(sets, 's', (n, v) => `${n} = ${v}`);
    if (add.length === 0 && set.length === 0) return;
    const expression = [add.length ? `ADD ${add.join(', ')}` : '', set.length ? `SET ${set.join(', ')}` : ''].filter(Boolean).join(' ');
    await this.table.call(op, () =>
      this.table.doc.send(
        new UpdateCommand({ TableName: this.table.name, Key: key, UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values }),
      ),
    );
  }

  private async putDraining(pool: string, nodeId: string, free: number, condition?: string): Promise<void> {
    const put = () =>
      this.table.doc.send(
        new PutCommand({ TableName: this.table.name, Item: { ...drainingKey(pool, nodeId), f: free }, ...(condition ? { ConditionExpression: condition } : {}) }),
      );
    if (condition === undefined) {
      await this.table.call('SetDraining', put);
      return;
    }
    try {
      await put();
    } catch (e) {
      if (isConditionFailure(e)) return;
      throw new FleetStoreError('SetDraining failed', e);
    }
  }

  private async deleteItem(op: string, key: ItemKey): Promise<void> {
    await this.table.call(op, () => this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: key })));
  }

  /**
   * Delete the minute buckets of `minutes` (minute numbers) on every shard: BatchWriteItem by 25
   * (a delete of an absent item changes nothing). Unprocessed deletes are left to the next sweep.
   */
  private async trimBuckets(pool: string, minutes: readonly number[]): Promise<void> {
    const keys = minutes.flatMap((m) => Array.from({ length: this.shards }, (_, s) => minuteKey(pool, s, m)));
    for (let i = 0; i < keys.length; i += BATCH_WRITE_MAX) {
      const requests = keys.slice(i, i + BATCH_WRITE_MAX).map((Key) => ({ DeleteRequest: { Key } }));
      await this.table.call('TrimSummaryBuckets', () => this.table.doc.send(new BatchWriteCommand({ RequestItems: { [this.table.name]: requests } })));
    }
  }

  /**
   * Trim the legacy item: remove its draining entries (now items of their own) and its buckets
   * older than `oldest`. Its counters stay (they are part of the sum). Only REMOVEs: a writer of
   * an earlier version still ADDing to it during a deployment loses nothing.
   */
  private async trimLegacy(pool: string, legacy: Item, oldest: number): Promise<void> {
    const t = legacyTrimmable(legacy);
    const attrs = [
      ...t.draining.map((k) => `${LEGACY_PREFIX.draining}${k}`),
      ...t.arrivals.filter((k) => Number(k) < oldest).map((k) => `${LEGACY_PREFIX.arrivals}${k}`),
      ...t.launches.filter((k) => Number(k) < oldest).map((k) => `${LEGACY_PREFIX.launches}${k}`),
    ];
    // By LEGACY_REMOVE_MAX: an expression string may be at most 4 KB.
    for (let i = 0; i < attrs.length; i += LEGACY_REMOVE_MAX) {
      const names = Object.fromEntries(attrs.slice(i, i + LEGACY_REMOVE_MAX).map((a, j) => [`#r${j}`, a]));
      const applied = await this.table.conditional('TrimLegacySummary', {
        Key: legacySummaryKey(pool),
        UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
      });
      if (!applied) return;
    }
  }
}
