/**
 * Lambda packages: each function bundled as the CDK `NodejsFunction` of
 * infra/constructs/autoscaler-function.ts does (esbuild, platform
 * node, ESM, minify, target node22, every dependency inlined except `@aws-sdk/*`, which the
 * Lambda Node.js 22 runtime provides — AWS SDK for JavaScript v3 is part of the nodejs22.x
 * runtime), its size from the esbuild metafile, and its cold import time: a fresh Node process
 * imports the bundle and reports how long the import took, median of several runs.
 *
 * The SDK modules the bundle imports load from this repository's `node_modules` (same versions
 * as pinned), so the import time includes loading the SDK clients, as in Lambda.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { LAMBDA_BUNDLE_BANNER, LAMBDA_BUNDLE_EXTERNALS, LAMBDA_BUNDLE_MAIN_FIELDS, LAMBDA_BUNDLE_TARGET } from '../infra/bundling.ts';

const run = promisify(execFile);

/** One function's package. */
export interface BundleRow {
  readonly fn: string;
  /** Bundle size, bytes (the output file, from the metafile). */
  readonly bytes: number;
  /** Median cold import time, ms. */
  readonly importMsMedian: number;
  /** Every run's import time, ms. */
  readonly importMsRuns: readonly number[];
  /** The largest contributors to the bundle: package (or source folder) and bytes in the output. */
  readonly largest: readonly { readonly module: string; readonly bytes: number }[];
}

/** `node_modules/<pkg>/…` → `<pkg>` (scoped: `@scope/pkg`); other paths → their first folder. */
function moduleOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? (m[1] as string) : path.split('/')[0] ?? path;
}

/** The functions, by entry file. */
export const FUNCTIONS = ['room-events', 'node-events', 'sweep'] as const;
/** Cold imports per function. */
export const IMPORT_RUNS = 5;

/** esbuild options as the stack's NodejsFunction bundling (`infra/bundling.ts`: ESM, minify, node22, external source maps). */
export function bundleOptions(entry: string, outfile: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
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

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Bundle every function and time its cold import.
 *
 * @param root - repository root
 * @param runs - cold imports per function
 */
export async function measureBundles(root: string, runs = IMPORT_RUNS): Promise<BundleRow[]> {
  // Inside node_modules so the bundle's `@aws-sdk/*` imports resolve to the pinned SDK.
  const outDir = resolve(root, 'node_modules/.cache/wcs-autoscaler-bench');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const rows: BundleRow[] = [];
  for (const fn of FUNCTIONS) {
    const outfile = join(outDir, fn, 'index.mjs');
    const result = await build(bundleOptions(resolve(root, 'lambdas', fn, 'index.ts'), outfile));
    // The code Lambda loads: the bundle, not its external source map.
    const outputs = Object.entries(result.metafile.outputs)
      .filter(([path]) => !path.endsWith('.map'))
      .map(([, o]) => o);
    const bytes = outputs.reduce((s, o) => s + o.bytes, 0);
    const byModule = new Map<string, number>();
    for (const o of outputs) for (const [path, i] of Object.entries(o.inputs)) byModule.set(moduleOf(path), (byModule.get(moduleOf(path)) ?? 0) + i.bytesInOutput);
    const largest = [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([module, b]) => ({ module, bytes: b }));
    const script =
      "const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));";
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(outfile).href], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_LAMBDA_FUNCTION_NAME: fn,
          POWERTOOLS_SERVICE_NAME: 'wcs-autoscaler',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      times.push(Number(stdout));
    }
    rows.push({ fn, bytes, importMsMedian: median(times), importMsRuns: times, largest });
  }
  return rows;
}
