/**
 * sweep: scheduled every minute by EventBridge Scheduler (one schedule per shard of a large
 * fleet). Scale-in (drain surplus, terminate idle), give up on launches that never became ready,
 * exact pool counters, scale-out, queue.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { AppDeps } from '../../shared/app/deps.ts';
import { sweepAll } from '../../shared/app/sweep.ts';
import { shardOf, type SweepOptions } from '../../shared/app/sweep-scope.ts';
import { AutoscalerError } from '../../shared/errors.ts';
import { getDependencies } from '../shared/dependencies.ts';
import { wrap } from '../shared/middleware.ts';
import { publishPoolGauges, SweepMetric } from '../shared/fleet-metrics.ts';
import { handlerMetrics, type HandlerMetrics } from '../shared/observability.ts';

/** Per pool: nodes terminated, drained, launched and queued rooms placed (shard 0; another shard reports its repairs only). */
export interface SweepResult {
  readonly pools: readonly { pool: string; terminated: number; drained: number; launched: number; placedQueued: number }[];
}

/**
 * The sweep's input, set on each schedule's target: `{ shard, shards }` of a large pool's nodes
 * (infra: one schedule per shard) and an optional `leakCheck` (`all` for an operator's manual run).
 * Anything else (a scheduler's own payload) is one shard, the spread leak check.
 *
 * @throws {AutoscalerError} (not retryable) on a shard out of range or an unknown leak-check mode
 */
export function sweepOptionsOf(event: unknown): SweepOptions {
  if (typeof event !== 'object' || event === null) return {};
  const { shard, shards, leakCheck } = event as Record<string, unknown>;
  const options: SweepOptions = {
    ...(typeof shard === 'number' ? { shard } : {}),
    ...(typeof shards === 'number' ? { shards } : {}),
    ...(leakCheck === 'all' || leakCheck === 'spread' || leakCheck === 'none' ? { leakCheck } : {}),
  };
  if (leakCheck !== undefined && options.leakCheck === undefined) throw new AutoscalerError(`unknown leakCheck ${String(leakCheck)}`, { retryable: false });
  try {
    shardOf(options);
  } catch (e) {
    throw new AutoscalerError((e as Error).message, { retryable: false });
  }
  return options;
}

/**
 * Build the handler over injected dependencies. The input selects the shard ({@link sweepOptionsOf}).
 * Each pool's gauges (lambdas/shared/fleet-metrics.ts) are published as one EMF document per
 * pool, every minute, by shard 0; every shard publishes `SweepDuration` (ms, its wall time),
 * which the stack alarms on at 70% of the function's timeout.
 *
 * @param sink - where the metrics go; the Lambda set unless given
 *
 * @throws {AutoscalerError} when every pool failed (one pool's failure does not stop the others)
 */
export function makeHandler(deps: AppDeps | (() => AppDeps), sink: HandlerMetrics = handlerMetrics) {
  return async (event?: unknown, _context?: Context): Promise<SweepResult> => {
    const started = performance.now();
    const options = sweepOptionsOf(event);
    const d = typeof deps === 'function' ? deps() : deps;
    const { results, shardResults, errors } = await sweepAll(d, options);
    for (const r of results) {
      sink.metrics.addMetric(SweepMetric.NodesTerminated, MetricUnit.Count, r.terminated.length);
      sink.metrics.addMetric(SweepMetric.NodesLaunched, MetricUnit.Count, r.launched.length);
      publishPoolGauges(sink, r.pool, r.gauges, r.scheduled);
    }
    sink.metrics.addMetric(SweepMetric.SweepDuration, MetricUnit.Milliseconds, Math.round(performance.now() - started));
    if (errors.length > 0 && results.length + shardResults.length === 0) {
      throw new AutoscalerError(`sweep failed for every pool: ${errors.map((e) => `${e.pool}: ${e.error.message}`).join('; ')}`, {
        retryable: true,
      });
    }
    return {
      pools: results.map((r) => ({
        pool: r.pool,
        terminated: r.terminated.length,
        drained: r.drained.length,
        launched: r.launched.length,
        placedQueued: r.placedQueued,
      })),
    };
  };
}

/** The Lambda entry point (not idempotent: every tick should run). */
export const handler = wrap(makeHandler(getDependencies), { idempotent: false });
