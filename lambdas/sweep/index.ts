/**
 * sweep: scheduled every minute by EventBridge Scheduler. Scale-in (drain surplus, terminate
 * idle), give up on launches that never became ready, exact pool counters, scale-out, queue.
 *
 * @module
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { AppDeps } from '../../shared/app/deps.ts';
import { sweepAll } from '../../shared/app/sweep.ts';
import { AutoscalerError } from '../../shared/errors.ts';
import { getDependencies } from '../shared/dependencies.ts';
import { wrap } from '../shared/middleware.ts';
import { publishPoolGauges, SweepMetric } from '../shared/fleet-metrics.ts';
import { handlerMetrics, type HandlerMetrics } from '../shared/observability.ts';

/** Per pool: nodes terminated, drained, launched and queued rooms placed. */
export interface SweepResult {
  readonly pools: readonly { pool: string; terminated: number; drained: number; launched: number; placedQueued: number }[];
}

/**
 * Build the handler over injected dependencies. The input is ignored (any scheduler payload).
 * Each pool's gauges (lambdas/shared/fleet-metrics.ts) are published as one EMF document per
 * pool, every minute.
 *
 * @param sink - where the metrics go; the Lambda set unless given
 *
 * @throws {AutoscalerError} when every pool failed (one pool's failure does not stop the others)
 */
export function makeHandler(deps: AppDeps | (() => AppDeps), sink: HandlerMetrics = handlerMetrics) {
  return async (_event?: unknown, _context?: Context): Promise<SweepResult> => {
    const d = typeof deps === 'function' ? deps() : deps;
    const { results, errors } = await sweepAll(d);
    for (const r of results) {
      sink.metrics.addMetric(SweepMetric.NodesTerminated, MetricUnit.Count, r.terminated.length);
      sink.metrics.addMetric(SweepMetric.NodesLaunched, MetricUnit.Count, r.launched.length);
      publishPoolGauges(sink, r.pool, r.gauges);
    }
    if (errors.length > 0 && results.length === 0) {
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
