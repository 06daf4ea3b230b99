/**
 * node-events: EC2 state changes, Spot interruption warnings, rebalance recommendations,
 * CloudWatch alarm state changes, and the nodes' own `NodeReady` / `NodeUnhealthy`.
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import type { AppDeps } from '../../shared/app/deps.ts';
import { onAlarm, onInstanceState, onNodeReady, onNodeTrouble } from '../../shared/app/nodes.ts';
import { NODE_SENDER_ENV, parseNodeEvent, type NodeEventParseOptions } from '../../shared/events/parse.ts';
import { getDependencies } from '../shared/dependencies.ts';
import { wrap } from '../shared/middleware.ts';
import { parseOrReject, type RejectedResult } from '../shared/reject.ts';
import { tracePhase } from '../shared/tracing.ts';

/** What the function returns: what it did to the node. */
export type NodeEventsResult = { readonly kind: string; readonly nodeId?: string } | RejectedResult;

/** Parse options from the environment ({@link NODE_SENDER_ENV}). */
export function senderOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): NodeEventParseOptions {
  return { requireSender: env[NODE_SENDER_ENV] === 'required' };
}

/**
 * Build the handler over injected dependencies.
 *
 * @param options - whether node reports must name their sender (default: from the environment)
 * @throws {FleetStoreError} | {AutoscalerError} on infrastructure failures (Lambda retries)
 */
export function makeHandler(deps: AppDeps | (() => AppDeps), options: NodeEventParseOptions = senderOptionsFromEnv()) {
  const parse = (event: unknown) => parseNodeEvent(event, options);
  return async (event: unknown, context?: Context): Promise<NodeEventsResult> => {
    const d = typeof deps === 'function' ? deps() : deps;
    // The lease on the queued rooms a NodeReady claims ends with this invocation's deadline
    // (shared/app/rooms.ts), not the sweep's longer default: a crash strands them no longer.
    const leaseUntil = context ? d.clock.now() + context.getRemainingTimeInMillis() : undefined;
    const parsed = await tracePhase('parse', () => parseOrReject(d, event, parse, 'node-events'));
    if (parsed.kind === 'rejected') return parsed;
    switch (parsed.kind) {
      case 'ec2-state':
        return { kind: await onInstanceState(d, parsed.detail, parsed.id, parsed.time), nodeId: parsed.detail['instance-id'] };
      case 'node-ready': {
        const kind = await onNodeReady(d, parsed.detail, parsed.id, parsed.time, leaseUntil);
        // Kept for the operator (the dead-letter queue alarms): a refused NodeReady is a broken
        // or compromised node (docs/security.md#node-reports); the log line has the reason.
        if (kind === 'refused') await d.deadLetters.send(event, `NodeReady for ${parsed.detail.instanceId} refused by its checks (see the log)`, 'node-events');
        return { kind, nodeId: parsed.detail.instanceId };
      }
      case 'node-unhealthy':
        return {
          kind: await onNodeTrouble(d, parsed.detail.instanceId, `unhealthy: ${parsed.detail.reason}`, parsed.id),
          nodeId: parsed.detail.instanceId,
        };
      case 'spot-interruption':
        return { kind: await onNodeTrouble(d, parsed.instanceId, 'spot-interruption', parsed.id), nodeId: parsed.instanceId };
      case 'rebalance':
        return { kind: await onNodeTrouble(d, parsed.instanceId, 'rebalance-recommendation', parsed.id), nodeId: parsed.instanceId };
      case 'alarm':
        return { kind: await onAlarm(d, parsed.alarmName, parsed.state, parsed.id, parsed.time) };
    }
  };
}

/** The Lambda entry point. */
export const handler = wrap(makeHandler(getDependencies), { idempotent: true });
