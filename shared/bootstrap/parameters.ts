/**
 * SSM Parameter Store layout of the media node bootstrap, and the node settings schema.
 *
 * One definition of each fact, shared by the CDK stack (which creates the parameters), the
 * launch path (`SsmConfigSource.getUserData`, which reads and renders them) and the CLI
 * (`render-bootstrap`). Parameter names hang off the *prefix*: the parent path of the
 * configuration parameter, e.g. `/wcs-autoscaler/prod` for `/wcs-autoscaler/prod/config`.
 *
 * | parameter | type | holds |
 * |---|---|---|
 * | `<prefix>/bootstrap/template` | String, Advanced tier (≤ 8 KB) | the bash template, {@link encodeTemplate}d (Brotli + base64) |
 * | `<prefix>/pools/<pool>/node-settings` | String | JSON of {@link NodeSettingsSchema}; absent → {@link DEFAULT_NODE_SETTINGS} |
 * | `<prefix>/secrets/wcs-license` | SecureString (created by an operator) | WCS license number |
 * | `<prefix>/secrets/wcs-password` | SecureString (created by an operator) | the container's SSH password (`PASSWORD` of the WCS image), not a REST user |
 *
 * Secrets are read on the node with its instance role (`aws ssm get-parameter
 * --with-decryption`); only their *names* are in the user-data.
 *
 * Backward compatibility: names and exported identifiers here are relied on by the CDK stack;
 * add, never rename. Every node-settings field has a default so `{}` stays valid.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { brotliCompressSync, brotliDecompressSync, constants as zlib, gunzipSync } from 'node:zlib';
import * as z from 'zod';

/** Repository path of the bootstrap template, resolved from this module. */
export const BOOTSTRAP_TEMPLATE_URL = new URL('../../infra/bootstrap/wcs-node.sh.tpl', import.meta.url);

/** Marker prefix of a gzip-encoded template parameter value (`gz64:` + base64 of gzip); still decoded. */
export const ENCODED_TEMPLATE_PREFIX = 'gz64:';

/** Marker prefix of a Brotli-encoded template parameter value (`br64:` + base64 of Brotli): what {@link encodeTemplate} writes. */
export const BROTLI_TEMPLATE_PREFIX = 'br64:';

/** SSM Advanced-tier parameter value limit, bytes (Standard is 4 096). */
export const SSM_ADVANCED_VALUE_LIMIT_BYTES = 8192;

/** EC2 user-data limit (before base64), bytes. */
export const EC2_USER_DATA_LIMIT_BYTES = 16_384;

/**
 * Prefix of every parameter of a deployment: the parent path of the config parameter.
 *
 * @example
 * parameterPrefix('/wcs-autoscaler/prod/config'); // → '/wcs-autoscaler/prod'
 */
export function parameterPrefix(configParameter: string): string {
  const slash = configParameter.lastIndexOf('/');
  return slash > 0 ? configParameter.slice(0, slash) : '';
}

/** Names of the bootstrap parameters of one deployment (see the module table). */
export interface BootstrapParameterNames {
  /** The prefix every name starts with, e.g. `/wcs-autoscaler/prod`. */
  readonly prefix: string;
  /** The encoded bootstrap template (String, Advanced tier). */
  readonly template: string;
  /** A pool's node settings JSON (String). */
  readonly nodeSettings: (pool: string) => string;
  /** Default SecureString holding the WCS license (used when node settings name none). */
  readonly licenseSecret: string;
  /** Default SecureString holding the container's SSH password, `PASSWORD` (used when node settings name none). */
  readonly passwordSecret: string;
}

/**
 * Every bootstrap parameter name, derived from the config parameter's name.
 *
 * @example
 * const names = bootstrapParameterNames('/wcs-autoscaler/prod/config');
 * names.template;                // '/wcs-autoscaler/prod/bootstrap/template'
 * names.nodeSettings('default'); // '/wcs-autoscaler/prod/pools/default/node-settings'
 */
export function bootstrapParameterNames(configParameter: string): BootstrapParameterNames {
  const prefix = parameterPrefix(configParameter);
  return {
    prefix,
    template: `${prefix}/bootstrap/template`,
    nodeSettings: (pool) => `${prefix}/pools/${pool}/node-settings`,
    licenseSecret: `${prefix}/secrets/wcs-license`,
    passwordSecret: `${prefix}/secrets/wcs-password`,
  };
}

const ssmName = z.string().regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'an absolute SSM parameter name such as /wcs-autoscaler/prod/secrets/wcs-license');

/**
 * A container image reference with a pinned tag or digest: `latest` and untagged references
 * are refused so every node of a pool runs the same WCS build.
 */
export const PinnedImageSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._\-/:]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/, 'an image with a pinned tag or digest, e.g. flashphoner/webcallserver:5.2.2199')
  .refine((image) => !/:latest$/.test(image), 'the tag must be pinned, not latest');

/**
 * zod schema of a pool's node settings (the JSON in `<prefix>/pools/<pool>/node-settings`).
 * Facts the scaling policy also needs — WSS port, RAM, containers per node, vCPUs — live in
 * `PoolConfigSchema` and are not repeated here.
 */
export const NodeSettingsSchema = z.object({
  /** WCS image with a pinned tag. Flashphoner publishes builds on Docker Hub as `flashphoner/webcallserver:<build>`. */
  image: PinnedImageSchema.default('flashphoner/webcallserver:5.2.2199'),
  /** WCS HTTP port (statistics page `/?action=stat`, health and metrics; not opened to the internet). */
  httpPort: z.number().int().min(1).max(65535).default(8081),
  /**
   * WCS REST API HTTPS port. The bootstrap keeps REST authentication on (`disable_rest_auth=false`)
   * and provisions no REST user, so the REST API stays closed; health and metrics use the
   * statistics page on {@link httpPort}, which is not part of the REST API.
   */
  restPort: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(8444)
    .describe('WCS REST API HTTPS port; REST authentication stays on and no REST user is provisioned, so REST is closed (health and metrics use /?action=stat on httpPort)'),
  /** WebRTC media UDP port range on every container (each container has its own IP, so ranges may repeat). */
  mediaPorts: z
    .object({ from: z.number().int().min(1024).max(65535), to: z.number().int().min(1024).max(65535) })
    .refine((r) => r.from < r.to, 'mediaPorts.from must be below mediaPorts.to')
    .default({ from: 31001, to: 32000 }),
  /** Keep one physical core (all its hyperthreads) for the host: interrupts, Docker, the metrics timer. */
  reserveHostCore: z.boolean().default(false),
  /** Java heap per container, MiB; absent → floor(0.5 × pool RAM / containers per node). */
  heapMiB: z.number().int().min(256).optional(),
  /** RAM kept for the host, MiB; each container's memory limit is (pool RAM − this) / containers. */
  hostMemoryMiB: z.number().int().min(256).default(1024),
  /** SecureString with the WCS license; absent → `<prefix>/secrets/wcs-license`. */
  licenseParameter: ssmName.optional(),
  /**
   * SecureString passed to the container as `PASSWORD`: the WCS image's SSH password (the WCS
   * command-line interface), not a REST API user; absent → `<prefix>/secrets/wcs-password`.
   */
  passwordParameter: ssmName.optional().describe('SecureString passed to the container as PASSWORD: the WCS SSH (CLI) password, not a REST API user'),
  /** Period of the metrics timer (WCS `/?action=stat` → CloudWatch), seconds. */
  metricsIntervalSeconds: z.number().int().min(10).max(3600).default(60),
  /** How long the bootstrap waits for every container to answer, seconds; then NodeUnhealthy. */
  healthTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
  /** How long the bootstrap waits for IMDS to show an Elastic IP on every secondary IP, seconds. */
  elasticIpWaitSeconds: z.number().int().min(0).max(1800).default(180),
  /** How containers get public IPv4: an Elastic IP on each container's secondary private IP, or none (private-only, behind the operator's own edge or TURN layer). @default 'elastic-ip' */
  publicAddressing: z.enum(['elastic-ip', 'none']).default('elastic-ip'),
});

/** Validated node settings (defaults applied). */
export type NodeSettings = z.infer<typeof NodeSettingsSchema>;

/** Node settings when a pool's parameter is absent. */
export const DEFAULT_NODE_SETTINGS: NodeSettings = NodeSettingsSchema.parse({});

/**
 * Validate node settings JSON (already parsed) and apply defaults.
 *
 * @throws {z.ZodError} naming each invalid field; callers wrap it with the parameter name
 */
export function parseNodeSettings(input: unknown): NodeSettings {
  return NodeSettingsSchema.parse(input ?? {});
}

/** The bootstrap template as kept in the repository (UTF-8 bash). @throws when the file is missing */
export function readBootstrapTemplate(): string {
  return readFileSync(BOOTSTRAP_TEMPLATE_URL, 'utf8');
}

/**
 * The template without its full-line comments (the shebang stays), blank lines and leading
 * indentation: what the node runs. The repository keeps both; user-data (EC2's 16 384 bytes) and
 * the SSM parameter (8 KB) do not need them. Bash ignores indentation; the template therefore
 * keeps no multi-line string whose indentation matters (its one YAML file is in flow style).
 */
export function stripTemplateComments(template: string): string {
  return template
    .split('\n')
    .filter((line, i) => i === 0 || !/^\s*(#|$)/.test(line))
    .map((line) => `${line.trimStart()}\n`)
    .join('');
}

/**
 * Encode a template for its SSM parameter: `br64:` + base64(Brotli(template without full-line
 * comments)). The plain template (~18.5 KB with comments) is over the Advanced tier's 8 KB;
 * stripped and compressed it is about 7.5 KB of base64 (gzip gave 8.4 KB, over the limit).
 * Rendering the decoded value gives the same user-data as rendering the repository file.
 *
 * @example
 * new ssm.StringParameter(this, 'Template', { parameterName: names.template, stringValue: encodeTemplate(readBootstrapTemplate()), tier: ssm.ParameterTier.ADVANCED });
 */
export function encodeTemplate(template: string): string {
  const text = Buffer.from(stripTemplateComments(template), 'utf8');
  const params = { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: text.length };
  return BROTLI_TEMPLATE_PREFIX + brotliCompressSync(text, { params }).toString('base64');
}

/**
 * Decode a template parameter value (`br64:` or the earlier `gz64:`); a value without either
 * marker is taken as the plain template (an operator may store a small one directly).
 *
 * @throws {Error} when a marker is present but the payload is not Brotli / gzip + base64
 */
export function decodeTemplate(value: string): string {
  if (value.startsWith(BROTLI_TEMPLATE_PREFIX)) return brotliDecompressSync(Buffer.from(value.slice(BROTLI_TEMPLATE_PREFIX.length), 'base64')).toString('utf8');
  if (!value.startsWith(ENCODED_TEMPLATE_PREFIX)) return value;
  return gunzipSync(Buffer.from(value.slice(ENCODED_TEMPLATE_PREFIX.length), 'base64')).toString('utf8');
}
