/**
 * The embedded runtime's event bus: routes events to functions by the same rules as the CDK
 * stack (shared/events/routing.ts) and records what the autoscaler publishes.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { AUTOSCALER_SOURCE, type OutboundEvent } from '../../shared/events/schemas.ts';
import { matchesPattern, routeRules, type FunctionName, type RouteRule } from '../../shared/events/routing.ts';
import type { Clock, EventPublisher } from '../../shared/ports/index.ts';

/** An EventBridge event as delivered to a target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** Account and region the local runtime stamps on events. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'eu-central-1';

/** Build an EventBridge-shaped event. */
export function busEvent(source: string, detailType: string, detail: unknown, timeMs: number, options: { id?: string; resources?: readonly string[] } = {}): BusEvent {
  return {
    version: '0',
    id: options.id ?? randomUUID(),
    'detail-type': detailType,
    source,
    account: LOCAL_ACCOUNT,
    time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: options.resources ?? [],
    detail,
  };
}

/** Delivers a routed event to a function at a (virtual) time. */
export type Delivery = (target: FunctionName, event: BusEvent) => void;

/**
 * An in-process bus. `put` routes an event to every matching rule's target through `deliver`;
 * `publish` (the EventPublisher port) stamps the autoscaler's events, records them, and routes
 * them too (no rule matches the autoscaler's own source, as in the stack).
 *
 * @example
 * const bus = new LocalEventBus({ appSource: 'app.rooms', clock, deliver: (fn, e) => queue.push(fn, e) });
 * bus.put(busEvent('app.rooms', 'RoomCreated', { roomId: 'r1' }, clock.now()));
 */
export class LocalEventBus implements EventPublisher {
  /** Every event the autoscaler published, in order. */
  public readonly published: BusEvent[] = [];
  private readonly rules: readonly RouteRule[];
  private readonly listeners: ((event: BusEvent) => void)[] = [];
  private readonly timers = new Map<string, (event: BusEvent) => void>();

  public constructor(private readonly options: { readonly appSource: string; readonly clock: Clock; readonly deliver: Delivery; readonly keepPublished?: boolean }) {
    this.rules = routeRules(options.appSource);
  }

  /** Put an event on the bus; returns the functions it was routed to. */
  public put(event: BusEvent): FunctionName[] {
    const timer = this.timers.get(event.source);
    if (timer) {
      timer(event);
      return [];
    }
    const targets = this.rules.filter((r) => matchesPattern(r.pattern, event as unknown as Record<string, unknown>)).map((r) => r.target);
    for (const t of targets) this.options.deliver(t, event);
    return targets;
  }

  /**
   * Let a simulated service act at a virtual time on the bus's clock: an event put with `source`
   * is handed to `handler` when its time comes instead of being routed (no rule of the stack
   * matches such a source). The simulated CloudWatch (local-node-alarms.ts) evaluates an alarm so.
   */
  public onTimer(source: string, handler: (event: BusEvent) => void): void {
    this.timers.set(source, handler);
  }

  /** Observe every event the autoscaler publishes. */
  public onPublished(listener: (event: BusEvent) => void): void {
    this.listeners.push(listener);
  }

  public async publish(events: readonly OutboundEvent[]): Promise<void> {
    for (const e of events) {
      const event = busEvent(AUTOSCALER_SOURCE, e.detailType, e.detail, this.options.clock.now());
      if (this.options.keepPublished !== false) this.published.push(event);
      for (const l of this.listeners) l(event);
      this.put(event);
    }
  }
}
