/**
 * Port of the lifetime predictor's learned counters (shared/domain/lifetime.ts): per pool, one
 * counter cell per room kind and hour band, only ever added to.
 *
 * @module
 */
import type { LifetimeCell } from '../domain/lifetime.ts';

/** Where the fleet's observed room lifetimes are counted. */
export interface LifetimeStore {
  /**
   * Every counter cell of a pool (empty when nothing was learned yet). Eventually consistent:
   * a release a second late changes nothing.
   *
   * @throws {FleetStoreError} on infrastructure failures
   */
  lifetimeCells(pool: string): Promise<readonly LifetimeCell[]>;
  /**
   * Add counters to one cell (created on first use), atomically and without reading it: two
   * releases at once both count. At-least-once: a retried call may count a sample twice.
   *
   * @param add - counter name (`d<i>`, `s<i>`, `r<j>`, `q<j>`) → amount
   * @throws {FleetStoreError} on infrastructure failures
   */
  addLifetime(pool: string, cell: { readonly kind: string; readonly band: number }, add: Readonly<Record<string, number>>): Promise<void>;
}
