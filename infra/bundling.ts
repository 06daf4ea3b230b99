/**
 * How the functions are bundled and the runtime environment they start in, written once for the
 * CDK stack (`AutoscalerFunction` builds its asset with {@link buildLambdaAsset}) and the bench
 * (`bench/bundles.ts` builds the same assets and starts them with {@link LAMBDA_RUNTIME_ENVIRONMENT}).
 *
 * Each function is an ESM asset folder: `index.mjs` (the handler) plus `chunks/*.mjs` that
 * esbuild code splitting makes for every dynamic `import()`. The handler imports only what every
 * invocation needs (DynamoDB, EventBridge, Powertools logger/metrics/idempotency, middy, zod); the
 * EC2, CloudWatch and SQS adapters and the Powertools tracer load from their chunks on the first
 * invocation that uses them (lambdas/shared/dependencies.ts, lambdas/shared/tracing.ts).
 *
 * @module
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync, type BuildOptions, type BuildResult } from 'esbuild';

/** esbuild target: the Lambda runtime's Node version (Node 22). */
export const LAMBDA_BUNDLE_TARGET = 'node22';

/** Prefer packages' ESM builds (smaller after tree-shaking). */
export const LAMBDA_BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * Modules left out of the bundle: the Node.js 22 Lambda runtime provides the AWS SDK for
 * JavaScript v3 (`@aws-sdk/*`), NodejsFunction's default for that runtime.
 */
export const LAMBDA_BUNDLE_EXTERNALS: readonly string[] = ['@aws-sdk/*'];

/** Some CommonJS dependencies call `require()` for Node built-ins; give every ESM output file one. */
export const LAMBDA_BUNDLE_BANNER = "import { createRequire as __wcsCreateRequire } from 'node:module'; const require = __wcsCreateRequire(import.meta.url);";

/** File name of the handler module in an asset folder (Lambda handler `index.handler`). */
export const LAMBDA_ENTRY_FILE = 'index.mjs';

/** The Lambda handler setting of every function. */
export const LAMBDA_HANDLER = 'index.handler';

/**
 * Environment every function starts with (besides the bind-specific variables); the bench starts
 * its cold processes with the same.
 *
 * `--enable-source-maps` maps stack traces to the TypeScript sources through the assets'
 * external `.map` files. Node reads a map only when a stack trace is formatted: interleaved cold
 * imports with and without it differed by less than the run-to-run noise (docs/performance.md).
 */
export const LAMBDA_RUNTIME_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'wcs-autoscaler',
};

/**
 * esbuild options of one function's asset: ESM with code splitting into `outdir`, minified,
 * target node22, every dependency inlined except `@aws-sdk/*`, external source maps without
 * sources.
 *
 * @param entry - the function's entry file (`lambdas/<name>/index.ts`)
 * @param outdir - the asset folder (`index.mjs`, `chunks/`)
 */
export function lambdaBuildOptions(entry: string, outdir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLE_TARGET,
    mainFields: [...LAMBDA_BUNDLE_MAIN_FIELDS],
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    metafile: true,
    external: [...LAMBDA_BUNDLE_EXTERNALS],
    banner: { js: LAMBDA_BUNDLE_BANNER },
    logLevel: 'silent',
  };
}

/** The entry file of a function, `lambdas/<name>/index.ts` under `root`. */
export function lambdaEntry(root: string, name: string): string {
  return join(root, 'lambdas', name, 'index.ts');
}

/**
 * Build one function's asset folder (synchronously, as CDK's local bundling needs).
 *
 * @param root - repository root
 * @param name - the function (`lambdas/<name>/index.ts`)
 * @param outdir - the asset folder; emptied first
 * @returns esbuild's result with the metafile (output sizes, static and dynamic imports)
 * @throws esbuild's build error when the entry does not compile
 */
export function buildLambdaAsset(root: string, name: string, outdir: string): BuildResult<{ metafile: true }> {
  rmSync(outdir, { recursive: true, force: true });
  return buildSync(lambdaBuildOptions(lambdaEntry(root, name), outdir));
}
