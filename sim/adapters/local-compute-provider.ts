/**
 * A simulated EC2 fleet for the embedded runtime (like Karpenter's kwok provider): instances boot
 * in virtual time and emit the same events AWS and the node bootstrap would — EC2 state changes
 * (`pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`) and `NodeReady` —
 * and are billed per second from launch to termination, except while stopped. Warm-pool stops,
 * hibernations and starts: `local-instance-states.ts`.
 *
 * @module
 */
import type { PoolConfig } from '../../shared/domain/config.ts';
import type { RandomSource } from '../../shared/domain/placement.ts';
import { InsufficientCapacityError, LaunchQuotaError, NoCapacityAvailableError } from '../../shared/errors.ts';
import { ec2Failure } from '../../shared/adapters/ec2/errors.ts';
import { boundNodeSource, DetailType } from '../../shared/events/schemas.ts';
import type {
  AddressAssociation,
  AddressQuota,
  ComputeProvider,
  FleetAddress,
  InstanceDescription,
  LaunchFailure,
  LaunchRequest,
  LaunchResult,
  LaunchedInstance,
  NodeAddresses,
  PublicAddressing,
  StartResult,
  StoppedAddressRelease,
  StopRequest,
} from '../../shared/ports/compute-provider.ts';
import type { Clock } from '../../shared/ports/index.ts';
import type { InstanceHistory } from './instance-history.ts';
import { busEvent, LOCAL_ACCOUNT, LOCAL_REGION, type BusEvent } from './local-event-bus.ts';
import { BootWaits } from './local-boot-waits.ts';
import { billedMs, endOf, instanceHistory, isStoppedAt, LocalInstanceStates, stateAt, type SimContainer, type SimInstance, type WarmStateOptions } from './local-instance-states.ts';

/**
 * Options of {@link LocalComputeProvider}. Times in ms. Warm-pool latencies and start failures:
 * {@link WarmStateOptions} (`stopAfterMs`, `hibernateWriteMiBps`, `startFailureRate`); the
 * start and resume times are the pool's `warmPool.startTimeMs` / `resumeTimeMs`.
 */
export interface LocalComputeOptions extends WarmStateOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Called with each event the fleet emits and the delay after which to deliver it. */
  readonly emit: (event: BusEvent, delayMs: number) => void;
  /** From RunInstances to EC2 `running` (default 15 000). */
  readonly runningAfterMs?: number;
  /** Boot time spread: NodeReady comes after bootTimeMs × (1 ± jitter) (default 0.15). */
  readonly bootJitter?: number;
  /** Probability that one offering has no capacity on a launch (default 0). */
  readonly launchFailureRate?: number;
  /** From TerminateInstances to EC2 `terminated` (default 30 000). */
  readonly terminatedAfterMs?: number;
  /**
   * Probability that a launched instance is lost some time after it boots (hardware failure,
   * Spot reclaim): within {@link LOST_WITHIN_MS} of its boot it stops existing; half the losses
   * emit EC2 state changes, the other half are silent (the events are lost too), so only the
   * sweep's reconciliation can find them (default 0).
   */
  readonly lossRate?: number;
  /**
   * Probability that a launched instance becomes unreachable some time after it boots, without
   * any EC2 event (a failed host, its network, a hung kernel): within {@link UNREACHABLE_WITHIN_MS}
   * of its boot it stops answering while DescribeInstances still says `running`; only its EC2
   * status checks see it ({@link LocalComputeProvider.unreachableSince}, which the simulated
   * CloudWatch of `local-node-alarms.ts` reads). A stop-start clears it (EC2 moves a stopped
   * instance to new hardware). Default 0.
   */
  readonly unreachableRate?: number;
  /**
   * Probability that a RunInstances or TerminateInstances call is throttled
   * (`RequestLimitExceeded`) after the SDK's own retries: the call fails as the EC2 adapter
   * reports it (a retryable `AutoscalerError`) and changes nothing (default 0).
   */
  readonly throttleRate?: number;
  /**
   * The account's simulated Elastic IP quota (addresses in the Region; AWS's default is 5):
   * `addressQuota` reports it and `associateAddresses` past it fails with `AddressLimitExceeded`.
   * Absent: unlimited, and no quota is reported.
   */
  readonly elasticIpQuota?: number;
  /**
   * The bus whose timers let a booting node wait for its Elastic IPs (`LocalEventBus.onTimer`).
   * With it, an `'elastic-ip'` node puts `NodeReady` only once its addresses are associated, as
   * its boot unit does (infra/bootstrap/wcs-node.sh.tpl waits for them in IMDS before it starts
   * WCS): at the end of its boot if they were, else `BOOT_AFTER_ADDRESSES_MS` after their
   * association (local-boot-waits.ts). Without it, `NodeReady` comes at the end of the boot whatever the addresses.
   */
  readonly timers?: { onTimer(source: string, handler: (event: BusEvent) => void): void };
}

/** A lost instance (see `lossRate`) goes within this long after it booted, ms (3 h). */
export const LOST_WITHIN_MS = 3 * 3_600_000;

/** Whether EC2 had the instance `running` at `t` (epoch ms; also a time before its termination, unlike `stateAt`). */
function runningAt(inst: SimInstance, t: number): boolean {
  if (t >= (endOf(inst) ?? Number.POSITIVE_INFINITY)) return false;
  let state = 'pending';
  for (const tr of inst.transitions) if (tr.at <= t) state = tr.state;
  return state === 'running';
}

/** An unreachable instance (see `unreachableRate`) stops answering within this long after it booted, ms (3 h, as a loss). */
export const UNREACHABLE_WITHIN_MS = LOST_WITHIN_MS;

/**
 * Simulated compute. `launch` is idempotent per decision id (as EC2's ClientToken), falls back
 * through the pool's instance types when an offering "has no capacity", and schedules the
 * instance's events; `terminate` schedules `shutting-down` and `terminated`; `stop` and `start`
 * move warm-pool nodes through `stopping` / `stopped` and `pending` / `running` / `NodeReady`
 * (docs/cli.md#simulated-warm-pool).
 *
 * @example
 * const fleet = new LocalComputeProvider({ clock, random, emit: (e, delay) => queue.at(clock.now() + delay, e) });
 */
export class LocalComputeProvider implements ComputeProvider {
  private readonly instances = new Map<string, SimInstance>();
  private readonly byToken = new Map<string, LaunchedInstance[]>();
  private next = 1;
  private terminatedCount = 0;
  private ipNext = 10;
  /** Simulated Elastic IPs by instance: the public IPs its NodeReady reports. */
  private readonly addresses = new Map<string, { readonly list: readonly AddressAssociation[]; associated: boolean }>();
  /** Secondary private IPs by instance (one per container), as `nodeAddresses` reports them. */
  private readonly privateIps = new Map<string, readonly string[]>();
  /** Launch attempts that hit a simulated capacity error. */
  public launchFailures = 0;
  /** Instances lost (see `lossRate`) so far, counted at launch. */
  public instancesLost = 0;
  /** When each instance drawn to become unreachable (`unreachableRate`) stops answering, epoch ms. */
  private readonly unreachableAt = new Map<string, number>();
  /** Warm-pool stops and starts (`stop`, `start`), with their counters. */
  public readonly states: LocalInstanceStates;
  /** Boots that wait for their Elastic IPs ({@link LocalComputeOptions.timers}). */
  private readonly bootWaits?: BootWaits;

  public constructor(private readonly options: LocalComputeOptions) {
    this.states = new LocalInstanceStates({
      clock: options.clock,
      random: options.random,
      instances: this.instances,
      options,
      runningAfterMs: options.runningAfterMs ?? 15_000,
      bootJitter: options.bootJitter ?? 0.15,
      emitState: (inst, state, delayMs) => this.emitState(inst, state, delayMs),
      emitReady: (inst, delayMs) => this.emitReady(inst, delayMs),
      readdress: (inst) => this.readdress(inst),
    });
    if (options.timers) {
      this.bootWaits = new BootWaits({
        clock: options.clock,
        emit: options.emit,
        timers: options.timers,
        ready: (id) => {
          const inst = this.instances.get(id);
          if (!inst || stateAt(inst, options.clock.now()) !== 'running') return 'gone';
          return this.addresses.get(id)?.associated ? 'addressed' : 'waiting';
        },
        putReady: (id, delayMs) => this.putReady(this.instances.get(id) as SimInstance, delayMs),
      });
    }
  }

  /** Nodes whose boot ended before their Elastic IPs were associated (they waited for them). */
  public get bootsAwaitingAddresses(): number {
    return this.bootWaits?.awaited ?? 0;
  }

  /** Start stopped or hibernated nodes (see `LocalInstanceStates.start`; `ComputeProvider.start`). */
  public async start(instanceIds: readonly string[], _now: number): Promise<StartResult> {
    this.maybeThrottle('StartInstances');
    return this.states.start(instanceIds);
  }

  /** Stop or hibernate nodes (see `LocalInstanceStates.stop`; throws `StopRefusedError` naming refused ones). */
  public async stop(request: StopRequest): Promise<void> {
    this.maybeThrottle('StopInstances');
    this.states.stop(request);
  }

  /**
   * Release a stopped node's simulated Elastic IPs, only while it is `stopping` or `stopped`
   * (as `Ec2ElasticIps.releaseIfStopped`); the stopped interval then counts no public IPv4, and
   * its next start gives it new addresses.
   */
  public async releaseStoppedAddresses(instanceId: string): Promise<StoppedAddressRelease> {
    const inst = this.instances.get(instanceId);
    const state = inst ? stateAt(inst, this.options.clock.now()) : 'unknown';
    if (!inst || (state !== 'stopping' && state !== 'stopped')) return { released: false, state };
    this.addresses.delete(instanceId);
    const last = inst.stopped[inst.stopped.length - 1];
    if (last && last.to === undefined && inst.publicAddressing === 'elastic-ip') last.publicIpv4Count = 0;
    return { released: true, state };
  }

  /** Warm-pool counters for the simulation summary: stops, starts, capacity failures of starts. */
  public warmCounts(): { readonly warmStops: number; readonly warmStarts: number; readonly startFailures: number } {
    return { warmStops: this.states.stops, warmStarts: this.states.starts, startFailures: this.states.startFailures };
  }

  /** Every instance's life so far, for the bill (see `instanceHistory`). */
  public instanceHistories(): readonly InstanceHistory[] {
    const now = this.options.clock.now();
    return [...this.instances.values()].map((i) => instanceHistory(i, now));
  }

  /**
   * The simulated quota (see `elasticIpQuota`): allocated = addresses of instances associated so
   * far. Without a quota option the limit is `Infinity` (unlimited: nothing is ever blocked).
   */
  public async addressQuota(): Promise<AddressQuota> {
    const fleet = (await this.describeAddresses()).filter((a) => a.associated);
    return { limit: this.options.elasticIpQuota ?? Number.POSITIVE_INFINITY, source: 'simulated', allocated: fleet.length, fleet };
  }

  public async launch(request: LaunchRequest): Promise<LaunchResult> {
    this.maybeThrottle('RunInstances');
    const known = this.byToken.get(request.decisionId);
    if (known) return { instances: known, failures: [] };
    const failures: LaunchFailure[] = [];
    const errors: InsufficientCapacityError[] = [];
    for (const instanceType of request.pool.instanceTypes) {
      if (this.options.random() < (this.options.launchFailureRate ?? 0)) {
        this.launchFailures += 1;
        failures.push({ instanceType, code: 'InsufficientInstanceCapacity', message: 'simulated: no capacity' });
        errors.push(new InsufficientCapacityError('InsufficientInstanceCapacity', instanceType, undefined));
        continue;
      }
      const launched: LaunchedInstance[] = [];
      for (let i = 0; i < request.count; i++) launched.push(this.runInstance(request.pool, instanceType, request.publicAddressing ?? 'elastic-ip'));
      this.byToken.set(request.decisionId, launched);
      return { instances: launched, failures };
    }
    throw new NoCapacityAvailableError(errors);
  }

  /** Calls failed with `RequestLimitExceeded` (see `throttleRate`). */
  public throttled = 0;

  private maybeThrottle(call: string): void {
    const rate = this.options.throttleRate ?? 0;
    if (rate <= 0 || this.options.random() >= rate) return;
    this.throttled += 1;
    const sdkError = Object.assign(new Error('simulated: Request limit exceeded.'), { name: 'RequestLimitExceeded', Code: 'RequestLimitExceeded' });
    throw ec2Failure(`${call} failed`, sdkError, true);
  }

  public async terminate(instanceIds: readonly string[]): Promise<void> {
    this.maybeThrottle('TerminateInstances');
    const now = this.options.clock.now();
    for (const id of instanceIds) {
      const inst = this.instances.get(id);
      if (!inst || inst.terminatedAt !== undefined || (inst.lostAt !== undefined && now >= inst.lostAt)) continue;
      const after = this.options.terminatedAfterMs ?? 30_000;
      inst.terminatedAt = now;
      const last = inst.stopped[inst.stopped.length - 1];
      if (last && last.to === undefined) last.to = Math.max(last.from, now);
      inst.goneAt = now + after;
      this.terminatedCount += 1;
      this.emitState(inst, 'shutting-down', 0);
      this.emitState(inst, 'terminated', after);
    }
  }

  public async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    const now = this.options.clock.now();
    return [...this.instances.values()]
      .map((i) => ({ i, state: stateAt(i, now) }))
      .filter(({ i, state }) => state !== 'terminated' && (pool === undefined || i.pool.name === pool))
      .map(({ i, state }) => ({ instanceId: i.instanceId, pool: i.pool.name, state, instanceType: i.instanceType, launchTime: i.launchedAt, missingPublicIps: this.addresses.get(i.instanceId)?.associated === false }));
  }

  /** Simulated Elastic IPs: the node's public IPs (198.18.0.0/15), idempotent. */
  /** What the simulated EC2 gave the instance (see `ComputeProvider.nodeAddresses`); public IPs once associated. */
  public async nodeAddresses(instanceId: string): Promise<NodeAddresses | undefined> {
    const privateIps = this.privateIps.get(instanceId);
    if (!privateIps) return undefined;
    const held = this.addresses.get(instanceId);
    return { privateIps, publicIps: new Map(held?.associated ? held.list.map((a) => [a.privateIp, a.publicIp] as const) : []) };
  }

  public async associateAddresses(instanceId: string): Promise<readonly AddressAssociation[]> {
    const held = this.addresses.get(instanceId);
    if (!held) return [];
    const quota = this.options.elasticIpQuota;
    if (!held.associated && quota !== undefined) {
      const allocated = [...this.addresses.values()].reduce((n, h) => n + (h.associated ? h.list.length : 0), 0);
      if (allocated + held.list.length > quota) throw new LaunchQuotaError('AddressLimitExceeded', `simulated: the maximum number of addresses (${quota}) has been reached`);
    }
    held.associated = true;
    this.bootWaits?.addressed(instanceId);
    return held.list;
  }

  /** Forget a gone instance's simulated Elastic IPs. */
  public async releaseAddresses(instanceId: string): Promise<void> {
    this.addresses.delete(instanceId);
  }

  /** Simulated fleet Elastic IPs (all owned by the fleet). */
  public async describeAddresses(): Promise<readonly FleetAddress[]> {
    return [...this.addresses].flatMap(([instanceId, held]) =>
      held.list.map((a) => ({ allocationId: a.allocationId ?? '', publicIp: a.publicIp, associated: held.associated, instanceId, owned: true })),
    );
  }

  /** Release one simulated Elastic IP (its instance keeps the others). */
  public async releaseAddress(allocationId: string): Promise<void> {
    for (const [id, held] of this.addresses) {
      const list = held.list.filter((a) => a.allocationId !== allocationId);
      if (list.length !== held.list.length) this.addresses.set(id, { list, associated: held.associated });
    }
  }

  /**
   * Node-hours billed up to `until` (ms): launch to termination, or to `until` if it still exists,
   * minus the time it spent stopped (see `billedMs`).
   */
  public nodeHours(until: number): number {
    let ms = 0;
    for (const i of this.instances.values()) ms += billedMs(i, until);
    return ms / 3_600_000;
  }

  /**
   * Instance cost up to `until`, USD (each instance at its pool's hourly price, per second, not
   * while stopped). EBS and public IPv4 are not in it: the bill adds them from `instanceHistories`.
   */
  public costUsd(until: number): number {
    let usd = 0;
    for (const i of this.instances.values()) usd += (billedMs(i, until) / 3_600_000) * i.hourlyPriceUsd;
    return usd;
  }

  /**
   * Since when the instance has been unreachable at `now` (epoch ms), or undefined when it answers:
   * it was drawn to fail (`unreachableRate`), was `running` when it failed and still is, and has
   * not been stopped since (a stop-start moves it to new hardware). EC2 reports nothing of it:
   * its state stays `running` and no event is emitted.
   */
  public unreachableSince(instanceId: string, now = this.options.clock.now()): number | undefined {
    const inst = this.instances.get(instanceId);
    const at = this.unreachableAt.get(instanceId);
    if (!inst || at === undefined || now < at) return undefined;
    if (!runningAt(inst, at) || stateAt(inst, now) !== 'running') return undefined;
    return inst.transitions.some((t) => t.at >= at && t.at <= now && t.state !== 'running') ? undefined : at;
  }

  /** When the instance is drawn to stop answering, epoch ms (whether or not it will be running then), or undefined. */
  public unreachableFrom(instanceId: string): number | undefined {
    return this.unreachableAt.get(instanceId);
  }

  /** Instances that became unreachable by `until` (epoch ms) while running, with when, and when they stopped being billed (terminated or lost; undefined: not yet): the `unreachable` faults that happened. */
  public unreachableInstances(until = this.options.clock.now()): { readonly instanceId: string; readonly at: number; readonly endedAt: number | undefined }[] {
    const out: { instanceId: string; at: number; endedAt: number | undefined }[] = [];
    for (const [instanceId, at] of this.unreachableAt) {
      const inst = this.instances.get(instanceId);
      if (inst && at <= until && runningAt(inst, at)) out.push({ instanceId, at, endedAt: endOf(inst) });
    }
    return out;
  }

  /** Instances launched so far. */
  public get launched(): number {
    return this.instances.size;
  }

  /** Instances launched and not yet terminated nor lost, and not stopped (billed now). */
  public get running(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const i of this.instances.values()) if ((endOf(i) ?? Number.POSITIVE_INFINITY) > now && !isStoppedAt(i, now)) n += 1;
    return n;
  }

  /** Instances in the warm pool now: EC2 state `stopping` or `stopped` (not yet terminated nor lost). */
  public get stopped(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const i of this.instances.values()) {
      const state = stateAt(i, now);
      if (state === 'stopping' || state === 'stopped') n += 1;
    }
    return n;
  }

  /** Instances terminated so far. */
  public get terminated(): number {
    return this.terminatedCount;
  }

  private runInstance(pool: PoolConfig, instanceType: string, publicAddressing: PublicAddressing): LaunchedInstance {
    const now = this.options.clock.now();
    const instanceId = `i-${(this.next++).toString(16).padStart(17, '0')}`;
    const runningAfter = Math.min(this.options.runningAfterMs ?? 15_000, pool.bootTimeMs);
    const jitter = this.options.bootJitter ?? 0.15;
    const bootMs = Math.max(runningAfter + 1, Math.round(pool.bootTimeMs * (1 + jitter * (2 * this.options.random() - 1))));
    const containers: SimContainer[] = Array.from({ length: pool.containersPerNode }, (_, index) => {
      const k = this.ipNext++;
      const per = Math.floor(pool.vcpus / pool.containersPerNode);
      return {
        index,
        privateIp: `10.0.${(k >> 8) & 255}.${k & 255}`,
        // 198.18.0.0/15 is reserved for benchmarking (RFC 2544): no real host answers there.
        publicIp: `198.18.${(k >> 8) & 255}.${k & 255}`,
        cpuset: per > 1 ? `${index * per}-${index * per + per - 1}` : `${index * per}`,
      };
    });
    const inst: SimInstance = {
      instanceId,
      pool,
      instanceType,
      launchedAt: now,
      publicAddressing,
      hourlyPriceUsd: pool.hourlyPriceUsd,
      containers,
      transitions: [
        { at: now, state: 'pending' },
        { at: now + runningAfter, state: 'running' },
      ],
      hibernated: false,
      stopped: [],
    };
    this.instances.set(instanceId, inst);
    this.emitState(inst, 'pending', 0);
    this.emitState(inst, 'running', runningAfter);
    this.privateIps.set(instanceId, containers.map((c) => c.privateIp));
    // Private-only pools: no Elastic IPs, and NodeReady reports no public IP.
    if (publicAddressing === 'elastic-ip') this.allocateAddresses(inst);
    this.emitReady(inst, bootMs);
    if ((this.options.lossRate ?? 0) > 0 && this.options.random() < (this.options.lossRate ?? 0)) {
      const lostAfter = bootMs + Math.round(this.options.random() * LOST_WITHIN_MS);
      inst.lostAt = now + lostAfter;
      this.instancesLost += 1;
      if (this.options.random() < 0.5) {
        this.emitState(inst, 'shutting-down', lostAfter);
        this.emitState(inst, 'terminated', lostAfter + (this.options.terminatedAfterMs ?? 30_000));
      }
    }
    const unreachableRate = this.options.unreachableRate ?? 0;
    // Silent: no EC2 event, the state stays `running`; only the status checks see it.
    if (unreachableRate > 0 && this.options.random() < unreachableRate) this.unreachableAt.set(instanceId, now + bootMs + Math.round(this.options.random() * UNREACHABLE_WITHIN_MS));
    return { instanceId, instanceType, subnetId: 'subnet-local', availabilityZone: `${LOCAL_REGION}a` };
  }

  /** Simulated Elastic IPs for the node's containers (198.18.0.0/15), not yet associated. */
  private allocateAddresses(inst: SimInstance): void {
    this.addresses.set(inst.instanceId, {
      list: inst.containers.map((c) => ({ privateIp: c.privateIp, publicIp: c.publicIp, allocationId: `eipalloc-local-${c.publicIp.replaceAll('.', '-')}` })),
      associated: false,
    });
  }

  /**
   * On a start: an `'elastic-ip'` node whose addresses were released while stopped gets new
   * ones (node-events associates them on `running`); kept addresses stay associated.
   */
  private readdress(inst: SimInstance): void {
    if (inst.publicAddressing !== 'elastic-ip' || this.addresses.has(inst.instanceId)) return;
    inst.containers = inst.containers.map((c) => {
      const k = this.ipNext++;
      return { ...c, publicIp: `198.18.${(k >> 8) & 255}.${k & 255}` };
    });
    this.allocateAddresses(inst);
  }

  /**
   * End the boot (first boot, every start, every resume) after `delayMs`: `NodeReady` then, or,
   * for a node that waits for its Elastic IPs, once they are associated (local-boot-waits.ts).
   */
  private emitReady(inst: SimInstance, delayMs: number): void {
    if (this.bootWaits && inst.publicAddressing === 'elastic-ip') this.bootWaits.endBoot(inst.instanceId, delayMs);
    else this.putReady(inst, delayMs);
  }

  /** The boot unit's `NodeReady` with the node's containers, put after `delayMs`. */
  private putReady(inst: SimInstance, delayMs: number): void {
    const { instanceId } = inst;
    const reported = inst.publicAddressing === 'elastic-ip' ? inst.containers : inst.containers.map(({ publicIp: _publicIp, ...c }) => c);
    this.options.emit(
      busEvent(boundNodeSource(this.arn(instanceId)), DetailType.NodeReady, { instanceId, containers: reported }, this.options.clock.now() + delayMs, { resources: [this.arn(instanceId)] }),
      delayMs,
    );
  }

  private emitState(inst: SimInstance, state: string, delayMs: number): void {
    const at = this.options.clock.now() + delayMs;
    this.options.emit(
      busEvent('aws.ec2', DetailType.Ec2StateChange, { 'instance-id': inst.instanceId, state }, at, { resources: [this.arn(inst.instanceId)] }),
      delayMs,
    );
  }

  private arn(instanceId: string): string {
    return `arn:aws:ec2:${LOCAL_REGION}:${LOCAL_ACCOUNT}:instance/${instanceId}`;
  }
}
