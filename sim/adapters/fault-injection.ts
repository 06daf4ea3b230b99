/**
 * Fault injection: wrappers that let a write happen and then throw, as if the Lambda had
 * crashed between that write and the next one. Used by the crash-safety tests, the property
 * test and `simulate --faults`.
 *
 * Two seams share one counter:
 * - {@link FaultInjector.wrap}: a `Proxy` over any port object (`FleetStore`,
 *   `ComputeProvider`, …). Every method whose name does not look like a read (see
 *   {@link isReadMethod}) counts as a write, so methods added to a port later are covered
 *   without touching this file.
 * - {@link FaultInjector.instrumentDynamoDb}: SDK middleware on a DynamoDB client that counts
 *   each write command (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems),
 *   for the writes inside one store method (e.g. the container items of `markReady`).
 * Use one seam per target, or a write is counted twice.
 *
 * @module
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RandomSource } from '../../shared/domain/placement.ts';

/**
 * A crash injected on purpose after a write (fault-injection tests and `simulate --faults`):
 * the write happened, the caller never learns it. Deliberately not an `AutoscalerError`:
 * code that absorbs retryable autoscaler errors (a failed launch becomes `ScalingBlocked`) must
 * not absorb it, just as nothing can catch a real crash. Handlers let it out, so the event is
 * retried.
 */
export class InjectedFaultError extends Error {
  /** What had just been written, e.g. `store.claimCapacity` or `dynamodb.UpdateItem ROOM#r1/ROOM`. */
  public readonly afterWrite: string;
  /** 1-based number of that write since the injector was armed. */
  public readonly writeNumber: number;
  public constructor(afterWrite: string, writeNumber: number) {
    super(`injected crash after write ${writeNumber} (${afterWrite})`);
    this.name = 'InjectedFaultError';
    this.afterWrite = afterWrite;
    this.writeNumber = writeNumber;
  }
}

/** Method names that only read: `get…`, `list…`, `find…`, `describe…`, `roomsOn…`, `costUsd`, …. */
const READ_METHOD = /^(get|list|find|describe|roomsOn|scan|query|has|is|node[A-Z]|cost)/;

/** Whether a port method only reads (everything else counts as a write). */
export function isReadMethod(name: string): boolean {
  return READ_METHOD.test(name);
}

/** A key attribute, marshalled (`{ S: 'x' }`) or not (`'x'`: the document client marshals later). */
const attr = (v: unknown): string => (typeof v === 'string' ? v : typeof (v as { S?: unknown })?.S === 'string' ? (v as { S: string }).S : '?');

const DYNAMODB_WRITE = /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)Command$/;

/** When to crash. Counting restarts at every {@link FaultInjector.arm}. */
export type FaultPlan =
  /** Never. */
  | { readonly kind: 'off' }
  /** Once, right after the `write`-th write (1-based) since arming. */
  | { readonly kind: 'crash-after-write'; readonly write: number };

/**
 * Counts writes through the wrapped targets and throws {@link InjectedFaultError} after the
 * planned one. Records every write's label (to list a scenario's crash points).
 *
 * @example
 * const faults = new FaultInjector();
 * const store = faults.wrap(realStore, 'store');
 * faults.arm({ kind: 'crash-after-write', write: 2 });
 * await expect(createRoom({ ...deps, store }, cmd)).rejects.toThrow(InjectedFaultError);
 */
export class FaultInjector {
  /** Labels of the writes since the last {@link arm}, in order. */
  public readonly writes: string[] = [];
  /** Crashes injected since construction. */
  public faultsInjected = 0;
  private plan: FaultPlan = { kind: 'off' };

  public constructor(plan: FaultPlan = { kind: 'off' }) {
    this.arm(plan);
  }

  /** Set the plan and restart counting writes. */
  public arm(plan: FaultPlan): void {
    this.plan = plan;
    this.writes.length = 0;
  }

  /** Stop injecting (counting goes on). */
  public disarm(): void {
    this.plan = { kind: 'off' };
  }

  /**
   * Arm a crash after a uniformly chosen write among the next `maxWrite`, with probability
   * `rate`; otherwise disarm. Returns whether it armed.
   */
  public armRandomly(rate: number, random: RandomSource, maxWrite = 6): boolean {
    if (rate > 0 && random() < rate) {
      this.arm({ kind: 'crash-after-write', write: 1 + Math.floor(random() * maxWrite) });
      return true;
    }
    this.arm({ kind: 'off' });
    return false;
  }

  /**
   * A `Proxy` of `target` whose write methods (every method {@link isReadMethod} does not
   * match) count a write once they resolve, and may then throw.
   *
   * @param label - prefix of the write labels, e.g. `store`
   * @throws {InjectedFaultError} from a wrapped write, after it completed, when planned
   */
  public wrap<T extends object>(target: T, label: string): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value: unknown = Reflect.get(obj, prop, receiver);
        if (typeof value !== 'function' || typeof prop !== 'string' || isReadMethod(prop)) {
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
        }
        return async (...args: unknown[]) => {
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          this.afterWrite(`${label}.${prop}`);
          return result;
        };
      },
    });
  }

  /**
   * Count every write command sent through a DynamoDB client (the document client built on it
   * included), and crash after the planned one.
   *
   * @returns a function that removes the middleware
   */
  public instrumentDynamoDb(client: DynamoDBClient): () => void {
    const name = `faultInjection-${Math.random().toString(36).slice(2)}`;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = context.commandName ?? '';
        if (DYNAMODB_WRITE.test(command)) {
          const input = args.input as { Key?: Record<string, unknown>; Item?: Record<string, unknown> };
          const keyOf = (k: Record<string, unknown> | undefined) => (k ? ` ${attr(k.pk)}/${attr(k.sk)}` : '');
          this.afterWrite(`dynamodb.${command.replace(/Command$/, '')}${keyOf(input.Key) || keyOf(input.Item)}`);
        }
        return result;
      },
      { step: 'initialize', name },
    );
    return () => void client.middlewareStack.remove(name);
  }

  private afterWrite(label: string): void {
    this.writes.push(label);
    if (this.plan.kind === 'crash-after-write' && this.writes.length === this.plan.write) {
      this.plan = { kind: 'off' };
      this.faultsInjected += 1;
      throw new InjectedFaultError(label, this.writes.length);
    }
  }
}

/** DynamoDB's throttling error codes, alternated by {@link DynamoDbThrottler}. */
export const DYNAMODB_THROTTLING_CODES = ['ProvisionedThroughputExceededException', 'ThrottlingException'] as const;

/**
 * DynamoDB throttling as a function sees it once the SDK's retries are spent: SDK middleware that
 * fails a command before it is sent (nothing is written) with `probability`, with the error the
 * SDK would surface. Only while {@link DynamoDbThrottler.active} (the simulated functions' calls,
 * not the simulator's own reads).
 */
export class DynamoDbThrottler {
  /** Calls failed so far. */
  public throttled = 0;
  /** Whether calls may be throttled now. */
  public active = false;

  /**
   * @param probability - of one call failing throttled (0–1)
   * @param random - the random source of the draws
   */
  public constructor(
    private readonly probability: number,
    private readonly random: RandomSource,
  ) {}

  /** Instrument a client; returns a function that removes the middleware. */
  public instrument(client: { middlewareStack: DynamoDBClient['middlewareStack'] }): () => void {
    const name = `throttling-${Math.random().toString(36).slice(2)}`;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (this.active && this.probability > 0 && this.random() < this.probability) {
          const code = DYNAMODB_THROTTLING_CODES[this.throttled % DYNAMODB_THROTTLING_CODES.length] as string;
          this.throttled += 1;
          throw Object.assign(new Error(`simulated: ${context.commandName ?? 'call'} throttled`), {
            name: code,
            $fault: 'client',
            $metadata: { httpStatusCode: 400, attempts: 3 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    return () => void client.middlewareStack.remove(name);
  }
}
