/**
 * zod schemas of every event wcs-autoscaler reads or writes (docs/design.md#event-contract), written once and
 * used by the Lambdas, the CDK rules and the embedded runtime.
 *
 * @module
 */
import * as z from 'zod';

/** `source` of every event the autoscaler publishes. */
export const AUTOSCALER_SOURCE = 'wcs-autoscaler';
/** `source` of events media nodes put on the bus (NodeReady, NodeUnhealthy). */
export const NODE_SOURCE = 'wcs-autoscaler.node';
/**
 * `source` of a node event bound to its sender: {@link NODE_SOURCE}, a slash, and the ARN of the
 * instance that put it (`wcs-autoscaler.node/arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc…`).
 * The node role may put only the source that names its own instance: its `events:PutEvents`
 * statement requires `events:source` = `wcs-autoscaler.node/${ec2:SourceInstanceARN}` (IAM
 * policy variable, set by EC2 in requests signed with an instance profile's credentials;
 * EventBridge User Guide, "Using IAM policy conditions in Amazon EventBridge": conditions may use
 * policy variables). node-events then refuses an event whose `detail.instanceId` is another
 * instance ({@link senderOfNodeSource}).
 */
export function boundNodeSource(instanceArn: string): string {
  return `${NODE_SOURCE}/${instanceArn}`;
}

/**
 * The instance id a node event's `source` names, if it is a bound source
 * ({@link boundNodeSource}); undefined for the unbound {@link NODE_SOURCE} and anything else.
 *
 * @example
 * senderOfNodeSource('wcs-autoscaler.node/arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc12345678'); // 'i-0abc12345678'
 */
export function senderOfNodeSource(source: string): string | undefined {
  if (!source.startsWith(`${NODE_SOURCE}/`)) return undefined;
  return /^arn:[a-z-]+:ec2:[a-z0-9-]*:\d*:instance\/(i-[0-9a-zA-Z]{1,32})$/.exec(source.slice(NODE_SOURCE.length + 1))?.[1];
}

/** Default `source` applications use for room events (configurable). */
export const DEFAULT_APP_SOURCE = 'app.rooms';

/** Detail types, one definition for handlers, rules and the local bus. */
export const DetailType = {
  RoomCreated: 'RoomCreated',
  RoomReleased: 'RoomReleased',
  RoomScheduled: 'RoomScheduled',
  NodeReady: 'NodeReady',
  NodeUnhealthy: 'NodeUnhealthy',
  Ec2StateChange: 'EC2 Instance State-change Notification',
  SpotInterruption: 'EC2 Spot Instance Interruption Warning',
  RebalanceRecommendation: 'EC2 Instance Rebalance Recommendation',
  AlarmStateChange: 'CloudWatch Alarm State Change',
  ScheduledEvent: 'Scheduled Event',
  RoomPlaced: 'RoomPlaced',
  RoomQueued: 'RoomQueued',
  RoomRejected: 'RoomRejected',
  RoomInterrupted: 'RoomInterrupted',
  RoomExpired: 'RoomExpired',
  NodeLaunched: 'NodeLaunched',
  NodeDraining: 'NodeDraining',
  NodeTerminated: 'NodeTerminated',
  ScalingDecision: 'ScalingDecision',
  ScalingBlocked: 'ScalingBlocked',
} as const;

/** Room id: 1–128 chars of `[A-Za-z0-9._:-]`. */
export const RoomIdSchema = z
  .string({ error: 'roomId must be a string' })
  .min(1, 'roomId must not be empty')
  .max(128, 'roomId must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'roomId may contain only A-Z a-z 0-9 . _ : -');

const InstanceIdSchema = z.string().regex(/^i-[0-9a-zA-Z]{1,32}$/, 'an EC2 instance id such as i-0abc…');
const Ipv4Schema = z.ipv4();

/** Longest `expectedDurationMs` a room event may carry, ms (7 days; issue contract: a longer hint is a unit mistake). */
export const MAX_EXPECTED_DURATION_MS = 7 * 24 * 3_600_000;

/** Furthest ahead a `RoomScheduled` may announce a room, ms (30 days). */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;

/**
 * How far in the past a `RoomScheduled`'s `startAt` may lie when the event happens, ms: one cold
 * boot (the default pool's `bootTimeMs`, 90 s, docs/design.md#scaling-policy). An announcement
 * later than that cannot make capacity ready in time and is a clock or unit mistake.
 */
export const SCHEDULE_LATE_ALLOWANCE_MS = 90_000;

const WeightSchema = z.number().int('weight must be an integer').min(1, 'weight must be ≥ 1').max(10_000);
const PoolNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'pool must be 1–64 chars of [A-Za-z0-9_-]');

/**
 * A room's expected lifetime as the application knows it (the meeting's booked length), ms:
 * integer, > 0, at most {@link MAX_EXPECTED_DURATION_MS}. A hint, not a promise: rooms outlive it
 * or end early, and the lifetime predictor corrects hints by how much rooms of their kind overrun
 * them (shared/domain/lifetime.ts).
 */
export const ExpectedDurationSchema = z
  .number({ error: 'expectedDurationMs must be a number of milliseconds' })
  .int('expectedDurationMs must be an integer number of milliseconds')
  .positive('expectedDurationMs must be > 0')
  .max(MAX_EXPECTED_DURATION_MS, `expectedDurationMs must be at most ${MAX_EXPECTED_DURATION_MS} (7 days)`);

/** Free-form label of what a room is (`meeting`, `webinar`, `camera`, …): 1–64 chars of `[A-Za-z0-9._-]`. */
export const RoomKindSchema = z
  .string({ error: 'kind must be a string' })
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'kind must be 1–64 chars of [A-Za-z0-9._-]');

/**
 * `RoomCreated` detail from applications. `weight` in capacity units, default 1;
 * `expectedDurationMs` and `kind` are optional lifetime hints (docs/design.md#event-contract).
 */
export const RoomCreatedDetailSchema = z.object({
  roomId: RoomIdSchema,
  weight: WeightSchema.default(1),
  tenantId: z.string().min(1).max(128).optional(),
  pool: PoolNameSchema.optional(),
  expectedDurationMs: ExpectedDurationSchema.optional(),
  kind: RoomKindSchema.optional(),
});
export type RoomCreatedDetail = z.infer<typeof RoomCreatedDetailSchema>;

/**
 * `RoomScheduled` detail from applications: a room announced before it starts (a calendar's
 * meeting or webinar), so capacity is ready at `startAt`. `startAt` is an ISO 8601 date-time with
 * an offset; it may not lie more than {@link SCHEDULE_LATE_ALLOWANCE_MS} before the event's time
 * nor more than {@link MAX_SCHEDULE_AHEAD_MS} after it (checked by `parseRoomEvent`, which knows
 * the event's time). A `RoomReleased` of a scheduled room that never started cancels it.
 */
export const RoomScheduledDetailSchema = z.object({
  roomId: RoomIdSchema,
  startAt: z.iso.datetime({ offset: true, error: 'startAt must be an ISO 8601 date-time such as 2026-12-07T09:00:00Z' }),
  expectedDurationMs: ExpectedDurationSchema.optional(),
  weight: WeightSchema.default(1),
  pool: PoolNameSchema.optional(),
  kind: RoomKindSchema.optional(),
  tenantId: z.string().min(1).max(128).optional(),
});
export type RoomScheduledDetail = z.infer<typeof RoomScheduledDetailSchema>;

/** `RoomReleased` detail from applications. */
export const RoomReleasedDetailSchema = z.object({ roomId: RoomIdSchema });
export type RoomReleasedDetail = z.infer<typeof RoomReleasedDetailSchema>;

/** Longest cpuset text accepted in `NodeReady` (characters): 64 single CPUs with commas fit twice over. */
export const MAX_CPUSET_LENGTH = 256;

/** One container as a node reports it in `NodeReady`. */
export const ReadyContainerSchema = z.object({
  index: z.number().int().min(0).max(63),
  privateIp: Ipv4Schema,
  publicIp: Ipv4Schema.optional(),
  // Capped: a cpuset becomes an alarm description and is expanded CPU by CPU (cpusetSize), so a
  // forged "0-4294967295" or a megabyte of commas must not reach either.
  cpuset: z
    .string()
    .max(MAX_CPUSET_LENGTH, `cpuset must be at most ${MAX_CPUSET_LENGTH} characters`)
    .regex(/^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/, 'cpuset such as 0-3 or 0,4 (CPU numbers below 10000)'),
});
export type ReadyContainer = z.infer<typeof ReadyContainerSchema>;

/** `NodeReady` detail, put on the bus by the node bootstrap once every container is healthy. */
export const NodeReadyDetailSchema = z.object({
  instanceId: InstanceIdSchema,
  containers: z.array(ReadyContainerSchema).min(1).max(64),
});
export type NodeReadyDetail = z.infer<typeof NodeReadyDetailSchema>;

/** `NodeUnhealthy` detail, from the node bootstrap or its health timer. */
export const NodeUnhealthyDetailSchema = z.object({
  instanceId: InstanceIdSchema,
  container: z.number().int().min(0).max(63).optional(),
  reason: z.string().min(1).max(1024),
});
export type NodeUnhealthyDetail = z.infer<typeof NodeUnhealthyDetailSchema>;

/** EC2 instance state-change detail (AWS shape). */
export const Ec2StateChangeDetailSchema = z.object({
  'instance-id': InstanceIdSchema,
  state: z.enum(['pending', 'running', 'shutting-down', 'stopping', 'stopped', 'terminated']),
});
export type Ec2StateChangeDetail = z.infer<typeof Ec2StateChangeDetailSchema>;

/** EC2 Spot interruption warning detail (AWS shape). */
export const SpotInterruptionDetailSchema = z.object({
  'instance-id': InstanceIdSchema,
  'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
});

/** EC2 rebalance recommendation detail (AWS shape). */
export const RebalanceDetailSchema = z.object({ 'instance-id': InstanceIdSchema });

/** CloudWatch alarm state change detail (AWS shape; the fields we read). */
export const AlarmStateChangeDetailSchema = z.object({
  alarmName: z.string(),
  state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().optional(), timestamp: z.string() }),
  previousState: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']) }).optional(),
  configuration: z.unknown().optional(),
});

/**
 * Any EventBridge event: the envelope every event on a bus carries, field for field as
 * Powertools parser's `EventBridgeSchema` (Amazon EventBridge User Guide, "Amazon EventBridge
 * events"). Written here rather than imported: that module imports zod as one `z` object,
 * which keeps all of zod (≈ 370 KB more per Lambda bundle, locales included) where our
 * namespace import lets esbuild keep only what the schemas use (`npm run bench`, bundles).
 */
export const EnvelopeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

// ---------------------------------------------------------------- outbound (source wcs-autoscaler)

/** `RoomPlaced`: where to connect. `waitedMs` = placement time − first delivery time, ms. */
export const RoomPlacedDetailSchema = z.object({
  roomId: RoomIdSchema,
  pool: z.string(),
  nodeId: z.string(),
  container: z.number().int(),
  privateIp: z.string().optional(),
  publicIp: z.string().optional(),
  wssUrl: z.string().optional(),
  weight: z.number().int(),
  waitedMs: z.number().min(0),
});
export type RoomPlacedDetail = z.infer<typeof RoomPlacedDetailSchema>;

/** `RoomQueued`: no container fits now; capacity is on its way. */
export const RoomQueuedDetailSchema = z.object({ roomId: RoomIdSchema, pool: z.string(), weight: z.number().int() });
/** `RoomRejected`: the event was refused; `reason` says why (field name for invalid input). */
export const RoomRejectedDetailSchema = z.object({ roomId: z.string().optional(), reason: z.string() });
/** `RoomInterrupted`: the room's node was lost; the application may re-create it. */
export const RoomInterruptedDetailSchema = z.object({
  roomId: RoomIdSchema,
  nodeId: z.string(),
  container: z.number().int(),
  reason: z.string(),
});
/**
 * `RoomExpired`: the room was older than the configuration's `limits.maxRoomAgeMs` and the sweep
 * released it (its capacity is free again). `ageMs` = sweep time − when the room was requested, ms.
 */
export const RoomExpiredDetailSchema = z.object({
  roomId: RoomIdSchema,
  pool: z.string(),
  nodeId: z.string().optional(),
  ageMs: z.number().min(0),
  maxAgeMs: z.number().int().min(0),
});
/** `NodeLaunched`: RunInstances accepted. */
export const NodeLaunchedDetailSchema = z.object({
  nodeId: z.string(),
  pool: z.string(),
  instanceType: z.string(),
  subnetId: z.string().optional(),
  decisionId: z.string(),
});
/** `NodeDraining`: the node takes no new rooms. */
export const NodeDrainingDetailSchema = z.object({ nodeId: z.string(), pool: z.string(), reason: z.string() });
/** `NodeTerminated`: the node is gone or going. */
export const NodeTerminatedDetailSchema = z.object({ nodeId: z.string(), pool: z.string(), reason: z.string() });
/** `ScalingDecision`: a scale-out or scale-in decision that changed something. */
export const ScalingDecisionDetailSchema = z.object({ pool: z.string(), decision: z.record(z.string(), z.unknown()) });
/** `ScalingBlocked`: a limit (maxNodes, launch rate, quota, capacity) stopped a launch. */
export const ScalingBlockedDetailSchema = z.object({ pool: z.string(), limit: z.string(), wanted: z.number().int(), reason: z.string() });

/** An event the autoscaler publishes: detail type and detail. */
export type OutboundEvent =
  | { readonly detailType: 'RoomPlaced'; readonly detail: RoomPlacedDetail }
  | { readonly detailType: 'RoomQueued'; readonly detail: z.infer<typeof RoomQueuedDetailSchema> }
  | { readonly detailType: 'RoomRejected'; readonly detail: z.infer<typeof RoomRejectedDetailSchema> }
  | { readonly detailType: 'RoomInterrupted'; readonly detail: z.infer<typeof RoomInterruptedDetailSchema> }
  | { readonly detailType: 'RoomExpired'; readonly detail: z.infer<typeof RoomExpiredDetailSchema> }
  | { readonly detailType: 'NodeLaunched'; readonly detail: z.infer<typeof NodeLaunchedDetailSchema> }
  | { readonly detailType: 'NodeReady'; readonly detail: NodeReadyDetail & { readonly pool: string } }
  | { readonly detailType: 'NodeDraining'; readonly detail: z.infer<typeof NodeDrainingDetailSchema> }
  | { readonly detailType: 'NodeTerminated'; readonly detail: z.infer<typeof NodeTerminatedDetailSchema> }
  | { readonly detailType: 'ScalingDecision'; readonly detail: z.infer<typeof ScalingDecisionDetailSchema> }
  | { readonly detailType: 'ScalingBlocked'; readonly detail: z.infer<typeof ScalingBlockedDetailSchema> };

/** Outbound detail schemas by detail type (for consumers and contract tests). */
export const OutboundDetailSchemas = {
  RoomPlaced: RoomPlacedDetailSchema,
  RoomQueued: RoomQueuedDetailSchema,
  RoomRejected: RoomRejectedDetailSchema,
  RoomInterrupted: RoomInterruptedDetailSchema,
  RoomExpired: RoomExpiredDetailSchema,
  NodeLaunched: NodeLaunchedDetailSchema,
  NodeReady: NodeReadyDetailSchema.extend({ pool: z.string() }),
  NodeDraining: NodeDrainingDetailSchema,
  NodeTerminated: NodeTerminatedDetailSchema,
  ScalingDecision: ScalingDecisionDetailSchema,
  ScalingBlocked: ScalingBlockedDetailSchema,
} as const;
