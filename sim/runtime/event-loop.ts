/**
 * The virtual-time event loop of the simulated cloud, written once for the embedded runtime
 * (`simulate.ts`) and the benchmark's policy replay (`bench/policy-replay.ts`).
 *
 * Jobs are kept in time order (ties in the order they were scheduled): events put on the bus,
 * function invocations (what the bus's routing rules deliver, and retries), and the scheduled
 * sweep every {@link SWEEP_INTERVAL_MS}. The clock jumps from one job to the next; nothing
 * waits in real time. What an invocation does (which handler runs, what is counted) is the
 * caller's, through the callback of {@link VirtualTimeLoop.run}.
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import TinyQueue from 'tinyqueue';
import { DetailType } from '../../shared/events/schemas.ts';
import type { FunctionName } from '../../shared/events/routing.ts';
import type { Clock } from '../../shared/ports/index.ts';
import { busEvent, type BusEvent } from '../adapters/local-event-bus.ts';
import { localLambdaContext } from '../adapters/local-lambda-context.ts';

/** Virtual epoch of trace second 0: Monday 2026-01-05 00:00:00 UTC. */
export const TRACE_EPOCH_MS = Date.UTC(2026, 0, 5);
/** The sweep's schedule, ms (EventBridge Scheduler, every minute). */
export const SWEEP_INTERVAL_MS = 60_000;
/**
 * Lambda's asynchronous retries of a function error: after these delays (the stack's
 * `retryAttempts: 2`, infra/constructs/autoscaler-function.ts), then the dead-letter queue.
 */
export const RETRY_DELAYS_MS = [60_000, 120_000] as const;
/** The stack's `maxEventAge` (6 h, the most Lambda allows): older events go to the dead-letter queue. */
export const MAX_EVENT_AGE_MS = 6 * 3_600_000;
/**
 * Lambda's retries of a throttled asynchronous invocation (429, no concurrency): from 1 s,
 * doubling, at most 5 min apart, until the event is {@link MAX_EVENT_AGE_MS} old.
 */
export const THROTTLE_RETRY_FIRST_MS = 1_000;
export const THROTTLE_RETRY_MAX_MS = 300_000;

/** Virtual epoch ms of trace second `t`. */
export function traceTimeMs(t: number): number {
  return TRACE_EPOCH_MS + t * 1000;
}

/**
 * When a run over a trace ends, virtual epoch ms: the minute after the last delivery (`lastT`,
 * s), one more sweep, then `settleMs` more.
 */
export function runEndMs(lastT: number, settleMs = 0): number {
  return TRACE_EPOCH_MS + Math.ceil(lastT / 60) * 60_000 + SWEEP_INTERVAL_MS + settleMs;
}

/** One function invocation, as {@link VirtualTimeLoop.run} hands it to its callback. */
export interface Invocation {
  readonly target: FunctionName;
  readonly event: BusEvent;
  /** 0 for the first delivery, n for the n-th retry after a function error. */
  readonly attempt: number;
  /** Times Lambda throttled this event before this invocation. */
  readonly throttles: number;
  /** When the event first reached Lambda, virtual epoch ms (its age counts from here). */
  readonly firstAt: number;
  /** The scheduled sweep (not an event delivered by the bus). */
  readonly scheduled: boolean;
  /** When it was due, virtual epoch ms. */
  readonly at: number;
  /** A Lambda context with a request id unique in the run. */
  readonly context: Context;
}

type Job =
  | { readonly at: number; readonly seq: number; readonly kind: 'put'; readonly event: BusEvent }
  | {
      readonly at: number;
      readonly seq: number;
      readonly kind: 'invoke';
      readonly target: FunctionName;
      readonly event: BusEvent;
      readonly attempt: number;
      readonly throttles?: number;
      readonly firstAt?: number;
    }
  | { readonly at: number; readonly seq: number; readonly kind: 'sweep' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A queue of timed jobs and the clock they move.
 *
 * @example
 * const loop = new VirtualTimeLoop();
 * const bus = new LocalEventBus({ appSource, clock: loop.clock, deliver: loop.deliver });
 * const compute = new LocalComputeProvider({ clock: loop.clock, random, emit: loop.emit });
 * loop.put(event, traceTimeMs(0));
 * const endMs = runEndMs(lastT);
 * loop.scheduleSweeps(endMs);
 * await loop.run(bus, endMs, (inv) => handlers[inv.target](inv.event, inv.context));
 */
export class VirtualTimeLoop {
  /** The loop's clock: virtual epoch ms of the job being run. */
  public readonly clock: Clock = { now: () => this.current };
  /** What `LocalEventBus` calls to deliver a routed event: an invocation now. */
  public readonly deliver = (target: FunctionName, event: BusEvent): void => this.invoke(target, event, this.current);
  /** What `LocalComputeProvider` calls with an event of the fleet: put on the bus after `delayMs`. */
  public readonly emit = (event: BusEvent, delayMs: number): void => this.put(event, this.current + delayMs);
  private current = TRACE_EPOCH_MS;
  private seq = 0;
  private invocations = 0;
  private readonly queue = new TinyQueue<Job>([], (a, b) => a.at - b.at || a.seq - b.seq);

  /** Virtual epoch ms now. */
  public get now(): number {
    return this.current;
  }

  /** Put `event` on the bus at `atMs` (virtual epoch ms). */
  public put(event: BusEvent, atMs: number): void {
    this.push({ at: atMs, kind: 'put', event });
  }

  /** Invoke `target` with `event` at `atMs` (virtual epoch ms); `attempt` counts retries. */
  public invoke(target: FunctionName, event: BusEvent, atMs: number, attempt = 0, throttles = 0, firstAt = atMs): void {
    this.push({ at: atMs, kind: 'invoke', target, event, attempt, throttles, firstAt });
  }

  /**
   * Lambda's asynchronous retry of a failed invocation: again after
   * `RETRY_DELAYS_MS[attempt]`.
   *
   * @returns false when the retries are spent (the event belongs in the dead-letter queue)
   */
  public retry(invocation: Invocation): boolean {
    const delay = RETRY_DELAYS_MS[invocation.attempt];
    if (delay === undefined || this.current + delay - invocation.firstAt > MAX_EVENT_AGE_MS) return false;
    this.invoke(invocation.target, invocation.event, this.current + delay, invocation.attempt + 1, invocation.throttles, invocation.firstAt);
    return true;
  }

  /**
   * Lambda throttled the invocation (it did not run): again after 1 s, 2 s, 4 s, … at most
   * 5 min, while the event is younger than {@link MAX_EVENT_AGE_MS}.
   *
   * @returns false when the event is too old (it belongs in the dead-letter queue)
   */
  public throttle(invocation: Invocation): boolean {
    const delay = Math.min(THROTTLE_RETRY_FIRST_MS * 2 ** invocation.throttles, THROTTLE_RETRY_MAX_MS);
    if (this.current + delay - invocation.firstAt > MAX_EVENT_AGE_MS) return false;
    this.invoke(invocation.target, invocation.event, this.current + delay, invocation.attempt, invocation.throttles + 1, invocation.firstAt);
    return true;
  }

  /** Schedule the sweep every {@link SWEEP_INTERVAL_MS} from the first minute through `endMs`. */
  public scheduleSweeps(endMs: number): void {
    for (let at = TRACE_EPOCH_MS + SWEEP_INTERVAL_MS; at <= endMs; at += SWEEP_INTERVAL_MS) this.push({ at, kind: 'sweep' });
  }

  /**
   * Run every job due up to `endMs` in time order: events go through `bus` (whose routing
   * schedules invocations), invocations and sweeps through `invoke`, one at a time. Jobs due
   * after `endMs` are dropped; the clock is left at `endMs`.
   *
   * @throws whatever `invoke` throws (the run stops there)
   */
  public async run(bus: { put(event: BusEvent): unknown }, endMs: number, invoke: (invocation: Invocation) => Promise<void>): Promise<void> {
    while (this.queue.length > 0) {
      const job = this.queue.pop() as Job;
      if (job.at > endMs) break;
      this.current = Math.max(this.current, job.at);
      if (job.kind === 'put') {
        bus.put(job.event);
        continue;
      }
      this.invocations += 1;
      const target: FunctionName = job.kind === 'sweep' ? 'sweep' : job.target;
      await invoke({
        target,
        event: job.kind === 'sweep' ? busEvent('aws.scheduler', DetailType.ScheduledEvent, {}, this.current) : job.event,
        attempt: job.kind === 'sweep' ? 0 : job.attempt,
        throttles: job.kind === 'sweep' ? 0 : (job.throttles ?? 0),
        firstAt: job.kind === 'sweep' ? job.at : (job.firstAt ?? job.at),
        scheduled: job.kind === 'sweep',
        at: job.at,
        context: localLambdaContext(target, `req-${this.invocations}`),
      });
    }
    this.current = Math.max(this.current, endMs);
  }

  private push(job: DistributiveOmit<Job, 'seq'>): void {
    this.queue.push({ ...job, seq: this.seq++ } as Job);
  }
}
