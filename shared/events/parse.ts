/**
 * Parsing of inbound EventBridge events into typed commands, with errors that name the field.
 *
 * @module
 */
import type * as z from 'zod';
import { InvalidEventError } from '../errors.ts';
import {
  AlarmStateChangeDetailSchema,
  DetailType,
  Ec2StateChangeDetailSchema,
  EnvelopeSchema,
  NodeReadyDetailSchema,
  NodeUnhealthyDetailSchema,
  RebalanceDetailSchema,
  RoomCreatedDetailSchema,
  RoomReleasedDetailSchema,
  RoomScheduledDetailSchema,
  MAX_SCHEDULE_AHEAD_MS,
  SCHEDULE_LATE_ALLOWANCE_MS,
  SpotInterruptionDetailSchema,
  type Envelope,
  type Ec2StateChangeDetail,
  type NodeReadyDetail,
  type NodeUnhealthyDetail,
  type RoomCreatedDetail,
  type RoomReleasedDetail,
  type RoomScheduledDetail,
  AUTOSCALER_SOURCE,
  NODE_SOURCE,
  senderOfNodeSource,
} from './schemas.ts';

/** A parsed room event: the envelope's id and time (ms) with the typed detail. */
export type RoomEvent =
  | { readonly kind: 'created'; readonly id: string; readonly time: number; readonly detail: RoomCreatedDetail }
  | { readonly kind: 'released'; readonly id: string; readonly time: number; readonly detail: RoomReleasedDetail }
  | {
      readonly kind: 'scheduled';
      readonly id: string;
      readonly time: number;
      readonly detail: RoomScheduledDetail;
      /** `detail.startAt` as epoch ms. */
      readonly startAt: number;
    };

/** A parsed node event. */
export type NodeEvent =
  | { readonly kind: 'ec2-state'; readonly id: string; readonly time: number; readonly detail: Ec2StateChangeDetail }
  | { readonly kind: 'node-ready'; readonly id: string; readonly time: number; readonly detail: NodeReadyDetail; readonly sender: string | undefined }
  | { readonly kind: 'node-unhealthy'; readonly id: string; readonly time: number; readonly detail: NodeUnhealthyDetail; readonly sender: string | undefined }
  | { readonly kind: 'spot-interruption'; readonly id: string; readonly time: number; readonly instanceId: string }
  | { readonly kind: 'rebalance'; readonly id: string; readonly time: number; readonly instanceId: string }
  | {
      readonly kind: 'alarm';
      readonly id: string;
      readonly time: number;
      readonly alarmName: string;
      readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
      readonly resources: readonly string[];
    };

function firstIssue(error: z.ZodError, prefix: string): { field: string; message: string } {
  const issue = error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return { field: field || '(event)', message: `${field || 'event'}: ${issue?.message ?? 'invalid'}` };
}

function roomIdOf(detail: unknown): string | undefined {
  if (detail && typeof detail === 'object' && 'roomId' in detail) {
    const r = (detail as { roomId: unknown }).roomId;
    return typeof r === 'string' && r.length <= 128 ? r : undefined;
  }
  return undefined;
}

/**
 * Validate an EventBridge envelope.
 *
 * @throws {InvalidEventError} naming the first invalid envelope field
 */
export function parseEnvelope(event: unknown): Envelope {
  const env = EnvelopeSchema.safeParse(event);
  if (!env.success) {
    const { field, message } = firstIssue(env.error, '');
    const raw = event && typeof event === 'object' ? (event as Record<string, unknown>) : {};
    const detailType = typeof raw['detail-type'] === 'string' ? raw['detail-type'] : undefined;
    throw new InvalidEventError(message, field, detailType, roomIdOf(raw.detail));
  }
  return env.data;
}

function parseDetail<S extends z.ZodType>(schema: S, env: Envelope): z.infer<S> {
  const parsed = schema.safeParse(env.detail);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, 'detail');
    throw new InvalidEventError(message, field, env['detail-type'], roomIdOf(env.detail));
  }
  return parsed.data;
}

/**
 * Parse a `RoomCreated` / `RoomReleased` / `RoomScheduled` EventBridge event.
 *
 * @throws {InvalidEventError} for a bad envelope, an unknown detail-type, or a bad detail;
 *   `field` names the offending field (e.g. `detail.weight`)
 * @example
 * parseRoomEvent({ version: '0', id: 'e1', source: 'app.rooms', account: '1', time: '2026-01-01T00:00:00Z',
 *   region: 'eu-central-1', resources: [], 'detail-type': 'RoomCreated', detail: { roomId: 'r1' } });
 * // → { kind: 'created', id: 'e1', time: 1767225600000, detail: { roomId: 'r1', weight: 1 } }
 */
export function parseRoomEvent(event: unknown): RoomEvent {
  const env = parseEnvelope(event);
  if (env.source === AUTOSCALER_SOURCE || env.source === NODE_SOURCE || env.source.startsWith(`${NODE_SOURCE}/`) || env.source.startsWith('aws.')) {
    throw new InvalidEventError(`source: room events may not come from "${env.source}"`, 'source', env['detail-type'], roomIdOf(env.detail));
  }
  const base = { id: env.id, time: Date.parse(env.time) };
  switch (env['detail-type']) {
    case DetailType.RoomCreated:
      return { kind: 'created', ...base, detail: parseDetail(RoomCreatedDetailSchema, env) };
    case DetailType.RoomReleased:
      return { kind: 'released', ...base, detail: parseDetail(RoomReleasedDetailSchema, env) };
    case DetailType.RoomScheduled: {
      const detail = parseDetail(RoomScheduledDetailSchema, env);
      const startAt = Date.parse(detail.startAt);
      const reject = (why: string) => new InvalidEventError(`detail.startAt: ${why}`, 'detail.startAt', env['detail-type'], detail.roomId);
      if (startAt < base.time - SCHEDULE_LATE_ALLOWANCE_MS) {
        throw reject(`${detail.startAt} is more than ${SCHEDULE_LATE_ALLOWANCE_MS / 1000} s before the event's time ${env.time}`);
      }
      if (startAt > base.time + MAX_SCHEDULE_AHEAD_MS) throw reject(`${detail.startAt} is more than 30 days after the event's time ${env.time}`);
      return { kind: 'scheduled', ...base, detail, startAt };
    }
    default:
      throw new InvalidEventError(
        `detail-type: unknown detail-type "${env['detail-type']}" (expected RoomCreated, RoomReleased or RoomScheduled)`,
        'detail-type',
        env['detail-type'],
        roomIdOf(env.detail),
      );
  }
}

/**
 * Environment variable of node-events the stack sets to `required` (deployment config
 * `access.nodeEventSender`) when every node's bootstrap puts the bound node source
 * (`boundNodeSource`): then an unbound `NodeReady` / `NodeUnhealthy` is refused.
 */
export const NODE_SENDER_ENV = 'NODE_EVENT_SENDER';

/** Options of {@link parseNodeEvent}. */
export interface NodeEventParseOptions {
  /**
   * Refuse `NodeReady` / `NodeUnhealthy` whose `source` does not name the sending instance
   * (the unbound `wcs-autoscaler.node`). A bound source that names another instance than the
   * detail is refused always. @default false (nodes whose bootstrap still puts the unbound source)
   */
  readonly requireSender?: boolean;
}

/** The `source` each detail-type may come with (AWS service events from their service only). */
const SOURCE_OF: Readonly<Record<string, string>> = {
  [DetailType.Ec2StateChange]: 'aws.ec2',
  [DetailType.SpotInterruption]: 'aws.ec2',
  [DetailType.RebalanceRecommendation]: 'aws.ec2',
  [DetailType.AlarmStateChange]: 'aws.cloudwatch',
};

/**
 * The instance a node report comes from: the one its bound `source` names (`boundNodeSource`).
 *
 * @returns the sender's instance id, or undefined for the unbound source when allowed
 * @throws {InvalidEventError} (`source`) when the source is not a node source, names another
 *   instance than `detail.instanceId`, or is unbound while a sender is required
 */
function nodeSender(env: Envelope, instanceId: string, options: NodeEventParseOptions): string | undefined {
  const sender = senderOfNodeSource(env.source);
  const fail = (why: string) => {
    throw new InvalidEventError(`source: ${why}`, 'source', env['detail-type']);
  };
  if (sender === undefined) {
    if (env.source !== NODE_SOURCE) fail(`"${env.source}" is not a node source (${NODE_SOURCE}/<instance ARN>)`);
    if (options.requireSender) fail(`unbound node source "${NODE_SOURCE}": the sender's instance ARN is required`);
    return undefined;
  }
  if (sender !== instanceId) fail(`sent by ${sender} about ${instanceId}: a node may only report on itself`);
  return sender;
}

/**
 * Parse an event for the node-events function (EC2, Spot, rebalance, CloudWatch alarm,
 * NodeReady, NodeUnhealthy). Each detail-type must carry its own `source`: AWS events their
 * service's (`aws.ec2`, `aws.cloudwatch`), node reports a node source bound to the instance the
 * detail names (see {@link NodeEventParseOptions}).
 *
 * @throws {InvalidEventError} for a bad envelope, an unknown detail-type, a `source` that does not
 *   fit the detail-type or the sender, or a bad detail
 */
export function parseNodeEvent(event: unknown, options: NodeEventParseOptions = {}): NodeEvent {
  const env = parseEnvelope(event);
  const base = { id: env.id, time: Date.parse(env.time) };
  const expected = SOURCE_OF[env['detail-type']];
  if (expected !== undefined && env.source !== expected) {
    throw new InvalidEventError(`source: "${env['detail-type']}" must come from ${expected}, not "${env.source}"`, 'source', env['detail-type']);
  }
  switch (env['detail-type']) {
    case DetailType.Ec2StateChange:
      return { kind: 'ec2-state', ...base, detail: parseDetail(Ec2StateChangeDetailSchema, env) };
    case DetailType.NodeReady: {
      const detail = parseDetail(NodeReadyDetailSchema, env);
      return { kind: 'node-ready', ...base, detail, sender: nodeSender(env, detail.instanceId, options) };
    }
    case DetailType.NodeUnhealthy: {
      const detail = parseDetail(NodeUnhealthyDetailSchema, env);
      return { kind: 'node-unhealthy', ...base, detail, sender: nodeSender(env, detail.instanceId, options) };
    }
    case DetailType.SpotInterruption:
      return { kind: 'spot-interruption', ...base, instanceId: parseDetail(SpotInterruptionDetailSchema, env)['instance-id'] };
    case DetailType.RebalanceRecommendation:
      return { kind: 'rebalance', ...base, instanceId: parseDetail(RebalanceDetailSchema, env)['instance-id'] };
    case DetailType.AlarmStateChange: {
      const d = parseDetail(AlarmStateChangeDetailSchema, env);
      return { kind: 'alarm', ...base, alarmName: d.alarmName, state: d.state.value, resources: env.resources };
    }
    default:
      throw new InvalidEventError(`detail-type: unknown detail-type "${env['detail-type']}"`, 'detail-type', env['detail-type']);
  }
}
