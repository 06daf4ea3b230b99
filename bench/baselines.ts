/**
 * The alternatives our policy is measured against, as discrete-event models on the same trace,
 * boot time, capacity model and waiting semantics as our policy's replay:
 *
 * - rooms are the trace's effective placements (`effectiveRooms`: duplicates, stale creates and
 *   reconnects handled as the autoscaler handles them); a room goes on one container of the
 *   pool's nodes (2 containers × 10 units by default), best fit (`rankCandidates`, the same
 *   policy function ours uses, with its node-level tie-break on exact node loads), never split,
 *   never migrated;
 * - a room that finds no container waits in a FIFO queue and is placed as soon as capacity
 *   appears (a node becomes ready, a room leaves); its wait is placement time − arrival time;
 *   a room that leaves while still waiting counts as waited for its whole life;
 * - a node is billed per second from launch to termination at the pool's price (instance), plus
 *   its gp3 root volume and public IPv4 addresses while it exists (sim/runtime/bill.ts), and becomes
 *   ready after the pool's boot time × (1 ± 15%), the simulated EC2 fleet's jitter
 *   (`LocalComputeProvider`), drawn from the same seeded stream;
 * - no policy terminates a node that hosts rooms (scale-in protection on busy instances — an ASG
 *   or jitsi-autoscaler would otherwise cut live calls, which no operator accepts).
 *
 * The models, their parameters and sources:
 * - **static 72-vCPU**: ⌈peak active weight / (9 × node capacity)⌉ servers at 3.492 USD/h for
 *   the whole trace (docs/design.md#node-sizing-and-isolation; `static72CostUsd`). Node-hours are 8-vCPU-node equivalents
 *   (9 per server). Sized for the peak, nobody waits.
 * - **naive reactive**: launch ⌈(queued weight − pending capacity) / node capacity⌉ nodes when a
 *   room queues; terminate a node the moment it is empty (including a node that becomes ready
 *   with nothing to place). No headroom, no predictor, no minimum.
 * - **EC2 Auto Scaling, target tracking** (AWS docs, "Target tracking scaling policies for Amazon
 *   EC2 Auto Scaling"): metric = average utilization (used / capacity, the CPU proxy of a media
 *   node) of in-service instances past their warm-up, one datapoint per minute (detailed
 *   monitoring); target 50%; scale-out alarm = 3 consecutive datapoints above target, then
 *   desired = ⌈in-service × metric / target⌉, instances still warming count towards it; instance
 *   warm-up 300 s (instances warming are left out of the metric); scale-in alarm = 15 consecutive
 *   datapoints below the target (the target itself: generous to the baseline), then desired =
 *   max(min size 1, ⌈in-service × metric / target⌉) and empty instances are terminated. The
 *   metric cannot see queued rooms: a full fleet reads 100%.
 * - **EC2 Auto Scaling, target tracking + warm pool** ({@link AsgWarmPool}): the same policy, with
 *   a warm pool of stopped or hibernated instances started before any cold launch, and
 *   `ReuseOnScaleIn` (AWS docs, "Warm pools for Amazon EC2 Auto Scaling").
 * - **jitsi-autoscaler-style thresholds** (github.com/jitsi/jitsi-autoscaler, group
 *   `scalingOptions` and `gracePeriodTTLSec`): one metric value per 60 s period = average
 *   utilization of ready nodes (JVB stress); scale up by 1 (`scaleUpQuantity`) when the average
 *   of the last 2 periods (`scaleUpPeriodsCount`) exceeds 0.8 (`scaleUpThreshold`); scale down
 *   by 1 (`scaleDownQuantity`) when the average of the last 4 periods (`scaleDownPeriodsCount`)
 *   is below 0.3 (`scaleDownThreshold`); no scaling action within 480 s of the last one
 *   (`gracePeriodTTLSec`); `minDesired` 1. A node scaled down shuts down gracefully: it takes no
 *   new rooms and terminates once empty (jitsi's graceful JVB shutdown).
 *
 * @module
 */
import type { PoolConfig } from '../shared/domain/config.ts';
import { STATIC_72_VCPU_NODE_EQUIVALENTS, STATIC_72_VCPU_PRICE_USD_PER_HOUR } from '../shared/domain/config.ts';
import { rankCandidates } from '../shared/domain/placement.ts';
import { effectiveRooms, peakActiveWeight, type RoomInterval } from '../sim/trace/stats.ts';
import { seededRandom } from '../sim/random.ts';
import type { TraceEvent } from '../sim/trace/model.ts';
import TinyQueue from 'tinyqueue';
import { summarizeRun, type PolicyRun } from './metrics.ts';
import type { InstanceHistory } from '../sim/adapters/instance-history.ts';
import { computeBill, type FleetBill } from '../sim/runtime/bill.ts';
import { summarizeDays, type DaySummary, type PlacementWait } from '../sim/runtime/days.ts';

/** The baselines by name. */
export type BaselineName = 'static-72-vcpu' | 'naive-reactive' | 'ec2-asg-target-tracking' | 'jitsi-thresholds';

/** EC2 Auto Scaling target tracking, as emulated (see the module doc). */
export const ASG_TARGET_TRACKING = {
  targetUtilization: 0.5,
  periodMs: 60_000,
  scaleOutDatapoints: 3,
  scaleInDatapoints: 15,
  instanceWarmupMs: 300_000,
  minSize: 1,
} as const;

/**
 * An EC2 Auto Scaling warm pool, as emulated for the target-tracking baseline (AWS docs, "Warm
 * pools for Amazon EC2 Auto Scaling" and PutWarmPool): instances launched into the pool boot
 * once (billed) and wait `stopped` or `hibernated` (EBS and IPv4 billed); a scale-out takes
 * them first and they serve after `startMs` instead of a cold boot; with `ReuseOnScaleIn` a
 * scaled-in instance returns to the pool instead of terminating. Pool size = max(`MinSize`,
 * `MaxGroupPreparedCapacity` − desired capacity) — without MaxGroupPreparedCapacity AWS uses the
 * group's maximum size, which for our pool (maxNodes 200) would keep ~199 stopped instances: the
 * bench sets it to the nodes the trace's peak needs, as an operator who knows the peak would.
 */
export interface AsgWarmPool {
  readonly state: 'stopped' | 'hibernated';
  readonly maxGroupPreparedCapacity: number;
  readonly minSize: number;
  readonly reuseOnScaleIn: boolean;
  /** From StartInstances to serving, ms (the pool's `warmPool.startTimeMs` or `resumeTimeMs`). */
  readonly startMs: number;
  /**
   * From the scale-in to the end of instance billing, ms: 0 for a stop (`stopping` is not
   * billed); RAM ÷ 125 MiB/s for a hibernation (billed while RAM is written to the gp3 root
   * volume at its baseline throughput; Amazon EC2 User Guide, "Amazon EC2 instance state changes").
   */
  readonly stopBilledMs: number;
}

/** The warm pool of the ASG baseline for a pool and a trace's peak (see {@link AsgWarmPool}). */
export function asgWarmPool(pool: PoolConfig, state: 'stopped' | 'hibernated', events: readonly TraceEvent[]): AsgWarmPool {
  const capacity = pool.containersPerNode * pool.capacityPerContainer;
  return {
    state,
    maxGroupPreparedCapacity: Math.max(1, Math.ceil(peakActiveWeight(events) / capacity)),
    minSize: pool.warmPool.minSize,
    reuseOnScaleIn: true,
    startMs: state === 'hibernated' ? pool.warmPool.resumeTimeMs : pool.warmPool.startTimeMs,
    stopBilledMs: state === 'hibernated' ? Math.round((pool.memoryMiB / 125) * 1000) : 0,
  };
}

/** A baseline's row with its full bill and its waits per day. */
export type BaselineRun = PolicyRun & { readonly bill: FleetBill; readonly days: readonly DaySummary[] };

/** jitsi-autoscaler group options, as emulated (see the module doc). */
export const JITSI_THRESHOLDS = {
  periodMs: 60_000,
  scaleUpThreshold: 0.8,
  scaleDownThreshold: 0.3,
  scaleUpPeriodsCount: 2,
  scaleDownPeriodsCount: 4,
  scaleUpQuantity: 1,
  scaleDownQuantity: 1,
  gracePeriodMs: 480_000,
  minDesired: 1,
} as const;

interface SimNode {
  readonly id: string;
  readonly launchedAt: number;
  readyAt: number;
  ready: boolean;
  draining: boolean;
  terminatedAt?: number;
  readonly used: number[];
  /** In the warm pool (initializing, stopped or hibernated): not in service. */
  warm: boolean;
  /** Intervals not billed for the instance (stopped or hibernated in the warm pool). */
  readonly stopped: { from: number; to?: number }[];
}

type Ev =
  | { t: number; seq: number; kind: 'leave'; room: RoomInterval; index: number }
  | { t: number; seq: number; kind: 'ready'; node: SimNode }
  | { t: number; seq: number; kind: 'arrive'; room: RoomInterval; index: number }
  | { t: number; seq: number; kind: 'tick' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const ORDER: Record<Ev['kind'], number> = { leave: 0, ready: 1, arrive: 2, tick: 3 };

/** A fleet model: nodes, containers, the FIFO queue and the bill; controllers act on it. */
class FleetModel {
  public readonly nodes: SimNode[] = [];
  public readonly queue: { room: RoomInterval; index: number }[] = [];
  public readonly waits: number[] = [];
  private readonly where = new Map<number, { node: SimNode; container: number }>();
  private readonly random;
  private readonly events = new TinyQueue<Ev>([], (a, b) => a.t - b.t || ORDER[a.kind] - ORDER[b.kind] || a.seq - b.seq);
  private seq = 0;
  public now = 0;

  public readonly arrivals: PlacementWait[] = [];

  public constructor(
    public readonly pool: PoolConfig,
    seed: number,
    /** The group's warm pool (ASG baseline variant); absent: none. */
    public readonly warmPool?: AsgWarmPool,
  ) {
    this.random = seededRandom(seed, 2);
  }

  /** Record a placement's wait (or a room's whole wait in the queue). */
  public waited(room: RoomInterval, ms: number): void {
    this.waits.push(ms);
    this.arrivals.push({ arrivedAt: room.start * 1000, waitMs: ms });
  }

  private jitter(ms: number): number {
    return Math.round(ms * (1 + 0.15 * (2 * this.random() - 1)));
  }

  /** Nodes in the warm pool (initializing, stopped or hibernated). */
  public get warm(): SimNode[] {
    return this.nodes.filter((n) => n.terminatedAt === undefined && n.warm);
  }

  /**
   * Keep the warm pool at its size: max(minSize, maxGroupPreparedCapacity − desired) where desired
   * = the group's nodes in service or warming up (EC2 Auto Scaling, "Warm pools": "launches and
   * maintains the difference between the MaxGroupPreparedCapacity and the desired capacity").
   * A new warm instance runs its boot (billed) and then stops; surplus stopped ones are terminated.
   */
  public maintainWarmPool(): void {
    const wp = this.warmPool;
    if (!wp) return;
    const target = Math.max(wp.minSize, wp.maxGroupPreparedCapacity - this.live.length);
    const warm = this.warm;
    for (let i = warm.length; i < target; i++) {
      const boot = this.jitter(this.pool.bootTimeMs);
      this.nodes.push({
        id: `n${this.nodes.length}`, launchedAt: this.now, readyAt: this.now + boot, ready: false, draining: false, warm: true,
        used: Array.from({ length: this.pool.containersPerNode }, () => 0), stopped: [{ from: this.now + boot }],
      });
    }
    const surplus = warm.filter((n) => (n.stopped.at(-1)?.from ?? Infinity) <= this.now).slice(0, Math.max(0, warm.length - target));
    for (const n of surplus) n.terminatedAt = this.now;
  }

  public get capacityPerNode(): number {
    return this.pool.containersPerNode * this.pool.capacityPerContainer;
  }

  public push(ev: DistributiveOmit<Ev, 'seq'>): void {
    this.events.push({ ...ev, seq: this.seq++ } as Ev);
  }

  public pop(): Ev | undefined {
    return this.events.pop();
  }

  /** Nodes in service or warming up (not terminated, not in the warm pool). */
  public get live(): SimNode[] {
    return this.nodes.filter((n) => n.terminatedAt === undefined && !n.warm);
  }

  public launch(count: number): void {
    const room = Math.max(0, this.pool.maxNodes - this.live.length);
    // Warm pool first: a stopped (or hibernated) instance starts in about warmStartMs instead of a cold boot.
    const stopped = this.warm.filter((n) => (n.stopped.at(-1)?.from ?? Infinity) <= this.now);
    for (let i = 0; i < Math.min(count, room); i++) {
      const from = stopped.shift();
      if (from && this.warmPool) {
        from.warm = false;
        from.ready = false;
        (from.stopped.at(-1) as { to?: number }).to = this.now;
        from.readyAt = this.now + this.jitter(this.warmPool.startMs);
        this.push({ t: from.readyAt, kind: 'ready', node: from });
        continue;
      }
      const boot = this.jitter(this.pool.bootTimeMs);
      const node: SimNode = {
        id: `n${this.nodes.length}`,
        launchedAt: this.now,
        readyAt: this.now + boot,
        ready: false,
        draining: false,
        warm: false,
        stopped: [],
        used: Array.from({ length: this.pool.containersPerNode }, () => 0),
      };
      this.nodes.push(node);
      this.push({ t: node.readyAt, kind: 'ready', node });
    }
    this.maintainWarmPool();
  }

  /** Scale in an empty node: terminated, or (warm pool with ReuseOnScaleIn) stopped back into the pool. */
  public terminate(node: SimNode): void {
    if (node.terminatedAt !== undefined || node.warm || !node.used.every((u) => u === 0)) return;
    if (this.warmPool?.reuseOnScaleIn) {
      node.warm = true;
      node.ready = false;
      node.draining = false;
      node.stopped.push({ from: this.now + this.warmPool.stopBilledMs });
      this.maintainWarmPool();
      return;
    }
    node.terminatedAt = this.now;
  }

  /** Every instance's life, for the bill (sim/runtime/bill.ts). */
  public histories(endMs: number): InstanceHistory[] {
    return this.nodes.map((n) => ({
      instanceId: n.id, pool: this.pool.name, instanceType: this.pool.instanceTypes[0] ?? '', hourlyPriceUsd: this.pool.hourlyPriceUsd,
      launchedAt: n.launchedAt, terminatedAt: n.terminatedAt ?? endMs, stopped: n.stopped.map((x) => ({ from: Math.min(x.from, endMs), to: x.to })),
      rootVolumeGiB: this.pool.rootVolumeGiB, publicIpv4Count: this.pool.containersPerNode,
    }));
  }

  public isEmpty(node: SimNode): boolean {
    return node.used.every((u) => u === 0);
  }

  public pendingCapacity(): number {
    return this.live.filter((n) => !n.ready).length * this.capacityPerNode;
  }

  public queuedWeight(): number {
    return this.queue.reduce((s, q) => s + q.room.weight, 0);
  }

  /** Average utilization of ready, non-draining nodes (0–1); undefined with none. */
  public utilization(filter: (n: SimNode) => boolean = () => true): number | undefined {
    const nodes = this.live.filter((n) => n.ready && !n.draining && filter(n));
    if (nodes.length === 0) return undefined;
    const used = nodes.reduce((s, n) => s + n.used.reduce((a, b) => a + b, 0), 0);
    return used / (nodes.length * this.capacityPerNode);
  }

  /** Place a room best-fit now, or false. */
  public tryPlace(room: RoomInterval, index: number): boolean {
    const candidates = [];
    for (const n of this.live) {
      if (!n.ready || n.draining) continue;
      for (let c = 0; c < n.used.length; c++) {
        candidates.push({ nodeId: n.id, index: c, capacity: this.pool.capacityPerContainer, used: n.used[c] as number, accepting: true, node: n });
      }
    }
    const [best] = rankCandidates(candidates, room.weight, this.pool.containersPerNode);
    if (!best) return false;
    best.node.used[best.index] = (best.node.used[best.index] as number) + room.weight;
    this.where.set(index, { node: best.node, container: best.index });
    this.waited(room, this.now - room.start * 1000);
    return true;
  }

  /** Place queued rooms, oldest first, wherever they fit now. */
  public drainQueue(): void {
    for (let i = 0; i < this.queue.length; ) {
      const q = this.queue[i] as { room: RoomInterval; index: number };
      if (this.tryPlace(q.room, q.index)) this.queue.splice(i, 1);
      else i++;
    }
  }

  /** A room leaves: free its container, or take it out of the queue (waited its whole life). */
  public leave(room: RoomInterval, index: number): SimNode | undefined {
    const at = this.where.get(index);
    if (at) {
      at.node.used[at.container] = (at.node.used[at.container] as number) - room.weight;
      this.where.delete(index);
      return at.node;
    }
    const qi = this.queue.findIndex((q) => q.index === index);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      this.waited(room, Math.max(1, (room.end - room.start) * 1000));
    }
    return undefined;
  }

  public nodeHours(endMs: number): number {
    return computeBill(this.histories(endMs), 0, endMs).runningHours;
  }
}

/** What a controller is told; it acts on the model. */
interface Controller {
  start?(m: FleetModel): void;
  onQueued?(m: FleetModel): void;
  onEmpty?(m: FleetModel, node: SimNode): void;
  onTick?(m: FleetModel): void;
}

function naiveReactive(): Controller {
  return {
    onQueued: (m) => {
      const need = m.queuedWeight() - m.pendingCapacity();
      if (need > 0) m.launch(Math.ceil(need / m.capacityPerNode));
    },
    onEmpty: (m, node) => m.terminate(node),
  };
}

function asgTargetTracking(): Controller {
  const p = ASG_TARGET_TRACKING;
  const datapoints: number[] = [];
  return {
    start: (m) => m.launch(p.minSize),
    onTick: (m) => {
      m.maintainWarmPool();
      const warmedUp = (n: SimNode) => m.now - n.launchedAt >= p.instanceWarmupMs;
      const metric = m.utilization(warmedUp);
      if (metric === undefined) return; // INSUFFICIENT_DATA: no in-service instance past warm-up
      datapoints.push(metric);
      const inService = m.live.filter((n) => n.ready && !n.draining && warmedUp(n)).length;
      const warming = m.live.length - inService;
      const last = (k: number) => datapoints.slice(-k);
      if (datapoints.length >= p.scaleOutDatapoints && last(p.scaleOutDatapoints).every((v) => v > p.targetUtilization)) {
        const desired = Math.ceil((inService * metric) / p.targetUtilization);
        m.launch(desired - inService - warming);
      } else if (datapoints.length >= p.scaleInDatapoints && last(p.scaleInDatapoints).every((v) => v < p.targetUtilization)) {
        const desired = Math.max(p.minSize, Math.ceil((inService * metric) / p.targetUtilization));
        let remove = m.live.length - desired;
        for (const n of m.live.filter((x) => x.ready && m.isEmpty(x))) {
          if (remove <= 0) break;
          m.terminate(n);
          remove -= 1;
        }
      }
    },
  };
}

function jitsiThresholds(): Controller {
  const p = JITSI_THRESHOLDS;
  const periods: number[] = [];
  let lastActionAt = Number.NEGATIVE_INFINITY;
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    start: (m) => m.launch(p.minDesired),
    onEmpty: (m, node) => {
      if (node.draining) m.terminate(node);
    },
    onTick: (m) => {
      const u = m.utilization();
      periods.push(u ?? (m.queue.length > 0 ? 1 : 0));
      if (m.now - lastActionAt < p.gracePeriodMs) return;
      const active = m.live.filter((n) => !n.draining);
      if (periods.length >= p.scaleUpPeriodsCount && avg(periods.slice(-p.scaleUpPeriodsCount)) > p.scaleUpThreshold) {
        m.launch(p.scaleUpQuantity);
        lastActionAt = m.now;
      } else if (
        periods.length >= p.scaleDownPeriodsCount &&
        avg(periods.slice(-p.scaleDownPeriodsCount)) < p.scaleDownThreshold &&
        active.length - p.scaleDownQuantity >= p.minDesired
      ) {
        const victim = active
          .filter((n) => n.ready)
          .sort((a, b) => a.used.reduce((x, y) => x + y, 0) - b.used.reduce((x, y) => x + y, 0))[0];
        if (victim) {
          victim.draining = true;
          m.terminate(victim);
          lastActionAt = m.now;
        }
      }
    },
  };
}

/**
 * Run one baseline on a trace.
 *
 * @param name - which baseline
 * @param events - the trace (s from its start)
 * @param pool - the pool (capacity model, boot time, price, maxNodes)
 * @param seed - seed of the boot-time jitter
 */
export function runBaseline(name: BaselineName, events: readonly TraceEvent[], pool: PoolConfig, seed = 1, warmPool?: AsgWarmPool): BaselineRun {
  const capacity = pool.containersPerNode * pool.capacityPerContainer;
  const { intervals, firstT, lastT } = effectiveRooms(events);
  if (name === 'static-72-vcpu') {
    const servers = Math.max(1, Math.ceil(peakActiveWeight(events) / (STATIC_72_VCPU_NODE_EQUIVALENTS * capacity)));
    const hours = (lastT - firstT) / 3600;
    // Each server: its root volume, and a public IPv4 per container it hosts (9 nodes' worth), as our nodes have.
    const servers72 = Array.from({ length: servers }, (_, i) => ({
      instanceId: `s${i}`, pool: pool.name, instanceType: '72-vcpu', hourlyPriceUsd: STATIC_72_VCPU_PRICE_USD_PER_HOUR, launchedAt: firstT * 1000,
      terminatedAt: lastT * 1000, stopped: [], rootVolumeGiB: pool.rootVolumeGiB, publicIpv4Count: STATIC_72_VCPU_NODE_EQUIVALENTS * pool.containersPerNode,
    }));
    const run = summarizeRun({
      policy: name,
      path: 'analytic: sized for the peak, always on',
      events,
      nodeCapacity: capacity,
      hourlyPriceUsd: pool.hourlyPriceUsd,
      nodeHours: servers * STATIC_72_VCPU_NODE_EQUIVALENTS * hours,
      costUsd: servers * STATIC_72_VCPU_PRICE_USD_PER_HOUR * hours,
      waitsMs: intervals.map(() => 0),
      launches: servers,
    });
    const days = summarizeDays(intervals.map((r) => ({ arrivedAt: r.start * 1000, waitMs: 0 })), 0, lastT * 1000);
    return { ...run, bill: computeBill(servers72, firstT * 1000, lastT * 1000), days };
  }
  const controller = name === 'naive-reactive' ? naiveReactive() : name === 'ec2-asg-target-tracking' ? asgTargetTracking() : jitsiThresholds();
  const m = new FleetModel(pool, seed, name === 'ec2-asg-target-tracking' ? warmPool : undefined);
  intervals.forEach((room, index) => {
    m.push({ t: room.start * 1000, kind: 'arrive', room, index });
    if (!room.open) m.push({ t: room.end * 1000, kind: 'leave', room, index });
  });
  const endMs = Math.ceil(lastT / 60) * 60_000 + 60_000;
  for (let t = 60_000; t <= endMs; t += 60_000) m.push({ t, kind: 'tick' });
  controller.start?.(m);
  for (let ev = m.pop(); ev && ev.t <= endMs; ev = m.pop()) {
    m.now = ev.t;
    switch (ev.kind) {
      case 'arrive':
        if (!m.tryPlace(ev.room, ev.index)) {
          m.queue.push({ room: ev.room, index: ev.index });
          controller.onQueued?.(m);
        }
        break;
      case 'leave': {
        const node = m.leave(ev.room, ev.index);
        m.drainQueue();
        if (node && m.isEmpty(node)) controller.onEmpty?.(m, node);
        break;
      }
      case 'ready':
        if (ev.node.terminatedAt !== undefined || ev.node.warm) break;
        ev.node.ready = true;
        m.drainQueue();
        if (m.isEmpty(ev.node)) controller.onEmpty?.(m, ev.node);
        break;
      case 'tick':
        controller.onTick?.(m);
        break;
    }
  }
  // Rooms still queued at the end waited until the end.
  for (const q of m.queue) m.waited(q.room, Math.max(1, endMs - q.room.start * 1000));
  const run = summarizeRun({
    policy: warmPool && name === 'ec2-asg-target-tracking' ? `${name} + warm pool (${warmPool.state})` : name,
    path: 'discrete-event model (bench/baselines.ts), same trace, boot time and capacity model',
    events,
    nodeCapacity: capacity,
    hourlyPriceUsd: pool.hourlyPriceUsd,
    nodeHours: m.nodeHours(endMs),
    waitsMs: m.waits,
    launches: m.nodes.length,
  });
  return { ...run, bill: computeBill(m.histories(endMs), 0, endMs), days: summarizeDays(m.arrivals, 0, endMs) };
}
