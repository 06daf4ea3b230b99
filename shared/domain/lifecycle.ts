/**
 * The node lifecycle as a state machine (docs/design.md#node-lifecycle): which moves of a node
 * record are legal, and what the record does on each EC2 instance state-change notification.
 * Pure: no I/O; times are epoch ms passed in.
 *
 * ```text
 * launching → booting → ready ⇄ draining → stopping → stopped → starting → ready
 *                                        ↘ terminating → terminated
 * ```
 *
 * @module
 */
import type { NodeState } from './model.ts';

/**
 * EC2 instance states as the `EC2 Instance State-change Notification` names them. Source: Amazon
 * EC2 User Guide, "Amazon EC2 instance state changes"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html).
 */
export type Ec2State = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** Every EC2 state, in lifecycle order. */
export const EC2_STATES: readonly Ec2State[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];

/** Every node state, in lifecycle order. */
export const NODE_STATES: readonly NodeState[] = ['launching', 'booting', 'ready', 'draining', 'stopping', 'stopped', 'starting', 'terminating', 'terminated'];

/**
 * The legal moves of a node record, and what drives each:
 * - `launching → booting`: EC2 `running` (node-events); `launching | booting → ready`: `NodeReady`
 *   (it may overtake the `running` event);
 * - `ready → draining`: scale-in, a fault (Spot interruption, unhealthy); `draining → ready`:
 *   undrain (scale-out, operator);
 * - `draining → stopping`: scale-in into the warm pool (StopInstances accepted);
 *   `stopping → stopped`: EC2 `stopped`; `stopped → starting`: StartInstances accepted, or EC2
 *   `pending` / `running` of a start that was not ours; `starting → ready`: `NodeReady` again;
 *   `starting → stopping | stopped`: EC2 stops the instance again while it starts (the start is
 *   undone; the node stays in the warm pool);
 * - `* → terminating`: terminateNode (idle, ready or start timeout, replacement, warm-pool
 *   recycling); `terminating → ready | draining | stopping | stopped`: a room landed meanwhile
 *   (terminateNode gives the node back to the state it was in);
 * - `* → terminated`: closeNode (EC2 `shutting-down` / `terminated`, an instance stopped that we
 *   did not stop, an instance gone from DescribeInstances).
 */
export const NODE_TRANSITIONS: Readonly<Record<NodeState, readonly NodeState[]>> = {
  launching: ['booting', 'ready', 'terminating', 'terminated'],
  booting: ['ready', 'terminating', 'terminated'],
  ready: ['draining', 'terminating', 'terminated'],
  draining: ['ready', 'stopping', 'terminating', 'terminated'],
  stopping: ['stopped', 'terminating', 'terminated'],
  stopped: ['starting', 'terminating', 'terminated'],
  starting: ['ready', 'stopping', 'stopped', 'terminating', 'terminated'],
  terminating: ['ready', 'draining', 'stopping', 'stopped', 'terminated'],
  terminated: [],
};

/** Whether a node record may move from `from` to `to` ({@link NODE_TRANSITIONS}; no self-moves). */
export function canTransition(from: NodeState, to: NodeState): boolean {
  return NODE_TRANSITIONS[from].includes(to);
}

/** The states a node may be moved to `to` from (the `from` list of a conditional store write). */
export function statesInto(to: NodeState): NodeState[] {
  return NODE_STATES.filter((s) => canTransition(s, to));
}

/**
 * What the node record does on one EC2 state change:
 * - `ignore`: nothing (a redelivery, a state the record already reflects, a stale event);
 * - `move`: conditional move to `to`; with `associateAddresses` the node's Elastic IPs are
 *   associated (idempotent), with `releaseStoppedAddresses` a stopped warm node's are released
 *   when its pool asks for it;
 * - `close`: the instance will not serve rooms again (gone, or stopped by someone else): the
 *   record is closed (rooms interrupted) and scale-out replaces the capacity.
 */
export type Ec2Reaction =
  | { readonly action: 'ignore'; readonly associateAddresses?: boolean; readonly releaseStoppedAddresses?: boolean; readonly why: string }
  | { readonly action: 'move'; readonly to: NodeState; readonly associateAddresses?: boolean; readonly releaseStoppedAddresses?: boolean; readonly why: string }
  | { readonly action: 'close'; readonly why: string };

const ignore = (why: string, extra: { associateAddresses?: boolean; releaseStoppedAddresses?: boolean } = {}): Ec2Reaction => ({ action: 'ignore', why, ...extra });
const move = (to: NodeState, why: string, extra: { associateAddresses?: boolean; releaseStoppedAddresses?: boolean } = {}): Ec2Reaction => ({ action: 'move', to, why, ...extra });
const close = (why: string): Ec2Reaction => ({ action: 'close', why });

/** EC2 states after which an instance never runs again. */
const FINAL_EC2_STATES: ReadonlySet<Ec2State> = new Set(['shutting-down', 'terminated']);

/**
 * Whether an EC2 state-change event is older than the node record's last state change, so it
 * describes an instance state the record has already moved past (EventBridge does not order
 * events, and a failed delivery is retried minutes later): e.g. the `stopped` of the stop before
 * the last start, arriving after `NodeReady`. `shutting-down` and `terminated` are never stale
 * (an instance does not come back from them), nor is any event for a node never stopped
 * (`launching`, `booting`: their record is written after RunInstances returns, so their first
 * `running` may carry an earlier time).
 *
 * @param eventTimeMs - the event's `time`, epoch ms (EventBridge sets it when EC2 emits the change,
 *   in whole seconds: an event of the same second as the change is not stale)
 * @param stateChangedAt - when the record last changed state, epoch ms (undefined: never stale)
 */
export function isStaleEc2Event(nodeState: NodeState, ec2State: Ec2State, eventTimeMs: number | undefined, stateChangedAt: number | undefined): boolean {
  if (FINAL_EC2_STATES.has(ec2State) || nodeState === 'launching' || nodeState === 'booting') return false;
  return isOlderThanChange(eventTimeMs, stateChangedAt);
}

/**
 * Whether a `NodeReady` is older than the node's move to `starting`, so it was put by the boot
 * before the node was stopped (a delivery retried for up to two hours, EventBridge's retry
 * policy of the node-reports rule) and says nothing about the boot after the start: it must not
 * make the node ready while WCS is still starting. Only a `starting` node is checked (a
 * redelivered `NodeReady` of a node first booting or already ready is its retry).
 *
 * @param eventTimeMs - the event's `time`, epoch ms (whole seconds)
 * @param stateChangedAt - when the record moved to its current state, epoch ms
 */
export function isStaleNodeReady(nodeState: NodeState, eventTimeMs: number | undefined, stateChangedAt: number | undefined): boolean {
  return nodeState === 'starting' && isOlderThanChange(eventTimeMs, stateChangedAt);
}

/** Event time (whole seconds) strictly before the second of the record's last change. */
function isOlderThanChange(eventTimeMs: number | undefined, stateChangedAt: number | undefined): boolean {
  if (eventTimeMs === undefined || stateChangedAt === undefined) return false;
  return eventTimeMs < Math.floor(stateChangedAt / 1000) * 1000;
}

/**
 * What a node record in `nodeState` does on the EC2 state change `ec2State` (see
 * {@link Ec2Reaction}); every pair is listed in test/shared/domain/lifecycle.test.ts.
 * - `shutting-down` / `terminated` close any node not yet terminated.
 * - `stopping` / `stopped` of a node we stopped (`stopping`) move it into the warm pool
 *   (`stopped`, its Elastic IPs released when the pool asks); of a `starting` node (the start
 *   undone) move it back to `stopping` / `stopped`; of a node serving or about to serve
 *   (`launching`, `booting`, `ready`, `draining`) — someone else stopped it — close it as if gone.
 *   A `terminating` node ignores them (TerminateInstances is on its way; the sweep repeats it).
 * - `pending` / `running` of a `stopped` node (a start that was not ours) move it to `starting`
 *   (its boot unit will put `NodeReady`); `running` of a `launching` node moves it to `booting`;
 *   `running` of a `booting` or `starting` node associates its Elastic IPs (idempotent: a
 *   redelivery retries a failed try; a node whose addresses were released on stop gets new ones).
 * - A stale event ({@link isStaleEc2Event}) is ignored.
 */
export function onEc2State(nodeState: NodeState, ec2State: Ec2State, stale = false): Ec2Reaction {
  if (nodeState === 'terminated') return ignore('record already terminated');
  if (FINAL_EC2_STATES.has(ec2State)) return close(`instance ${ec2State}`);
  if (stale) return ignore('event older than the record\'s last state change');
  switch (ec2State) {
    case 'pending':
      if (nodeState === 'stopped') return move('starting', 'started by someone else: its boot unit will report ready');
      return ignore('pending: nothing to record');
    case 'running':
      if (nodeState === 'launching') return move('booting', 'instance running, bootstrap in progress', { associateAddresses: true });
      if (nodeState === 'booting' || nodeState === 'starting') return ignore('already on its way to ready', { associateAddresses: true });
      if (nodeState === 'stopped') return move('starting', 'started by someone else: its boot unit will report ready', { associateAddresses: true });
      return ignore('running: nothing to record');
    case 'stopping':
      if (nodeState === 'stopping' || nodeState === 'stopped' || nodeState === 'terminating') return ignore('stop expected or already recorded');
      if (nodeState === 'starting') return move('stopping', 'start undone: back into the warm pool');
      return close('instance stopping (not stopped by the autoscaler)');
    case 'stopped':
      if (nodeState === 'stopping' || nodeState === 'starting') return move('stopped', 'into the warm pool', { releaseStoppedAddresses: true });
      if (nodeState === 'stopped') return ignore('already stopped', { releaseStoppedAddresses: true });
      if (nodeState === 'terminating') return ignore('termination on its way');
      return close('instance stopped (not stopped by the autoscaler)');
  }
  return ignore('unknown state');
}
