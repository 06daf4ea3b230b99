/**
 * A simulated EC2 fleet for the embedded runtime (like Karpenter's kwok provider): instances boot
 * in virtual time and emit the same events AWS and the node bootstrap would — EC2 state changes
 * (`pending`, `running`, `shutting-down`, `terminated`) and `NodeReady` — and are billed per
 * second from launch to termination.
 *
 * @module
 */
import type { PoolConfig } from '../../shared/domain/config.ts';
import type { RandomSource } from '../../shared/domain/placement.ts';
import { InsufficientCapacityError, LaunchQuotaError, NoCapacityAvailableError } from '../../shared/errors.ts';
import { ec2Failure } from '../../shared/adapters/ec2/errors.ts';
import { boundNodeSource, DetailType } from '../../shared/events/schemas.ts';
import type { AddressAssociation, AddressQuota, ComputeProvider, FleetAddress, InstanceDescription, LaunchFailure, LaunchRequest, LaunchResult, LaunchedInstance, NodeAddresses, PublicAddressing } from '../../shared/ports/compute-provider.ts';
import type { Clock } from '../../shared/ports/index.ts';
import { busEvent, LOCAL_ACCOUNT, LOCAL_REGION, type BusEvent } from './local-event-bus.ts';

/** Options of {@link LocalComputeProvider}. Times in ms. */
export interface LocalComputeOptions {
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
}

/** A lost instance (see `lossRate`) goes within this long after it booted, ms (3 h). */
export const LOST_WITHIN_MS = 3 * 3_600_000;

interface SimInstance {
  readonly instanceId: string;
  readonly pool: string;
  readonly instanceType: string;
  readonly launchedAt: number;
  /** When EC2 reports it running, ms. */
  readonly runningAt: number;
  /** When TerminateInstances was called (billing stops), ms. */
  terminatedAt?: number;
  /** When EC2 reports it terminated, ms. */
  goneAt?: number;
  /** When it is lost without a TerminateInstances (see `lossRate`), ms. */
  lostAt?: number;
  readonly hourlyPriceUsd: number;
}

/** When an instance stopped being billed: terminated or lost, whichever came first. */
function endOf(i: SimInstance): number | undefined {
  if (i.lostAt === undefined) return i.terminatedAt;
  return i.terminatedAt === undefined ? i.lostAt : Math.min(i.terminatedAt, i.lostAt);
}

/** The EC2 state of a simulated instance at `now`. */
function stateAt(i: SimInstance, now: number): string {
  if (i.lostAt !== undefined && now >= i.lostAt && (i.terminatedAt === undefined || i.terminatedAt > i.lostAt)) return 'terminated';
  if (i.terminatedAt !== undefined) return i.goneAt !== undefined && now >= i.goneAt ? 'terminated' : 'shutting-down';
  return now >= i.runningAt ? 'running' : 'pending';
}

/**
 * Simulated compute. `launch` is idempotent per decision id (as EC2's ClientToken), falls back
 * through the pool's instance types when an offering "has no capacity", and schedules the
 * instance's events; `terminate` schedules `shutting-down` and `terminated`.
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

  public constructor(private readonly options: LocalComputeOptions) {}

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
      .filter(({ i, state }) => state !== 'terminated' && (pool === undefined || i.pool === pool))
      .map(({ i, state }) => ({ instanceId: i.instanceId, pool: i.pool, state, instanceType: i.instanceType, launchTime: i.launchedAt }));
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

  /** Node-hours billed up to `until` (ms): launch to termination, or to `until` if still running. */
  public nodeHours(until: number): number {
    let ms = 0;
    for (const i of this.instances.values()) ms += Math.max(0, Math.min(endOf(i) ?? until, until) - i.launchedAt);
    return ms / 3_600_000;
  }

  /** Cost up to `until`, USD (each instance at its pool's hourly price, per second). */
  public costUsd(until: number): number {
    let usd = 0;
    for (const i of this.instances.values()) {
      usd += (Math.max(0, Math.min(endOf(i) ?? until, until) - i.launchedAt) / 3_600_000) * i.hourlyPriceUsd;
    }
    return usd;
  }

  /** Instances launched so far. */
  public get launched(): number {
    return this.instances.size;
  }

  /** Instances launched and not yet terminated nor lost (billed now). */
  public get running(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const i of this.instances.values()) if ((endOf(i) ?? Number.POSITIVE_INFINITY) > now) n += 1;
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
    const inst: SimInstance = { instanceId, pool: pool.name, instanceType, launchedAt: now, runningAt: now + runningAfter, hourlyPriceUsd: pool.hourlyPriceUsd };
    this.instances.set(instanceId, inst);
    this.emitState(inst, 'pending', 0);
    this.emitState(inst, 'running', runningAfter);
    const jitter = this.options.bootJitter ?? 0.15;
    const bootMs = Math.max(runningAfter + 1, Math.round(pool.bootTimeMs * (1 + jitter * (2 * this.options.random() - 1))));
    const containers = Array.from({ length: pool.containersPerNode }, (_, index) => {
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
    this.privateIps.set(instanceId, containers.map((c) => c.privateIp));
    // Private-only pools: no Elastic IPs, and NodeReady reports no public IP.
    if (publicAddressing === 'elastic-ip') {
      this.addresses.set(instanceId, {
        list: containers.map((c) => ({ privateIp: c.privateIp, publicIp: c.publicIp, allocationId: `eipalloc-local-${c.publicIp.replaceAll('.', '-')}` })),
        associated: false,
      });
    }
    const reported = publicAddressing === 'elastic-ip' ? containers : containers.map(({ publicIp: _publicIp, ...c }) => c);
    this.options.emit(
      busEvent(boundNodeSource(this.arn(instanceId)), DetailType.NodeReady, { instanceId, containers: reported }, now + bootMs, { resources: [this.arn(instanceId)] }),
      bootMs,
    );
    if ((this.options.lossRate ?? 0) > 0 && this.options.random() < (this.options.lossRate ?? 0)) {
      const lostAfter = bootMs + Math.round(this.options.random() * LOST_WITHIN_MS);
      inst.lostAt = now + lostAfter;
      this.instancesLost += 1;
      if (this.options.random() < 0.5) {
        this.emitState(inst, 'shutting-down', lostAfter);
        this.emitState(inst, 'terminated', lostAfter + (this.options.terminatedAfterMs ?? 30_000));
      }
    }
    return { instanceId, instanceType, subnetId: 'subnet-local', availabilityZone: `${LOCAL_REGION}a` };
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
