/**
 * How the functions are bundled, written once for the CDK stack (`AutoscalerFunction`'s
 * NodejsFunction bundling) and the bench (`bench/bundles.ts`, which measures the same bundles).
 *
 * @module
 */

/** esbuild target: the Lambda runtime's Node version (Node 22). */
export const LAMBDA_BUNDLE_TARGET = 'node22';

/** Prefer packages' ESM builds (smaller after tree-shaking). */
export const LAMBDA_BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * Modules left out of the bundle: the Node.js 22 Lambda runtime provides the AWS SDK for
 * JavaScript v3 (`@aws-sdk/*`), NodejsFunction's default for that runtime.
 */
export const LAMBDA_BUNDLE_EXTERNALS: readonly string[] = ['@aws-sdk/*'];

/** Some CommonJS dependencies call `require()` for Node built-ins; give the ESM bundle one. */
export const LAMBDA_BUNDLE_BANNER = "import { createRequire as __wcsCreateRequire } from 'node:module'; const require = __wcsCreateRequire(import.meta.url);";
