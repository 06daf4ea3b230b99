/**
 * Typed deployment configuration of the CDK app, validated at synth.
 *
 * Sources, later ones overriding earlier ones field by field:
 * 1. the defaults below (a deployable single-pool fleet in a new VPC),
 * 2. a JSON file named by the context key `wcsAutoscalerConfigFile` (path relative to the
 *    working directory), e.g. `npx cdk deploy --all -c wcsAutoscalerConfigFile=prod.json`,
 * 3. the context key `wcsAutoscaler` (an object in `cdk.json`, or a JSON string with `-c`).
 *
 * The `autoscaler` section is the `AutoscalerConfig` the Lambdas read from SSM and is validated
 * by `parseAutoscalerConfig` (`shared/domain/config.ts`); `nodeSettings` per pool by
 * `parseNodeSettings` (`shared/bootstrap/parameters.ts`). Every problem is reported with its
 * field path, e.g. `autoscaler.pools.0.maxNodes: Too small: expected number to be >=1`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { bootstrapParameterNames, NodeSettingsSchema, type NodeSettings } from '../shared/bootstrap/parameters.ts';
import { ConfigError, parseAutoscalerConfig, type AutoscalerConfig } from '../shared/domain/config.ts';
import { hibernationRefusals } from './hibernation.ts';

/** Context key holding the configuration object (or its JSON text). */
export const CONFIG_CONTEXT_KEY = 'wcsAutoscaler';
/** Context key naming a JSON configuration file. */
export const CONFIG_FILE_CONTEXT_KEY = 'wcsAutoscalerConfigFile';

/** Thrown when the deployment configuration does not validate; `issues` lists `field: problem`. */
export class DeploymentConfigError extends Error {
  public readonly issues: readonly string[];
  public constructor(issues: readonly string[]) {
    super(`invalid wcs-autoscaler deployment configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'DeploymentConfigError';
    this.issues = issues;
  }
}

const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'an IPv4 CIDR such as 203.0.113.0/24')
  .refine((c) => c.split('/')[0]!.split('.').every((o) => Number(o) <= 255), 'octets must be 0–255');

/**
 * The sweep's default memory, MB: one full vCPU (AWS Lambda Developer Guide, "Configure Lambda
 * function memory": https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 */
export const DEFAULT_SWEEP_MEMORY_MIB = 1_769;

/** Retention periods CloudWatch Logs accepts, days. Source: CloudWatch Logs API, `PutRetentionPolicy`. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** zod schema of the deployment configuration (everything but `autoscaler` and `nodeSettings` contents). */
export const DeploymentConfigSchema = z
  .object({
    /** Fleet (deployment) name: stack names, resource names, the `wcs-autoscaler:fleet` tag. */
    fleetName: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'a lower-case name of 1–24 chars [a-z0-9-], starting with a letter').default('default'),
    /** Target account; required with `network.vpcId` (VPC lookup). @default CDK_DEFAULT_ACCOUNT */
    account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
    /** Target region; required with `network.vpcId`. @default CDK_DEFAULT_REGION */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-central-1').optional(),
    /**
     * Name of the SSM String parameter holding the `AutoscalerConfig` JSON; every other parameter
     * of the deployment hangs off its parent path. @default `/wcs-autoscaler/<fleetName>/config`
     */
    configParameter: z.string().regex(/^(\/[A-Za-z0-9_.-]+){2,}$/, 'an absolute SSM name with a parent path, e.g. /wcs-autoscaler/prod/config').optional(),
    /** The autoscaling configuration (pools, event source); validated by `parseAutoscalerConfig`. */
    autoscaler: z.unknown().optional(),
    /** Node settings per pool name (image, ports, heap, …); validated by `parseNodeSettings`. */
    nodeSettings: z.record(z.string(), z.unknown()).default({}),
    /**
     * SecureString parameters an operator creates (`aws ssm put-parameter --type SecureString`);
     * the node role may read exactly these. @default the names of `bootstrapParameterNames`
     */
    secrets: z
      .object({
        /** WCS license number. */
        licenseParameter: z.string().regex(/^\/[A-Za-z0-9_.\-/]+$/, 'an absolute SSM parameter name').optional(),
        /** The WCS containers' SSH (command-line interface) password; not a REST user. */
        passwordParameter: z.string().regex(/^\/[A-Za-z0-9_.\-/]+$/, 'an absolute SSM parameter name').optional(),
      })
      .default({}),
    network: z
      .object({
        /** Existing VPC to look up (needs `account` and `region`); absent → a new VPC. */
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0abc1234').optional(),
        /** Subnets media nodes launch into (public, one per AZ); absent → the VPC's public subnets. */
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as subnet-0abc1234')).min(1).optional(),
        /** CIDR of a new VPC. */
        vpcCidr: cidr.default('10.60.0.0/16'),
        /** Availability zones of a new VPC (one public subnet each, no NAT gateway). */
        maxAzs: z.number().int().min(2).max(6).default(2),
        /**
         * Create interface VPC endpoints (ssm, ssmmessages, ec2messages, events, monitoring, logs) in
         * the media subnets, so nodes without a public IPv4 on the host and without NAT still reach
         * SSM, EventBridge and CloudWatch. Each costs per AZ-hour (`docs/public-addressing.md`).
         */
        vpcEndpoints: z.boolean().default(false),
        /** Also ECR (ecr.api, ecr.dkr) interface endpoints and the S3 gateway endpoint, for a WCS image in ECR. Needs `vpcEndpoints`. */
        ecrEndpoints: z.boolean().default(false),
      })
      .default({ vpcCidr: '10.60.0.0/16', maxAzs: 2, vpcEndpoints: false, ecrEndpoints: false }),
    access: z
      .object({
        /** Who may reach the WSS port and the UDP media range (WebRTC clients). */
        clientCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
        /** Operator networks allowed on the WCS REST port besides the VPC itself; never 0.0.0.0/0. */
        operatorCidrs: z
          .array(cidr.refine((c) => !c.endsWith('/0'), 'the REST port must not be open to the world'))
          .default([]),
        /** A security group (e.g. an admin bastion's) allowed on the WCS REST port, besides `operatorCidrs`. */
        adminSecurityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0abc1234').optional(),
        /**
         * IAM roles of the operators who may decrypt the WCS secrets besides the node role (the
         * secrets key's policy denies `kms:Decrypt` to everyone else). Encrypting (putting the
         * secrets) needs no entry here.
         */
        operatorRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN')).default([]),
        /**
         * `required` (default; the node bootstrap puts the bound source): node events must carry
         * `wcs-autoscaler.node/<instance ARN>` (the node role may put nothing else, node-events
         * refuses the unbound source). `optional`: the unbound `wcs-autoscaler.node` is still
         * allowed, only for nodes running an older bootstrap that puts it during an upgrade
         * (docs/security.md#node-reports); a bound source naming another instance is refused either way.
         */
        nodeEventSender: z.enum(['required', 'optional']).default('required'),
      })
      .default({ clientCidrs: ['0.0.0.0/0'], operatorCidrs: [], operatorRoleArns: [], nodeEventSender: 'required' }),
    node: z
      .object({
        /** CPU architecture of every pool's instance types (one launch template, one AMI). */
        architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
        /**
         * Root volume (gp3, encrypted) of the pools that do not set their own `rootVolumeGiB`, GiB.
         * Each pool has its own launch template sized by its `rootVolumeGiB` (default 30).
         */
        rootVolumeGiB: z.number().int().min(8).max(16_384).optional(),
        /**
         * Instance families, beyond the list in `infra/hibernation.ts`, that `aws ec2
         * describe-instance-types --filters Name=hibernation-supported,Values=true` shows support
         * hibernation (for pools with `warmPool.state: 'hibernated'`), e.g. `['c7i', 'r6i']`.
         */
        hibernationInstanceFamilies: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'an instance family such as c7i')).default([]),
        /**
         * Operator-allocated Elastic IPs used before allocating new ones (`ELASTIC_IP_POOL`); each
         * must carry the tag `wcs-autoscaler:fleet` = the fleet name, or the functions may not
         * associate it.
         */
        elasticIpPool: z.array(z.string().regex(/^eipalloc-[0-9a-f]{8,17}$/, 'an Elastic IP allocation id such as eipalloc-0abc1234')).default([]),
        /**
         * Refuse a pool whose WCS `image` is not pinned by digest (`…@sha256:<64 hex>`): a tag can
         * be moved to another build, a digest cannot (docs/security.md#smaller-guards).
         */
        requireImageDigest: z.boolean().default(false),
      })
      .default({ architecture: 'x86_64', elasticIpPool: [], requireImageDigest: false, hibernationInstanceFamilies: [] }),
    functions: z
      .object({
        /** Memory of each function, MiB (CPU scales with it). */
        memoryMiB: z.number().int().min(128).max(10_240).default(512),
        /**
         * Memory of the sweep, MiB: 1,769 MB is one full vCPU, the most a single-threaded sweep
         * uses (AWS Lambda Developer Guide, "Configure Lambda function memory",
         * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Its CPU-bound
         * work at 10,000 nodes is measured by `npm run bench` (docs/performance.md).
         */
        sweepMemoryMiB: z.number().int().min(128).max(10_240).default(DEFAULT_SWEEP_MEMORY_MIB),
        /** Retention of the functions' log groups, days (a CloudWatch Logs value). */
        logRetentionDays: z
          .number()
          .int()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
          .default(30),
        /**
         * Reserved concurrency per function (docs/security.md#cost-limits): node-events and the
         * sweep keep this many executions however many rooms arrive; room-events is capped only
         * when given. Reserved concurrency comes out of the account's regional limit, which must
         * keep at least 100 unreserved (AWS Lambda Developer Guide, "Configuring reserved concurrency").
         */
        reservedConcurrency: z
          .object({
            'node-events': z.number().int().min(1).default(5),
            sweep: z.number().int().min(1).default(2),
            'room-events': z.number().int().min(1).optional(),
          })
          .default({ 'node-events': 5, sweep: 2 }),
      })
      .default({ memoryMiB: 512, sweepMemoryMiB: DEFAULT_SWEEP_MEMORY_MIB, logRetentionDays: 30, reservedConcurrency: { 'node-events': 5, sweep: 2 } }),
    alarms: z
      .object({
        /** Evaluation period of the operational alarms, minutes. */
        periodMinutes: z.number().int().min(1).max(60).default(5),
        /** Dead-letter queue depth (messages) at or above which its alarm fires. */
        dlqDepth: z.number().int().min(1).default(1),
        /** `ScalingBlocked` events per period at or above which the alarm fires. */
        scalingBlocked: z.number().int().min(1).default(1),
        /** Function errors per period at or above which a function's alarm fires. */
        functionErrors: z.number().int().min(1).default(1),
        /** SNS topic the alarms notify (ALARM and OK); absent → no action, dashboard only. */
        topicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'an SNS topic ARN').optional(),
        /**
         * The fleet's node cost rate (live nodes × each pool's `hourlyPriceUsd`), USD/h, above which
         * the cost alarm fires. @default half of the ceiling Σ maxNodes × hourlyPriceUsd
         */
        costRateUsdPerHour: z.number().positive().optional(),
      })
      .default({ periodMinutes: 5, dlqDepth: 1, scalingBlocked: 1, functionErrors: 1 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.network.vpcId && (!c.account || !c.region)) {
      ctx.addIssue({ code: 'custom', path: ['network', 'vpcId'], message: 'looking up an existing VPC needs `account` and `region`' });
    }
    if (c.network.ecrEndpoints && !c.network.vpcEndpoints) {
      ctx.addIssue({ code: 'custom', path: ['network', 'ecrEndpoints'], message: 'ecrEndpoints needs network.vpcEndpoints (the nodes also need SSM, EventBridge and CloudWatch)' });
    }
    if (c.network.subnetIds && !c.network.vpcId) {
      ctx.addIssue({ code: 'custom', path: ['network', 'subnetIds'], message: 'subnetIds needs network.vpcId (a new VPC brings its own subnets)' });
    }
  });

/** The validated deployment configuration with every default applied. */
export interface DeploymentConfig {
  readonly fleetName: string;
  readonly account?: string;
  readonly region?: string;
  /** Name of the `AutoscalerConfig` parameter (the `CONFIG_PARAMETER` of the functions). */
  readonly configParameter: string;
  readonly autoscaler: AutoscalerConfig;
  /** Node settings of every pool (defaults for pools not configured). */
  readonly nodeSettings: Readonly<Record<string, NodeSettings>>;
  /** The SecureString names the node role may read (defaults and per-pool overrides). */
  readonly secrets: { readonly licenseParameter: string; readonly passwordParameter: string };
  readonly network: {
    readonly vpcId?: string;
    readonly subnetIds?: readonly string[];
    readonly vpcCidr: string;
    readonly maxAzs: number;
    readonly vpcEndpoints: boolean;
    readonly ecrEndpoints: boolean;
  };
  readonly access: {
    readonly clientCidrs: readonly string[];
    readonly operatorCidrs: readonly string[];
    readonly adminSecurityGroupId?: string;
    readonly operatorRoleArns: readonly string[];
    readonly nodeEventSender: 'required' | 'optional';
  };
  readonly node: {
    readonly architecture: 'x86_64' | 'arm64';
    /** Root volume of pools without their own `rootVolumeGiB` (already applied to `autoscaler.pools`). */
    readonly rootVolumeGiB?: number | undefined;
    readonly elasticIpPool: readonly string[];
    readonly requireImageDigest: boolean;
    readonly hibernationInstanceFamilies: readonly string[];
  };
  readonly functions: {
    readonly memoryMiB: number;
    /** The sweep's memory, MiB (one vCPU at 1,769). */
    readonly sweepMemoryMiB: number;
    readonly logRetentionDays: number;
    readonly reservedConcurrency: { readonly 'node-events': number; readonly sweep: number; readonly 'room-events'?: number };
  };
  readonly alarms: {
    readonly periodMinutes: number;
    readonly dlqDepth: number;
    readonly scalingBlocked: number;
    readonly functionErrors: number;
    readonly topicArn?: string;
    readonly costRateUsdPerHour?: number;
  };
}

/** Whether an instance type is a Graviton (arm64) one: a `g` after the generation digit, e.g. c7g, m6gd, c6gn. */
export function isArm64InstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

/**
 * Validate a raw configuration object and apply every default.
 *
 * @param input - the merged configuration object (file + context)
 * @returns the validated configuration
 * @throws {DeploymentConfigError} listing every invalid field by its path
 * @example
 * const config = parseDeploymentConfig({ fleetName: 'prod', autoscaler: { pools: [{ name: 'default', maxNodes: 50 }] } });
 */
export function parseDeploymentConfig(input: unknown): DeploymentConfig {
  const issues: string[] = [];
  let autoscaler: AutoscalerConfig | undefined;
  try {
    autoscaler = parseAutoscalerConfig(isPlainObject(input) ? input.autoscaler : undefined);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues.map((i) => `autoscaler.${i}`));
  }
  const parsed = DeploymentConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new DeploymentConfigError([...parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`), ...issues]);
  }
  const raw = parsed.data;

  const configParameter = raw.configParameter ?? `/wcs-autoscaler/${raw.fleetName}/config`;
  const names = bootstrapParameterNames(configParameter);
  const nodeSettings: Record<string, NodeSettings> = {};
  const poolNames = autoscaler?.pools.map((p) => p.name) ?? [];
  for (const pool of Object.keys(raw.nodeSettings)) {
    if (autoscaler && !poolNames.includes(pool)) issues.push(`nodeSettings.${pool}: no pool of that name in autoscaler.pools`);
  }
  for (const pool of poolNames) {
    const result = NodeSettingsSchema.safeParse(raw.nodeSettings[pool] ?? {});
    if (result.success && raw.node.requireImageDigest && !/@sha256:[a-f0-9]{64}$/.test(result.data.image)) {
      issues.push(`nodeSettings.${pool}.image: node.requireImageDigest needs an image pinned by digest (…@sha256:<64 hex>), not ${result.data.image}`);
    }
    if (result.success) nodeSettings[pool] = result.data;
    else issues.push(...result.error.issues.map((i) => `nodeSettings.${pool}.${formatPath(i.path)}: ${i.message}`));
  }

  if (autoscaler && raw.node.rootVolumeGiB !== undefined) autoscaler = withFleetRootVolume(autoscaler, input, raw.node.rootVolumeGiB);
  if (autoscaler) {
    for (const [p, pool] of autoscaler.pools.entries()) {
      for (const refusal of hibernationRefusals(pool, raw.node.hibernationInstanceFamilies)) {
        issues.push(`autoscaler.pools.${p}.warmPool.state: hibernation refused for pool ${pool.name}: ${refusal}`);
      }
      for (const [t, type] of pool.instanceTypes.entries()) {
        if (isArm64InstanceType(type) !== (raw.node.architecture === 'arm64')) {
          issues.push(`autoscaler.pools.${p}.instanceTypes.${t}: ${type} does not run the node.architecture ${raw.node.architecture} AMI`);
        }
      }
    }
  }
  if (issues.length > 0 || !autoscaler) throw new DeploymentConfigError(issues);

  return {
    fleetName: raw.fleetName,
    ...(raw.account ? { account: raw.account } : {}),
    ...(raw.region ? { region: raw.region } : {}),
    configParameter,
    autoscaler,
    nodeSettings,
    secrets: {
      licenseParameter: raw.secrets.licenseParameter ?? names.licenseSecret,
      passwordParameter: raw.secrets.passwordParameter ?? names.passwordSecret,
    },
    network: raw.network,
    access: raw.access,
    node: raw.node,
    functions: raw.functions,
    alarms: raw.alarms,
  };
}

/**
 * The SecureString names the media nodes read: the deployment's license and password names and
 * any per-pool overrides in node settings, without duplicates.
 */
export function secretParameterNames(config: DeploymentConfig): readonly string[] {
  const names = new Set<string>([config.secrets.licenseParameter, config.secrets.passwordParameter]);
  for (const settings of Object.values(config.nodeSettings)) {
    if (settings.licenseParameter) names.add(settings.licenseParameter);
    if (settings.passwordParameter) names.add(settings.passwordParameter);
  }
  return [...names];
}

/** `node.rootVolumeGiB` as the root volume of every pool whose input does not set its own. */
function withFleetRootVolume(autoscaler: AutoscalerConfig, input: unknown, rootVolumeGiB: number): AutoscalerConfig {
  const section = isPlainObject(input) ? input.autoscaler : undefined;
  const rawPools = isPlainObject(section) && Array.isArray(section.pools) ? section.pools : [];
  const ownSize = (i: number) => isPlainObject(rawPools[i]) && rawPools[i].rootVolumeGiB !== undefined;
  return { ...autoscaler, pools: autoscaler.pools.map((pool, i) => (ownSize(i) ? pool : { ...pool, rootVolumeGiB })) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfig(base[k], v);
  return out;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DeploymentConfigError([`${what}: not valid JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
}

/**
 * Read and validate the configuration from CDK context (and the file it names).
 *
 * @param tryGetContext - `app.node.tryGetContext`
 * @throws {DeploymentConfigError} when the file cannot be read, is not JSON, or does not validate
 * @example
 * const config = loadDeploymentConfig((key) => app.node.tryGetContext(key));
 */
export function loadDeploymentConfig(tryGetContext: (key: string) => unknown): DeploymentConfig {
  let merged: unknown = {};
  const file = tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  if (file !== undefined) {
    if (typeof file !== 'string' || file.length === 0) throw new DeploymentConfigError([`${CONFIG_FILE_CONTEXT_KEY}: must be a file path`]);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new DeploymentConfigError([`${CONFIG_FILE_CONTEXT_KEY}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`]);
    }
    merged = parseJson(text, file);
  }
  const context = tryGetContext(CONFIG_CONTEXT_KEY);
  if (context !== undefined) merged = mergeConfig(merged, typeof context === 'string' ? parseJson(context, CONFIG_CONTEXT_KEY) : context);
  return parseDeploymentConfig(merged);
}
