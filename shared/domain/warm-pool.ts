/**
 * Warm-pool policy (docs/design.md#scaling-policy, "Warm pool"): how many stopped (or hibernated)
 * nodes a pool keeps, which empty node is stopped rather than terminated at scale-in, which warm
 * nodes are terminated (recycling, surplus) and which stopped nodes are started first. Pure
 * functions of their inputs; the clock is a parameter.
 *
 * The idea, as EC2 Auto Scaling warm pools (Amazon EC2 Auto Scaling User Guide, "Warm pools for
 * Amazon EC2 Auto Scaling"): a node started from `stopped` is ready after
 * `warmPool.startTimeMs` (`resumeTimeMs` when hibernated) instead of a cold `bootTimeMs`, so the
 * running headroom only has to cover the arrivals of a warm start while the warm pool covers
 * the rest of a cold boot's arrivals. A stopped node costs its EBS volume and public IPv4
 * addresses only (Amazon EC2 User Guide, "Stop and start Amazon EC2 instances": no instance
 * usage is billed while stopped).
 *
 * @module
 */
import { nodeCapacity, warmPoolStateOf, type PoolConfig } from './config.ts';
import { WARM_NODE_STATES, type NodeView } from './model.ts';

const HOUR_MS = 3_600_000;
/** One day, ms: the unit of the peak history (UTC days since the epoch). */
export const DAY_MS = 86_400_000;

/** UTC day number (days since the epoch) of `now`, the key of the peak history. */
export function dayOf(now: number): number {
  return Math.floor(now / DAY_MS);
}

/** The first day of the window of `historyDays` days that ends with today, for `peakNodesByDay`. */
export function peakWindowStart(pool: Pick<PoolConfig, 'warmPool'>, now: number): number {
  return dayOf(now) - pool.warmPool.historyDays + 1;
}

/**
 * Expected time from StartInstances to NodeReady for the pool's warm nodes, ms: `resumeTimeMs`
 * when they are hibernated, else `startTimeMs`.
 */
export function warmStartTimeMs(pool: Pick<PoolConfig, 'warmPool' | 'spot'>): number {
  return warmPoolStateOf(pool) === 'hibernated' ? pool.warmPool.resumeTimeMs : pool.warmPool.startTimeMs;
}

/**
 * The floor of the running headroom when stopped nodes back it, capacity units:
 *
 *   ⌈headroomMin × min(warm start, bootTimeMs) / bootTimeMs⌉
 *
 * `headroomMin` is sized for the arrivals of one cold boot (`bootTimeMs`) that the measured rate
 * does not foresee (a quiet pool's next room). With a stopped node to start, the same arrivals
 * only have to be held for a warm start ({@link warmStartTimeMs}: 40 s stopped, 25 s hibernated,
 * against a 90 s boot): 10 units → 5 stopped, 3 hibernated. The rest of the floor is held by the
 * stopped nodes ({@link runningHeadroom}). `headroomMin` itself without a warm pool.
 *
 * @example
 * warmHeadroomMin(pool); // defaults (10 units, 40 s of 90 s) → 5
 */
export function warmHeadroomMin(pool: Pick<PoolConfig, 'headroomMin' | 'bootTimeMs' | 'warmPool' | 'spot'>): number {
  if (warmPoolStateOf(pool) === 'none') return pool.headroomMin;
  const startMs = Math.min(warmStartTimeMs(pool), pool.bootTimeMs);
  return Math.max(0, Math.ceil((pool.headroomMin * startMs) / pool.bootTimeMs - 1e-9));
}

/**
 * The headroom the pool keeps running, capacity units, given what its stopped nodes can add
 * within a warm start:
 *
 *   running = min(cold, max(warm, cold − stopped capacity))
 *
 * where `cold` is the headroom target over a cold boot (`bootTimeMs`) and `warm` the target over
 * a warm start ({@link warmStartTimeMs}). Running headroom plus the stopped nodes still hold a
 * cold boot's arrivals, and the running part alone holds a warm start's. Without stopped nodes
 * it is `cold`: the policy of a pool with no warm pool.
 *
 * @param coldTarget - headroom target over one cold boot, capacity units
 * @param warmTarget - headroom target over one warm start, capacity units (≤ coldTarget)
 * @param stoppedCapacity - capacity of the stopped nodes that can be started, capacity units
 * @example
 * runningHeadroom(50, 20, 40); // → 20 (two stopped 20-unit nodes cover the other 30)
 * runningHeadroom(50, 20, 0);  // → 50
 */
export function runningHeadroom(coldTarget: number, warmTarget: number, stoppedCapacity: number): number {
  return Math.min(coldTarget, Math.max(warmTarget, coldTarget - Math.max(0, stoppedCapacity)));
}

/** What {@link warmPoolTargetSize} sizes the warm pool from. */
export interface WarmPoolSizing {
  /** Headroom target over one cold boot, capacity units. */
  readonly coldTarget: number;
  /** Headroom target over one warm start (what the running headroom covers), capacity units. */
  readonly warmTarget: number;
  /**
   * Live nodes (launching, booting, ready, draining, starting) that stay: the sweep passes those
   * left after its own scale-in, so an idle node leaving is one the warm pool may keep.
   */
  readonly liveNodes: number;
  /** Most live nodes the pool had on any of the last `historyDays` days (0 without history). */
  readonly peakNodes: number;
}

/**
 * The warm pool's target size, nodes:
 *
 *   forecast = ⌈max(0, coldTarget − warmTarget) / node capacity⌉
 *   history  = max(0, peakNodes − liveNodes)
 *   target   = clamp(max(forecast, history), warmPool.minSize, warmPool.maxSize)
 *
 * `forecast` is the nodes the arrivals of a cold boot need beyond what the running headroom
 * covers; `history` keeps stopped the nodes a peak of the last `historyDays` days needed, so a
 * crowd the pool met before starts warm even when nobody announced it. 0 when the pool has no
 * warm pool ({@link warmPoolStateOf} `'none'`, Spot pools included).
 *
 * @example
 * // 20-unit nodes, cold 50, warm 20 → 2; peak 6 with 3 live → 3; default bounds [0, 24] → 3
 * warmPoolTargetSize(pool, { coldTarget: 50, warmTarget: 20, liveNodes: 3, peakNodes: 6 }); // 3
 */
export function warmPoolTargetSize(pool: PoolConfig, sizing: WarmPoolSizing): number {
  if (warmPoolStateOf(pool) === 'none') return 0;
  const perNode = nodeCapacity(pool);
  const forecast = Math.ceil(Math.max(0, sizing.coldTarget - sizing.warmTarget) / perNode - 1e-9);
  const history = Math.max(0, sizing.peakNodes - sizing.liveNodes);
  return Math.min(pool.warmPool.maxSize, Math.max(pool.warmPool.minSize, forecast, history));
}

/** Whether a node is older than the pool's `warmPool.maxAgeHours` (since its launch). */
export function isPastMaxAge(pool: Pick<PoolConfig, 'warmPool'>, node: Pick<NodeView, 'launchedAt'>, now: number): boolean {
  return now - node.launchedAt >= pool.warmPool.maxAgeHours * HOUR_MS;
}

/**
 * What to do with an empty drained node at scale-in: `'stop'` (into the warm pool) while the warm
 * pool (stopping + stopped nodes, `warmCount`) is below `target` and the node is younger than
 * `maxAgeHours` and was drained for surplus (a node drained for a fault is never kept);
 * otherwise `'terminate'`.
 *
 * @param warmCount - warm nodes now, including those this sweep already chose to stop
 * @param target - {@link warmPoolTargetSize}
 */
export function scaleInChoice(
  pool: PoolConfig,
  node: Pick<NodeView, 'launchedAt' | 'drainReason' | 'hot'>,
  warmCount: number,
  target: number,
  now: number,
): 'stop' | 'terminate' {
  if (warmPoolStateOf(pool) === 'none' || warmCount >= target) return 'terminate';
  if ((node.drainReason ?? 'surplus') !== 'surplus') return 'terminate';
  return isPastMaxAge(pool, node, now) ? 'terminate' : 'stop';
}

/**
 * How long an empty drained node waits before scale-in may take it, ms: `warmPool.stopGraceMs`
 * (capped by `idleGraceMs`) when the pool has a warm pool — a stop is undone by a warm start —
 * else `idleGraceMs`. A node {@link scaleInChoice} would terminate still waits `idleGraceMs`
 * (`scaling.ts` `planSweep`).
 */
export function scaleInGraceMs(pool: Pick<PoolConfig, 'idleGraceMs' | 'warmPool' | 'spot'>): number {
  return warmPoolStateOf(pool) === 'none' ? pool.idleGraceMs : Math.min(pool.warmPool.stopGraceMs, pool.idleGraceMs);
}

/** A warm node to terminate, and why. */
export interface WarmTermination {
  readonly nodeId: string;
  /** `'max-age'`: recycled onto the current AMI / launch template; `'warm-surplus'`: above the target. */
  readonly reason: 'max-age' | 'warm-surplus';
}

/**
 * Warm nodes to terminate: every `stopped` node older than `maxAgeHours` (recycling: its
 * replacement is launched from the current launch template), then the oldest `stopped` nodes
 * while the warm pool (stopping + stopped, after the recycled ones) is above `target`. Nodes
 * still `stopping` are counted but left alone until they are stopped.
 *
 * @param nodes - the pool's nodes (any state; only warm ones are considered)
 * @param target - {@link warmPoolTargetSize}
 */
export function warmNodesToTerminate(pool: PoolConfig, nodes: readonly NodeView[], target: number, now: number): WarmTermination[] {
  const warm = nodes.filter((n) => WARM_NODE_STATES.includes(n.state));
  const out: WarmTermination[] = [];
  const kept: NodeView[] = [];
  for (const n of warm) {
    if (n.state === 'stopped' && isPastMaxAge(pool, n, now)) out.push({ nodeId: n.nodeId, reason: 'max-age' });
    else kept.push(n);
  }
  let surplus = kept.length - target;
  const oldestFirst = kept.filter((n) => n.state === 'stopped').sort(byAge);
  for (const n of oldestFirst) {
    if (surplus <= 0) break;
    out.push({ nodeId: n.nodeId, reason: 'warm-surplus' });
    surplus -= 1;
  }
  return out;
}

/** A stopped node that can be started, as scale-out sees it. */
export interface StoppedNode {
  readonly nodeId: string;
  /** When it was first launched, epoch ms. */
  readonly launchedAt: number;
}

/**
 * Which stopped nodes to start for `count` nodes: the youngest first (furthest from
 * `maxAgeHours`, so the oldest are the ones left to recycle), ties by node id.
 *
 * @returns at most `count` node ids
 */
export function stoppedNodesToStart(stopped: readonly StoppedNode[], count: number): string[] {
  if (count <= 0) return [];
  return [...stopped]
    .sort((a, b) => b.launchedAt - a.launchedAt || (a.nodeId < b.nodeId ? -1 : 1))
    .slice(0, count)
    .map((n) => n.nodeId);
}

function byAge(a: NodeView, b: NodeView): number {
  return a.launchedAt - b.launchedAt || (a.nodeId < b.nodeId ? -1 : 1);
}
