/**
 * `FleetStore` on DynamoDB (single table, see `fleet-table.ts`): the five roles of the port, each
 * in its own file, composed into the one class callers use. No transactions: placement is one
 * conditional `UpdateItem` on the container item; everything else is written idempotently.
 *
 * | role | class | file |
 * | --- | --- | --- |
 * | `RoomStore` | `DynamoDbRoomStore` | `room-store.ts` |
 * | `CapacityStore` | `DynamoDbCapacityStore` | `capacity-store.ts` |
 * | `NodeStore` | `DynamoDbNodeStore` | `node-store.ts` |
 * | `PoolSummaryStore` | `DynamoDbPoolSummaryStore` | `pool-summary-store.ts` |
 * | `ArrivalHistoryStore` | `DynamoDbArrivalHistoryStore` | `arrival-history-store.ts` |
 * | `LifetimeStore` (`lifetimes`, a separate `AppDeps` port) | `DynamoDbLifetimeStore` | `lifetime-store.ts` |
 *
 * Item keys and item → record mapping are in `items.ts`; the calls they share (document client,
 * conditional update, paginated Query / Scan, error wrapping) in `table-client.ts`.
 *
 * @module
 */
import type {
  ArrivalHistoryStore,
  CapacityStore,
  FleetStore,
  NodeStore,
  PoolSummaryStore,
  RoomStore,
  TenantUsageStore,
} from '../../ports/fleet-store.ts';
import { DynamoDbTenantUsageStore } from './tenant-usage-store.ts';
import { DynamoDbLifetimeStore } from './lifetime-store.ts';
import { DynamoDbPeakHistoryStore } from './peak-history-store.ts';
import { DynamoDbArrivalHistoryStore } from './arrival-history-store.ts';
import { DynamoDbCapacityStore } from './capacity-store.ts';
import { DynamoDbNodeStore } from './node-store.ts';
import { DynamoDbPoolSummaryStore, type PoolSummaryStoreOptions } from './pool-summary-store.ts';
import { DynamoDbRoomStore } from './room-store.ts';
import { DynamoDbScheduleStore } from './schedule-store.ts';
import { FleetTableClient, type DynamoDbFleetStoreOptions } from './table-client.ts';

export type { DynamoDbFleetStoreOptions } from './table-client.ts';

type Args<R, K extends keyof R> = R[K] extends (...args: infer A) => unknown ? A : never;

/**
 * The fleet store on DynamoDB: one document client on one table, shared by the five role stores
 * this class delegates to.
 *
 * Costs (round trips): `findCandidates` 1 Query per index shard of the pool (in parallel);
 * `claimCapacity` 1 PutItem (the room's hold) and 1 UpdateItem; `beginRoom`, `confirmPlaced`,
 * `markQueued`, `releaseRoom` 1 each; `adjustSummary` 2 writes in parallel then S + 1 Queries in
 * parallel (S summary shards, 4 by default) — independent of fleet size.
 * Lost conditional races are returned as outcomes; other SDK failures are rethrown as
 * {@link FleetStoreError} with `cause`.
 *
 * @example
 * const store = new DynamoDbFleetStore({ client: new DynamoDBClient({}), tableName: 'fleet' });
 * const candidates = await store.findCandidates('default', 1, 5);
 */
export class DynamoDbFleetStore implements FleetStore {
  /** Rooms: claim, place, queue, release. */
  public readonly rooms: DynamoDbRoomStore;
  /** Container capacity: find, claim, release. */
  public readonly capacity: DynamoDbCapacityStore;
  /** Nodes: lifecycle and flags. */
  public readonly nodes: DynamoDbNodeStore;
  /** Pool summaries. */
  public readonly summaries: DynamoDbPoolSummaryStore;
  /** Arrival history (predictor seasonality). */
  public readonly history: DynamoDbArrivalHistoryStore;
  /** Active weight per tenant (the per-tenant cap). */
  public readonly tenants: DynamoDbTenantUsageStore;
  /** Peak live nodes per day (the warm pool's history), `peak-history-store.ts`. */
  public readonly peaks: DynamoDbPeakHistoryStore;
  /** Observed room lifetimes (`lifetime-store.ts`): not part of `FleetStore`; wire it as `AppDeps.lifetimes`. */
  public readonly lifetimes: DynamoDbLifetimeStore;
  /**
   * Scheduled rooms on the same table (`schedule-store.ts`): not a `FleetStore` role but its own
   * port (`AppDeps.schedule`), built here so it shares the client and table.
   */
  public readonly schedule: DynamoDbScheduleStore;

  /**
   * @param options.summary - the pool summary's shards and shard choice (`pool-summary-store.ts`)
   */
  public constructor(options: DynamoDbFleetStoreOptions & { readonly summary?: PoolSummaryStoreOptions | undefined }) {
    const table = new FleetTableClient(options);
    this.rooms = new DynamoDbRoomStore(table);
    this.capacity = new DynamoDbCapacityStore(table);
    this.nodes = new DynamoDbNodeStore(table);
    this.summaries = new DynamoDbPoolSummaryStore(table, options.summary);
    this.history = new DynamoDbArrivalHistoryStore(table);
    this.tenants = new DynamoDbTenantUsageStore(table);
    this.peaks = new DynamoDbPeakHistoryStore(table);
    this.lifetimes = new DynamoDbLifetimeStore(table);
    this.schedule = new DynamoDbScheduleStore(table);
  }

  // RoomStore
  public getRoom(...a: Args<RoomStore, 'getRoom'>) { return this.rooms.getRoom(...a); }
  public beginRoom(...a: Args<RoomStore, 'beginRoom'>) { return this.rooms.beginRoom(...a); }
  public setTarget(...a: Args<RoomStore, 'setTarget'>) { return this.rooms.setTarget(...a); }
  public confirmPlaced(...a: Args<RoomStore, 'confirmPlaced'>) { return this.rooms.confirmPlaced(...a); }
  public markQueued(...a: Args<RoomStore, 'markQueued'>) { return this.rooms.markQueued(...a); }
  public listQueued(...a: Args<RoomStore, 'listQueued'>) { return this.rooms.listQueued(...a); }
  public claimQueued(...a: Args<RoomStore, 'claimQueued'>) { return this.rooms.claimQueued(...a); }
  public listPlacing(...a: Args<RoomStore, 'listPlacing'>) { return this.rooms.listPlacing(...a); }
  public takeOverPlacing(...a: Args<RoomStore, 'takeOverPlacing'>) { return this.rooms.takeOverPlacing(...a); }
  public getRooms(...a: Args<RoomStore, 'getRooms'>) { return this.rooms.getRooms(...a); }
  public rejectQueued(...a: Args<RoomStore, 'rejectQueued'>) { return this.rooms.rejectQueued(...a); }
  public releaseRoom(...a: Args<RoomStore, 'releaseRoom'>) { return this.rooms.releaseRoom(...a); }
  public listRooms(...a: Args<RoomStore, 'listRooms'>) { return this.rooms.listRooms(...a); }

  // CapacityStore
  public findCandidates(...a: Args<CapacityStore, 'findCandidates'>) { return this.capacity.findCandidates(...a); }
  public claimCapacity(...a: Args<CapacityStore, 'claimCapacity'>) { return this.capacity.claimCapacity(...a); }
  public releaseCapacity(...a: Args<CapacityStore, 'releaseCapacity'>) { return this.capacity.releaseCapacity(...a); }
  public roomsOnNode(...a: Args<CapacityStore, 'roomsOnNode'>) { return this.capacity.roomsOnNode(...a); }

  // NodeStore
  public createNode(...a: Args<NodeStore, 'createNode'>) { return this.nodes.createNode(...a); }
  public getNode(...a: Args<NodeStore, 'getNode'>) { return this.nodes.getNode(...a); }
  public listNodes(...a: Args<NodeStore, 'listNodes'>) { return this.nodes.listNodes(...a); }
  public listNodePages(pool: string, itemsPerPage?: number) { return this.nodes.listNodePages(pool, itemsPerPage); }
  public transitionNode(...a: Args<NodeStore, 'transitionNode'>) { return this.nodes.transitionNode(...a); }
  public markReady(...a: Args<NodeStore, 'markReady'>) { return this.nodes.markReady(...a); }
  public setAccepting(...a: Args<NodeStore, 'setAccepting'>) { return this.nodes.setAccepting(...a); }
  public setHot(...a: Args<NodeStore, 'setHot'>) { return this.nodes.setHot(...a); }
  public setEmptySince(...a: Args<NodeStore, 'setEmptySince'>) { return this.nodes.setEmptySince(...a); }

  // PoolSummaryStore
  public adjustSummary(...a: Args<PoolSummaryStore, 'adjustSummary'>) { return this.summaries.adjustSummary(...a); }
  public getSummary(...a: Args<PoolSummaryStore, 'getSummary'>) { return this.summaries.getSummary(...a); }
  public correctSummary(...a: Args<PoolSummaryStore, 'correctSummary'>) { return this.summaries.correctSummary(...a); }
  public reserveLaunch(...a: Args<PoolSummaryStore, 'reserveLaunch'>) { return this.summaries.reserveLaunch(...a); }
  public settleLaunch(...a: Args<PoolSummaryStore, 'settleLaunch'>) { return this.summaries.settleLaunch(...a); }
  public takeOverLaunch(...a: Args<PoolSummaryStore, 'takeOverLaunch'>) { return this.summaries.takeOverLaunch(...a); }

  // ArrivalHistoryStore
  public getArrivalHistory(...a: Args<ArrivalHistoryStore, 'getArrivalHistory'>) { return this.history.getArrivalHistory(...a); }
  public recordArrivalHistory(...a: Args<ArrivalHistoryStore, 'recordArrivalHistory'>) { return this.history.recordArrivalHistory(...a); }

  // TenantUsageStore
  public reserveTenantWeight(...a: Args<TenantUsageStore, 'reserveTenantWeight'>) { return this.tenants.reserveTenantWeight(...a); }
  public returnTenantWeight(...a: Args<TenantUsageStore, 'returnTenantWeight'>) { return this.tenants.returnTenantWeight(...a); }
  public listTenantWeights(...a: Args<TenantUsageStore, 'listTenantWeights'>) { return this.tenants.listTenantWeights(...a); }
  public setTenantWeight(...a: Args<TenantUsageStore, 'setTenantWeight'>) { return this.tenants.setTenantWeight(...a); }

  // PeakHistoryStore
  public recordPeakNodes(pool: string, day: number, nodes: number) { return this.peaks.recordPeakNodes(pool, day, nodes); }
  public peakNodesByDay(pool: string, sinceDay: number) { return this.peaks.peakNodesByDay(pool, sinceDay); }
}
