/**
 * `wcs-autoscaler render-bootstrap --pool NAME`: print the user-data the launch path passes to
 * `RunInstances` for a pool — the same renderer `SsmConfigSource.getUserData` uses, fed from
 * local files (or the embedded defaults) instead of SSM, so it works offline.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { eventBusName } from '../infra/naming.ts';
import { METRICS_NAMESPACE } from '../lambdas/shared/observability.ts';
import { parseNodeSettings, readBootstrapTemplate, type NodeSettings } from '../shared/bootstrap/parameters.ts';
import { renderUserData } from '../shared/bootstrap/render.ts';
import { ConfigError, parseAutoscalerConfig, poolByName } from '../shared/domain/config.ts';
import { NODE_SOURCE } from '../shared/events/schemas.ts';

/** Options of {@link renderBootstrapCommand} (the CLI flags). */
export interface RenderBootstrapOptions {
  /** Pool name. */
  readonly pool: string;
  /** AutoscalerConfig JSON file; absent → embedded defaults (one pool, `default`). */
  readonly config?: string | undefined;
  /** Node settings JSON file for the pool; absent → `DEFAULT_NODE_SETTINGS`. */
  readonly nodeSettings?: string | undefined;
  /** Fleet name. @default 'default' */
  readonly fleet?: string | undefined;
  /** AWS region. @default AWS_REGION, else eu-central-1 */
  readonly region?: string | undefined;
  /** Config parameter name (secret names default under its parent). @default `/wcs-autoscaler/<fleet>/config` */
  readonly configParameter?: string | undefined;
  /** Event bus name. @default `wcs-autoscaler-<fleet>` */
  readonly eventBus?: string | undefined;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/**
 * Render a pool's user-data from local inputs.
 *
 * @returns the user-data text, exactly as the launch path renders it from SSM
 * @throws {ConfigError} for an unknown pool or invalid configuration / node settings
 * @throws {SyntaxError} for a file that is not JSON; ENOENT for a missing file
 */
export async function renderBootstrapCommand(opts: RenderBootstrapOptions): Promise<string> {
  const config = parseAutoscalerConfig(opts.config ? await readJson(opts.config) : undefined);
  if (!config.pools.some((p) => p.name === opts.pool)) {
    const known = config.pools.map((p) => `"${p.name}"`).join(', ');
    throw new ConfigError([`--pool: unknown pool "${opts.pool}"; the configuration${opts.config ? ` ${opts.config}` : ' (defaults)'} has: ${known}`]);
  }
  const pool = poolByName(config, opts.pool);
  let settings: NodeSettings;
  try {
    settings = parseNodeSettings(opts.nodeSettings ? await readJson(opts.nodeSettings) : undefined);
  } catch (error) {
    if (error instanceof SyntaxError) throw error;
    throw new ConfigError([`node settings: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const fleet = opts.fleet ?? 'default';
  return renderUserData({
    template: readBootstrapTemplate(),
    pool,
    settings,
    target: {
      fleet,
      eventBusName: opts.eventBus ?? eventBusName(fleet),
      nodeSource: NODE_SOURCE,
      metricsNamespace: METRICS_NAMESPACE,
      region: opts.region ?? process.env.AWS_REGION ?? 'eu-central-1',
      configParameter: opts.configParameter ?? `/wcs-autoscaler/${fleet}/config`,
    },
  });
}
