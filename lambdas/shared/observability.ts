/**
 * Powertools logger and metrics shared by every function (one instance per container).
 *
 * @module
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Service name in logs and metrics. */
export const SERVICE_NAME = 'wcs-autoscaler';
/** CloudWatch namespace of the autoscaler's metrics. */
export const METRICS_NAMESPACE = 'WcsAutoscaler';

/** Structured JSON logger. */
export const logger = new Logger({ serviceName: SERVICE_NAME });
/** Embedded-metric-format metrics, flushed after each invocation. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
