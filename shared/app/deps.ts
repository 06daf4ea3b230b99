/**
 * What the use cases need, as ports. The composition root (lambdas/shared/dependencies.ts)
 * builds the AWS set; the embedded runtime builds the local one; tests build fakes.
 *
 * @module
 */
import type { RandomSource } from '../domain/placement.ts';
import type {
  AppLogger,
  Clock,
  ComputeProvider,
  ConfigSource,
  DeadLetterQueue,
  EventPublisher,
  FleetStore,
  LifetimeStore,
  NodeAlarms,
  ScheduleStore,
} from '../ports/index.ts';

/** Dependencies of every use case and handler. */
export interface AppDeps {
  readonly store: FleetStore;
  readonly compute: ComputeProvider;
  readonly publisher: EventPublisher;
  readonly config: ConfigSource;
  readonly deadLetters: DeadLetterQueue;
  /** CloudWatch alarms of single nodes (created on NodeReady, deleted on termination). */
  readonly nodeAlarms: NodeAlarms;
  /**
   * Observed room lifetimes (shared/app/lifetimes.ts). Optional: without it, end predictions
   * come from the predictor's default prior and releases are not learned from.
   */
  readonly lifetimes?: LifetimeStore | undefined;
  /** Rooms announced ahead (`RoomScheduled`), for pre-warming (shared/app/schedule.ts). */
  readonly schedule: ScheduleStore;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: AppLogger;
}

/** A logger that drops everything (tests, quiet runs). */
export const silentLogger: AppLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
