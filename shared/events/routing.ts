/**
 * EventBridge rules of the system, defined once: the CDK stack creates a rule per entry and the
 * embedded runtime's local bus routes by the same patterns.
 *
 * @module
 */
import { AUTOSCALER_SOURCE, DetailType, NODE_SOURCE } from './schemas.ts';

/** The Lambda functions that consume events. */
export type FunctionName = 'room-events' | 'node-events' | 'sweep';

/** An EventBridge prefix matcher (`{ "prefix": "…" }`, EventBridge User Guide, "Content filtering"). */
export interface PrefixMatcher {
  readonly prefix: string;
}

/** An EventBridge event pattern (the subset used here: exact values and prefix matchers in arrays, nested objects). */
export interface EventPattern {
  readonly source?: readonly (string | PrefixMatcher)[];
  readonly 'detail-type'?: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** One rule: a name, a pattern and the function it targets. */
export interface RouteRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
}

/**
 * The routing table.
 *
 * @param appSource - the `source` applications use (DEFAULT_APP_SOURCE unless configured)
 */
export function routeRules(appSource: string): readonly RouteRule[] {
  return [
    {
      name: 'room-events',
      pattern: { source: [appSource], 'detail-type': [DetailType.RoomCreated, DetailType.RoomReleased, DetailType.RoomScheduled] },
      target: 'room-events',
    },
    {
      name: 'node-reports',
      // The unbound source while nodes' bootstraps still put it; bound sources name the sender
      // (`boundNodeSource`), which node-events checks against the detail.
      pattern: { source: [NODE_SOURCE, { prefix: `${NODE_SOURCE}/` }], 'detail-type': [DetailType.NodeReady, DetailType.NodeUnhealthy] },
      target: 'node-events',
    },
    {
      name: 'ec2-events',
      pattern: {
        source: ['aws.ec2'],
        'detail-type': [DetailType.Ec2StateChange, DetailType.SpotInterruption, DetailType.RebalanceRecommendation],
      },
      target: 'node-events',
    },
    {
      name: 'alarm-events',
      pattern: { source: ['aws.cloudwatch'], 'detail-type': [DetailType.AlarmStateChange] },
      target: 'node-events',
    },
  ];
}

/**
 * Prefix of the CloudWatch alarm names about single media nodes (e.g. high CPU of
 * `i-0abc…`): alarms so named are routed to node-events (the stack narrows the alarm rule to
 * it), which reads the instance id from the name (`instanceIdOfAlarm`); the node-events and
 * sweep functions may create and delete only alarms so named.
 * Example: `wcs-autoscaler-prod-node-i-0abc1234def567890-cpu`.
 */
export function nodeAlarmNamePrefix(fleetName: string): string {
  return `wcs-autoscaler-${fleetName}-node-`;
}

/** Whether the outbound source is ours (never routed back into the functions). */
export const OUTBOUND_SOURCE = AUTOSCALER_SOURCE;

function matchOne(entries: readonly unknown[], value: unknown): boolean {
  return entries.some((p) =>
    p !== null && typeof p === 'object' && 'prefix' in p ? typeof value === 'string' && value.startsWith(String((p as PrefixMatcher).prefix)) : p === value,
  );
}

function matchValue(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    if (Array.isArray(value)) return value.some((v) => matchOne(pattern, v));
    return matchOne(pattern, value);
  }
  if (pattern && typeof pattern === 'object') {
    if (!value || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([k, p]) => matchValue(p, (value as Record<string, unknown>)[k]));
  }
  return false;
}

/**
 * Whether an event matches a pattern, with EventBridge's semantics for the subset used here:
 * every key in the pattern must match; an array matches when the event's value (or any element
 * of an array value) equals one of its entries or starts with one of its `prefix` matchers;
 * objects match recursively.
 */
export function matchesPattern(pattern: EventPattern, event: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(pattern).every(([k, p]) => matchValue(p, event[k]));
}
