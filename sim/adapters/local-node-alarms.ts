/**
 * `NodeAlarms` for the embedded runtime and tests: keeps the alarms in memory (nothing watches
 * them; the simulator raises hot nodes by other means) and records every call.
 *
 * @module
 */
import type { NodeAlarmSpec } from '../../shared/domain/node-alarms.ts';
import type { NodeAlarms } from '../../shared/ports/index.ts';

/** In-memory node alarms, keyed `<instance id>-<key>` (no fleet prefix). */
export class LocalNodeAlarms implements NodeAlarms {
  /** Alarms that exist now, by `<instance id>-<key>`. */
  public readonly alarms = new Map<string, NodeAlarmSpec>();
  /** Every call, in order. */
  public readonly calls: ({ readonly op: 'ensure'; readonly instanceId: string; readonly keys: readonly string[] } | { readonly op: 'remove'; readonly instanceId: string; readonly keys: readonly string[] })[] = [];

  public async ensure(instanceId: string, alarms: readonly NodeAlarmSpec[]): Promise<void> {
    this.calls.push({ op: 'ensure', instanceId, keys: alarms.map((a) => a.key) });
    for (const a of alarms) this.alarms.set(`${instanceId}-${a.key}`, a);
  }

  public async remove(instanceId: string, keys: readonly string[]): Promise<void> {
    this.calls.push({ op: 'remove', instanceId, keys: [...keys] });
    for (const k of keys) this.alarms.delete(`${instanceId}-${k}`);
  }

  /** Keys of the alarms a node has now. */
  public keysOf(instanceId: string): string[] {
    return [...this.alarms.keys()].filter((k) => k.startsWith(`${instanceId}-`)).map((k) => k.slice(instanceId.length + 1)).sort();
  }
}
