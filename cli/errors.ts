/**
 * What the operator CLI prints when a command fails, and its exit code: the one place that maps
 * errors (AWS SDK, file system, configuration, usage) to one line with the cause and a hint.
 * Only an unexpected error (a bug) keeps its stack trace.
 *
 * @module
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../shared/domain/config.ts';

/** The CLI's exit codes (documented in `--help`). */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** An invariant broke (simulate), or an unexpected internal error (stack trace printed). */
  Invariant: 1,
  /** Usage or input error: a bad option, an unreadable or invalid file, an unknown pool or node. */
  Usage: 2,
  /** AWS or environment error: no region, no credentials, unknown table, access denied, unreachable endpoint. */
  Environment: 3,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes as `--help` lists them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  an invariant broke (simulate), or an unexpected internal error (printed with its stack)
  2  usage or input error (bad option, unreadable or invalid file, unknown pool, drain refused)
  3  AWS or environment error (no region, no credentials, unknown table, access denied,
     endpoint unreachable)`;

/** A usage or input error found by a command itself; printed as its message, exit 2. */
export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What the failing command was given, so that a message can name the option at fault. */
export interface ErrorContext {
  /** The options commander parsed for the command (`--trace` as `trace`, …). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** What to print (one line, no stack unless unexpected) and the exit code. */
export interface ExplainedError {
  readonly exitCode: ExitCodeValue;
  readonly message: string;
}

/** The errors in an error's `cause` chain, outermost first (at most 10). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 10) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly path?: unknown;
  readonly syscall?: unknown;
  readonly $metadata?: unknown;
  readonly errors?: unknown;
}

const shape = (e: unknown): ErrorShape => (typeof e === 'object' && e !== null ? (e as ErrorShape) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The option (`--trace`) whose value is `value`, if any. */
function optionFor(context: ErrorContext, value: unknown): string | undefined {
  for (const [key, v] of Object.entries(context.options ?? {})) {
    if (v === value) return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  }
  return undefined;
}

const opt = (context: ErrorContext, key: string): string | undefined => str(context.options?.[key]);

function where(context: ErrorContext): string {
  const region = opt(context, 'region') ?? process.env.AWS_REGION;
  const endpoint = opt(context, 'endpoint');
  return endpoint ? ` at ${endpoint}` : region ? ` in ${region}` : '';
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'NotAuthorized']);
const BAD_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'AuthFailure']);
const EXPIRED_CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException', 'Throttling']);

/** An AWS SDK / environment cause, explained; undefined when `e` is not one. */
function explainAws(e: unknown, context: ErrorContext): string | undefined {
  const { name, code, message, $metadata } = shape(e);
  const n = str(name) ?? '';
  const text = str(message) ?? '';
  if (text === 'Region is missing' || n === 'RegionMissing') {
    return 'no AWS region: pass --region or set AWS_REGION (or a region in the AWS profile)';
  }
  if (n === 'CredentialsProviderError' || /could not load credentials/i.test(text)) {
    return 'no AWS credentials found: set AWS_PROFILE (after `aws sso login` if it uses SSO) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (n === 'TokenProviderError' || /token.*(expired|refresh)/i.test(text)) {
    return `AWS credentials expired: ${text} — renew them (e.g. \`aws sso login\`)`;
  }
  if (n === 'ResourceNotFoundException') {
    const table = opt(context, 'table') ?? process.env.FLEET_TABLE;
    return `${table ? `table "${table}" not found${where(context)}` : `resource not found${where(context)}`} (${text}) — check --table (or FLEET_TABLE) and --region: the fleet table's name is in the stack's outputs`;
  }
  if (ACCESS_DENIED.has(n)) {
    return `access denied${where(context)}: ${text} — the credentials' identity needs the operator's DynamoDB permissions on the fleet table`;
  }
  if (BAD_CREDENTIALS.has(n)) return `AWS rejected the credentials${where(context)} (${n}): ${text} — check AWS_PROFILE / the access keys and --region`;
  if (EXPIRED_CREDENTIALS.has(n)) return `AWS credentials expired (${n}) — renew them (e.g. \`aws sso login\`)`;
  if (THROTTLED.has(n)) return `throttled by AWS${where(context)} (${n}): ${text} — retry in a moment`;
  const errno = str(code);
  const aggregated = Array.isArray(shape(e).errors) ? (shape(e).errors as unknown[]).map((x) => str(shape(x).code)).find((c) => c && NETWORK_CODES.has(c)) : undefined;
  const networkCode = errno && NETWORK_CODES.has(errno) ? errno : aggregated;
  if (networkCode || n === 'TimeoutError') {
    const endpoint = opt(context, 'endpoint');
    const target = endpoint ? `the endpoint ${endpoint}` : `AWS${where(context)}`;
    const detail = text || (networkCode ?? n);
    return `cannot reach ${target} (${detail}) — check ${endpoint ? '--endpoint (is the local DynamoDB running?)' : '--region and the network'}`;
  }
  if ($metadata !== undefined && n !== '') {
    return `AWS error${where(context)}: ${n}: ${text}`;
  }
  return undefined;
}

/**
 * Explain an error the way the CLI prints it.
 *
 * @param error - anything a command threw (the `cause` chain is read: adapters wrap SDK errors)
 * @param context - the failing command's options, to name the option at fault
 * @returns one line (no stack trace, except for an unexpected error) and the exit code:
 *   2 for usage and input errors, 3 for AWS and environment errors, 1 for anything unexpected
 */
export function explainError(error: unknown, context: ErrorContext = {}): ExplainedError {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (and the help) already.
    return { exitCode: error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage, message: '' };
  }
  if (error instanceof UsageError || error instanceof InvalidArgumentError || error instanceof ConfigError) {
    return { exitCode: ExitCode.Usage, message: error.message };
  }
  const chain = causes(error);
  for (const e of chain) {
    const aws = explainAws(e, context);
    if (aws) return { exitCode: ExitCode.Environment, message: aws };
  }
  for (const e of chain) {
    const { code, path, syscall } = shape(e);
    const c = str(code);
    if (c && c in FILE_ERRORS && str(path)) {
      const option = optionFor(context, path);
      const what = `${option ? `${option} ` : ''}${String(path)}`;
      const why = c === 'EEXIST' && syscall === 'mkdir' ? 'a part of the path is a file, not a directory' : FILE_ERRORS[c];
      return { exitCode: ExitCode.Usage, message: `${what}: ${why}${str(syscall) ? ` (${String(syscall)})` : ''}` };
    }
    if (e instanceof SyntaxError) return { exitCode: ExitCode.Usage, message: `invalid JSON: ${e.message}` };
    if (e instanceof RangeError && /^generateTrace: /.test(e.message)) return { exitCode: ExitCode.Usage, message: e.message };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  return { exitCode: ExitCode.Invariant, message: `unexpected error (please report it): ${err.stack ?? err.message}` };
}
