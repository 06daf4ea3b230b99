/**
 * Renders the media node bootstrap template into one pool's user-data (pure: no I/O).
 *
 * The template assigns each setting as `NAME='@@NAME@@'`; rendering replaces each quoted
 * placeholder with a single-quoted shell literal and drops full-line comments (the template in
 * the repository keeps them) so the user-data stays well under EC2's 16 KB.
 *
 * @module
 */
import { heapPerContainerMiB, type PoolConfig } from '../domain/config.ts';
import { AutoscalerError } from '../errors.ts';
import { EC2_USER_DATA_LIMIT_BYTES, bootstrapParameterNames, stripTemplateComments, type NodeSettings } from './parameters.ts';

/** Where a node's events and metrics go: the same for every pool of one deployment. */
export interface FleetTarget {
  /** Fleet name (the `wcs-autoscaler:fleet` tag value). */
  readonly fleet: string;
  /** EventBridge bus name the node puts NodeReady / NodeUnhealthy on. */
  readonly eventBusName: string;
  /** `source` of node events (`NODE_SOURCE`). */
  readonly nodeSource: string;
  /** CloudWatch namespace of the WCS load figures. */
  readonly metricsNamespace: string;
  /** AWS region of the bus, SSM and CloudWatch. */
  readonly region: string;
  /** Name of the config parameter; the secret parameter names default under its parent path. */
  readonly configParameter: string;
}

/** Everything {@link renderUserData} needs. */
export interface RenderInput {
  /** The template text (decoded). */
  readonly template: string;
  readonly pool: PoolConfig;
  readonly settings: NodeSettings;
  readonly target: FleetTarget;
}

/** The shell values a template receives, by placeholder name; exported for docs and tests. */
export function templateValues(input: Omit<RenderInput, 'template'>): Record<string, string> {
  const { pool, settings, target } = input;
  const names = bootstrapParameterNames(target.configParameter);
  return {
    FLEET: target.fleet,
    POOL: pool.name,
    REGION: target.region,
    EVENT_BUS: target.eventBusName,
    NODE_SOURCE: target.nodeSource,
    METRICS_NAMESPACE: target.metricsNamespace,
    CONTAINERS: String(pool.containersPerNode),
    IMAGE: settings.image,
    HTTP_PORT: String(settings.httpPort),
    REST_PORT: String(settings.restPort),
    WSS_PORT: String(pool.wssPort),
    MEDIA_FROM: String(settings.mediaPorts.from),
    MEDIA_TO: String(settings.mediaPorts.to),
    RESERVE_HOST_CORE: settings.reserveHostCore ? '1' : '0',
    HEAP_MIB: String(settings.heapMiB ?? heapPerContainerMiB(pool)),
    MEMORY_LIMIT_MIB: String(memoryLimitPerContainerMiB(pool, settings)),
    LICENSE_PARAMETER: settings.licenseParameter ?? names.licenseSecret,
    PASSWORD_PARAMETER: settings.passwordParameter ?? names.passwordSecret,
    METRICS_INTERVAL: String(settings.metricsIntervalSeconds),
    HEALTH_TIMEOUT: String(settings.healthTimeoutSeconds),
    EIP_WAIT: String(settings.elasticIpWaitSeconds),
    PUBLIC_ADDRESSING: settings.publicAddressing,
  };
}

/** Memory limit of one container, MiB: floor((pool RAM − host reserve) / containers per node). */
export function memoryLimitPerContainerMiB(pool: PoolConfig, settings: NodeSettings): number {
  return Math.floor((pool.memoryMiB - settings.hostMemoryMiB) / pool.containersPerNode);
}

/** A single-quoted shell literal of `value`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Render one pool's user-data.
 *
 * @returns the bash script EC2 runs at first boot (plain text; the compute provider base64-encodes it)
 * @throws {AutoscalerError} when the template lacks a placeholder or names an unknown one, or
 *   the result exceeds EC2's 16 384-byte user-data limit
 * @example
 * const userData = renderUserData({ template: readBootstrapTemplate(), pool, settings: DEFAULT_NODE_SETTINGS, target });
 */
export function renderUserData(input: RenderInput): string {
  const values = templateValues(input);
  const seen = new Set<string>();
  const rendered = stripTemplateComments(input.template).replace(/'@@([A-Z_]+)@@'/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new AutoscalerError(`bootstrap template: unknown placeholder @@${name}@@`);
      seen.add(name);
      return shellQuote(value);
    });
  const missing = Object.keys(values).filter((name) => !seen.has(name));
  if (missing.length > 0) throw new AutoscalerError(`bootstrap template: no placeholder for ${missing.join(', ')}`);
  if (/@@[A-Z_]+@@/.test(rendered)) throw new AutoscalerError('bootstrap template: a placeholder is not in single quotes');
  const bytes = Buffer.byteLength(rendered, 'utf8');
  if (bytes > EC2_USER_DATA_LIMIT_BYTES) {
    throw new AutoscalerError(`rendered user-data is ${bytes} bytes, over EC2's ${EC2_USER_DATA_LIMIT_BYTES}`);
  }
  return rendered;
}
