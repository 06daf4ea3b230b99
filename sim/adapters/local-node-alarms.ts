/**
 * `NodeAlarms` for the embedded runtime and tests: keeps the alarms in memory and records every
 * call. Given a {@link StatusCheckEvaluation}, it is also the simulated CloudWatch of the node
 * alarms EC2 feeds without any help from the node: it evaluates each node's status-check alarm
 * (`AWS/EC2 StatusCheckFailed`, shared/domain/node-alarms.ts) against the simulated EC2's
 * unreachable instances (`LocalComputeProvider.unreachableSince`) as CloudWatch would, and puts
 * its `CloudWatch Alarm State Change` to ALARM on the bus, which routes it to node-events.
 *
 * How CloudWatch is modelled: EC2 runs the status checks every minute and reports
 * `StatusCheckFailed` per one-minute period (Amazon EC2 User Guide, "Status checks for Amazon EC2
 * instances"); the first period counted as failed is the first whole minute the instance is
 * unreachable (a check earlier in the minute it failed may have passed); the alarm goes to ALARM
 * once `datapointsToAlarm` consecutive periods have failed and CloudWatch has evaluated the last
 * of them, {@link DEFAULT_EVALUATION_DELAY_MS} after it ended (an assumption: EC2 metrics reach
 * CloudWatch and alarms evaluate within about a minute; AWS documents no bound). So a 2-of-2
 * alarm fires 3 to 4 minutes after the instance stops answering. An alarm created while its
 * instance already fails is evaluated a delay after its creation, on the periods already
 * reported. Only the transitions node-events acts on are sent: to ALARM. The others (a new
 * alarm's INSUFFICIENT_DATA → OK, OK once the metric is missing) are kept as state but not sent;
 * node-events ignores them for this alarm. The CPU alarms are kept, never evaluated (the
 * simulator has no CPU load).
 *
 * @module
 */
import { nodeAlarmNamePrefix } from '../../shared/events/routing.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import type { NodeAlarmSpec } from '../../shared/domain/node-alarms.ts';
import type { Clock, NodeAlarms } from '../../shared/ports/index.ts';
import { busEvent, LOCAL_ACCOUNT, LOCAL_REGION, type BusEvent } from './local-event-bus.ts';

/** From the end of a one-minute period to CloudWatch's evaluation of the alarm on it, ms (assumed; see the module). */
export const DEFAULT_EVALUATION_DELAY_MS = 60_000;

/** Source of the bus's timer events for alarm evaluations (never routed to a function). */
export const CLOUDWATCH_TIMER_SOURCE = 'sim.cloudwatch';

/** What the simulated CloudWatch reads of the simulated EC2 (`LocalComputeProvider`). */
export interface StatusCheckSource {
  /** When the instance is drawn to stop answering, epoch ms, whether or not it will (undefined: never). */
  unreachableFrom(instanceId: string): number | undefined;
  /** Since when the instance has been unreachable at `now`, epoch ms (undefined: it answers). */
  unreachableSince(instanceId: string, now?: number): number | undefined;
}

/** What {@link LocalNodeAlarms} needs to evaluate status-check alarms. */
export interface StatusCheckEvaluation {
  readonly clock: Clock;
  readonly ec2: StatusCheckSource;
  /** Puts an event on the bus after `delayMs` (`VirtualTimeLoop.emit`). */
  readonly emit: (event: BusEvent, delayMs: number) => void;
  /** The bus whose timers run the evaluations (`LocalEventBus.onTimer`). */
  readonly bus: { onTimer(source: string, handler: (event: BusEvent) => void): void };
  /** Prefix of the alarm names (default `nodeAlarmNamePrefix('local')`, as the stack names them). */
  readonly namePrefix?: string;
  /** See {@link DEFAULT_EVALUATION_DELAY_MS}. */
  readonly evaluationDelayMs?: number;
}

/** One status-check alarm that went to ALARM: the instance, when it stopped answering, when the alarm fired (epoch ms). */
export interface StatusCheckDetection {
  readonly instanceId: string;
  readonly unreachableAt: number;
  readonly alarmAt: number;
}

type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** Whether a spec is a status-check alarm (EC2's `StatusCheckFailed*` metrics). */
function isStatusCheck(spec: NodeAlarmSpec): boolean {
  return spec.source === 'ec2' && spec.metricName.startsWith('StatusCheckFailed');
}

/** In-memory node alarms, keyed `<instance id>-<key>` (no fleet prefix). */
export class LocalNodeAlarms implements NodeAlarms {
  /** Alarms that exist now, by `<instance id>-<key>`. */
  public readonly alarms = new Map<string, NodeAlarmSpec>();
  /** Every call, in order. */
  public readonly calls: ({ readonly op: 'ensure'; readonly instanceId: string; readonly keys: readonly string[] } | { readonly op: 'remove'; readonly instanceId: string; readonly keys: readonly string[] })[] = [];
  /** Status-check alarms that went to ALARM, in order. */
  public readonly detections: StatusCheckDetection[] = [];
  /** State of each evaluated alarm (status checks only). */
  private readonly states = new Map<string, AlarmState>();
  /** The pending evaluation of each alarm (its token; removed with the alarm, so a stale timer does nothing). */
  private readonly pending = new Map<string, number>();
  private tokens = 0;

  public constructor(private readonly evaluation?: StatusCheckEvaluation) {
    evaluation?.bus.onTimer(CLOUDWATCH_TIMER_SOURCE, (e) => this.evaluate(e));
  }

  public async ensure(instanceId: string, alarms: readonly NodeAlarmSpec[]): Promise<void> {
    this.calls.push({ op: 'ensure', instanceId, keys: alarms.map((a) => a.key) });
    for (const a of alarms) {
      const name = `${instanceId}-${a.key}`;
      const created = !this.alarms.has(name);
      this.alarms.set(name, a);
      if (!this.evaluation || !isStatusCheck(a)) continue;
      // PutMetricAlarm on an existing alarm leaves its state (and its evaluation) unchanged.
      if (created) this.states.set(name, 'INSUFFICIENT_DATA');
      const from = this.evaluation.ec2.unreachableFrom(instanceId);
      if (from === undefined || this.pending.has(name) || this.states.get(name) === 'ALARM') continue;
      const now = this.evaluation.clock.now();
      this.schedule(name, Math.max(this.dueAt(from, a), now + this.delayMs()));
    }
  }

  public async remove(instanceId: string, keys: readonly string[]): Promise<void> {
    this.calls.push({ op: 'remove', instanceId, keys: [...keys] });
    for (const k of keys) {
      const name = `${instanceId}-${k}`;
      this.alarms.delete(name);
      this.states.delete(name);
      this.pending.delete(name);
    }
  }

  /** Keys of the alarms a node has now. */
  public keysOf(instanceId: string): string[] {
    return [...this.alarms.keys()].filter((k) => k.startsWith(`${instanceId}-`)).map((k) => k.slice(instanceId.length + 1)).sort();
  }

  /** The evaluated state of a node's alarm (`OK`, `ALARM`, `INSUFFICIENT_DATA`), or undefined for one not evaluated. */
  public stateOf(instanceId: string, key: string): AlarmState | undefined {
    return this.states.get(`${instanceId}-${key}`);
  }

  private delayMs(): number {
    return this.evaluation?.evaluationDelayMs ?? DEFAULT_EVALUATION_DELAY_MS;
  }

  /** When an alarm on an instance unreachable since `since` goes to ALARM, epoch ms: M whole failed periods, then the evaluation delay. */
  private dueAt(since: number, spec: NodeAlarmSpec): number {
    const periodMs = spec.periodSeconds * 1000;
    return Math.ceil(since / periodMs) * periodMs + spec.datapointsToAlarm * periodMs + this.delayMs();
  }

  private schedule(name: string, atMs: number): void {
    const ev = this.evaluation;
    if (!ev) return;
    const token = ++this.tokens;
    this.pending.set(name, token);
    ev.emit(busEvent(CLOUDWATCH_TIMER_SOURCE, 'Alarm Evaluation', { name, token }, atMs), Math.max(0, atMs - ev.clock.now()));
  }

  /** A timer came: evaluate the alarm on the periods reported so far; ALARM when enough of them failed. */
  private evaluate(timer: BusEvent): void {
    const ev = this.evaluation;
    const { name, token } = timer.detail as { name: string; token: number };
    const spec = this.alarms.get(name);
    if (!ev || !spec || this.pending.get(name) !== token) return;
    this.pending.delete(name);
    const instanceId = name.slice(0, name.length - spec.key.length - 1);
    const now = ev.clock.now();
    const since = ev.ec2.unreachableSince(instanceId, now);
    // It answers (it never failed, or a stop-start cured it): the alarm stays as it is (OK).
    if (since === undefined) return;
    const due = this.dueAt(since, spec);
    if (now < due) return this.schedule(name, due);
    const previous = this.states.get(name) ?? 'OK';
    if (previous === 'ALARM') return;
    this.states.set(name, 'ALARM');
    this.detections.push({ instanceId, unreachableAt: since, alarmAt: now });
    ev.emit(this.stateChange(instanceId, spec, previous, now), 0);
  }

  /** The `CloudWatch Alarm State Change` CloudWatch puts on the default bus, as AWS shapes it. */
  private stateChange(instanceId: string, spec: NodeAlarmSpec, previous: AlarmState, now: number): BusEvent {
    const alarmName = `${this.evaluation?.namePrefix ?? nodeAlarmNamePrefix('local')}${instanceId}-${spec.key}`;
    const m = spec.datapointsToAlarm;
    return busEvent(
      'aws.cloudwatch',
      DetailType.AlarmStateChange,
      {
        alarmName,
        state: {
          value: 'ALARM',
          reason: `Threshold Crossed: ${m} out of the last ${spec.evaluationPeriods} datapoints were greater than or equal to the threshold (${spec.threshold}) (minimum ${m} datapoints for OK -> ALARM transition).`,
          timestamp: new Date(now).toISOString(),
        },
        previousState: { value: previous },
        configuration: { description: spec.description, metrics: [{ metricStat: { metric: { namespace: 'AWS/EC2', name: spec.metricName, dimensions: spec.dimensions }, period: spec.periodSeconds, stat: spec.statistic } }] },
      },
      now,
      { resources: [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${alarmName}`] },
    );
  }
}
