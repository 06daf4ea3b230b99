/**
 * The embedded runtime: replays a trace of room events through the real middy-wrapped Lambda
 * handlers (the same exports Lambda runs, invoked with EventBridge-shaped events and a Lambda
 * context) against in-process DynamoDB (dynalite) and a simulated EC2 fleet, in virtual time,
 * with the scheduled sweep every virtual minute.
 *
 * Delivery is as EventBridge's: events routed by the stack's rules; a handler that throws is
 * retried after 1 and 2 virtual minutes (Lambda's asynchronous retries), then dead-lettered.
 *
 * @module
 */
import { traceEventDetail } from './trace-events.ts';
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { StaticConfigSource } from '../adapters/local-config-source.ts';
import { LocalComputeProvider } from '../adapters/local-compute-provider.ts';
import type { WarmStateOptions } from '../adapters/local-instance-states.ts';
import { startLocalDynamoDb, type LocalDynamoDb } from '../adapters/local-dynamodb.ts';
import { LocalDeadLetterQueue } from '../adapters/local-dead-letter-queue.ts';
import { SimulatedStatusChecks, unreachableFigures } from './status-checks.ts';
import { busEvent, LocalEventBus, type BusEvent } from '../adapters/local-event-bus.ts';
import type { AppDeps } from '../../shared/app/deps.ts';
import { DynamoDbThrottler, FaultInjector } from '../adapters/fault-injection.ts';
import { anyFault, faultRates, SDK_MAX_ATTEMPTS, type FaultKind } from './fault-plan.ts';
import { shardsOfPool } from '../../shared/domain/shards.ts';
import { ConfigError, parseAutoscalerConfig, nodeCapacity, poolByName, type AutoscalerConfig } from '../../shared/domain/config.ts';
import { LIVE_NODE_STATES, nodeAccepts, type NodeState } from '../../shared/domain/model.ts';
import { percentile } from '../percentile.ts';
import { seededRandom } from '../random.ts';
import { activeWeightSteps, effectiveRooms, lowerBoundNodeHours, static72CostUsd, type WeightStep } from '../trace/stats.ts';
import { DetailType } from '../../shared/events/schemas.ts';
import { NODE_SENDER_ENV } from '../../shared/events/parse.ts';
import type { FunctionName } from '../../shared/events/routing.ts';
import type { SimulationResult, SimulationSummary, TimelinePoint } from './types.ts';
import { readTraceFile, type ParsedTrace, type TraceFileEvent } from '../trace/file.ts';
import { accountActiveRooms, activeRoomsFigures, billSoFarUsd, PlacementLedger, runCostsAndDays, tracedRoomIds, unansweredRooms, type PlacedAnnouncement } from './outcomes.ts';
import { runEndMs, SWEEP_INTERVAL_MS, TRACE_EPOCH_MS, traceTimeMs, VirtualTimeLoop } from './event-loop.ts';

/** How often the fleet is sampled for the timeline and checked for overbooking, virtual ms: every sweep, so a boot (~90 s) shows. */
export const SAMPLE_INTERVAL_MS = 60_000;

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** JSON Lines trace file. */
  readonly tracePath: string;
  /** The trace already read from `tracePath` (then the file is not read again). */
  readonly trace?: ParsedTrace | undefined;
  /** JSON configuration file (AutoscalerConfig); defaults apply when absent. */
  readonly configPath?: string | undefined;
  /** Seed of every random choice (placement spread, boot jitter, failures). */
  readonly seed?: number | undefined;
  /** Replay only events delivered in the first N days (fractional allowed). */
  readonly days?: number | undefined;
  /** Probability that an offering lacks capacity on a launch (0–1). */
  readonly launchFailureRate?: number | undefined;
  /** Warm-pool stop latency, hibernation write rate, start failure rate (raised to the `start-capacity` fault rate). */
  readonly warmFleet?: WarmStateOptions | undefined;
  /**
   * Fault rate (0–1): each invocation crashes after one of its first writes with this
   * probability (then retried as Lambda retries asynchronous invocations), each offering lacks
   * capacity with at least this probability, each launched instance is lost with it (half of
   * them silently), and EventBridge delivers each trace event twice with it. The run then goes
   * on sweeping for the pool's ready timeout after the trace so the repairs can finish. Turns on
   * every kind of `sim/runtime/fault-plan.ts` at this rate.
   */
  readonly faults?: number | undefined;
  /** Rate of single kinds of fault (over `faults` for those kinds; see `FAULT_DESCRIPTIONS`). */
  readonly faultRates?: Partial<Record<FaultKind, number | undefined>> | undefined;
  /** Called as virtual time advances (for a progress bar): done and total, virtual ms. */
  readonly onProgress?: ((doneMs: number, totalMs: number) => void) | undefined;
  /** Show the functions' logs (Powertools, JSON on stdout). */
  readonly verbose?: boolean | undefined;
  /** Observer of every event the autoscaler publishes, with the virtual time (ms from start). */
  readonly onPublished?: ((event: BusEvent, atMs: number) => void) | undefined;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function weightAt(steps: readonly WeightStep[], t: number, cursor: { i: number }): number {
  while (cursor.i + 1 < steps.length && (steps[cursor.i + 1] as WeightStep).t <= t) cursor.i += 1;
  const s = steps[cursor.i];
  return s && s.t <= t ? s.weight : 0;
}

let sharedDb: Promise<LocalDynamoDb> | undefined;

/**
 * The process's local DynamoDB. The handlers' modules build their DynamoDB client and
 * idempotency store once, at import, as in Lambda; so every run in a process shares one
 * endpoint and table names, and each run starts from freshly re-created tables.
 */
async function localDb(): Promise<LocalDynamoDb> {
  if (!sharedDb) return (sharedDb = startLocalDynamoDb());
  const db = await sharedDb;
  await db.reset();
  return db;
}

/** Stop the local DynamoDB that {@link simulate} started (call once, when done simulating). */
export async function stopSimulator(): Promise<void> {
  const db = sharedDb;
  sharedDb = undefined;
  if (db) await (await db).close();
}

/** Load and validate a configuration file, or the defaults. @throws {ConfigError} */
export async function loadConfig(path: string | undefined): Promise<AutoscalerConfig> {
  if (!path) return parseAutoscalerConfig({});
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ConfigError([`${path}: invalid JSON: ${e.message}`]);
    throw e;
  }
  return parseAutoscalerConfig(raw);
}

/**
 * Replay a trace and measure the outcome.
 *
 * @returns the summary (see {@link SimulationSummary} for every figure's definition), the
 *   per-minute timeline, and the trace's line errors
 * @throws {ConfigError} for an invalid configuration; an unreadable trace file rejects
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const wallStart = Date.now();
  const config = await loadConfig(options.configPath);
  const seed = options.seed ?? 1;
  const trace = options.trace ?? (await readTraceFile(options.tracePath));
  const cutS = options.days !== undefined ? options.days * 86_400 : Number.POSITIVE_INFINITY;
  const events: TraceFileEvent[] = trace.events.filter((e) => e.t < cutS).sort((a, b) => a.t - b.t || a.line - b.line);
  const pool = poolByName(config, config.defaultPool);
  const capacityPerNode = nodeCapacity(pool);

  const db = await localDb();
  const previousEnv = { ...process.env };
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      IDEMPOTENCY_TABLE: db.idempotencyTable,
      FLEET_TABLE: db.fleetTable,
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'INFO' : 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // As deployed by default (access.nodeEventSender): node reports must name their sender.
      [NODE_SENDER_ENV]: 'required',
    });
    return await run(options, config, seed, events, trace.errors, db, pool.name, capacityPerNode, wallStart);
  } finally {
    process.env = previousEnv;
  }
}

async function run(
  options: SimulateOptions,
  config: AutoscalerConfig,
  seed: number,
  events: readonly TraceFileEvent[],
  traceErrors: SimulationResult['traceErrors'],
  db: LocalDynamoDb,
  poolName: string,
  capacityPerNode: number,
  wallStart: number,
): Promise<SimulationResult> {
  const pool = poolByName(config, poolName);
  // The handlers' modules build their clients at import: import them after the environment is set.
  const deps = await import('../../lambdas/shared/dependencies.ts');
  const handlers: Record<FunctionName, Handler> = {
    'room-events': (await import('../../lambdas/room-events/index.ts')).handler as unknown as Handler,
    'node-events': (await import('../../lambdas/node-events/index.ts')).handler as unknown as Handler,
    sweep: (await import('../../lambdas/sweep/index.ts')).handler as unknown as Handler,
  };

  let ddbCalls = 0;
  // The timeline's reads are the observer's, not the autoscaler's: not counted.
  let sampling = false;
  const counterName = `simulationCallCounter-${wallStart}-${Math.random().toString(36).slice(2)}`;
  const countCalls = (client: { middlewareStack: { add: (mw: never, opts: never) => void } }) =>
    client.middlewareStack.add(
      ((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        if (!sampling) ddbCalls += 1;
        return next(args);
      }) as never,
      { step: 'initialize', name: counterName } as never,
    );
  countCalls(db.client as never);
  countCalls(deps.dynamoDbClient as never);

  const loop = new VirtualTimeLoop();
  const clock = loop.clock;
  // EventBridge delivering late (`delivery-delay`): the invocation starts 1 to 5 minutes later.
  const delayRandom = seededRandom(seed, 5);
  let delayedDeliveries = 0;
  const deliver: typeof loop.deliver = (target, event) => {
    if (rates['delivery-delay'] > 0 && delayRandom() < rates['delivery-delay']) {
      delayedDeliveries += 1;
      loop.invoke(target, event, loop.now + 60_000 + Math.round(delayRandom() * 240_000));
    } else loop.deliver(target, event);
  };
  const bus = new LocalEventBus({ appSource: config.eventSource, clock, keepPublished: false, deliver });
  const rates = faultRates(options.faults, options.faultRates);
  const faulty = anyFault(rates);
  const compute = new LocalComputeProvider({
    clock,
    random: seededRandom(seed, 2),
    emit: loop.emit, timers: bus, // a booting node waits for its Elastic IPs, as the boot unit does
    launchFailureRate: Math.max(options.launchFailureRate ?? 0, rates.capacity),
    lossRate: rates['instance-loss'], unreachableRate: rates.unreachable,
    throttleRate: rates['ec2-throttle'],
    ...options.warmFleet,
    startFailureRate: Math.max(options.warmFleet?.startFailureRate ?? 0, rates['start-capacity']),
  });
  const deadLetters = new LocalDeadLetterQueue();
  const store = new DynamoDbFleetStore({ client: db.client, tableName: db.fleetTable, shards: (p) => shardsOfPool(config, p) });
  // Crashes between writes: every store and compute write of an armed invocation is counted.
  const faults = new FaultInjector();
  const faultRandom = seededRandom(seed, 3);
  // DynamoDB throttling of the functions' calls (both tables), after the SDK's attempts.
  const throttler = new DynamoDbThrottler(rates['ddb-throttle'] ** SDK_MAX_ATTEMPTS, seededRandom(seed, 4));
  const unthrottle = [throttler.instrument(db.client), throttler.instrument(deps.dynamoDbClient)];
  const lambdaRandom = seededRandom(seed, 6);
  let lambdaThrottles = 0;
  const appDeps: AppDeps = {
    store: rates.crash > 0 ? faults.wrap(store, 'store') : store,
    compute: rates.crash > 0 ? faults.wrap(compute, 'compute') : compute,
    publisher: bus,
    config: new StaticConfigSource(config),
    deadLetters,
    // Alarms in memory; the status checks evaluated as CloudWatch would (sim/runtime/status-checks.ts).
    nodeAlarms: new SimulatedStatusChecks({ clock, ec2: compute, emit: loop.emit, bus }),
    lifetimes: store.lifetimes,
    schedule: rates.crash > 0 ? faults.wrap(store.schedule, 'schedule') : store.schedule,
    clock,
    random: seededRandom(seed, 1),
    logger: (await import('../../lambdas/shared/observability.ts')).logger,
  };
  deps.setDependencies(appDeps);

  // Outbound events, as applications would see them.
  const ledger = new PlacementLedger();
  const queuedRooms = new Set<string>();
  const interruptedRoomIds = new Set<string>();
  const rejectedRooms = new Set<string>();
  const queuedNow = new Set<string>();
  let refused = 0;
  let queuedPeak = 0;
  let queuedSinceSample = 0;
  bus.onPublished((e) => {
    options.onPublished?.(e, loop.now - TRACE_EPOCH_MS);
    const d = e.detail as { roomId?: string; waitedMs?: number };
    switch (e['detail-type']) {
      case DetailType.RoomPlaced:
        ledger.placed(e.detail as PlacedAnnouncement, loop.now);
        if (d.roomId) queuedNow.delete(d.roomId);
        break;
      case DetailType.RoomInterrupted:
        if (d.roomId) {
          ledger.ended(d.roomId);
          interruptedRoomIds.add(d.roomId);
        }
        break;
      case DetailType.RoomQueued:
        if (d.roomId) {
          queuedNow.add(d.roomId);
          queuedRooms.add(d.roomId);
        }
        queuedPeak = Math.max(queuedPeak, queuedNow.size);
        queuedSinceSample = Math.max(queuedSinceSample, queuedNow.size);
        break;
      case DetailType.RoomRejected:
        refused += 1;
        if (d.roomId) {
          rejectedRooms.add(d.roomId);
          ledger.ended(d.roomId);
        }
        break;
    }
  });

  // The trace, delivered at `t` through the bus (so the stack's routing applies).
  const seenIds = new Set<string>();
  let duplicateDeliveries = 0;
  let redeliveries = 0;
  for (const e of events) {
    const id = e.id ?? `trace-line-${e.line}`;
    if (seenIds.has(id)) duplicateDeliveries += 1;
    seenIds.add(id);
    const event = busEvent(config.eventSource, e.type, traceEventDetail(e), traceTimeMs(e.time ?? e.t), { id });
    loop.put(event, traceTimeMs(e.t));
    // EventBridge's at-least-once delivery: the same event again, up to a minute later.
    if (rates.redelivery > 0 && faultRandom() < rates.redelivery) {
      redeliveries += 1;
      loop.put(event, traceTimeMs(e.t) + Math.round(faultRandom() * 60_000));
    }
  }
  const lastT = events.length ? (events[events.length - 1] as TraceFileEvent).t : 0;
  // With faults, sweep on after the trace for the ready timeout, so repairs that wait out a
  // grace (stranded claims, unrecorded instances) finish before the invariants are read.
  const settleMs = faulty ? Math.ceil(pool.readyTimeoutMs / 60_000) * 60_000 + 2 * SWEEP_INTERVAL_MS : 0;
  const endMs = runEndMs(lastT, settleMs);
  loop.scheduleSweeps(endMs);

  const demandSteps = activeWeightSteps(effectiveRooms(events).intervals);
  const demandCursor = { i: 0 };
  const timeline: TimelinePoint[] = [];
  const createdRooms = new Set<string>();
  let staleCreates = 0;
  const staleRooms = new Set<string>();
  let overbooked = 0;
  let nodesPeak = 0;

  const sample = async () => {
    sampling = true;
    const nodes = await store.listNodes(pool.name).finally(() => (sampling = false));
    const counts = { launching: 0, booting: 0, ready: 0, draining: 0, stopping: 0, stopped: 0, starting: 0, terminating: 0, terminated: 0 } as Record<NodeState, number>;
    let readyCapacity = 0;
    let drainingCapacity = 0;
    let activeWeight = 0;
    for (const n of nodes) {
      counts[n.state] += 1;
      for (const c of n.containers) {
        if (c.used > c.capacity) overbooked += 1;
        if (LIVE_NODE_STATES.includes(n.state) || n.state === 'terminating') activeWeight += c.used;
        if (nodeAccepts(n) && c.accepting) readyCapacity += c.capacity;
        else if (n.state === 'ready' || n.state === 'draining') drainingCapacity += c.capacity;
      }
    }
    const queuedMax = queuedSinceSample;
    queuedSinceSample = queuedNow.size;
    timeline.push({
      t: (loop.now - TRACE_EPOCH_MS) / 1000,
      activeWeight,
      readyCapacity,
      drainingCapacity,
      demandWeight: weightAt(demandSteps, (loop.now - TRACE_EPOCH_MS) / 1000, demandCursor),
      nodes: counts,
      queued: queuedMax,
      costUsd: billSoFarUsd(compute.instanceHistories(), TRACE_EPOCH_MS, loop.now),
    });
  };

  const totalMs = endMs - TRACE_EPOCH_MS;
  await loop.run(bus, endMs, async (invocation) => {
    const { target, event } = invocation;
    if (!invocation.scheduled && rates['lambda-throttle'] > 0 && lambdaRandom() < rates['lambda-throttle']) {
      // Throttled (429): the function did not run; Lambda tries again later, up to the event's max age.
      lambdaThrottles += 1;
      if (!loop.throttle(invocation)) await deadLetters.send(event, 'throttled until the maximum event age', target);
      return;
    }
    if (target === 'room-events' && event['detail-type'] === DetailType.RoomReleased) ledger.ended((event.detail as { roomId?: string }).roomId ?? '');
    if (rates.crash > 0) faults.armRandomly(rates.crash, faultRandom);
    throttler.active = true;
    try {
      const result = (await handlers[target](event, invocation.context)) as { kind?: string } | undefined;
      throttler.active = false;
      faults.disarm();
      if (target === 'room-events' && event['detail-type'] === DetailType.RoomCreated) {
        const roomId = (event.detail as { roomId?: string }).roomId;
        if (result?.kind === 'stale') {
          staleCreates += 1;
          if (roomId) staleRooms.add(roomId);
        }
        else if (roomId && result?.kind !== 'rejected') createdRooms.add(roomId);
      }
      if (target === 'room-events' && event['detail-type'] === DetailType.RoomReleased) {
        queuedNow.delete((event.detail as { roomId?: string }).roomId ?? '');
      }
    } catch (e) {
      throttler.active = false;
      faults.disarm();
      if (invocation.scheduled) return;
      if (!loop.retry(invocation)) await deadLetters.send(event, (e as Error).message, target);
    }
    nodesPeak = Math.max(nodesPeak, compute.running);
    if (invocation.scheduled && ((loop.now - TRACE_EPOCH_MS) % SAMPLE_INTERVAL_MS === 0 || invocation.at === endMs)) {
      await sample();
      options.onProgress?.(loop.now - TRACE_EPOCH_MS, totalMs);
    }
  });

  // Invariants at the end: every container's used weight is held by live rooms.
  const nodes = await store.listNodes(pool.name);
  const placedRecords = await store.listRooms(['placed']);
  const heldByRooms = new Map<string, number>();
  for (const r of placedRecords) {
    if (!r.placement) continue;
    const key = `${r.placement.nodeId}/${r.placement.container}`;
    heldByRooms.set(key, (heldByRooms.get(key) ?? 0) + r.weight);
  }
  let leakedCapacity = 0;
  for (const n of nodes) {
    for (const c of n.containers) {
      if (c.used > c.capacity) overbooked += 1;
      leakedCapacity += Math.abs(c.used - (heldByRooms.get(`${n.nodeId}/${c.index}`) ?? 0));
    }
  }
  const active = await store.listRooms(['placed', 'queued', 'placing']);
  // Instances running with no live (or terminating) node record: paid for, serving nobody.
  const accounted = new Set(nodes.filter((n) => n.state !== 'terminated').map((n) => n.nodeId));
  const orphanInstances = (await compute.describeFleet(pool.name)).filter(
    (i) => i.state !== 'shutting-down' && i.state !== 'terminated' && !accounted.has(i.instanceId),
  ).length;

  // Counted from the trace and the store, not from which invocations succeeded: a room placed by
  // a create that crashed afterwards (and was dead-lettered) is placed all the same.
  const tracedRooms = tracedRoomIds(events);
  const tracedRecords = await store.getRooms([...tracedRooms]);
  const placedRooms = new Set([...tracedRooms].filter((r) => ledger.placedRooms.has(r) || tracedRecords.get(r)?.placedAt !== undefined));
  const staleOnly = (r: string) => !createdRooms.has(r) && staleRooms.has(r) && !placedRooms.has(r);
  const unplacedRoomIds = [...tracedRooms].filter((r) => !placedRooms.has(r) && !staleOnly(r)).sort();
  // Of those, the rooms their application was never answered for (outcomes.ts).
  const unansweredRoomIds = unansweredRooms(unplacedRoomIds, tracedRecords, rejectedRooms, queuedRooms);
  const lostRoomIds = unansweredRoomIds.filter((id) => tracedRecords.get(id)?.state !== 'released');
  const activeAccount = accountActiveRooms(events, {
    capacityPerContainer: pool.capacityPerContainer,
    active: new Set(active.map((r) => r.roomId)),
    records: tracedRecords,
    toldEnded: new Set([...interruptedRoomIds, ...rejectedRooms]),
    deadLetteredEventIds: new Set(deadLetters.messages.map((m) => (m.event as BusEvent).id)),
    idOf: (e) => e.id ?? `trace-line-${e.line}`,
  });
  const waits = ledger.waits;
  const sortedWaits = [...waits].sort((a, b) => a - b);
  const nodeHours = compute.nodeHours(endMs);
  const summary: SimulationSummary = {
    rooms: tracedRooms.size,
    placed: placedRooms.size,
    placements: ledger.placements,
    reannouncements: ledger.reannouncements,
    rejected: traceErrors.length + refused,
    waitedPlacements: waits.filter((w) => w > 0).length,
    waitP50Ms: percentile(sortedWaits, 50),
    waitP99Ms: percentile(sortedWaits, 99),
    waitMaxMs: sortedWaits.length ? (sortedWaits[sortedWaits.length - 1] as number) : 0,
    queuedPeak,
    nodesPeak,
    nodeHours,
    lowerBoundNodeHours: lowerBoundNodeHours(events, capacityPerNode),
    ...runCostsAndDays(compute.instanceHistories(), ledger, TRACE_EPOCH_MS, endMs),
    static72CostUsd: static72CostUsd(events, capacityPerNode),
    overbooked,
    leakedCapacity,
    orphanInstances,
    unansweredRooms: unansweredRoomIds.length,
    lostRooms: lostRoomIds.length,
    faultsInjected:
      faults.faultsInjected +
      (rates.capacity > 0 ? compute.launchFailures : 0) +
      (rates['start-capacity'] > 0 ? compute.states.startFailures : 0) +
      compute.instancesLost + compute.unreachableInstances(endMs).length +
      redeliveries +
      throttler.throttled +
      delayedDeliveries +
      lambdaThrottles +
      compute.throttled,
    crashesInjected: faults.faultsInjected,
    instancesLost: compute.instancesLost, unreachable: unreachableFigures(appDeps.nodeAlarms, compute, endMs),
    deadLettered: deadLetters.messages.length,
    interruptedRooms: [...interruptedRoomIds].filter((id) => !active.some((r) => r.roomId === id)).length,
    activeRoomsAtEnd: active.length,
    ...activeRoomsFigures(activeAccount),
    ddbCallsPerPlacement: ledger.placements > 0 ? ddbCalls / ledger.placements : 0,
    events: events.length,
    invalidLines: traceErrors.length,
    staleCreates,
    duplicateDeliveries,
    launches: compute.launched,
    launchFailures: compute.launchFailures,
    terminations: compute.terminated,
    ...compute.warmCounts(),
    durationS: (endMs - TRACE_EPOCH_MS) / 1000,
    wallMs: Date.now() - wallStart,
  };
  deps.setDependencies(undefined);
  deps.dynamoDbClient.middlewareStack.remove(counterName);
  for (const remove of unthrottle) remove();
  return {
    summary,
    timeline,
    traceErrors: [...traceErrors],
    unplacedRoomIds,
    unansweredRoomIds,
    unexplainedActiveRoomIds: [...activeAccount.unexplained],
    meta: {
      trace: options.tracePath,
      seed,
      pool: pool.name,
      nodeCapacity: capacityPerNode,
      hourlyPriceUsd: pool.hourlyPriceUsd,
      bootTimeMs: pool.bootTimeMs,
      startedAt: new Date(wallStart).toISOString(),
    },
  };
}
