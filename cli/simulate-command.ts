/**
 * `wcs-autoscaler simulate`: runs the embedded runtime and prints the summary (table or JSON),
 * with a progress bar on a terminal and an optional HTML report.
 *
 * @module
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { ExitCode, UsageError } from './errors.ts';
import { writeReport } from './report.ts';
import { simulate, stopSimulator } from '../sim/runtime/simulate.ts';
import { activeRoomsAsAccounted } from '../sim/runtime/outcomes.ts';
import type { SimulationSummary } from '../sim/runtime/types.ts';
import { readTraceFile, type ParsedTrace } from '../sim/trace/file.ts';
import { formatSummary, formatTraceErrors } from './summary-table.ts';
import { FAULT_KINDS, type FaultKind } from '../sim/runtime/fault-plan.ts';
import type { WarmStateOptions } from '../sim/adapters/local-instance-states.ts';

/** Options as commander parses them. */
export interface SimulateCommandOptions {
  readonly trace: string;
  readonly config?: string;
  readonly seed: number;
  readonly days?: number;
  readonly launchFailureRate: number;
  readonly stopAfterMs?: number;
  readonly hibernateWriteMibps?: number;
  readonly faults?: number;
  /** `--fault-<kind>` rates, as commander names them (`faultDdbThrottle`, …). */
  readonly [faultOption: `fault${string}`]: number | undefined;
  readonly report?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** The simulated fleet's warm-pool options given (`--stop-after-ms`, `--hibernate-write-mibps`); absent ones keep their defaults. */
export function warmFleetOf(opts: SimulateCommandOptions): WarmStateOptions {
  return { stopAfterMs: opts.stopAfterMs, hibernateWriteMiBps: opts.hibernateWriteMibps };
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
 * Check before the run that the report can be written: its directory is created if missing and
 * the file opened for appending (created, then removed again, when it did not exist).
 *
 * @throws {UsageError} naming `--report` and the cause (a directory, an unwritable path…)
 */
export async function checkReportWritable(path: string): Promise<void> {
  try {
    await mkdir(dirname(resolve(path)), { recursive: true });
    const existed = await stat(path).then(
      (s) => {
        if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        return true;
      },
      () => false,
    );
    await (await open(path, 'a')).close();
    if (!existed) await rm(path, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a directory' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of the path is a file, not a directory' : (error as Error).message;
    throw new UsageError(`--report ${path}: cannot write the report there (${why})`);
  }
}

/**
 * Read the trace for the run.
 *
 * @throws {UsageError} when it cannot be read (missing, a directory…), or has no valid line
 */
export async function readTraceForRun(path: string): Promise<ParsedTrace> {
  let trace: ParsedTrace;
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError(`--trace ${path}: is a directory; give a JSON Lines trace file`);
    trace = await readTraceFile(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--trace ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (trace.events.length === 0) {
    const why = trace.errors.length > 0 ? `every line is invalid (${trace.errors.length} lines)` : 'the file has no events';
    const shown = trace.errors.length > 0 ? `\n${formatTraceErrors(trace.errors)}` : '';
    throw new UsageError(`--trace ${path}: ${why}; nothing to simulate${shown}`);
  }
  return trace;
}

/**
 * The comparison of the rooms active at the end with the trace, every term spelled out:
 * `active A = expected E − ended by the autoscaler X − dead-lettered creates C + dead-lettered
 * releases R`, and the rooms no such cause explains.
 */
export function activeRoomsLine(s: SimulationSummary, unexplained: readonly string[]): string {
  const terms = `expected ${s.expectedActiveRoomsAtEnd} (trace) − ${s.endedBySystemAtEnd} ended by the autoscaler (RoomInterrupted/RoomRejected) − ${s.deadLetteredCreates} dead-lettered creates + ${s.deadLetteredReleases} dead-lettered releases = ${s.accountedActiveRoomsAtEnd}`;
  const verdict = activeRoomsAsAccounted(s, unexplained) ? 'as accounted' : 'NOT as accounted';
  const rooms = unexplained.length > 0 ? `; unexplained: ${unexplained.slice(0, 10).join(', ')}${unexplained.length > 10 ? ', …' : ''}` : '';
  return `Active rooms at end: ${s.activeRoomsAtEnd}, ${verdict}: ${terms}${rooms}`;
}

/**
 * Run `simulate` and print its outcome. The trace's invalid lines go to stderr (also with
 * `--json`, whose stdout holds only the summary); the report is written with or without `--json`.
 *
 * @returns the process exit code: 0, or 1 when an invariant (overbooked, leakedCapacity,
 *   orphanInstances) broke, a room was lost to its application (unansweredRooms > 0: never
 *   answered, whether released later or not), or the rooms active at the end differ from what
 *   the trace implies once each named difference is counted (activeRoomsAtEnd ≠
 *   accountedActiveRoomsAtEnd, or a difference with no named cause; see {@link activeRoomsLine})
 * @throws {UsageError} before the run, for an unusable trace or report path
 */
export async function runSimulateCommand(opts: SimulateCommandOptions): Promise<number> {
  if (opts.report) await checkReportWritable(opts.report);
  const trace = await readTraceForRun(opts.trace);
  if (trace.errors.length > 0) console.error(`Trace ${opts.trace}: ${trace.errors.length} invalid lines skipped\n${formatTraceErrors(trace.errors)}`);
  const showBar = !opts.json && process.stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar({ format: 'simulating [{bar}] {percentage}% | virtual {hours} h | {duration}s', hideCursor: true, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  let started = false;
  let result;
  try {
    result = await simulate({
      tracePath: opts.trace,
      trace,
      configPath: opts.config,
      seed: opts.seed,
      days: opts.days,
      launchFailureRate: opts.launchFailureRate,
      warmFleet: warmFleetOf(opts),
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
  const activeAsExpected = activeRoomsAsAccounted(s, result.unexplainedActiveRoomIds);
  const ok = s.overbooked === 0 && s.leakedCapacity === 0 && s.orphanInstances === 0 && s.unansweredRooms === 0 && activeAsExpected;
  if (s.accountedActiveRoomsAtEnd !== s.expectedActiveRoomsAtEnd || !activeAsExpected) console.error(activeRoomsLine(s, result.unexplainedActiveRoomIds));
  if (s.unansweredRooms > 0) {
    const ids = result.unansweredRoomIds;
    console.error(`Rooms never answered (no RoomPlaced nor RoomRejected): ${ids.length}, ${s.lostRooms} never released — ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`);
  }
  const reportPath = opts.report ? writeReport(opts.report, result) : undefined;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result.summary)}\n`);
    if (reportPath) console.error(`Report: ${reportPath}`);
    return ok ? ExitCode.Ok : ExitCode.Invariant;
  }
  console.log(formatSummary(result.summary));
  if (result.unplacedRoomIds.length > 0) {
    const shown = result.unplacedRoomIds.slice(0, 10).join(', ');
    console.log(`Rooms never placed (released while queued, rejected, still queued, or unanswered): ${result.unplacedRoomIds.length} — ${shown}${result.unplacedRoomIds.length > 10 ? ', …' : ''}`);
  }
  if (reportPath) console.log(`Report: ${reportPath}`);
  return ok ? ExitCode.Ok : ExitCode.Invariant;
}
