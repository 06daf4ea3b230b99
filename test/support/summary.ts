/**
 * A simulation summary with every field set, for tests of what prints or renders it; override
 * the fields a test asserts on.
 */
import type { SimulationSummary } from '../../sim/runtime/types.ts';

export function sampleSummary(overrides: Partial<SimulationSummary> = {}): SimulationSummary {
  return {
    rooms: 1234,
    placed: 1200,
    placements: 1300,
    reannouncements: 2,
    rejected: 3,
    waitedPlacements: 40,
    waitP50Ms: 0,
    waitP99Ms: 95_400.6,
    waitMaxMs: 181_000,
    queuedPeak: 17,
    nodesPeak: 9,
    nodeHours: 812.345,
    lowerBoundNodeHours: 650,
    costUsd: 1420.5,
    instanceCostUsd: 1390.25,
    costBreakdown: { instanceUsd: 1390.25, ebsUsd: 8.25, publicIpv4Usd: 22, region: 'eu-central-1', stoppedHours: 41.5 },
    days: [
      { day: 0, placements: 700, waitedPlacements: 30, waitP50Ms: 0, waitP99Ms: 95_400.6, waitMaxMs: 181_000 },
      { day: 1, placements: 600, waitedPlacements: 10, waitP50Ms: 0, waitP99Ms: 41_000, waitMaxMs: 52_000 },
    ],
    static72CostUsd: 5279.904,
    overbooked: 0,
    leakedCapacity: 0,
    orphanInstances: 0,
    unansweredRooms: 0,
    lostRooms: 0,
    faultsInjected: 0,
    crashesInjected: 0,
    instancesLost: 0,
    deadLettered: 0,
    interruptedRooms: 0,
    activeRoomsAtEnd: 12,
    expectedActiveRoomsAtEnd: 12,
    ddbCallsPerPlacement: 4.25,
    events: 5000,
    invalidLines: 2,
    staleCreates: 1,
    duplicateDeliveries: 6,
    launches: 30,
    launchFailures: 1,
    terminations: 25,
    warmStops: 4,
    warmStarts: 3,
    startFailures: 1,
    durationS: 604_800,
    wallMs: 4321.7,
    ...overrides,
  };
}
