/**
 * Test support for the metrics handlers emit: a Powertools `Metrics` that keeps each EMF
 * document it would print (tests run with POWERTOOLS_METRICS_DISABLED, so nothing is printed),
 * and a `HandlerMetrics` over such buffers.
 *
 * @module
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { fleetDimensions, METRICS_NAMESPACE, POOL_DIMENSION, SERVICE_NAME, type HandlerMetrics } from '../../lambdas/shared/observability.ts';

/** The parts of an EMF document the tests read. */
export interface EmfDocument {
  readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** `Metrics` that records the EMF document of each flush instead of printing it. */
export class RecordingMetrics extends Metrics {
  public readonly documents: EmfDocument[];

  public constructor(defaultDimensions: Record<string, string>, documents: EmfDocument[] = []) {
    super({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions });
    this.documents = documents;
  }

  public override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.documents.push(this.serializeMetrics() as unknown as EmfDocument);
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

/** A `HandlerMetrics` for fleet `fleet` whose documents (the invocation's and each pool's) land in `documents`. */
export function recordingHandlerMetrics(fleet = 'test'): HandlerMetrics & { readonly metrics: RecordingMetrics; readonly documents: EmfDocument[] } {
  const documents: EmfDocument[] = [];
  return {
    documents,
    metrics: new RecordingMetrics(fleetDimensions(fleet), documents),
    poolMetrics: (pool) => new RecordingMetrics({ ...fleetDimensions(fleet), [POOL_DIMENSION]: pool }, documents),
  };
}

/** The documents of one pool. */
export function poolDocuments(documents: readonly EmfDocument[], pool: string): EmfDocument[] {
  return documents.filter((d) => d[POOL_DIMENSION] === pool);
}

/** Metric name → unit of a document. */
export function unitsOf(document: EmfDocument): Record<string, string> {
  return Object.fromEntries(document._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => [x.Name, x.Unit])));
}
