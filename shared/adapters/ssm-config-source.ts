/**
 * `ConfigSource` on SSM Parameter Store: the deployment configuration (JSON, validated by
 * `parseAutoscalerConfig`) and each pool's node user-data, cached in the process for a TTL (the
 * cache lives across invocations of one Lambda execution environment), so operators' changes
 * apply within the TTL without a redeploy (docs/design.md#node-bootstrap-and-configuration).
 *
 * Parameters are read either with an SSM client (CLI, tests) or with a {@link ParameterReader}
 * (the functions read through the Parameters and Secrets extension,
 * shared/adapters/parameters-extension.ts). `@aws-sdk/client-ssm` is imported only when a client
 * is used, so a function that reads through the extension never loads it.
 *
 * @module
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { bootstrapParameterNames, decodeTemplate, parameterPrefix, parseNodeSettings, type NodeSettings } from '../bootstrap/parameters.ts';
import { renderUserData, type FleetTarget } from '../bootstrap/render.ts';
import { ConfigError, parseAutoscalerConfig, type AutoscalerConfig } from '../domain/config.ts';
import { AutoscalerError, ConfigSourceError } from '../errors.ts';
import type { Clock, ConfigSource, PublicAddressing } from '../ports/index.ts';
import type { ParameterReader } from './parameters-extension.ts';

// The port's PublicAddressing and the node settings' enum are one set of values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const PUBLIC_ADDRESSING_MATCHES: Same<PublicAddressing, NodeSettings['publicAddressing']> = true;
void PUBLIC_ADDRESSING_MATCHES;

/** Default cache lifetime of the configuration and user-data, ms (1 minute). */
export const DEFAULT_CONFIG_TTL_MS = 60_000;

/** Options of {@link SsmConfigSource}. */
export interface SsmConfigSourceOptions {
  /** SSM client, built once at module scope; give this or `reader`. */
  readonly client?: SSMClient;
  /**
   * Reads a parameter instead of the client (e.g. `extensionParameterReader()`); its errors
   * pass through unchanged (it throws {@link AutoscalerError} itself).
   */
  readonly reader?: ParameterReader;
  /** Name of the String parameter holding the configuration JSON, e.g. `/wcs-autoscaler/prod/config`. */
  readonly configParameter: string;
  /**
   * Name of a pool's user-data parameter.
   * @default pool => `${prefix}/pools/${pool}/user-data`, prefix = the config parameter's parent path
   */
  readonly userDataParameter?: (pool: string) => string;
  /**
   * Where nodes put their events and metrics. When given, `getUserData` renders the bootstrap
   * template (`<prefix>/bootstrap/template`) with the pool's node settings
   * (`<prefix>/pools/<pool>/node-settings`) instead of reading a ready user-data parameter.
   */
  readonly bootstrap?: Omit<FleetTarget, 'configParameter'>;
  /** Cache lifetime, ms. @default DEFAULT_CONFIG_TTL_MS (60 000) */
  readonly ttlMs?: number;
  /** Clock for cache expiry (virtual in the embedded runtime). */
  readonly clock: Clock;
}

interface Cached<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/**
 * The default user-data parameter naming: `<parent of configParameter>/pools/<pool>/user-data`.
 *
 * @example
 * defaultUserDataParameter('/wcs-autoscaler/prod/config')('default');
 * // → '/wcs-autoscaler/prod/pools/default/user-data'
 */
export function defaultUserDataParameter(configParameter: string): (pool: string) => string {
  const prefix = parameterPrefix(configParameter);
  return (pool) => `${prefix}/pools/${pool}/user-data`;
}

const THROTTLING_CODES = new Set(['ThrottlingException', 'TooManyUpdates', 'Throttling']);

function isTransient(error: unknown): boolean {
  if (!error || typeof error !== 'object') return true;
  const e = error as { $fault?: unknown; $retryable?: unknown; name?: unknown };
  if (e.$retryable) return true;
  if (typeof e.name === 'string' && THROTTLING_CODES.has(e.name)) return true;
  return e.$fault !== 'client';
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Reads and caches the autoscaler configuration and node user-data from SSM Parameter Store.
 *
 * Parameters are read with `WithDecryption: false`: both must be plain `String` parameters
 * (secrets such as the WCS license are SecureStrings the node reads with its own role, never
 * part of the user-data — docs/design.md#node-bootstrap-and-configuration). Concurrent misses share one `GetParameter` call.
 *
 * @example
 * const config = new SsmConfigSource({ client: new SSMClient({}), configParameter: '/wcs-autoscaler/prod/config', clock: { now: Date.now } });
 * const cfg = await config.getConfig();
 * const userData = await config.getUserData(cfg.defaultPool);
 */
export class SsmConfigSource implements ConfigSource {
  private readonly client: SSMClient | undefined;
  private readonly reader: ParameterReader | undefined;
  private readonly configParameter: string;
  private readonly userDataParameter: (pool: string) => string;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private config: Cached<AutoscalerConfig> | undefined;
  private configLoad: Promise<AutoscalerConfig> | undefined;
  private readonly userData = new Map<string, Cached<string | undefined>>();
  private readonly userDataLoads = new Map<string, Promise<string | undefined>>();
  private readonly bootstrap: FleetTarget | undefined;
  private readonly raw = new Map<string, Cached<string | undefined>>();
  private readonly rawLoads = new Map<string, Promise<string | undefined>>();

  /** @throws {TypeError} when neither `client` nor `reader` is given */
  public constructor(options: SsmConfigSourceOptions) {
    if (!options.client && !options.reader) throw new TypeError('SsmConfigSource needs a client or a reader');
    this.client = options.client;
    this.reader = options.reader;
    this.configParameter = options.configParameter;
    this.userDataParameter = options.userDataParameter ?? defaultUserDataParameter(options.configParameter);
    this.ttlMs = options.ttlMs ?? DEFAULT_CONFIG_TTL_MS;
    this.clock = options.clock;
    this.bootstrap = options.bootstrap && { ...options.bootstrap, configParameter: options.configParameter };
  }

  /**
   * The validated configuration, from cache while younger than the TTL.
   *
   * @throws {ConfigSourceError} naming the parameter when it does not exist, is not JSON, or
   *   does not validate (the message names each invalid field, e.g. `pools.0.maxNodes`)
   * @throws {AutoscalerError} naming the parameter when SSM cannot be read (retryable when
   *   transient: throttling, server errors, network)
   */
  public async getConfig(): Promise<AutoscalerConfig> {
    const now = this.clock.now();
    if (this.config && now < this.config.expiresAt) return this.config.value;
    this.configLoad ??= this.loadConfig().finally(() => {
      this.configLoad = undefined;
    });
    return this.configLoad;
  }

  /**
   * A pool's node user-data (plain text), from cache while younger than the TTL.
   *
   * With the `bootstrap` option: the bootstrap template rendered with the pool's configuration
   * and node settings (each parameter cached for the TTL). Without it: the pool's user-data
   * parameter as stored.
   *
   * @returns the user-data, or undefined when (without `bootstrap`) the parameter does not exist
   * @throws {ConfigSourceError} naming the parameter when the template is missing or the node
   *   settings do not validate, or when the pool is not configured
   * @throws {AutoscalerError} naming the parameter when SSM cannot be read (retryable when transient)
   */
  public async getUserData(pool: string): Promise<string | undefined> {
    if (this.bootstrap) return this.renderBootstrap(pool, this.bootstrap);
    const now = this.clock.now();
    const cached = this.userData.get(pool);
    if (cached && now < cached.expiresAt) return cached.value;
    let load = this.userDataLoads.get(pool);
    if (!load) {
      load = this.loadUserData(pool).finally(() => this.userDataLoads.delete(pool));
      this.userDataLoads.set(pool, load);
    }
    return load;
  }

  /**
   * A pool's node settings (`<prefix>/pools/<pool>/node-settings`, defaults when absent),
   * through the TTL cache.
   *
   * @throws {ConfigSourceError} naming the parameter when the JSON does not validate
   * @throws {AutoscalerError} naming the parameter when SSM cannot be read (retryable when transient)
   */
  public async getNodeSettings(pool: string): Promise<NodeSettings> {
    const name = bootstrapParameterNames(this.configParameter).nodeSettings(pool);
    const json = await this.readCached(name);
    try {
      return parseNodeSettings(json === undefined ? {} : JSON.parse(json));
    } catch (error) {
      throw new ConfigSourceError(name, `invalid node settings: ${describeError(error)}`, error);
    }
  }

  /**
   * How a pool's containers get public IPv4: its node settings' `publicAddressing`.
   *
   * @throws {ConfigSourceError} / {AutoscalerError} as {@link getNodeSettings}
   */
  public async getPublicAddressing(pool: string): Promise<PublicAddressing> {
    return (await this.getNodeSettings(pool)).publicAddressing;
  }

  private async loadConfig(): Promise<AutoscalerConfig> {
    const name = this.configParameter;
    const raw = await this.read(name);
    if (raw === undefined) throw new ConfigSourceError(name, 'parameter not found');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new ConfigSourceError(name, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    let config: AutoscalerConfig;
    try {
      config = parseAutoscalerConfig(json);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigSourceError(name, error.message, error);
      throw error;
    }
    this.config = { value: config, expiresAt: this.clock.now() + this.ttlMs };
    return config;
  }

  private async loadUserData(pool: string): Promise<string | undefined> {
    const value = await this.read(this.userDataParameter(pool));
    this.userData.set(pool, { value, expiresAt: this.clock.now() + this.ttlMs });
    return value;
  }

  private async renderBootstrap(poolName: string, target: FleetTarget): Promise<string> {
    const names = bootstrapParameterNames(target.configParameter);
    const [config, template, settings] = await Promise.all([
      this.getConfig(),
      this.readCached(names.template),
      this.getNodeSettings(poolName),
    ]);
    const pool = config.pools.find((p) => p.name === poolName);
    if (!pool) throw new ConfigSourceError(this.configParameter, `no pool named "${poolName}"`);
    if (template === undefined) throw new ConfigSourceError(names.template, 'parameter not found');
    return renderUserData({ template: decodeTemplate(template), pool, settings, target });
  }

  /** A parameter's value through the TTL cache (concurrent misses share one read). */
  private async readCached(name: string): Promise<string | undefined> {
    const cached = this.raw.get(name);
    if (cached && this.clock.now() < cached.expiresAt) return cached.value;
    let load = this.rawLoads.get(name);
    if (!load) {
      load = this.read(name)
        .then((value) => {
          this.raw.set(name, { value, expiresAt: this.clock.now() + this.ttlMs });
          return value;
        })
        .finally(() => this.rawLoads.delete(name));
      this.rawLoads.set(name, load);
    }
    return load;
  }

  /** The parameter's value, or undefined when it does not exist. */
  private async read(name: string): Promise<string | undefined> {
    if (this.reader) return this.reader(name);
    try {
      const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
      const out = await (this.client as SSMClient).send(new GetParameterCommand({ Name: name, WithDecryption: false }));
      return out.Parameter?.Value;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ParameterNotFound') {
        return undefined;
      }
      throw new AutoscalerError(`${name}: GetParameter failed: ${describeError(error)}`, {
        cause: error,
        retryable: isTransient(error),
      });
    }
  }
}
