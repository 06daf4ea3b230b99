/**
 * {@link LifetimeStore} in process memory, with the semantics of `DynamoDbLifetimeStore`: one
 * counter cell per pool, kind and hour band, only ever added to.
 *
 * @module
 */
import type { LifetimeCell } from '../../shared/domain/lifetime.ts';
import type { LifetimeStore } from '../../shared/ports/lifetime-store.ts';

/**
 * Lifetime counters per pool and cell. `calls` counts reads and writes (tests check the cache).
 *
 * @example
 * const lifetimes = new MemoryLifetimeStore();
 * await lifetimes.addLifetime('default', { kind: 'meeting', band: 2 }, { d13: 1, s13: 3900 });
 */
export class MemoryLifetimeStore implements LifetimeStore {
  private readonly byPool = new Map<string, Map<string, LifetimeCell>>();
  /** Calls so far: `lifetimeCells` reads and `addLifetime` writes. */
  public readonly calls = { reads: 0, writes: 0 };

  public async lifetimeCells(pool: string): Promise<readonly LifetimeCell[]> {
    this.calls.reads += 1;
    return [...(this.byPool.get(pool)?.values() ?? [])].map((c) => ({ kind: c.kind, band: c.band, counts: { ...c.counts } }));
  }

  public async addLifetime(pool: string, cell: { readonly kind: string; readonly band: number }, add: Readonly<Record<string, number>>): Promise<void> {
    this.calls.writes += 1;
    let cells = this.byPool.get(pool);
    if (!cells) this.byPool.set(pool, (cells = new Map()));
    const key = `B${cell.band}#${cell.kind}`;
    const counts: Record<string, number> = { ...(cells.get(key)?.counts ?? {}) };
    for (const [k, v] of Object.entries(add)) counts[k] = (counts[k] ?? 0) + v;
    cells.set(key, { kind: cell.kind, band: cell.band, counts });
  }
}
