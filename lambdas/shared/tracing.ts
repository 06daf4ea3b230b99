/**
 * X-Ray tracing with Powertools Tracer, loaded only when an invocation is sampled.
 *
 * `@aws-lambda-powertools/tracer` (with `aws-xray-sdk-core`) costs more to import than the
 * function's whole budget above the DynamoDB clients (docs/performance.md), and X-Ray records
 * only sampled requests anyway (by default the first request each second and 5 % of the rest).
 * So the tracer is imported from its own chunk on the first invocation whose trace header
 * (`_X_AMZN_TRACE_ID`, set by the Lambda runtime per invocation) says `Sampled=1`; from then on
 * the execution environment keeps it. A burst of cold starts mostly runs unsampled and never
 * pays the import.
 *
 * Once loaded, the tracer wraps the handler (`## index.handler` subsegment, `ColdStart` and
 * `Service` annotations, response or error as metadata: Powertools' `captureLambdaHandler`), every
 * SDK client registered with {@link traceClient} (one subsegment per AWS call), and each phase
 * run through {@link tracePhase} (`### parse`, `### decide`, `### claim`, `### publish`,
 * `### scale-out`, …).
 *
 * @module
 */
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from './observability.ts';

/** What this module uses of Powertools' Tracer (structural, so the type costs no import). */
interface TracerLike {
  captureAWSv3Client<T>(client: T): T;
  getSegment(): { addNewSubsegment(name: string): SubsegmentLike } | undefined;
  setSegment(segment: unknown): void;
  addErrorAsMetadata(error: Error): void;
  isTracingEnabled(): boolean;
}

interface SubsegmentLike {
  close(): void;
}

interface LoadedTracer {
  readonly tracer: TracerLike;
  readonly handlerMiddleware: MiddlewareObj;
}

const clients: object[] = [];
let loaded: LoadedTracer | undefined;
let loading: Promise<LoadedTracer> | undefined;
let invocations = 0;

/** Whether this invocation's trace header says it is sampled (`Sampled=1`). */
export function isSampled(traceHeader: string | undefined = process.env._X_AMZN_TRACE_ID): boolean {
  return /(?:^|;)\s*Sampled=1(?:;|$)/.test(traceHeader ?? '');
}

/** Whether the tracer has been loaded in this execution environment. */
export function tracerLoaded(): boolean {
  return loaded !== undefined;
}

/**
 * Register an SDK client for tracing: instrumented now when the tracer is loaded, else when it
 * loads. Returns the client.
 */
export function traceClient<T extends object>(client: T): T {
  clients.push(client);
  loaded?.tracer.captureAWSv3Client(client);
  return client;
}

async function loadTracer(): Promise<LoadedTracer> {
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  // The tracer counts its own first invocation as the cold start; when it loads later than the
  // environment's first invocation, consume that flag so `ColdStart` is true only once.
  class LateTracer extends Tracer {
    public consumeColdStart(): void {
      this.getColdStart();
    }
  }
  const tracer = new LateTracer({ serviceName: SERVICE_NAME });
  if (invocations > 1) tracer.consumeColdStart();
  for (const c of clients) tracer.captureAWSv3Client(c);
  return { tracer, handlerMiddleware: captureLambdaHandler(tracer) as MiddlewareObj };
}

/**
 * Middy middleware (outermost): load the tracer on the first sampled invocation, then delegate
 * to Powertools' `captureLambdaHandler` on every invocation.
 *
 * @param options.enabled - `POWERTOOLS_TRACE_ENABLED` is not `false` unless given
 */
export function lazyTracing(options: { enabled?: boolean } = {}): MiddlewareObj {
  const enabled = options.enabled ?? process.env.POWERTOOLS_TRACE_ENABLED !== 'false';
  return {
    before: async (request) => {
      invocations += 1;
      if (!enabled) return;
      if (!loaded && isSampled()) {
        loading ??= loadTracer();
        loaded = await loading;
      }
      await loaded?.handlerMiddleware.before?.(request);
    },
    after: async (request) => {
      await loaded?.handlerMiddleware.after?.(request);
    },
    onError: async (request) => {
      await loaded?.handlerMiddleware.onError?.(request);
    },
  };
}

/**
 * Run one phase of the handler in its own subsegment (`### <name>`) when the tracer is loaded;
 * otherwise just run it.
 *
 * @example
 * const parsed = await tracePhase('parse', async () => parseRoomEvent(event));
 */
export async function tracePhase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const tracer = loaded?.tracer;
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!tracer || !parent) return fn();
  const sub = parent.addNewSubsegment(`### ${name}`);
  tracer.setSegment(sub);
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Error) tracer.addErrorAsMetadata(error);
    throw error;
  } finally {
    sub.close();
    tracer.setSegment(parent);
  }
}

/**
 * Wrap some methods of a port so each call runs as a phase ({@link tracePhase}); the other
 * methods pass through. The port's behaviour is unchanged.
 *
 * @param phases - method name → phase name
 */
export function tracePorts<T extends object>(port: T, phases: Partial<Record<keyof T & string, string>>): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      const phase = typeof key === 'string' ? (phases as Record<string, string | undefined>)[key] : undefined;
      if (!phase || typeof value !== 'function') return value;
      return (...args: unknown[]) => tracePhase(phase, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** Forget the tracer and registered clients (tests). */
export function resetTracingForTests(): void {
  clients.length = 0;
  loaded = undefined;
  loading = undefined;
  invocations = 0;
}
