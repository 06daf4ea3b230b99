/**
 * `ComputeProvider` on Amazon EC2: launches media nodes with `RunInstances` from a launch
 * template, falling back across instance types and subnets (Karpenter-style unavailable-offering
 * cache), terminates them and finds them again by their ownership tags.
 *
 * This adapter owns the EC2 SDK errors: they are classified by the predicates of `errors.ts`
 * and rethrown as the typed errors of `shared/errors.ts`, with the SDK exception as `cause`;
 * the fallback policy itself (order, which offerings a failure marks) is
 * `shared/domain/offerings.ts`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import {
  EC2Client,
  RunInstancesCommand,
  paginateDescribeInstances,
  type Filter,
  type Instance,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { PoolConfig } from '../../domain/config.ts';
import {
  OFFERING_UNAVAILABLE_MS,
  isOfferingAvailable,
  offeringKey,
  offeringsMarkedUnavailable,
  orderOfferings,
  type Offering,
} from '../../domain/offerings.ts';
import { AutoscalerError, InsufficientCapacityError, LaunchQuotaError, NoCapacityAvailableError } from '../../errors.ts';
import { addressesOf, Ec2ElasticIps } from './elastic-ips.ts';
import { Ec2InstanceStates } from './instance-states.ts';
import { ec2Failure, errorCode, errorMessage, isIdempotentParameterMismatch, isQuotaExceeded, isSubnetCapacity, isUnfulfillableCapacity } from './errors.ts';
import type {
  AddressAssociation,
  NodeAddresses,
  AddressQuota,
  ComputeProvider,
  FleetAddress,
  InstanceDescription,
  LaunchFailure,
  LaunchRequest,
  LaunchResult,
  LaunchedInstance,
  StartResult,
  StopRequest,
  StoppedAddressRelease,
} from '../../ports/compute-provider.ts';

/** Tag naming the fleet (deployment) that owns an instance; its value is the `fleet` option. */
export const FLEET_TAG = 'wcs-autoscaler:fleet';
/** Tag naming the pool an instance belongs to. */
export const POOL_TAG = 'wcs-autoscaler:pool';
/** Tag naming the scaling decision that launched an instance. */
export const DECISION_TAG = 'wcs-autoscaler:decision';

/** EC2 states `describeFleet` returns (everything but `terminated`). */
export const LIVE_INSTANCE_STATES: readonly string[] = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

/** Options of {@link Ec2ComputeProvider}. */
export interface Ec2ComputeProviderOptions {
  /** EC2 client, built once at module scope (see {@link createEc2Client}). */
  readonly client: EC2Client;
  /**
   * Launch template (by id or name) holding the AMI, instance profile, IMDSv2 settings and
   * storage. It must not set a subnet, security groups or network interfaces: the provider sets
   * the primary network interface itself (a request cannot mix both).
   */
  readonly launchTemplate: LaunchTemplateRef;
  /**
   * Launch template per pool name (its root volume size and hibernation setting, see
   * `infra/constructs/media-nodes.ts`); a pool not listed launches from `launchTemplate`. @default {}
   */
  readonly launchTemplatesByPool?: Readonly<Record<string, LaunchTemplateRef>>;
  /** Subnets to launch into, typically one per AZ (order = preference before rotation). */
  readonly subnetIds: readonly string[];
  /** Security groups of the primary network interface (empty: the VPC's default group). */
  readonly securityGroupIds: readonly string[];
  /** Value of the {@link FLEET_TAG} ownership tag; `describeFleet` finds only these instances. */
  readonly fleet: string;
  /** How long an offering that lacked capacity is skipped, ms. @default OFFERING_UNAVAILABLE_MS (180 000) */
  readonly unavailableForMs?: number;
  /** Operator-supplied Elastic IP allocation ids used before allocating new ones. @default [] */
  readonly addressPool?: readonly string[];
  /**
   * Service Quotas client for the Elastic IP quota check (`addressQuota`); absent → the limit
   * comes from EC2 `DescribeAccountAttributes` only.
   */
  readonly serviceQuotas?: ServiceQuotasClient | undefined;
}

/** A launch template by id or name. */
export interface LaunchTemplateRef {
  readonly id?: string | undefined;
  readonly name?: string | undefined;
  /** Template version. @default '$Default' */
  readonly version?: string | undefined;
}

type LaunchTemplateSpec = { LaunchTemplateId?: string; LaunchTemplateName?: string; Version: string };

/** The SDK's launch template spec. @throws {AutoscalerError} (not retryable) when it has neither id nor name */
function templateSpec({ id, name, version }: LaunchTemplateRef, what: string): LaunchTemplateSpec {
  if (!id && !name) throw new AutoscalerError(`Ec2ComputeProvider: ${what} needs an id or a name`);
  return { ...(id ? { LaunchTemplateId: id } : { LaunchTemplateName: name }), Version: version ?? '$Default' };
}

interface UnavailableEntry {
  readonly until: number;
  readonly code: string;
}

/**
 * Build the EC2 client for {@link Ec2ComputeProvider}, with the SDK's `adaptive` retry mode:
 * standard retries plus client-side rate limiting that slows the client down when EC2 throttles
 * (`RequestLimitExceeded`) — the account-wide EC2 API token buckets are shared by every Lambda.
 * Source: AWS SDKs and Tools Reference Guide, "Retry behavior"
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 *
 * @param region - AWS region; default: the SDK's resolution (`AWS_REGION`, profile)
 * @example
 * const ec2 = createEc2Client(); // at module scope, once per Lambda execution environment
 */
export function createEc2Client(region?: string): EC2Client {
  return new EC2Client({ retryMode: 'adaptive', ...(region ? { region } : {}) });
}

/**
 * The `ClientToken` for launching a decision's nodes in one offering: `wcs-` + 60 hex chars of
 * sha256(decisionId, offering) — 64 ASCII chars, EC2's maximum. Deterministic, so a retried
 * decision re-sends the same token and EC2 returns the original instances instead of launching
 * again; different per offering, so a fallback is a new request.
 * Source: Amazon EC2 API Reference, "Ensuring idempotency" (token ≤ 64 ASCII characters).
 *
 * @example
 * clientTokenFor('d-42', 'c6i.2xlarge/subnet-a'); // → 'wcs-3f…' (64 chars)
 */
export function clientTokenFor(decisionId: string, key: string): string {
  return `wcs-${createHash('sha256').update(`${decisionId}\n${key}`).digest('hex').slice(0, 60)}`;
}

/**
 * The subnet rotation of a decision (see `orderOfferings`): the first 32 bits of sha256(decisionId).
 * Deterministic, so a retried decision tries the same offerings in the same order (and so sends
 * the same `ClientToken`s), while different decisions start in different subnets (AZ spread).
 *
 * @example
 * subnetRotationFor('d-42') % subnetIds.length; // index of the first subnet tried
 */
export function subnetRotationFor(decisionId: string): number {
  return Number.parseInt(createHash('sha256').update(decisionId).digest('hex').slice(0, 8), 16);
}

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/**
 * Launches, terminates and describes WCS media nodes on EC2.
 *
 * Each instance gets one primary network interface with `containersPerNode` secondary private
 * IPs (one per WCS container on the ipvlan network) and the tags {@link FLEET_TAG},
 * {@link POOL_TAG}, {@link DECISION_TAG} and `Name = wcs-<pool>` on the instance, its volumes
 * and its network interface.
 *
 * The unavailable-offering map lives in this object (like Karpenter's in-memory cache), i.e. per
 * Lambda execution environment: build one provider at module scope so warm invocations share it.
 *
 * @example
 * const compute = new Ec2ComputeProvider({
 *   client: createEc2Client(),
 *   launchTemplate: { name: 'wcs-node' },
 *   subnetIds: ['subnet-a', 'subnet-b'],
 *   securityGroupIds: ['sg-1'],
 *   fleet: 'prod',
 * });
 * const { instances } = await compute.launch({ pool, count: 2, decisionId: 'd-42', now: Date.now() });
 */
export class Ec2ComputeProvider implements ComputeProvider {
  private readonly client: EC2Client;
  private readonly launchTemplate: LaunchTemplateSpec;
  private readonly poolTemplates: ReadonlyMap<string, LaunchTemplateSpec>;
  private readonly subnetIds: readonly string[];
  private readonly securityGroupIds: readonly string[];
  private readonly fleet: string;
  private readonly unavailableForMs: number;
  private readonly unavailable = new Map<string, UnavailableEntry>();
  /**
   * Account limits hit, by market (`spot` / `on-demand`): until `until`, launches in that market
   * fail at once with the same {@link LaunchQuotaError} instead of calling RunInstances again
   * (no retry storm while every room event asks for capacity).
   */
  private readonly quotaBlocked = new Map<string, UnavailableEntry & { readonly message: string }>();
  private readonly elasticIps: Ec2ElasticIps;
  private readonly states: Ec2InstanceStates;

  /**
   * @throws {AutoscalerError} (not retryable) when the launch template has neither id nor name,
   *   or no subnet is given
   */
  public constructor(options: Ec2ComputeProviderOptions) {
    this.launchTemplate = templateSpec(options.launchTemplate, 'launchTemplate');
    this.poolTemplates = new Map(Object.entries(options.launchTemplatesByPool ?? {}).map(([pool, ref]) => [pool, templateSpec(ref, `launch template of pool ${pool}`)]));
    if (options.subnetIds.length === 0) throw new AutoscalerError('Ec2ComputeProvider: subnetIds must not be empty');
    this.client = options.client;
    this.states = new Ec2InstanceStates(options.client);
    this.subnetIds = [...options.subnetIds];
    this.securityGroupIds = [...options.securityGroupIds];
    this.fleet = options.fleet;
    this.unavailableForMs = options.unavailableForMs ?? OFFERING_UNAVAILABLE_MS;
    this.elasticIps = new Ec2ElasticIps({
      client: options.client,
      fleet: options.fleet,
      fleetTag: FLEET_TAG,
      poolTag: POOL_TAG,
      addressPool: options.addressPool ?? [],
      serviceQuotas: options.serviceQuotas,
    });
  }

  /** The account's Elastic IP quota and usage (see `ComputeProvider.addressQuota`; `Ec2ElasticIps.quota`). */
  public async addressQuota(now: number): Promise<AddressQuota> {
    return this.elasticIps.quota(now);
  }

  /** One Elastic IP per secondary private IP (see `ComputeProvider.associateAddresses`; `Ec2ElasticIps`). */
  public async associateAddresses(instanceId: string): Promise<readonly AddressAssociation[]> {
    return this.elasticIps.associate(instanceId);
  }

  /** What EC2 gave the instance: secondary private IPs and their public IPs (see `ComputeProvider.nodeAddresses`). */
  public async nodeAddresses(instanceId: string): Promise<NodeAddresses | undefined> {
    return this.elasticIps.nodeAddresses(instanceId);
  }

  /** Release the Elastic IPs allocated for a gone instance; return pool ones (see `Ec2ElasticIps`). */
  public async releaseAddresses(instanceId: string): Promise<void> {
    return this.elasticIps.release(instanceId);
  }

  /**
   * Release a stopped warm-pool node's Elastic IPs (pool `warmPool.releaseAddressesOnStop`), only
   * while EC2 reports it stopping or stopped (see `ComputeProvider.releaseStoppedAddresses`).
   */
  public async releaseStoppedAddresses(instanceId: string): Promise<StoppedAddressRelease> {
    return this.elasticIps.releaseIfStopped(instanceId);
  }

  /** Start stopped or hibernated nodes, per-instance failures returned (see `Ec2InstanceStates.start`). */
  public async start(instanceIds: readonly string[], _now: number): Promise<StartResult> {
    return this.states.start(instanceIds);
  }

  /** Stop or hibernate nodes (see `Ec2InstanceStates.stop`; throws `StopRefusedError` naming refused ones). */
  public async stop(request: StopRequest): Promise<void> {
    return this.states.stop(request);
  }

  /** The fleet's and the operator pool's Elastic IPs. */
  public async describeAddresses(): Promise<readonly FleetAddress[]> {
    return this.elasticIps.list();
  }

  /** Release one fleet-owned Elastic IP (idempotent). */
  public async releaseAddress(allocationId: string): Promise<void> {
    return this.elasticIps.releaseOne(allocationId);
  }

  /**
   * Launch `request.count` nodes, trying offerings (instance type × subnet) in fallback order
   * until enough are running: a partial `RunInstances` (fewer than asked) continues with the
   * next offering for the rest. Offerings that fail for capacity reasons are marked unavailable
   * for `unavailableForMs` from `request.now` and listed in `failures`.
   *
   * @returns the launched instances (possibly fewer than asked) and the failed offerings
   * @throws {LaunchQuotaError} when an account limit (e.g. `VcpuLimitExceeded`) blocks the
   *   launch before any instance started (after some did, the partial result is returned with
   *   the failure listed)
   * @throws {NoCapacityAvailableError} when every offering lacked capacity (or was marked so)
   * @throws {AutoscalerError} for any other EC2 failure before any instance started; retryable
   *   for throttling, server faults and network errors, not for client errors (permissions,
   *   invalid launch template, …). An `IdempotentParameterMismatch` (a retried decision with a
   *   different count) returns the instances the token already launched.
   */
  public async launch(request: LaunchRequest): Promise<LaunchResult> {
    const { pool, now } = request;
    const count = Math.floor(request.count);
    if (!(count >= 1)) return { instances: [], failures: [] };
    this.prune(now);
    const market = pool.spot ? 'spot' : 'on-demand';
    const blocked = this.quotaBlocked.get(market);
    if (blocked && blocked.until > now) throw new LaunchQuotaError(blocked.code, `${blocked.message} (not retried until ${new Date(blocked.until).toISOString()})`);

    const offerings = orderOfferings(pool.instanceTypes, this.subnetIds, this.untilMap(), now, subnetRotationFor(request.decisionId));
    const instances: LaunchedInstance[] = [];
    const failures: LaunchFailure[] = [];
    const capacityErrors: InsufficientCapacityError[] = [];

    for (const offering of offerings) {
      const remaining = count - instances.length;
      if (remaining <= 0) break;
      // A subnet-wide failure earlier in this launch may have marked this offering too.
      if (!isOfferingAvailable(this.untilMap(), offering.key, now)) continue;
      try {
        const input = this.runInput(request, pool, offering, remaining);
        const out = await this.runOrAdopt(input);
        for (const i of out.Instances ?? []) {
          if (!i.InstanceId) continue;
          instances.push({
            instanceId: i.InstanceId,
            instanceType: i.InstanceType ?? offering.instanceType,
            subnetId: i.SubnetId ?? offering.subnetId,
            availabilityZone: i.Placement?.AvailabilityZone,
          });
        }
      } catch (error) {
        const code = errorCode(error);
        const failure: LaunchFailure = {
          instanceType: offering.instanceType,
          subnetId: offering.subnetId,
          code,
          message: errorMessage(error),
        };
        if (isUnfulfillableCapacity(error)) {
          this.markUnavailable(offering, code, now, pool.instanceTypes, isSubnetCapacity(error));
          failures.push(failure);
          capacityErrors.push(new InsufficientCapacityError(code, offering.instanceType, offering.subnetId, error));
          continue;
        }
        if (instances.length > 0) {
          // Never throw away instances that are already running: report them with the failure.
          if (isQuotaExceeded(error)) this.quotaBlocked.set(market, { until: now + this.unavailableForMs, code, message: failure.message });
          failures.push(failure);
          break;
        }
        if (isQuotaExceeded(error)) {
          this.quotaBlocked.set(market, { until: now + this.unavailableForMs, code, message: failure.message });
          throw new LaunchQuotaError(code, failure.message, error);
        }
        throw ec2Failure(`RunInstances failed for ${offering.instanceType} in ${offering.subnetId}`, error);
      }
    }

    if (instances.length === 0) {
      throw new NoCapacityAvailableError(capacityErrors.length > 0 ? capacityErrors : this.skippedAsErrors(pool, now));
    }
    return { instances, failures };
  }

  /**
   * Terminate instances, idempotently (see `Ec2InstanceStates.terminate`). Caveat (EC2 eventual
   * consistency): an instance launched a moment ago may still be reported as not found; the
   * sweep's `describeFleet` reconciliation catches such leftovers.
   *
   * @throws {AutoscalerError} for any EC2 failure but unknown ids (retryable when transient)
   */
  public async terminate(instanceIds: readonly string[]): Promise<void> {
    return this.states.terminate(instanceIds);
  }

  /**
   * Instances of this fleet (optionally one pool) in any state but `terminated`, found by the
   * ownership tags with `DescribeInstances` (all pages).
   *
   * @param pool - pool name; omitted: every pool
   * @returns one entry per instance; `pool` is '' for an instance missing its pool tag
   * @throws {AutoscalerError} when EC2 cannot be queried (retryable when transient)
   */
  public async describeFleet(pool?: string): Promise<readonly InstanceDescription[]> {
    const filters: Filter[] = [
      { Name: `tag:${FLEET_TAG}`, Values: [this.fleet] },
      { Name: 'instance-state-name', Values: [...LIVE_INSTANCE_STATES] },
    ];
    if (pool !== undefined) filters.push({ Name: `tag:${POOL_TAG}`, Values: [pool] });
    const found: InstanceDescription[] = [];
    try {
      for await (const page of paginateDescribeInstances({ client: this.client }, { Filters: filters, MaxResults: 1000 })) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            const described = describe(instance);
            if (described) found.push(described);
          }
        }
      }
    } catch (error) {
      throw ec2Failure(`DescribeInstances failed for fleet ${this.fleet}`, error);
    }
    return found;
  }

  private runInput(request: LaunchRequest, pool: PoolConfig, offering: Offering, maxCount: number): RunInstancesCommandInput {
    const tags: Tag[] = [
      { Key: FLEET_TAG, Value: this.fleet },
      { Key: POOL_TAG, Value: pool.name },
      { Key: DECISION_TAG, Value: request.decisionId },
      { Key: 'Name', Value: `wcs-${pool.name}` },
    ];
    return {
      LaunchTemplate: { ...(this.poolTemplates.get(pool.name) ?? this.launchTemplate) },
      InstanceType: offering.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: maxCount,
      NetworkInterfaces: [
        {
          DeviceIndex: 0,
          SubnetId: offering.subnetId,
          ...(this.securityGroupIds.length > 0 ? { Groups: [...this.securityGroupIds] } : {}),
          SecondaryPrivateIpAddressCount: pool.containersPerNode,
        },
      ],
      ...(request.userData !== undefined ? { UserData: Buffer.from(request.userData, 'utf8').toString('base64') } : {}),
      // Spot pools: one-time requests that terminate on interruption (the two-minute warning
      // and rebalance recommendations drain the node and launch its replacement).
      ...(pool.spot ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } } : {}),
      TagSpecifications: (['instance', 'volume', 'network-interface'] as const).map((ResourceType) => ({
        ResourceType,
        Tags: tags.map((t) => ({ ...t })),
      })),
      ClientToken: clientTokenFor(request.decisionId, offering.key),
    };
  }

  /**
   * `RunInstances`, except that a retried decision asking for a different count with the same
   * `ClientToken` (EC2 refuses with `IdempotentParameterMismatch`) adopts the instances the
   * first request launched instead of failing.
   */
  private async runOrAdopt(input: RunInstancesCommandInput): Promise<{ Instances?: Instance[] | undefined }> {
    try {
      return await this.client.send(new RunInstancesCommand(input));
    } catch (error) {
      if (!isIdempotentParameterMismatch(error)) throw error;
      const earlier = await this.instancesByClientToken(input.ClientToken as string);
      if (earlier.length === 0) throw error;
      return { Instances: earlier };
    }
  }

  /**
   * The live instances an earlier `RunInstances` with this `ClientToken` launched (EC2's
   * `client-token` filter), so a retried decision accounts for them exactly.
   */
  private async instancesByClientToken(token: string): Promise<Instance[]> {
    const found: Instance[] = [];
    const pages = paginateDescribeInstances(
      { client: this.client },
      { Filters: [{ Name: 'client-token', Values: [token] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] },
    );
    for await (const page of pages) for (const r of page.Reservations ?? []) found.push(...(r.Instances ?? []));
    return found;
  }

  private markUnavailable(offering: Offering, code: string, now: number, instanceTypes: readonly string[], subnetWide: boolean): void {
    const entry = { until: now + this.unavailableForMs, code };
    for (const key of offeringsMarkedUnavailable(offering, instanceTypes, subnetWide ? 'subnet' : 'offering')) this.unavailable.set(key, entry);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.unavailable) if (entry.until <= now) this.unavailable.delete(key);
    for (const [key, entry] of this.quotaBlocked) if (entry.until <= now) this.quotaBlocked.delete(key);
  }

  private untilMap(): ReadonlyMap<string, number> {
    return new Map([...this.unavailable].map(([key, entry]) => [key, entry.until]));
  }

  /** Every offering was skipped as marked unavailable: report each with the code that marked it. */
  private skippedAsErrors(pool: PoolConfig, now: number): InsufficientCapacityError[] {
    const errors: InsufficientCapacityError[] = [];
    for (const instanceType of new Set(pool.instanceTypes)) {
      for (const subnetId of new Set(this.subnetIds)) {
        const entry = this.unavailable.get(offeringKey(instanceType, subnetId));
        if (entry && entry.until > now) errors.push(new InsufficientCapacityError(entry.code, instanceType, subnetId));
      }
    }
    return errors;
  }
}

function describe(instance: Instance): InstanceDescription | undefined {
  if (!instance.InstanceId) return undefined;
  const { privateIps, publicIps } = addressesOf(instance);
  return {
    instanceId: instance.InstanceId,
    pool: tagValue(instance.Tags, POOL_TAG) ?? '',
    state: instance.State?.Name ?? 'pending',
    instanceType: instance.InstanceType ?? '',
    launchTime: instance.LaunchTime ? instance.LaunchTime.getTime() : undefined,
    missingPublicIps: privateIps.length > 0 ? privateIps.some((ip) => !publicIps.has(ip)) : undefined,
  };
}
