/**
 * The middy stack every function uses: tracing (loaded on sampled invocations only,
 * lambdas/shared/tracing.ts), logger context with the EventBridge event id as correlation id,
 * metrics flush with Powertools' `ColdStart` metric, idempotency on the event id (Powertools,
 * DynamoDB persistence), and the one error mapping.
 *
 * @module
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { correlationPaths } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { AutoscalerError } from '../../shared/errors.ts';
import { dynamoDbClient, prefetchClients } from './dependencies.ts';
import { logger, metrics } from './observability.ts';
import { lazyTracing } from './tracing.ts';

/** Idempotency records live this long, seconds (EventBridge retries for up to 24 h). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** Logs every error once with its class and context, counts it, and rethrows (Lambda retries). */
export function errorMapping(): MiddlewareObj {
  return {
    onError: async (request) => {
      const e = request.error;
      const name = e instanceof AutoscalerError ? e.name : 'UnexpectedError';
      logger.error('invocation failed', { error: e, errorClass: name, retryable: e instanceof AutoscalerError ? e.retryable : true });
      metrics.addMetric(name, MetricUnit.Count, 1);
    },
  };
}

/** Counts every invocation (so each flush has a metric) before the handler runs. */
export function countInvocations(): MiddlewareObj {
  return {
    before: async () => {
      metrics.addMetric('Invocations', MetricUnit.Count, 1);
    },
  };
}

/** Starts the EventBridge publisher's import as the invocation starts (lambdas/shared/dependencies.ts). */
export function prefetch(): MiddlewareObj {
  return {
    before: async () => {
      prefetchClients();
    },
  };
}

/**
 * Wrap a handler with the standard stack. Every log line of the invocation carries the
 * EventBridge event `id` as `correlation_id` (keys are reset after each invocation, so an event
 * without an id logs none). Idempotency is keyed on the same `id` when `IDEMPOTENCY_TABLE` is
 * set; a duplicate delivery returns the first result. Each execution environment's first
 * invocation adds one `ColdStart` metric (dimensions `service`, `function_name`).
 */
export function wrap<E, R>(fn: (event: E, context: Context) => Promise<R>, options: { idempotent: boolean }) {
  const handler = middy(fn)
    .use(prefetch())
    .use(lazyTracing())
    .use(injectLambdaContext(logger, { correlationIdPath: correlationPaths.EVENT_BRIDGE, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(countInvocations())
    .use(errorMapping());
  const table = process.env.IDEMPOTENCY_TABLE;
  if (options.idempotent && table) {
    handler.use(
      makeHandlerIdempotent({
        persistenceStore: new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: dynamoDbClient }),
        config: new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS }),
      }),
    );
  }
  return handler;
}
