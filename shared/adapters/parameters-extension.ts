/**
 * Parameter reads through the AWS Parameters and Secrets Lambda Extension: an HTTP GET to the
 * extension on `localhost` (port `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, default 2773) with the
 * function's session token, answered from the extension's cache (TTL
 * {@link EXTENSION_CACHE_TTL_SECONDS}) or from SSM `GetParameter` on a miss.
 *
 * Why: the functions read their configuration on every cold start, and `@aws-sdk/client-ssm`
 * costs about as much to import as the DynamoDB clients themselves (docs/performance.md); over
 * the extension the function needs only `node:http`, which the SDK has loaded already.
 *
 * Documented by AWS: https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html
 *
 * @module
 */
import { request } from 'node:http';
import { AutoscalerError } from '../errors.ts';

/** The extension's cache lifetime set by the stack, seconds (its default is 300). */
export const EXTENSION_CACHE_TTL_SECONDS = 30;

/** The extension's default port. */
export const EXTENSION_DEFAULT_PORT = 2773;

/** Reads one String parameter: its value, or undefined when it does not exist. */
export type ParameterReader = (name: string) => Promise<string | undefined>;

/** Options of {@link extensionParameterReader}. */
export interface ExtensionReaderOptions {
  /** Host. @default 'localhost' */
  readonly host?: string;
  /** Port. @default env `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, else 2773 */
  readonly port?: number;
  /** Session token the extension checks. @default env `AWS_SESSION_TOKEN` */
  readonly sessionToken?: string;
  /** Give up on one request after this long, ms. @default 3000 */
  readonly timeoutMs?: number;
}

function get(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A {@link ParameterReader} over the extension (`WithDecryption` false: plain String parameters).
 *
 * @example
 * const read = extensionParameterReader();
 * const json = await read('/wcs-autoscaler/prod/config');
 *
 * @throws {AutoscalerError} naming the parameter when the extension cannot be reached or SSM
 *   refuses the read (retryable unless the refusal is a client error other than throttling)
 */
export function extensionParameterReader(options: ExtensionReaderOptions = {}): ParameterReader {
  const host = options.host ?? 'localhost';
  const port = options.port ?? Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? EXTENSION_DEFAULT_PORT);
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async (name) => {
    const url = new URL(`http://${host}:${port}/systemsmanager/parameters/get`);
    url.searchParams.set('name', name);
    url.searchParams.set('withDecryption', 'false');
    let res: { status: number; body: string };
    try {
      res = await get(url, { 'X-Aws-Parameters-Secrets-Token': options.sessionToken ?? process.env.AWS_SESSION_TOKEN ?? '' }, timeoutMs);
    } catch (error) {
      throw new AutoscalerError(`${name}: parameters extension unreachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true });
    }
    if (res.status === 200) {
      const out = JSON.parse(res.body) as { Parameter?: { Value?: string } };
      return out.Parameter?.Value;
    }
    // The extension relays SSM's error: the code appears in the body.
    if (res.body.includes('ParameterNotFound')) return undefined;
    const throttled = /Throttl|TooManyUpdates/.test(res.body);
    throw new AutoscalerError(`${name}: GetParameter through the extension failed (HTTP ${res.status}): ${res.body.slice(0, 300)}`, {
      retryable: res.status >= 500 || throttled,
    });
  };
}
