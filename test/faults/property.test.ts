/**
 * Property: whatever sequence of creates, releases, duplicate deliveries, out-of-order event
 * times, node readiness, sweeps and crashes between writes (each crashed event retried, as
 * Lambda retries) the handlers receive:
 * - within one retry of a crash no room is left `placing` (its lease ended with the crashed
 *   invocation; the retry, or the drain it runs, takes it over and places or queues it);
 * - after a final sweep every invariant holds (never two placements of one room, capacity back on
 *   its container exactly once: no leak, no overbooking, no stranded room, no orphan);
 * - the set of active rooms (placed, queued or placing) is what the delivered events imply by
 *   EventBridge `time`: a room is active when its latest event is a create that fits a container
 *   (a release wins a tie), whatever order they were delivered in.
 *
 * Bounded: a dozen runs of at most 16 steps, each on a fresh table (well under a minute).
 *
 * @module
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoDbFleetStore } from '../../shared/adapters/dynamodb/fleet-store.ts';
import { FaultInjector } from '../../sim/adapters/fault-injection.ts';
import { LEAK_CHECK_EVERY_MINUTES } from '../../shared/app/reconcile.ts';
import { sweepAll } from '../../shared/app/sweep.ts';
import { makeHandler as nodeEvents } from '../../lambdas/node-events/index.ts';
import { makeHandler as roomEvents } from '../../lambdas/room-events/index.ts';
import { seededRandom } from '../../sim/random.ts';
import { FakeClock, FakeComputeProvider, makeDeps, useFleetTable, type TestDeps } from '../support/fleet.ts';
import { envelope, roomCreated, roomReleased, T0 } from '../support/handlers.ts';
import { checkInvariants } from '../support/invariants.ts';

const fleet = useFleetTable();
const ROOMS = ['r0', 'r1', 'r2', 'r3', 'r4'];

type Step =
  | { readonly kind: 'create'; readonly room: number; readonly weight: number; readonly at: number }
  | { readonly kind: 'release'; readonly room: number; readonly at: number }
  | { readonly kind: 'duplicate'; readonly which: number }
  | { readonly kind: 'ready' }
  | { readonly kind: 'sweep' }
  | { readonly kind: 'advance'; readonly ms: number };

/** Event times within ten minutes of T0, in any order relative to delivery (reordering). */
const at = fc.integer({ min: 0, max: 600 }).map((s) => T0 + s * 1000);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), room: fc.nat(ROOMS.length - 1), weight: fc.integer({ min: 1, max: 12 }), at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), room: fc.nat(ROOMS.length - 1), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'ready' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1000, max: 120_000 }) }) },
);
/** A step, and whether it crashes after its n-th write (then it is retried). */
const plannedStep = fc.record({ step, crashAfter: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 3 }) });

/** Queue timeout out of reach: a room rejected from the queue would end without a release. */
const config = {
  pools: [{ name: 'default', containersPerNode: 2, capacityPerContainer: 10, minNodes: 0, headroomMin: 0, scaleInMargin: 0, maxNodes: 4, idleGraceMs: 60_000, queueTimeoutMs: 86_400_000 }],
};
const CAPACITY_PER_CONTAINER = 10;

/** Rooms the delivered events imply are active, by EventBridge `time` (see the module comment). */
function impliedActive(events: readonly Record<string, unknown>[]): string[] {
  const latest = new Map<string, { time: number; active: boolean }>();
  for (const e of events) {
    const detail = e.detail as { roomId: string; weight?: number };
    const created = e['detail-type'] === 'RoomCreated';
    if (created && (detail.weight ?? 1) > CAPACITY_PER_CONTAINER) continue; // rejected
    const time = Date.parse(e.time as string);
    const prev = latest.get(detail.roomId);
    if (prev && (time < prev.time || (time === prev.time && created))) continue;
    latest.set(detail.roomId, { time, active: created });
  }
  return [...latest].filter(([, s]) => s.active).map(([id]) => id).sort();
}

describe('Property: random deliveries, duplicates, reorderings and crashes lose nothing', () => {
  it('keeps every invariant after a final sweep', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(plannedStep, { minLength: 1, maxLength: 16 }), fc.nat(), async (steps, seed) => {
        const tableName = await fleet.createTable();
        const store = new DynamoDbFleetStore({ client: fleet.db.client, tableName });
        const faults = new FaultInjector();
        const clock = new FakeClock(T0);
        const compute = new FakeComputeProvider('launch', clock);
        const base = makeDeps({ store, config, clock, compute, random: seededRandom(seed) });
        const d: TestDeps = { ...base, store: faults.wrap(store, 'store'), compute: faults.wrap(compute, 'compute') };
        const delivered: Record<string, unknown>[] = [];
        const ready = new Set<string>();
        let n = 0;

        const stranded: string[] = [];
        const deliver = async (run: () => Promise<unknown>, crashAfter: number | null) => {
          faults.arm(crashAfter === null ? { kind: 'off' } : { kind: 'crash-after-write', write: crashAfter });
          try {
            await run();
          } catch {
            faults.disarm();
            clock.advance(60_000); // Lambda's asynchronous retry
            await run();
            // Within one retry of the crash: nothing left in placing.
            stranded.push(...(await store.listRooms(['placing'])).map((r) => `${r.roomId} after step ${n}`));
          }
          faults.disarm();
        };
        const roomEvent = (e: Record<string, unknown>) => () => roomEvents(d)(e);
        const readyEvents = async () =>
          (await compute.describeFleet()).filter((i) => !ready.has(i.instanceId)).map((i, k) => {
            ready.add(i.instanceId);
            return envelope('wcs-autoscaler.node', 'NodeReady', {
              instanceId: i.instanceId,
              containers: [0, 1].map((index) => ({ index, privateIp: `10.1.${n % 250}.${k * 2 + index + 1}`, cpuset: `${index * 4}-${index * 4 + 3}` })),
            }, { id: `ready-${i.instanceId}`, time: clock.now() });
          });

        for (const { step: s, crashAfter } of steps) {
          n += 1;
          switch (s.kind) {
            case 'create':
            case 'release': {
              const roomId = ROOMS[s.room] as string;
              const e = s.kind === 'create' ? roomCreated(`c-${n}`, { roomId, weight: s.weight }, s.at) : roomReleased(`r-${n}`, roomId, s.at);
              delivered.push(e);
              await deliver(roomEvent(e), crashAfter);
              break;
            }
            case 'duplicate': {
              const e = delivered[s.which % Math.max(1, delivered.length)];
              if (e) await deliver(roomEvent(e), crashAfter);
              break;
            }
            case 'ready':
              for (const e of await readyEvents()) await deliver(() => nodeEvents(d)(e), crashAfter);
              break;
            case 'sweep':
              await deliver(async () => {
                const { errors } = await sweepAll(d);
                if (errors[0]) throw errors[0].error;
              }, crashAfter);
              break;
            case 'advance':
              clock.advance(s.ms);
              break;
          }
        }
        // The end: nodes launched so far report ready, the repair grace passes, one sweep.
        for (const e of await readyEvents()) await nodeEvents(base)(e);
        const every = LEAK_CHECK_EVERY_MINUTES * 60_000;
        clock.set(Math.ceil((clock.now() + 200_000) / every) * every); // past the grace; the sweep checks every node's maps
        const { errors } = await sweepAll(base, { leakCheck: 'all' });
        expect(errors).toEqual([]);
        const violations = await checkInvariants({ doc: DynamoDBDocumentClient.from(fleet.db.client), tableName, compute });
        expect(violations).toEqual([]);
        expect(stranded).toEqual([]);
        const active = (await store.listRooms(['placed', 'queued', 'placing'])).map((r) => r.roomId).sort();
        expect(active).toEqual(impliedActive(delivered));
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
