/**
 * Ports: narrow interfaces by role. Adapters implement them; handlers depend on them only.
 *
 * @module
 */
import type { AutoscalerConfig } from '../domain/config.ts';
import type { OutboundEvent } from '../events/schemas.ts';
import type { PublicAddressing } from './compute-provider.ts';

export type * from './compute-provider.ts';
export type * from './fleet-store.ts';
export type * from './lifetime-store.ts';
export type * from './node-alarms.ts';
export type * from './schedule-store.ts';

/** Wall clock (virtual in the embedded runtime). */
export interface Clock {
  /** Now, epoch ms. */
  now(): number;
}

/** Publishes the autoscaler's outbound events (source `wcs-autoscaler`). */
export interface EventPublisher {
  /**
   * Publish events in order. At-least-once: a retry may publish again.
   *
   * @throws {PublishError} when some entries could not be published after retries
   */
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

/** Where the deployment configuration and node bootstrap come from. */
export interface ConfigSource {
  /**
   * The validated configuration (cached by the adapter).
   *
   * @throws {ConfigSourceError} when the parameter is missing or invalid
   */
  getConfig(): Promise<AutoscalerConfig>;
  /** The user-data for a pool's nodes, or undefined when none is configured. */
  getUserData(pool: string): Promise<string | undefined>;
  /**
   * How a pool's containers get public IPv4 (its node settings' `publicAddressing`). Optional:
   * a source without node settings means `'elastic-ip'`, the default.
   *
   * @throws {ConfigSourceError} when the pool's node settings do not validate
   */
  getPublicAddressing?(pool: string): Promise<PublicAddressing>;
}

/** Structured logger (Powertools' Logger satisfies it). */
export interface AppLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Where refused inbound events go, with the reason (an SQS dead-letter queue in AWS). */
export interface DeadLetterQueue {
  /**
   * Keep a refused event for operators; never throws for the event's content.
   *
   * @throws {AutoscalerError} (retryable) when the queue cannot be reached
   */
  send(event: unknown, reason: string, source: string): Promise<void>;
}
