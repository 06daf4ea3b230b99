/**
 * `wcs-autoscaler simulate`: runs the embedded runtime and prints the summary (table or JSON),
 * with a progress bar on a terminal and an optional HTML report.
 *
 * @module
 */
import { SingleBar, Presets } from 'cli-progress';
import { writeReport } from './report.ts';
import { simulate, stopSimulator } from '../sim/runtime/simulate.ts';
import { formatSummary, formatTraceErrors } from './summary-table.ts';
import { FAULT_KINDS, type FaultKind } from '../sim/runtime/fault-plan.ts';

/** Options as commander parses them. */
export interface SimulateCommandOptions {
  readonly trace: string;
  readonly config?: string;
  readonly seed: number;
  readonly days?: number;
  readonly launchFailureRate: number;
  readonly faults?: number;
  /** `--fault-<kind>` rates, as commander names them (`faultDdbThrottle`, …). */
  readonly [faultOption: `fault${string}`]: number | undefined;
  readonly report?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** The `--fault-<kind>` options given: commander camel-cases `--fault-ddb-throttle` to `faultDdbThrottle`. */
export function faultRatesOf(opts: SimulateCommandOptions): Partial<Record<FaultKind, number>> {
  const rates: Partial<Record<FaultKind, number>> = {};
  for (const kind of FAULT_KINDS) {
    const key = `fault${kind.replace(/(^|-)([a-z0-9])/g, (_, _d: string, c: string) => c.toUpperCase())}` as const;
    const rate = opts[key];
    if (typeof rate === 'number') rates[kind] = rate;
  }
  return rates;
}

/**
 * Run `simulate` and print its outcome.
 *
 * @returns the process exit code: 0, or 1 when an invariant (overbooked, leakedCapacity,
 *   orphanInstances) broke, a room was lost to its application (unansweredRooms > 0: never
 *   answered, whether released later or not), or the rooms active at the end differ from what
 *   the trace implies (activeRoomsAtEnd ≠ expectedActiveRoomsAtEnd)
 */
export async function runSimulateCommand(opts: SimulateCommandOptions): Promise<number> {
  const showBar = !opts.json && process.stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar({ format: 'simulating [{bar}] {percentage}% | virtual {hours} h | {duration}s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  let started = false;
  let result;
  try {
    result = await simulate({
    tracePath: opts.trace,
    configPath: opts.config,
    seed: opts.seed,
    days: opts.days,
    launchFailureRate: opts.launchFailureRate,
    faults: opts.faults,
    faultRates: faultRatesOf(opts),
    verbose: opts.verbose,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0, { hours: '0.0' });
        started = true;
      }
      bar.update(done, { hours: (done / 3_600_000).toFixed(1) });
    },
  });
  } finally {
    bar?.stop();
    await stopSimulator();
  }
  const s = result.summary;
  const activeAsExpected = s.activeRoomsAtEnd === s.expectedActiveRoomsAtEnd;
  const ok = s.overbooked === 0 && s.leakedCapacity === 0 && s.orphanInstances === 0 && s.unansweredRooms === 0 && activeAsExpected;
  if (!activeAsExpected) console.error(`Active rooms at end: ${s.activeRoomsAtEnd}, but the trace implies ${s.expectedActiveRoomsAtEnd}`);
  if (s.unansweredRooms > 0) {
    const ids = result.unansweredRoomIds;
    console.error(`Rooms never answered (no RoomPlaced nor RoomRejected): ${ids.length}, ${s.lostRooms} never released — ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`);
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    return ok ? 0 : 1;
  }
  if (result.traceErrors.length > 0) console.error(formatTraceErrors(result.traceErrors));
  console.log(formatSummary(result.summary));
  if (result.unplacedRoomIds.length > 0) {
    const shown = result.unplacedRoomIds.slice(0, 10).join(', ');
    console.log(`Rooms never placed (released while queued, rejected, still queued, or unanswered): ${result.unplacedRoomIds.length} — ${shown}${result.unplacedRoomIds.length > 10 ? ', …' : ''}`);
  }
  if (opts.report) console.log(`Report: ${writeReport(opts.report, result)}`);
  return ok ? 0 : 1;
}
