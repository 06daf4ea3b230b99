/**
 * The simulation summary as a terminal table, and the trace's errors as text.
 *
 * The row definitions ({@link summaryRows}) are shared with the HTML report so that both show
 * the same metrics with the same units and formatting.
 *
 * @module
 */
import Table from 'cli-table3';
import prettyMilliseconds from 'pretty-ms';
import type { SimulationResult, SimulationSummary } from '../sim/runtime/types.ts';

/** How a row's value should be read: a plain figure, or an invariant that must be 0. */
export type SummaryRowKind = 'value' | 'invariant';

/** One metric of the summary, formatted. */
export interface SummaryRow {
  /** Human-readable metric name. */
  label: string;
  /** Formatted value with its unit, e.g. `"12.50 USD"`. */
  value: string;
  kind: SummaryRowKind;
  /** For invariants: whether it holds (the raw value is 0). Always true for plain values. */
  ok: boolean;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const oneOrTwoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 2 });

const NOT_AVAILABLE = 'n/a';

/** An integer count with thousands separators, e.g. `1,234`. */
export function formatCount(n: number, unit?: string): string {
  if (!Number.isFinite(n)) return NOT_AVAILABLE;
  return unit ? `${integer.format(n)} ${unit}` : integer.format(n);
}

/** USD with two decimals, e.g. `1,234.50 USD`. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return NOT_AVAILABLE;
  return `${twoDecimals.format(usd)} USD`;
}

/** Hours with one or two decimals, e.g. `12.5 h`. */
export function formatHours(hours: number): string {
  if (!Number.isFinite(hours)) return NOT_AVAILABLE;
  return `${oneOrTwoDecimals.format(hours)} h`;
}

/**
 * A duration in the one human format of the CLI and the report (pretty-ms), e.g. `850ms`,
 * `55.8s`, `1m 30s`, `2h 5m`, `1d 1m`.
 *
 * @param ms - milliseconds (negative values are shown as 0ms)
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return NOT_AVAILABLE;
  return prettyMilliseconds(Math.max(0, ms));
}

/** `a / b` as a factor, e.g. `1.23×`; `n/a` when `b` is 0. */
export function formatRatio(a: number, b: number): string {
  if (b === 0 || !Number.isFinite(a / b)) return NOT_AVAILABLE;
  return `${twoDecimals.format(a / b)}×`;
}

/** How much less `cost` is than `reference`, in percent (negative when it costs more). */
export function savingPercent(cost: number, reference: number): number {
  if (reference === 0) return Number.NaN;
  return (1 - cost / reference) * 100;
}

/** A percentage with one decimal, e.g. `42.0 %`. */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return NOT_AVAILABLE;
  return `${new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p)} %`;
}

/**
 * Every field of the summary (plus the node-hours/lower-bound ratio and the saving against
 * static 72-vCPU servers), in display order, with units: the bill by line after its total, the
 * waits of each day after the run's.
 */
export function summaryRows(s: SimulationSummary): SummaryRow[] {
  const value = (label: string, v: string): SummaryRow => ({ label, value: v, kind: 'value', ok: true });
  const invariant = (label: string, raw: number, v: string): SummaryRow => ({
    label,
    value: v,
    kind: 'invariant',
    ok: raw === 0,
  });
  return [
    value('Rooms', formatCount(s.rooms, 'rooms')),
    value('Rooms placed', formatCount(s.placed, 'rooms')),
    value('Placements', formatCount(s.placements, 'placements')),
    value('Re-announced placements', formatCount(s.reannouncements, 'events')),
    value('Rejected', formatCount(s.rejected, 'events')),
    value('Placements that waited', formatCount(s.waitedPlacements, 'placements')),
    value('Wait p50', formatDuration(s.waitP50Ms)),
    value('Wait p99', formatDuration(s.waitP99Ms)),
    value('Wait max', formatDuration(s.waitMaxMs)),
    ...s.days.map((d) =>
      value(
        `Day ${d.day + 1} wait p50 / p99 / max`,
        `${formatDuration(d.waitP50Ms)} / ${formatDuration(d.waitP99Ms)} / ${formatDuration(d.waitMaxMs)} (${formatCount(d.waitedPlacements)} of ${formatCount(d.placements, 'placements')} waited)`,
      ),
    ),
    value('Queue peak', formatCount(s.queuedPeak, 'rooms')),
    value('Nodes peak', formatCount(s.nodesPeak, 'nodes')),
    value('Node-hours', formatHours(s.nodeHours)),
    value('Lower bound node-hours', formatHours(s.lowerBoundNodeHours)),
    value('Node-hours / lower bound', formatRatio(s.nodeHours, s.lowerBoundNodeHours)),
    value('Cost', formatUsd(s.costUsd)),
    value('Instance cost', formatUsd(s.instanceCostUsd)),
    value(`EBS cost (gp3, ${s.costBreakdown.region})`, formatUsd(s.costBreakdown.ebsUsd)),
    value('Public IPv4 cost', formatUsd(s.costBreakdown.publicIpv4Usd)),
    value('Stopped node-hours (warm pool)', formatHours(s.costBreakdown.stoppedHours)),
    value('Static 72-vCPU cost', formatUsd(s.static72CostUsd)),
    value('Saving vs static 72-vCPU', formatPercent(savingPercent(s.costUsd, s.static72CostUsd))),
    invariant('Overbooked containers', s.overbooked, formatCount(s.overbooked, 'times')),
    invariant('Leaked capacity', s.leakedCapacity, formatCount(s.leakedCapacity, 'capacity units')),
    invariant('Orphan instances', s.orphanInstances, formatCount(s.orphanInstances, 'instances')),
    invariant('Unanswered rooms', s.unansweredRooms, formatCount(s.unansweredRooms, 'rooms')),
    value('Faults injected', formatCount(s.faultsInjected, 'faults')),
    { label: 'Active rooms at end', value: formatCount(s.activeRoomsAtEnd, 'rooms'), kind: 'invariant', ok: s.activeRoomsAtEnd === s.accountedActiveRoomsAtEnd },
    value('Expected active rooms at end (trace)', formatCount(s.expectedActiveRoomsAtEnd, 'rooms')),
    value('− ended by the autoscaler (interrupted, rejected)', formatCount(s.endedBySystemAtEnd, 'rooms')),
    value('− dead-lettered creates', formatCount(s.deadLetteredCreates, 'rooms')),
    value('+ dead-lettered releases', formatCount(s.deadLetteredReleases, 'rooms')),
    value('= accounted active rooms at end', formatCount(s.accountedActiveRoomsAtEnd, 'rooms')),
    value('DynamoDB calls per placement', Number.isFinite(s.ddbCallsPerPlacement) ? `${twoDecimals.format(s.ddbCallsPerPlacement)} calls` : NOT_AVAILABLE),
    value('Events', formatCount(s.events, 'events')),
    value('Invalid lines', formatCount(s.invalidLines, 'lines')),
    value('Stale creates', formatCount(s.staleCreates, 'events')),
    value('Duplicate deliveries', formatCount(s.duplicateDeliveries, 'events')),
    value('Launches', formatCount(s.launches, 'nodes')),
    value('Launch failures', formatCount(s.launchFailures, 'launches')),
    value('Terminations', formatCount(s.terminations, 'nodes')),
    value('Warm-pool stops', formatCount(s.warmStops, 'nodes')),
    value('Warm-pool starts', formatCount(s.warmStarts, 'nodes')),
    value('Warm-pool start failures', formatCount(s.startFailures, 'starts')),
    value('Virtual duration', formatDuration(s.durationS * 1000)),
    value('Wall time', formatDuration(s.wallMs)),
  ];
}

/** The summary as a two-column (metric, value) cli-table3 table, without colours. */
export function formatSummary(summary: SimulationSummary): string {
  const table = new Table({
    head: ['Metric', 'Value'],
    colAligns: ['left', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of summaryRows(summary)) {
    const value = row.kind === 'invariant' ? `${row.value} — ${row.ok ? 'ok' : 'VIOLATED'}` : row.value;
    table.push([row.label, value]);
  }
  return table.toString();
}

/** One line per error: newlines become spaces, other control characters (which could rewrite the terminal) U+FFFD. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n|\r|\n/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/**
 * The first `max` trace errors, one per line (`line N: message`), then `… and K more` when
 * some were left out. Empty string when there are none.
 */
export function formatTraceErrors(errors: SimulationResult['traceErrors'], max = 10): string {
  const limit = Math.max(0, Math.floor(max));
  const lines = errors.slice(0, limit).map((e) => `line ${e.line}: ${sanitize(e.message)}`);
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more`);
  return lines.join('\n');
}
