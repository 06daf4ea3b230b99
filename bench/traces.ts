/**
 * The benchmark's traces: the pinned sample week, and two generated in-bench from fixed seeds
 * (nothing is written to disk; the same seeds give the same traces).
 *
 * @module
 */
import { readTraceFile } from '../sim/trace/file.ts';
import { generateTrace } from '../sim/trace/generator.ts';
import type { TraceEvent } from '../sim/trace/model.ts';

/** A named trace. */
export interface BenchTrace {
  readonly name: string;
  readonly description: string;
  readonly events: readonly TraceEvent[];
}

/** `samples/week.jsonl`: the seeded sample week (seed 42; samples/README.md). */
export async function sampleWeek(path = 'samples/week.jsonl'): Promise<BenchTrace> {
  const { events } = await readTraceFile(path);
  return { name: 'sample week', description: `${path} (seed 42, 7 days)`, events };
}

/**
 * A flash crowd: a quiet Monday (peak 40 concurrent meetings) and a webinar whose 400 rooms join
 * within 2 minutes at 14:00 and stay 60 minutes (`hints`: with the generator's lifetime hints and
 * announcements, sim/trace/hints.ts; the sessions are the same) — 20 nodes' worth of demand out of nowhere
 * (docs/design.md#realistic-demand: "hundreds of rooms within a minute or two").
 */
export function flashCrowd(hints = false): BenchTrace {
  return {
    name: 'flash crowd',
    description: `seed 7, 1 day, peak 40 meetings + 400 rooms joining within 120 s at 14:00${hints ? ', with hints (webinar announced 10–60 min ahead)' : ''}`,
    events: generateTrace({
      hints,
      seed: 7,
      days: 1,
      peakConcurrent: 40,
      flashCrowds: [{ day: 0, startSecOfDay: 14 * 3600, rooms: 400, rampSec: 120, durationMin: 60 }],
      surveillanceTenants: [],
    }),
  };
}

/**
 * Long-lived surveillance demand: one container per house (weight 10) for 60 houses and 80
 * houses of weight 2, connections dropping every ~6 h and reconnecting after ~20 s (docs/design.md#realistic-demand; the seed article's "one container per house"), plus light meeting traffic, over 2 days.
 */
export function surveillance(hints = false): BenchTrace {
  return {
    name: 'surveillance',
    description: `seed 11, 2 days, 60 houses × 10 units + 80 houses × 2 units with reconnects, peak 20 meetings${hints ? ', with hints' : ''}`,
    events: generateTrace({
      hints,
      seed: 11,
      days: 2,
      peakConcurrent: 20,
      flashCrowds: [],
      surveillanceTenants: [
        { tenantId: 'estate-a', houses: 60, weight: 10 },
        { tenantId: 'estate-b', houses: 80, weight: 2 },
      ],
    }),
  };
}

/**
 * A second crowd nobody announced (issue 19): a 500-room webinar on day 1 at 14:00 and another
 * of the same size on day 2 at 10:00 — another hour, a size the pool met the day before. Its
 * day-2 p99 wait shows whether what the pool learnt from the first crowd (the warm pool sized
 * from the last days' peak) spares the second one a cold boot. Quiet meeting traffic (peak 40).
 */
export function secondCrowd(): BenchTrace {
  return {
    name: 'second crowd',
    description: 'seed 13, 2 days, peak 40 meetings + 500 rooms within 120 s on day 1 at 14:00 and again on day 2 at 10:00',
    events: generateTrace({
      seed: 13,
      days: 2,
      peakConcurrent: 40,
      flashCrowds: [
        { day: 0, startSecOfDay: 14 * 3600, rooms: 500, rampSec: 120, durationMin: 60 },
        { day: 1, startSecOfDay: 10 * 3600, rooms: 500, rampSec: 120, durationMin: 60 },
      ],
      surveillanceTenants: [],
    }),
  };
}
