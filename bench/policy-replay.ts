/**
 * Our policy on a trace, fast: the Lambda handlers' own logic (`makeHandler` of room-events,
 * node-events and sweep — parse, use case, policy) over {@link MemoryFleetStore}, the simulated
 * EC2 fleet (`LocalComputeProvider`: 15 s to `running`, NodeReady after the pool's boot time
 * ± 15%) and the local event bus (the stack's routing rules), in virtual time with the sweep every
 * virtual minute. What it leaves out, against `wcs-autoscaler simulate`: the middy stack (logger,
 * metrics) and DynamoDB over HTTP. Powertools idempotency is emulated by event id (a redelivered
 * event that succeeded returns at once, as the idempotency record makes it), so duplicates in the
 * trace cost nothing, as in Lambda.
 *
 * It also counts what the control plane would be billed for: invocations per function, fleet
 * store calls per method, events published (see control-plane.ts).
 *
 * @module
 */
import type { Context } from 'aws-lambda';
import { StaticConfigSource } from '../sim/adapters/local-config-source.ts';
import { LocalComputeProvider } from '../sim/adapters/local-compute-provider.ts';
import { LocalDeadLetterQueue } from '../sim/adapters/local-dead-letter-queue.ts';
import { LocalNodeAlarms } from '../sim/adapters/local-node-alarms.ts';
import { MemoryLifetimeStore } from '../sim/adapters/memory-lifetime-store.ts';
import { busEvent, LocalEventBus } from '../sim/adapters/local-event-bus.ts';
import { MemoryFleetStore } from '../sim/adapters/memory-fleet-store.ts';
import { MemoryScheduleStore } from '../sim/adapters/memory-schedule-store.ts';
import { silentLogger, type AppDeps } from '../shared/app/deps.ts';
import { nodeCapacity, poolByName, type AutoscalerConfig } from '../shared/domain/config.ts';
import { seededRandom } from '../sim/random.ts';
import { sortByDelivery, type TraceEvent } from '../sim/trace/model.ts';
import { DetailType } from '../shared/events/schemas.ts';
import type { FunctionName } from '../shared/events/routing.ts';
import type { FleetStore } from '../shared/ports/fleet-store.ts';
import type { ScheduleStore } from '../shared/ports/schedule-store.ts';
import { makeHandler as roomEvents } from '../lambdas/room-events/index.ts';
import { makeHandler as nodeEvents } from '../lambdas/node-events/index.ts';
import { makeHandler as sweepHandler } from '../lambdas/sweep/index.ts';
import { runEndMs, TRACE_EPOCH_MS, traceTimeMs, VirtualTimeLoop } from '../sim/runtime/event-loop.ts';
import { computeBill, type FleetBill } from '../sim/runtime/bill.ts';
import { summarizeDays, type DaySummary, type PlacementWait } from '../sim/runtime/days.ts';
import { traceEventDetail } from '../sim/runtime/trace-events.ts';
import { summarizeRun, type PolicyRun } from './metrics.ts';

/** What the control plane did during a replay (inputs of the control-plane cost). */
export interface ControlPlaneCounts {
  /** Invocations per function (duplicates answered by idempotency count: Lambda still runs). */
  readonly invocations: Readonly<Record<FunctionName, number>>;
  /** Fleet store method calls, by method name. */
  readonly storeCalls: Readonly<Record<string, number>>;
  /** Events the autoscaler published (PutEvents entries). */
  readonly published: number;
  /** Application events delivered (RoomCreated / RoomReleased lines, duplicates included). */
  readonly appEvents: number;
  /** AWS and node events delivered (EC2 state changes, NodeReady). */
  readonly fleetEvents: number;
  /** Virtual duration, ms. */
  readonly durationMs: number;
}

/** A replay's result: the policy figures and the control-plane counts. */
export interface ReplayResult {
  readonly run: PolicyRun;
  /** The full bill: instances, EBS, public IPv4 (sim/runtime/bill.ts, the default Region's prices). */
  readonly bill: FleetBill;
  /** Waiting per day of the trace, by the day each room arrived (sim/runtime/days.ts). */
  readonly days: readonly DaySummary[];
  readonly counts: ControlPlaneCounts;
  readonly overbooked: number;
  readonly leakedCapacity: number;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Wrap a store (the fleet store, the schedule store) so every method call is counted by name. */
function countingStore<T extends FleetStore | ScheduleStore>(inner: T, calls: Record<string, number>): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** What an observer of a replay sees after each sweep (bench/explain.ts): the fleet at `now`. */
export interface ReplayView {
  /** Virtual epoch ms. */
  readonly now: number;
  /** The fleet store (uncounted: observing costs the control plane nothing). */
  readonly store: MemoryFleetStore;
  /** The simulated EC2 fleet (instances billed now: `running`). */
  readonly compute: LocalComputeProvider;
}

/**
 * Replay a trace through our policy.
 *
 * @param events - the trace (seconds from its start)
 * @param config - the deployment configuration (the default pool is used)
 * @param seed - seed of placement spread and boot jitter
 * @param observe - called after every sweep with the fleet (bench/explain.ts breaks node-hours down with it)
 */
export async function replayOurPolicy(
  events: readonly TraceEvent[],
  config: AutoscalerConfig,
  seed = 1,
  observe?: (view: ReplayView) => void | Promise<void>,
): Promise<ReplayResult> {
  const pool = poolByName(config, config.defaultPool);
  const ordered = sortByDelivery(events);
  const loop = new VirtualTimeLoop();
  const clock = loop.clock;
  const bus = new LocalEventBus({ appSource: config.eventSource, clock, keepPublished: false, deliver: loop.deliver });
  const compute = new LocalComputeProvider({ clock, random: seededRandom(seed, 2), emit: loop.emit });
  const storeCalls: Record<string, number> = {};
  const memory = new MemoryFleetStore();
  const deps: AppDeps = {
    store: countingStore(memory, storeCalls),
    compute,
    publisher: bus,
    config: new StaticConfigSource(config),
    deadLetters: new LocalDeadLetterQueue(),
    nodeAlarms: new LocalNodeAlarms(),
    lifetimes: new MemoryLifetimeStore(),
    schedule: countingStore(new MemoryScheduleStore(), storeCalls),
    clock,
    random: seededRandom(seed, 1),
    logger: silentLogger,
  };
  const handlers: Record<FunctionName, Handler> = {
    'room-events': roomEvents(deps) as Handler,
    'node-events': nodeEvents(deps) as Handler,
    sweep: sweepHandler(deps) as Handler,
  };

  const waits: number[] = [];
  const arrivals: PlacementWait[] = [];
  let published = 0;
  bus.onPublished((e) => {
    published += 1;
    if (e['detail-type'] === DetailType.RoomPlaced) {
      const waitMs = (e.detail as { waitedMs?: number }).waitedMs ?? 0;
      waits.push(waitMs);
      arrivals.push({ arrivedAt: loop.now - waitMs, waitMs });
    }
  });

  for (const [i, e] of ordered.entries()) {
    const event = busEvent(config.eventSource, e.type, traceEventDetail(e), traceTimeMs(e.time ?? e.t), { id: e.id ?? `line-${i}` });
    loop.put(event, traceTimeMs(e.t));
  }
  const lastT = ordered.length ? (ordered[ordered.length - 1] as TraceEvent).t : 0;
  const endMs = runEndMs(lastT);
  loop.scheduleSweeps(endMs);

  const invocations: Record<FunctionName, number> = { 'room-events': 0, 'node-events': 0, sweep: 0 };
  const done = new Set<string>();
  let appEvents = 0;
  let fleetEvents = 0;
  await loop.run(bus, endMs, async ({ target, event, scheduled, context }) => {
    invocations[target] += 1;
    if (target === 'room-events') appEvents += 1;
    if (target === 'node-events') fleetEvents += 1;
    if (!scheduled && done.has(event.id)) return; // idempotency record: answered without running
    await handlers[target](event, context);
    if (!scheduled) done.add(event.id);
    else if (observe) await observe({ now: loop.now, store: memory, compute });
  });

  // Invariants: no container over capacity; every unit held is held by a placed room.
  let overbooked = 0;
  let leakedCapacity = 0;
  const placed = await memory.listRooms(['placed']);
  const held = new Map<string, number>();
  for (const r of placed) if (r.placement) held.set(`${r.placement.nodeId}/${r.placement.container}`, (held.get(`${r.placement.nodeId}/${r.placement.container}`) ?? 0) + r.weight);
  for (const n of await memory.listNodes(pool.name)) {
    for (const c of n.containers) {
      if (c.used > c.capacity) overbooked += 1;
      leakedCapacity += Math.abs(c.used - (held.get(`${n.nodeId}/${c.index}`) ?? 0));
    }
  }

  return {
    run: summarizeRun({
      policy: 'ours',
      path: 'handler logic (makeHandler) + shared/app + shared/domain over MemoryFleetStore',
      events: ordered,
      nodeCapacity: nodeCapacity(pool),
      hourlyPriceUsd: pool.hourlyPriceUsd,
      nodeHours: compute.nodeHours(endMs),
      waitsMs: waits,
      launches: compute.launched,
    }),
    bill: computeBill(compute.instanceHistories(), TRACE_EPOCH_MS, endMs),
    days: summarizeDays(arrivals, TRACE_EPOCH_MS, endMs),
    counts: { invocations, storeCalls, published, appEvents, fleetEvents, durationMs: endMs - TRACE_EPOCH_MS },
    overbooked,
    leakedCapacity,
  };
}
