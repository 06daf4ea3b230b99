/**
 * Accuracy of the lifetime predictor (shared/domain/lifetime.ts) on a trace: learn from the
 * rooms released during the learning days, then predict, at each later room's create, when it
 * will end, and compare with its true end (the trace's release). References: the pool-wide mean
 * (naive: every room lives as long as the average learned room) and the hint at face value.
 *
 * Sessions pair each room's `RoomCreated` with its next `RoomReleased` by room id, in event-time
 * order (duplicate deliveries, by `id`, count once; a release without an open session is
 * skipped). Trace seconds become epoch ms from the simulator's `TRACE_EPOCH_MS` (a Monday
 * 00:00 UTC), so a room's hour of day is its trace hour.
 *
 * Run: `node --import tsx bench/lifetime-accuracy.ts [trace.jsonl]` (default samples/week.jsonl).
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import {
  EMPTY_LIFETIME_MODEL,
  expectedRemainingMs,
  recordLifetime,
  remainingQuantileMs,
  repredictEndAt,
  utcHour,
  type LifetimeModel,
} from '../shared/domain/lifetime.ts';
import { TRACE_EPOCH_MS } from '../sim/runtime/event-loop.ts';
import { readTraceFile } from '../sim/trace/file.ts';
import { TRACE_DAY_SEC, type TraceEvent } from '../sim/trace/model.ts';

/** One room session of a trace. Times epoch ms. */
export interface TraceSession {
  readonly roomId: string;
  readonly kind?: string | undefined;
  readonly hintMs?: number | undefined;
  readonly createdAt: number;
  readonly endedAt: number;
}

/** Pair a trace's creates and releases into sessions (see the module doc), ordered by create time. */
export function traceSessions(events: readonly TraceEvent[]): TraceSession[] {
  const seen = new Set<string>();
  const open = new Map<string, Omit<TraceSession, 'endedAt'>>();
  const sessions: TraceSession[] = [];
  const ordered = events
    .filter((e) => e.type !== 'RoomScheduled')
    .map((e, i) => ({ e, i, at: TRACE_EPOCH_MS + (e.time ?? e.t) * 1000 }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  for (const { e, at } of ordered) {
    if (e.id !== undefined) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
    }
    const current = open.get(e.roomId);
    if (e.type === 'RoomCreated' && !current) open.set(e.roomId, { roomId: e.roomId, kind: e.kind, hintMs: e.expectedDurationMs, createdAt: at });
    else if (e.type === 'RoomReleased' && current) {
      open.delete(e.roomId);
      sessions.push({ ...current, endedAt: at });
    }
  }
  return sessions.sort((a, b) => a.createdAt - b.createdAt);
}

/** Errors of one predictor on one group of rooms, min. */
export interface ErrorFigures {
  readonly rooms: number;
  /** Mean absolute error of the predicted end, min. */
  readonly ours: number;
  /** Ours without the hour band (the kind over the whole day). */
  readonly oursNoBand: number;
  /** Ours, the median remaining lifetime instead of the mean (what minimises an absolute error). */
  readonly oursMedian: number;
  /** The pool-wide mean of the learned durations. */
  readonly naive: number;
  /** The hint at face value (hinted rooms only; else the naive mean). */
  readonly hintAsIs: number;
}

/** What {@link lifetimeAccuracy} returns. */
export interface LifetimeAccuracy {
  readonly learnedRooms: number;
  /** Pool-wide mean duration learned, min. */
  readonly naiveMeanMin: number;
  readonly atCreate: { readonly all: ErrorFigures; readonly hinted: ErrorFigures; readonly unhinted: ErrorFigures };
  /** Rooms still alive 30 min after their create, predicted again then (ours re-predicted as it aged, naive = max(create + mean, now)). */
  readonly at30Min: { readonly all: ErrorFigures };
  /** Mean absolute error at create by kind (`-` = none), ours vs naive, min. */
  readonly byKind: Readonly<Record<string, { readonly rooms: number; readonly ours: number; readonly naive: number }>>;
}

const MIN = 60_000;
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * Learn from the sessions released before the end of day `learnDays` (trace days from 0), then
 * measure on the sessions created during day `learnDays` (the next day).
 *
 * @param learnDays - whole trace days to learn from (default 1: learn day 1, test day 2)
 */
export function lifetimeAccuracy(events: readonly TraceEvent[], learnDays = 1): LifetimeAccuracy {
  const sessions = traceSessions(events);
  const cut = TRACE_EPOCH_MS + learnDays * TRACE_DAY_SEC * 1000;
  let model: LifetimeModel = EMPTY_LIFETIME_MODEL;
  const learned: number[] = [];
  for (const s of sessions.filter((x) => x.endedAt < cut)) {
    model = recordLifetime(model, { kind: s.kind, hintMs: s.hintMs, durationMs: s.endedAt - s.createdAt, hourOfDay: utcHour(s.createdAt) }).model;
    learned.push(s.endedAt - s.createdAt);
  }
  const naiveMs = mean(learned);
  const test = sessions.filter((s) => s.createdAt >= cut && s.createdAt < cut + TRACE_DAY_SEC * 1000);

  const figures = (group: readonly TraceSession[], ageMs: number): ErrorFigures => {
    const err = (predict: (s: TraceSession, now: number) => number) => round(mean(group.map((s) => Math.abs(predict(s, s.createdAt + ageMs) - s.endedAt))) / MIN);
    return {
      rooms: group.length,
      ours: err((s, now) => repredictEndAt(model, { kind: s.kind, hintMs: s.hintMs, startedAt: s.createdAt }, now)),
      oursNoBand: err((s, now) => now + expectedRemainingMs(model, { kind: s.kind, hintMs: s.hintMs, ageMs: now - s.createdAt })),
      oursMedian: err((s, now) => now + remainingQuantileMs(model, { kind: s.kind, hintMs: s.hintMs, ageMs: now - s.createdAt, hourOfDay: utcHour(s.createdAt) }, 0.5)),
      naive: err((s, now) => Math.max(now, s.createdAt + naiveMs)),
      hintAsIs: err((s, now) => Math.max(now, s.createdAt + (s.hintMs ?? naiveMs))),
    };
  };
  const byKind: Record<string, { rooms: number; ours: number; naive: number }> = {};
  for (const kind of [...new Set(test.map((s) => s.kind ?? '-'))].sort()) {
    const f = figures(test.filter((s) => (s.kind ?? '-') === kind), 0);
    byKind[kind] = { rooms: f.rooms, ours: f.ours, naive: f.naive };
  }
  const aged = test.filter((s) => s.endedAt - s.createdAt > 30 * MIN);
  return {
    learnedRooms: learned.length,
    naiveMeanMin: round(naiveMs / MIN),
    atCreate: {
      all: figures(test, 0),
      hinted: figures(test.filter((s) => s.hintMs !== undefined), 0),
      unhinted: figures(test.filter((s) => s.hintMs === undefined), 0),
    },
    at30Min: { all: figures(aged, 30 * MIN) },
    byKind,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = process.argv[2] ?? 'samples/week.jsonl';
  const { events } = await readTraceFile(path);
  console.log(JSON.stringify({ trace: path, ...lifetimeAccuracy(events) }, null, 2));
}
