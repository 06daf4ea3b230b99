/**
 * The simulator counts from the trace and from what was published, not from which invocations
 * succeeded: a re-announced placement counts once, a reconnect counts again, and the rooms the
 * trace alone leaves active are computed by EventBridge `time`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { expectedActiveRooms, PlacementLedger, tracedRoomIds } from '../../sim/runtime/outcomes.ts';
import type { TraceEvent } from '../../sim/trace/model.ts';

const created = (t: number, roomId: string, extra: Partial<TraceEvent> = {}): TraceEvent => ({ t, type: 'RoomCreated', roomId, weight: 1, ...extra });
const released = (t: number, roomId: string, extra: Partial<TraceEvent> = {}): TraceEvent => ({ t, type: 'RoomReleased', roomId, ...extra });

describe('Class: PlacementLedger', () => {
  it('counts a re-announced placement once, on its own line, and keeps its wait out', () => {
    // Prepare
    const ledger = new PlacementLedger();

    // Act: placed, announced again after a crash before the confirm (later, so a longer wait)
    ledger.placed({ roomId: 'r1', nodeId: 'i-a', container: 0, waitedMs: 2_000 });
    ledger.placed({ roomId: 'r1', nodeId: 'i-a', container: 0, waitedMs: 62_000 });

    // Assess
    expect(ledger.placements).toBe(1);
    expect(ledger.reannouncements).toBe(1);
    expect(ledger.waits).toEqual([2_000]);
    expect([...ledger.placedRooms]).toEqual(['r1']);
  });

  it('counts a reconnect placed again after its release as a new placement, even on the same container', () => {
    // Prepare
    const ledger = new PlacementLedger();

    // Act
    ledger.placed({ roomId: 'r1', nodeId: 'i-a', container: 0, waitedMs: 0 });
    ledger.ended('r1');
    ledger.placed({ roomId: 'r1', nodeId: 'i-a', container: 0, waitedMs: 0 });
    ledger.placed({ roomId: 'r2', nodeId: 'i-a', container: 0, waitedMs: 0 });

    // Assess
    expect(ledger.placements).toBe(3);
    expect(ledger.reannouncements).toBe(0);
    expect(ledger.placedRooms.size).toBe(2);
  });
});

describe('Function: tracedRoomIds', () => {
  it('lists each room id the trace creates once, releases of unknown rooms left out', () => {
    expect([...tracedRoomIds([created(0, 'a'), created(5, 'a'), created(6, 'b'), released(9, 'c')])].sort()).toEqual(['a', 'b']);
  });
});

describe('Function: expectedActiveRooms', () => {
  it.each([
    ['created, never released', [created(0, 'a')], 1],
    ['created then released', [created(0, 'a'), released(60, 'a')], 0],
    ['release delivered first, create older by time (stale)', [released(20, 'a', { time: 20 }), created(25, 'a', { time: 15 })], 0],
    ['create delivered after a release of the same time (stale)', [released(20, 'a', { time: 20 }), created(25, 'a', { time: 20 })], 0],
    ['release older than the create, delivered after it', [created(10, 'a', { time: 30 }), released(20, 'a', { time: 20 })], 1],
    ['reconnect: created, released, created again', [created(0, 'a'), released(60, 'a'), created(90, 'a')], 1],
    ['too heavy for a container (rejected)', [created(0, 'a', { weight: 11 })], 0],
    ['duplicate delivery of a create', [created(0, 'a', { id: 'e1' }), created(5, 'a', { id: 'e1' })], 1],
  ] as const)('%s → %i active', (_name, events, active) => {
    expect(expectedActiveRooms(events as readonly TraceEvent[], 10)).toBe(active);
  });
});
