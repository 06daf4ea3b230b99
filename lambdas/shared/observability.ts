/**
 * Powertools logger and metrics shared by every function (one instance per container).
 *
 * Every metric carries the dimensions `service` (Powertools) and `Fleet` (env `FLEET_NAME`, set by
 * the stack), so two fleets in one account never mix; per-pool figures add `Pool` and are
 * published as one EMF document per pool ({@link poolMetrics}).
 *
 * @module
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Service name in logs and metrics. */
export const SERVICE_NAME = 'wcs-autoscaler';
/** CloudWatch namespace of the autoscaler's metrics. */
export const METRICS_NAMESPACE = 'WcsAutoscaler';

/** Dimension naming the fleet (`FLEET_NAME`) on every metric. */
export const FLEET_DIMENSION = 'Fleet';
/** Dimension naming the pool on per-pool metrics. */
export const POOL_DIMENSION = 'Pool';

/** `{ Fleet: <fleet> }`, or `{}` when no fleet is named (local runs, tests). */
export function fleetDimensions(fleet: string | undefined = process.env.FLEET_NAME): Record<string, string> {
  return fleet ? { [FLEET_DIMENSION]: fleet } : {};
}

/**
 * Structured JSON logger. The middleware (lambdas/shared/middleware.ts) sets each invocation's
 * EventBridge event id as `correlation_id` on every line it logs.
 */
export const logger = new Logger({ serviceName: SERVICE_NAME, correlationIdSearchFn: search });
/** Embedded-metric-format metrics (dimensions `service`, `Fleet`), flushed after each invocation. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: fleetDimensions() });

/**
 * A fresh metrics buffer for one pool's figures (dimensions `service`, `Fleet`, `Pool`): add
 * them, then `publishStoredMetrics()` — one EMF document, independent of the invocation's buffer.
 *
 * @param pool - the pool's name (only configured pools: a dimension value per pool name)
 * @param fleet - the fleet's name; env `FLEET_NAME` unless given
 */
export function poolMetrics(pool: string, fleet: string | undefined = process.env.FLEET_NAME): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { ...fleetDimensions(fleet), [POOL_DIMENSION]: pool },
  });
}

/** Where a handler's metrics go: injectable, so tests read the EMF documents the handler makes. */
export interface HandlerMetrics {
  /** The invocation's buffer (flushed by the middleware). */
  readonly metrics: Metrics;
  /** A new per-pool buffer (the caller publishes it). */
  readonly poolMetrics: (pool: string) => Metrics;
}

/** The Lambda set: the shared buffer and {@link poolMetrics}. */
export const handlerMetrics: HandlerMetrics = { metrics, poolMetrics: (pool) => poolMetrics(pool) };
