/**
 * The EC2 instance states of the simulated fleet (`LocalComputeProvider`): each instance's
 * timeline of states, and warm-pool stops, hibernations and starts with their own latencies,
 * separate from a cold boot, behaving as the EC2 adapter does (`shared/adapters/ec2/instance-states.ts`).
 *
 * What EC2 does, and the figures used (defaults, all configurable in {@link WarmStateOptions} and
 * the pool's `warmPool` settings):
 * - `StopInstances`: `running` → `stopping` at once → `stopped` after {@link DEFAULT_STOP_AFTER_MS}
 *   (60 s). AWS gives no figure: the instance is shut down gracefully ("Stop and start Amazon EC2
 *   instances", "Methods for stopping an instance": `running` → `stopping` → `stopped`), and
 *   "If your instance appears stuck in the stopping state" it may be forced (StopInstances API
 *   reference) — a stop takes up to a few minutes; 60 s is the assumption for a node whose only
 *   service to stop is Docker with its containers.
 * - `StopInstances` with `Hibernate`: the RAM is written to the encrypted root volume first ("How
 *   Amazon EC2 instance hibernation works": freeze, save RAM to EBS, then a regular shutdown; "It
 *   can take a few minutes for the instance to hibernate", "Hibernate an Amazon EC2 instance"):
 *   the stop latency plus the pool's `memoryMiB` written at {@link DEFAULT_HIBERNATE_WRITE_MIBPS}
 *   (125 MiB/s, the gp3 baseline throughput, Amazon EBS User Guide "Amazon EBS General Purpose SSD
 *   volumes"); 16 GiB → 60 s + 131 s. All of the RAM is counted: an upper bound.
 * - `StartInstances`: `stopped` → `pending` at once → `running` after the cold launch's
 *   `runningAfterMs` (15 s) → the boot unit puts `NodeReady` with the same containers, private IPs
 *   and cpusets after `warmPool.startTimeMs` (40 s), or `warmPool.resumeTimeMs` (25 s) for a
 *   hibernated node, ± the boot jitter (docs/node-layout.md#restart-path-start-after-a-stop-resume-after-hibernation).
 *   A start can fail per instance with `InsufficientInstanceCapacity` (a stopped instance restarts
 *   in its own Availability Zone on its own type) with probability `startFailureRate`: the
 *   instance stays `stopped`.
 * - Billing (for {@link billedMs}): not billed while `stopped`; while `stopping` billed only when
 *   hibernating ("Hibernate your Amazon EC2 instance": "You are charged for instance usage while
 *   the instance is in the stopping state, when the contents of the RAM are transferred").
 *
 * Not modelled: EC2's one-minute minimum charge on every start, a hibernation refused in the
 * first minutes after launch (the warm pool stops nodes only after `idleGraceMs`), a hibernation
 * that fails into a normal shutdown, and cancelling an event already scheduled (a node stopped
 * before its `NodeReady`, or terminated while `stopping`, still gets the late event, as EventBridge
 * may deliver late events anyway).
 *
 * @module
 */
import type { PoolConfig } from '../../shared/domain/config.ts';
import type { RandomSource } from '../../shared/domain/placement.ts';
import { StopRefusedError, type RefusedStop } from '../../shared/errors.ts';
import { STARTED_STATES, STOP_REFUSAL_HINTS } from '../../shared/adapters/ec2/instance-states.ts';
import type { PublicAddressing, StartFailure, StartResult, StopRequest } from '../../shared/ports/compute-provider.ts';
import type { Clock } from '../../shared/ports/index.ts';
import type { InstanceHistory } from './instance-history.ts';

/** From StopInstances to EC2 `stopped` for a plain stop, ms (60 s; see the module notes). */
export const DEFAULT_STOP_AFTER_MS = 60_000;
/** Rate at which hibernation writes RAM to the root volume, MiB/s (gp3 baseline throughput, 125 MiB/s). */
export const DEFAULT_HIBERNATE_WRITE_MIBPS = 125;

/** Warm-pool latencies and failures of the simulated fleet. Times in ms. */
export interface WarmStateOptions {
  /** From StopInstances to `stopped` for a plain stop (default {@link DEFAULT_STOP_AFTER_MS}). */
  readonly stopAfterMs?: number | undefined;
  /** RAM written per second by a hibernation, MiB/s (default {@link DEFAULT_HIBERNATE_WRITE_MIBPS}). */
  readonly hibernateWriteMiBps?: number | undefined;
  /** Probability that StartInstances fails for one instance with `InsufficientInstanceCapacity` (default 0). */
  readonly startFailureRate?: number | undefined;
}

/** One container of a simulated node, as its `NodeReady` reports it. */
export interface SimContainer {
  readonly index: number;
  readonly privateIp: string;
  readonly publicIp: string;
  readonly cpuset: string;
}

/** One interval an instance spent stopped (see `StoppedInterval` of the instance history). */
interface SimStopped {
  readonly from: number;
  to?: number;
  /** Set to 0 once the node's Elastic IPs were released during the interval. */
  publicIpv4Count?: number;
}

/** A simulated instance: its launch, its EC2 state timeline, its end. */
export interface SimInstance {
  readonly instanceId: string;
  /** The pool as it was at launch (the launch template: hibernation, root volume). */
  readonly pool: PoolConfig;
  readonly instanceType: string;
  readonly launchedAt: number;
  readonly publicAddressing: PublicAddressing;
  readonly hourlyPriceUsd: number;
  /** What its `NodeReady` reports (public IPs change when released addresses are replaced). */
  containers: readonly SimContainer[];
  /** EC2 states from `at` on, in time order (`pending`, `running`, `stopping`, `stopped`, …). */
  readonly transitions: { readonly at: number; readonly state: string }[];
  /** Whether its last stop was a hibernation (the next start resumes). */
  hibernated: boolean;
  readonly stopped: SimStopped[];
  /** When TerminateInstances was called (billing stops), ms. */
  terminatedAt?: number;
  /** When EC2 reports it terminated, ms. */
  goneAt?: number;
  /** When it is lost without a TerminateInstances (`lossRate`), ms. */
  lostAt?: number;
}

/** When an instance stopped being billed: terminated or lost, whichever came first. */
export function endOf(i: SimInstance): number | undefined {
  if (i.lostAt === undefined) return i.terminatedAt;
  return i.terminatedAt === undefined ? i.lostAt : Math.min(i.terminatedAt, i.lostAt);
}

/** The EC2 state of a simulated instance at `now` (epoch ms). */
export function stateAt(i: SimInstance, now: number): string {
  if (i.lostAt !== undefined && now >= i.lostAt && (i.terminatedAt === undefined || i.terminatedAt > i.lostAt)) return 'terminated';
  if (i.terminatedAt !== undefined) return i.goneAt !== undefined && now >= i.goneAt ? 'terminated' : 'shutting-down';
  let state = 'pending';
  for (const t of i.transitions) if (t.at <= now) state = t.state;
  return state;
}

/** Whether the instance is inside a stopped interval at `now` (not billed for its type). */
export function isStoppedAt(i: SimInstance, now: number): boolean {
  const last = i.stopped[i.stopped.length - 1];
  return last !== undefined && last.from <= now && (last.to === undefined || last.to > now);
}

/**
 * Instance time billed up to `until`, ms: launch to termination (or `until`), minus its stopped
 * intervals.
 */
export function billedMs(i: SimInstance, until: number): number {
  const end = Math.min(endOf(i) ?? until, until);
  let ms = Math.max(0, end - i.launchedAt);
  for (const s of i.stopped) ms -= Math.max(0, Math.min(s.to ?? end, end) - s.from);
  return Math.max(0, ms);
}

/**
 * The instance's life for the bill, as of `now` (epoch ms). `publicIpv4Count` is one address per
 * container for `'elastic-ip'` nodes (0 for private ones). Simplifications: addresses count from
 * launch to termination (EC2: from their association, seconds after `running`, to their release
 * after `terminated`); a stopped interval in which the pool released them
 * (`releaseStoppedAddresses`) counts none for its whole length (EC2: held until the `stopped`
 * event is handled). A stopped interval still open when the instance ended closes at its end.
 */
export function instanceHistory(i: SimInstance, now: number): InstanceHistory {
  const end = endOf(i);
  const ended = end !== undefined && end <= now ? end : undefined;
  return {
    instanceId: i.instanceId,
    pool: i.pool.name,
    instanceType: i.instanceType,
    hourlyPriceUsd: i.hourlyPriceUsd,
    launchedAt: i.launchedAt,
    terminatedAt: ended,
    stopped: i.stopped.filter((s) => ended === undefined || s.from < ended).map((s) => ({
      from: s.from,
      to: s.to === undefined ? ended : Math.min(s.to, ended ?? s.to),
      ...(s.publicIpv4Count !== undefined ? { publicIpv4Count: s.publicIpv4Count } : {}),
    })),
    rootVolumeGiB: i.pool.rootVolumeGiB,
    publicIpv4Count: i.publicAddressing === 'elastic-ip' ? i.containers.length : 0,
  };
}

/** Unique non-empty ids in the order given (as the EC2 adapter sends them). */
function unique(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => id !== ''))];
}

/** What {@link LocalInstanceStates} needs from the fleet it belongs to. */
export interface LocalInstanceStatesDeps {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly instances: ReadonlyMap<string, SimInstance>;
  readonly options: WarmStateOptions;
  /** From the start call to EC2 `running`, ms (the cold launch's `runningAfterMs`). */
  readonly runningAfterMs: number;
  /** Ready-time spread: NodeReady after latency × (1 ± jitter). */
  readonly bootJitter: number;
  /** Emit an EC2 state-change event of the instance after `delayMs`. */
  readonly emitState: (inst: SimInstance, state: string, delayMs: number) => void;
  /** Emit the instance's `NodeReady` (its current containers) after `delayMs`. */
  readonly emitReady: (inst: SimInstance, delayMs: number) => void;
  /** Before a start: give the instance new Elastic IPs if its own were released while stopped. */
  readonly readdress: (inst: SimInstance) => void;
}

/**
 * StopInstances (with or without `Hibernate`) and StartInstances over the simulated fleet.
 *
 * @example
 * const states = new LocalInstanceStates({ clock, random, instances, options: {}, runningAfterMs: 15_000, bootJitter: 0.15, emitState, emitReady, readdress });
 * states.stop({ instanceIds: ['i-1'], hibernate: false }); // stopping now, stopped 60 s later
 * states.start(['i-1']); // { started: ['i-1'], failures: [] } once stopped
 */
export class LocalInstanceStates {
  /** Instances accepted by StopInstances (each stop counted once). */
  public stops = 0;
  /** Instances accepted by StartInstances from `stopped`. */
  public starts = 0;
  /** Instances whose start failed for capacity (`InsufficientInstanceCapacity`). */
  public startFailures = 0;

  public constructor(private readonly deps: LocalInstanceStatesDeps) {}

  /** How long a hibernation of `pool`'s node takes to reach `stopped`, ms (stop latency + RAM / write rate). */
  public hibernateAfterMs(pool: PoolConfig): number {
    const rate = this.deps.options.hibernateWriteMiBps ?? DEFAULT_HIBERNATE_WRITE_MIBPS;
    return this.stopAfterMs() + Math.round((pool.memoryMiB / rate) * 1000);
  }

  /**
   * Stop (or hibernate) instances, as `Ec2InstanceStates.stop`: `running` ones go `stopping` now
   * and `stopped` after the stop (or hibernation) latency; `stopping` / `stopped` ones are left
   * as they are. Refused, each with its EC2 code: a Spot instance (`UnsupportedOperation`), a
   * hibernation of a node launched without it — its pool's `warmPool.state` was not
   * `'hibernated'` at launch (`UnsupportedHibernationConfiguration`), a `pending`,
   * `shutting-down` or `terminated` one (`IncorrectInstanceState`), an unknown id
   * (`InvalidInstanceID.NotFound`).
   *
   * @throws {StopRefusedError} naming the refused instances, after the others were stopped
   */
  public stop(request: StopRequest): void {
    const now = this.deps.clock.now();
    const stopped: string[] = [];
    const refused: RefusedStop[] = [];
    for (const id of unique(request.instanceIds)) {
      const inst = this.deps.instances.get(id);
      const refusal = inst ? this.stopRefusal(inst, request.hibernate, now) : { code: 'InvalidInstanceID.NotFound', message: `The instance ID '${id}' does not exist` };
      if (refusal) {
        refused.push({ instanceId: id, ...refusal, message: STOP_REFUSAL_HINTS[refusal.code] ? `${refusal.message}. ${STOP_REFUSAL_HINTS[refusal.code]}` : refusal.message });
        continue;
      }
      stopped.push(id);
      if (!inst || stateAt(inst, now) !== 'running') continue;
      const after = request.hibernate ? this.hibernateAfterMs(inst.pool) : this.stopAfterMs();
      inst.transitions.push({ at: now, state: 'stopping' }, { at: now + after, state: 'stopped' });
      inst.hibernated = request.hibernate;
      // A plain stop is not billed from `stopping` on; a hibernation is, until `stopped`.
      inst.stopped.push({ from: request.hibernate ? now + after : now });
      this.stops += 1;
      this.deps.emitState(inst, 'stopping', 0);
      this.deps.emitState(inst, 'stopped', after);
    }
    if (refused.length > 0) throw new StopRefusedError(request.hibernate ? 'hibernate' : 'stop', refused, stopped);
  }

  /**
   * Start instances, as `Ec2InstanceStates.start`: `stopped` ones go `pending` now and `running`
   * after `runningAfterMs`, and put `NodeReady` with their containers after the pool's
   * `warmPool.startTimeMs` (`resumeTimeMs` when hibernated) ± jitter; `pending` / `running` ones
   * count as started. Failures per instance: `InsufficientInstanceCapacity` with probability
   * `startFailureRate` (it stays stopped), `IncorrectInstanceState` while `stopping`,
   * `shutting-down` or `terminated`, `InvalidInstanceID.NotFound` for an unknown id.
   *
   * @returns started ids and per-instance failures (together: every unique id given)
   */
  public start(instanceIds: readonly string[]): StartResult {
    const now = this.deps.clock.now();
    const started: string[] = [];
    const failures: StartFailure[] = [];
    for (const id of unique(instanceIds)) {
      const inst = this.deps.instances.get(id);
      if (!inst) {
        failures.push({ instanceId: id, code: 'InvalidInstanceID.NotFound', message: `The instance ID '${id}' does not exist` });
        continue;
      }
      const state = stateAt(inst, now);
      if (STARTED_STATES.has(state)) {
        started.push(id);
        continue;
      }
      if (state !== 'stopped') {
        failures.push({ instanceId: id, code: 'IncorrectInstanceState', message: `The instance '${id}' is not in a state from which it can be started (${state})` });
        continue;
      }
      const rate = this.deps.options.startFailureRate ?? 0;
      if (rate > 0 && this.deps.random() < rate) {
        this.startFailures += 1;
        failures.push({
          instanceId: id,
          code: 'InsufficientInstanceCapacity',
          message: `simulated: insufficient ${inst.instanceType} capacity in its Availability Zone (keep the node stopped and launch another)`,
        });
        continue;
      }
      this.startStopped(inst, now);
      started.push(id);
    }
    return { started, failures };
  }

  private stopAfterMs(): number {
    return this.deps.options.stopAfterMs ?? DEFAULT_STOP_AFTER_MS;
  }

  private stopRefusal(inst: SimInstance, hibernate: boolean, now: number): { code: string; message: string } | undefined {
    if (inst.pool.spot) return { code: 'UnsupportedOperation', message: `The instance '${inst.instanceId}' is a Spot Instance` };
    const state = stateAt(inst, now);
    if (state === 'stopping' || state === 'stopped') return undefined;
    if (state !== 'running') return { code: 'IncorrectInstanceState', message: `The instance '${inst.instanceId}' is not in a state from which it can be stopped (${state})` };
    if (hibernate && inst.pool.warmPool.state !== 'hibernated') {
      return { code: 'UnsupportedHibernationConfiguration', message: `The instance '${inst.instanceId}' was not launched with hibernation enabled` };
    }
    return undefined;
  }

  private startStopped(inst: SimInstance, now: number): void {
    const latency = inst.hibernated ? inst.pool.warmPool.resumeTimeMs : inst.pool.warmPool.startTimeMs;
    const runningAfter = Math.min(this.deps.runningAfterMs, latency);
    const readyAfter = Math.max(runningAfter + 1, Math.round(latency * (1 + this.deps.bootJitter * (2 * this.deps.random() - 1))));
    const last = inst.stopped[inst.stopped.length - 1];
    if (last && last.to === undefined) last.to = now;
    inst.transitions.push({ at: now, state: 'pending' }, { at: now + runningAfter, state: 'running' });
    inst.hibernated = false;
    this.starts += 1;
    this.deps.readdress(inst);
    this.deps.emitState(inst, 'pending', 0);
    this.deps.emitState(inst, 'running', runningAfter);
    this.deps.emitReady(inst, readyAfter);
  }
}
