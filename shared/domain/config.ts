/**
 * Pool and deployment configuration: one definition of every default, validated with zod.
 *
 * Figures and their sources:
 * - 0.348 USD/h: on-demand price of an 8-vCPU c6i.2xlarge-class node in eu-central-1, the
 *   "8-core" instance of the 72-core-to-8-core migration (docs/design.md#node-sizing-and-isolation).
 * - 3.492 USD/h: the 72-vCPU server that migration replaced (same source).
 * - 90 s boot time: EC2 pending → running plus Docker and WCS start on Amazon Linux 2023.
 *
 * @module
 */
import * as z from 'zod';

/** Price of the 72-vCPU single server the product replaces, USD/h (docs/design.md#node-sizing-and-isolation). */
export const STATIC_72_VCPU_PRICE_USD_PER_HOUR = 3.492;
/** How many 8-vCPU nodes' worth of capacity one 72-vCPU server holds (72 / 8 = 9). */
export const STATIC_72_VCPU_NODE_EQUIVALENTS = 9;

/** Default `warmPool.stopGraceMs`, ms (docs/performance.md#warm-pool-bill). */
export const STOP_GRACE_MS = 120_000;

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as c6i.2xlarge');

/**
 * zod schema of a pool's warm pool: empty nodes kept stopped (or hibernated) instead of
 * terminated, started again faster than a cold launch (docs/design.md#scaling-policy).
 */
export const WarmPoolConfigSchema = z.object({
  /**
   * `'stopped'`: StopInstances; `'hibernated'`: StopInstances with `Hibernate` (RAM saved to the
   * encrypted root volume; needs a launch template with hibernation enabled); `'none'`: no warm
   * pool, empty nodes are terminated.
   */
  state: z.enum(['stopped', 'hibernated', 'none']).default('stopped'),
  /** Nodes kept in the warm pool even when the forecast asks for fewer. */
  minSize: z.number().int().min(0).default(0),
  /**
   * Most nodes kept in the warm pool. Default 24: a 500-room crowd (25 nodes of 20 units) finds
   * all but one of its nodes stopped, on top of the running fleet. An idle stopped node pays its
   * gp3 root volume only, its Elastic IPs being released (`releaseAddressesOnStop`):
   * 30 × 0.0952 / 730 = 0.0039 USD/h in eu-central-1, so a full warm pool of 24 costs
   * 0.094 USD/h (69 USD per 730-hour month); with the addresses kept, 0.0139 USD/h a node
   * (`stoppedNodeUsdPerHour`, shared/domain/pricing.ts), 0.33 USD/h (244 USD a month). It is
   * full only while a peak of the last `historyDays` days needed that many nodes (`warm-pool.ts`
   * `warmPoolTargetSize`). With 8, the former default, a second 500-room crowd found 6 stopped
   * nodes and waited for cold boots; 36 met the same p99 as 24 for 5.85 USD more on that trace (docs/performance.md#the-second-crowd-and-the-warm-pools-ceiling).
   */
  maxSize: z.number().int().min(0).default(24),
  /** A warm node older than this (since its launch) is terminated, so the pool moves to a new AMI / launch template version, hours. */
  maxAgeHours: z.number().int().min(1).default(168),
  /** How far back the pool looks for the peak capacity it keeps warm, days. */
  historyDays: z.number().int().min(1).max(14).default(7),
  /**
   * Release a stopped node's Elastic IPs (0.005 USD/h each while stopped, Amazon VPC pricing,
   * public IPv4 addresses) and associate new ones on start, instead of keeping them. Default true:
   * the kept addresses were 0.01 of a stopped node's 0.0139 USD/h (72%), and on day 1 of the
   * sample week they cost more than the warm pool saved in instance-hours, while the waits did
   * not change (docs/performance.md#warm-pool-bill). The price: a start needs free Elastic IP
   * quota and two EC2 calls per container, and the node comes back with new public IPs
   * (docs/warm-pool-ec2.md#elastic-ips-while-stopped). Set false to keep them.
   */
  releaseAddressesOnStop: z.boolean().default(true),
  /**
   * An empty drained node is stopped into the warm pool after this long without rooms (while the
   * warm pool is below its target size), ms; one the warm pool does not keep is terminated after
   * the pool's `idleGraceMs` as before. The grace is there for a room that comes back soon: after
   * a terminate it waits a cold boot (`bootTimeMs`, 90 s), after a stop only a warm start
   * (`startTimeMs`, 40 s), and a start is billed at least 60 s (Amazon EC2 API Reference,
   * StartInstances: "Every time you start your instance, Amazon EC2 charges a one-minute minimum
   * for instance usage"), so a shorter grace is safe before a stop. Capped by `idleGraceMs`.
   */
  stopGraceMs: z.number().int().min(0).default(STOP_GRACE_MS),
  /** Expected time from StartInstances to NodeReady for a stopped node, ms. */
  startTimeMs: z.number().int().min(1000).default(40_000),
  /** Expected time from StartInstances to NodeReady for a hibernated node, ms. */
  resumeTimeMs: z.number().int().min(1000).default(25_000),
  /**
   * A started node that has not put `NodeReady` this long after it entered `starting` is
   * terminated and its capacity launched anew by scale-out (not started again), ms. Its own
   * setting rather than `readyTimeoutMs` (10 min, sized for a cold boot's image pulls): a start
   * is expected in `startTimeMs` / `resumeTimeMs`, so one 5 minutes late is broken, and a crowd
   * waiting on it should not wait a cold ready timeout (docs/design.md#node-lifecycle).
   */
  startTimeoutMs: z.number().int().min(30_000).default(300_000),
});

/** A validated warm-pool configuration. */
export type WarmPoolConfig = z.infer<typeof WarmPoolConfigSchema>;

/** zod schema of one pool; every field has a default so `{ name }` is a valid pool. */
export const PoolConfigSchema = z
  .object({
    /** Pool name, used in the GSI key, tags and event `pool` fields. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1–64 chars of [A-Za-z0-9_-]'),
    /** Ordered instance-type fallback list; all must have the same vCPU count and RAM. */
    instanceTypes: z.array(instanceType).min(1).default(['c6i.2xlarge', 'c5.2xlarge', 'm6i.2xlarge']),
    /** vCPUs per node. */
    vcpus: z.number().int().min(2).default(8),
    /** RAM per node, MiB. */
    memoryMiB: z.number().int().min(1024).default(16384),
    /** WCS containers per node (one secondary private IP and one cpuset each). */
    containersPerNode: z.number().int().min(1).max(16).default(2),
    /** Capacity of one container, in capacity units (a room of weight 1 uses one unit). */
    capacityPerContainer: z.number().int().min(1).default(10),
    /** Nodes kept even when idle. */
    minNodes: z.number().int().min(0).default(1),
    /** Hard ceiling on live nodes (launching through draining). */
    maxNodes: z.number().int().min(1).default(200),
    /** Minimum free capacity kept ready for arrivals, capacity units. */
    headroomMin: z.number().int().min(0).default(10),
    /**
     * Scale-in hysteresis, capacity units: the sweep drains a node only if the rest still hold the
     * headroom target plus this margin, so the next arrival does not undrain it again (flapping).
     */
    scaleInMargin: z.number().int().min(0).default(10),
    /** Expected time from RunInstances to NodeReady, ms. */
    bootTimeMs: z.number().int().min(1000).default(90_000),
    /** An empty draining node is terminated after this long without rooms, ms. */
    idleGraceMs: z.number().int().min(0).default(600_000),
    /** A node that has not sent NodeReady this long after launch is given up on, ms. */
    readyTimeoutMs: z.number().int().min(10_000).default(600_000),
    /** Window over which the arrival rate is measured, ms. */
    arrivalWindowMs: z.number().int().min(60_000).default(600_000),
    /** Launch-rate limit: at most this many nodes per minute. */
    maxLaunchesPerMinute: z.number().int().min(1).default(20),
    /** On-demand price of one node, USD/h. */
    hourlyPriceUsd: z.number().positive().default(0.348),
    /**
     * How many best-fit candidates placement picks among at random (anti-herding), only when one
     * of them took a room within the last second (placement.ts `CONTENTION_WINDOW_MS`).
     */
    placementSpread: z.number().int().min(1).max(20).default(3),
    /**
     * Lifetime-aware placement: among the fits, prefer a node the room does not outlive
     * (placement.ts `rankByLifetime`; rooms' predicted ends, shared/app/room-ends.ts).
     */
    lifetimePlacement: z.boolean().default(false),
    /**
     * Lifetime-aware drain and undrain: the sweep drains the nodes predicted to empty soonest and
     * undrains the one predicted to last longest (scaling.ts), instead of by load.
     */
    lifetimeDrain: z.boolean().default(false),
    /**
     * Expected peak placements per second of the pool (each with a release at the same rate):
     * sets its index shards S (`shared/domain/shards.ts`, `placementShards`). 0 = one shard, the
     * table's unsharded keys. Raise it only (S must not shrink while the table holds items).
     */
    peakPlacementsPerSecond: z.number().min(0).max(1_000_000).default(0),
    /** WCS secure WebSocket port on every container. */
    wssPort: z.number().int().min(1).max(65535).default(8443),
    /**
     * Launch the pool's nodes as Spot instances (one-time requests, terminated on interruption).
     * Interruption warnings and rebalance recommendations drain the node and launch a
     * replacement at once.
     */
    spot: z.boolean().default(false),
    /** Root EBS volume of each node, GiB (gp3): billed while the node exists, running or stopped. */
    rootVolumeGiB: z.number().int().min(8).max(16384).default(30),
    /** The pool's warm pool (docs/design.md#scaling-policy). */
    warmPool: WarmPoolConfigSchema.default({
      state: 'stopped',
      minSize: 0,
      maxSize: 24,
      maxAgeHours: 168,
      historyDays: 7,
      releaseAddressesOnStop: true,
      stopGraceMs: STOP_GRACE_MS,
      startTimeMs: 40_000,
      resumeTimeMs: 25_000,
      startTimeoutMs: 300_000,
    }),
    /**
     * The sweep's grace before it repairs what an invocation may still be changing: a node stuck
     * in `terminating`, a node's `accepting` flags, ms. Must exceed the node functions' timeout.
     * (Rooms left `placing` are not waited for this long: their claim is a lease that ends with
     * its owner's deadline, `shared/app/rooms.ts`.)
     */
    placingTimeoutMs: z.number().int().min(30_000).default(180_000),
    /** A room queued this long is rejected (`RoomRejected`) so the application can react, ms. */
    queueTimeoutMs: z.number().int().min(60_000).default(900_000),
  })
  .refine((p) => p.minNodes <= p.maxNodes, { message: 'minNodes must not exceed maxNodes', path: ['minNodes'] })
  .refine((p) => p.warmPool.minSize <= p.warmPool.maxSize, {
    message: 'warmPool.minSize must not exceed warmPool.maxSize',
    path: ['warmPool', 'minSize'],
  })
  .refine((p) => p.warmPool.startTimeoutMs > Math.max(p.warmPool.startTimeMs, p.warmPool.resumeTimeMs), {
    message: 'warmPool.startTimeoutMs must exceed the expected startTimeMs and resumeTimeMs',
    path: ['warmPool', 'startTimeoutMs'],
  });

/** A validated pool configuration (all defaults applied). */
export type PoolConfig = z.infer<typeof PoolConfigSchema>;

/**
 * zod schema of the limits on rooms (docs/security.md#cost-limits). Tenants are the `tenantId`
 * of `RoomCreated`; a room without one counts as tenant `*` only for {@link RoomLimits.defaultTenantMaxWeight}.
 */
export const RoomLimitsSchema = z.object({
  /**
   * Most active weight (placed, placing or queued rooms) one tenant may hold across all pools,
   * capacity units, by tenant id; a RoomCreated past it is rejected with reason `tenant-limit`.
   */
  tenantMaxWeight: z.record(z.string().min(1).max(128), z.number().int().min(0)).default({}),
  /** The cap of tenants not listed in `tenantMaxWeight` (rooms without a tenant included); none when absent. */
  defaultTenantMaxWeight: z.number().int().min(0).optional(),
  /**
   * Pools a tenant's rooms may name, by tenant id (`*`: every tenant not listed, rooms without a
   * tenant included). A RoomCreated naming another pool is rejected (`pool-not-allowed`); one
   * naming none goes to `defaultPool`. Absent: every pool is allowed.
   */
  tenantPools: z.record(z.string().min(1).max(128), z.array(z.string()).min(1)).default({}),
  /**
   * Oldest a placed room may grow, ms: the sweep releases older rooms and publishes `RoomExpired`.
   * Absent: rooms live until released.
   */
  maxRoomAgeMs: z.number().int().min(60_000).optional(),
});

/** Validated room limits. */
export type RoomLimits = z.infer<typeof RoomLimitsSchema>;

/** zod schema of the whole deployment's autoscaling configuration. */
export const AutoscalerConfigSchema = z
  .object({
    /** EventBridge `source` that applications use for RoomCreated / RoomReleased. */
    eventSource: z.string().min(1).default('app.rooms'),
    /** Pool used when a RoomCreated names none. */
    defaultPool: z.string().default('default'),
    pools: z.array(PoolConfigSchema).min(1).default(() => [PoolConfigSchema.parse({ name: 'default' })]),
    /**
     * Alarm on the container CPU the nodes push, not only on EC2's instance CPU. Off by default:
     * IAM can bind `PutMetricData` to a namespace but not to dimension values, so one node could
     * push another's `InstanceId` and mark it hot (docs/security.md#node-reports).
     */
    trustNodeMetrics: z.boolean().default(false),
    /** Limits on what rooms may cost (docs/security.md#cost-limits). */
    limits: RoomLimitsSchema.default({ tenantMaxWeight: {}, tenantPools: {} }),
  })
  .refine((c) => c.pools.some((p) => p.name === c.defaultPool), {
    message: 'defaultPool must name one of the pools',
    path: ['defaultPool'],
  })
  .refine((c) => new Set(c.pools.map((p) => p.name)).size === c.pools.length, {
    message: 'pool names must be unique',
    path: ['pools'],
  })
  .refine((c) => Object.values(c.limits.tenantPools).every((names) => names.every((n) => c.pools.some((p) => p.name === n))), {
    message: 'limits.tenantPools may name only pools of the configuration',
    path: ['limits', 'tenantPools'],
  });

/** A validated deployment configuration. */
export type AutoscalerConfig = z.infer<typeof AutoscalerConfigSchema>;

/** Thrown when configuration does not validate; `issues` lists each field and problem. */
export class ConfigError extends Error {
  public readonly issues: readonly string[];
  public constructor(issues: readonly string[]) {
    super(`invalid configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Validate a configuration object and apply every default.
 *
 * @param input - parsed JSON (may be `undefined` for all defaults)
 * @returns the validated configuration
 * @throws {ConfigError} naming each invalid field, e.g. `pools.0.maxNodes: Too small`
 * @example
 * const cfg = parseAutoscalerConfig({ pools: [{ name: 'default', maxNodes: 50 }] });
 */
export function parseAutoscalerConfig(input: unknown): AutoscalerConfig {
  const parsed = AutoscalerConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}

/**
 * The pool of a given name.
 *
 * @throws {ConfigError} when no pool has that name
 */
export function poolByName(config: AutoscalerConfig, name: string): PoolConfig {
  const pool = config.pools.find((p) => p.name === name);
  if (!pool) throw new ConfigError([`pool: unknown pool "${name}"`]);
  return pool;
}

/** Capacity of one node, capacity units (containers × capacity per container). */
export function nodeCapacity(pool: PoolConfig): number {
  return pool.containersPerNode * pool.capacityPerContainer;
}

/**
 * The warm pool a pool really has: `'none'` for a Spot pool, whatever `warmPool.state` says — its
 * nodes are one-time Spot requests, which EC2 cannot stop (`StopInstances` fails with
 * `UnsupportedOperation`; only persistent Spot requests can be stopped, Amazon EC2 User Guide,
 * "Stop a Spot Instance"). The deployment refuses `'hibernated'` with `spot` at synth and warns for
 * `'stopped'` (docs/warm-pool-ec2.md#spot-pools).
 *
 * @example
 * warmPoolStateOf(PoolConfigSchema.parse({ name: 'a', spot: true })); // → 'none'
 */
export function warmPoolStateOf(pool: Pick<PoolConfig, 'spot' | 'warmPool'>): WarmPoolConfig['state'] {
  return pool.spot ? 'none' : pool.warmPool.state;
}

/**
 * Java heap per WCS container, MiB: floor(0.5 × RAM / containers per node).
 * Source: Flashphoner's sizing advice (half the RAM for one WCS; 25% each for two), docs/design.md#node-sizing-and-isolation.
 */
export function heapPerContainerMiB(pool: PoolConfig): number {
  return Math.floor((0.5 * pool.memoryMiB) / pool.containersPerNode);
}
