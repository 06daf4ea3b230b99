/**
 * The middy stack every function uses: logger context, metrics flush, idempotency on the event
 * id (Powertools, DynamoDB persistence), and the one error mapping.
 *
 * @module
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { AutoscalerError } from '../../shared/errors.ts';
import { dynamoDbClient } from './dependencies.ts';
import { logger, metrics } from './observability.ts';

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

/**
 * Wrap a handler with the standard stack. Idempotency is keyed on the EventBridge event `id`
 * when `IDEMPOTENCY_TABLE` is set; a duplicate delivery returns the first result.
 */
export function wrap<E, R>(fn: (event: E, context: Context) => Promise<R>, options: { idempotent: boolean }) {
  const handler = middy(fn).use(injectLambdaContext(logger)).use(logMetrics(metrics)).use(countInvocations()).use(errorMapping());
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
