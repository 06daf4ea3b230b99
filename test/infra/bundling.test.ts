/**
 * The functions' assets (infra/bundling.ts): what a cold start imports (`index.mjs` and the
 * chunks it imports statically) and what only a dynamic `import()` reaches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLambdaAsset, LAMBDA_ENTRY_FILE } from '../../infra/bundling.ts';
import { REPOSITORY_ROOT } from '../../infra/constructs/autoscaler-function.ts';

const out = mkdtempSync(join(tmpdir(), 'wcs-autoscaler-bundling-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** External modules reachable from the entry by static imports only, and by any import. */
function reachable(metafile: Metafile, entry: string): { statics: Set<string>; all: Set<string>; staticFiles: Set<string> } {
  const walk = (kinds: ReadonlySet<string>) => {
    const seen = new Set<string>([entry]);
    const externals = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      for (const i of metafile.outputs[file]?.imports ?? []) {
        if (!kinds.has(i.kind)) continue;
        if (i.external) externals.add(i.path);
        else if (!seen.has(i.path)) {
          seen.add(i.path);
          queue.push(i.path);
        }
      }
    }
    return { externals, seen };
  };
  const s = walk(new Set(['import-statement']));
  return { statics: s.externals, staticFiles: s.seen, all: walk(new Set(['import-statement', 'dynamic-import'])).externals };
}

const LAZY = ['@aws-sdk/client-eventbridge', '@aws-sdk/client-ec2', '@aws-sdk/client-cloudwatch', '@aws-sdk/client-sqs'];

describe('Function: buildLambdaAsset', () => {
  it.each(['room-events', 'node-events', 'sweep'])('%s: a cold start imports the DynamoDB client only; EventBridge, EC2, CloudWatch and SQS by dynamic import, SSM never statically', (fn) => {
    // Act
    const result = buildLambdaAsset(REPOSITORY_ROOT, fn, join(out, fn));

    // Assess
    const outputs = Object.keys(result.metafile.outputs);
    const entry = outputs.find((p) => p.endsWith(`${fn}/${LAMBDA_ENTRY_FILE}`)) as string;
    expect(entry).toBeDefined();
    expect(outputs.some((p) => /\/chunks\/.+\.mjs$/.test(p))).toBe(true);
    const { statics, all, staticFiles } = reachable(result.metafile, entry);
    const sdkStatic = [...statics].filter((m) => m.startsWith('@aws-sdk/client-')).sort();
    expect(sdkStatic).toEqual(['@aws-sdk/client-dynamodb']);
    for (const m of LAZY) expect(all).toContain(m);
    expect([...statics].some((m) => m.includes('client-ssm'))).toBe(false);
    // The tracer (with aws-xray-sdk-core) is bundled into chunks only a dynamic import reaches.
    const inputsOf = (files: Iterable<string>) => [...files].flatMap((f) => Object.keys(result.metafile.outputs[f]?.inputs ?? {}));
    const isTracer = (p: string) => p.includes('aws-xray-sdk-core') || p.includes('@aws-lambda-powertools/tracer');
    expect(inputsOf(staticFiles).some(isTracer)).toBe(false);
    expect(inputsOf(outputs).some(isTracer)).toBe(true);
  });
});
