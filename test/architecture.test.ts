/**
 * Architecture rules, checked on the sources themselves:
 * - no import cycle among the project's TypeScript files (type-only imports included), found
 *   with dpdm's parser;
 * - nothing Lambda runs or deploys (`shared/`, `lambdas/`, `infra/`) imports the simulated cloud
 *   (`sim/`), whether or not `sim/` exists yet;
 * - no production source file (`shared/`, `lambdas/`, `infra/`, `cli/`, `sim/`, `bin/`) over
 *   500 lines;
 * - `shared/domain` imports nothing outside `shared/domain` (but the pure libraries listed) and
 *   never reads the clock (`Date.now()`, `new Date()` without arguments).
 *
 * Each check is a function of a root folder, so the second block runs it on a small tree with a
 * planted violation and asserts it is caught: a check that cannot fail fails there.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Folders of production code: what Lambda runs, what deploys it, the CLI and the simulator. */
const PRODUCTION_DIRS = ['shared', 'lambdas', 'infra', 'cli', 'sim', 'bin'];
/** Folders whose code ships to AWS and so must not depend on the simulated cloud. */
const DEPLOYED_DIRS = ['shared', 'lambdas', 'infra'];
/** Every folder of the project's own TypeScript, for the cycle check. */
const SOURCE_DIRS = [...PRODUCTION_DIRS, 'bench', 'test'];
/** Most lines a production source file may have. */
const MAX_LINES = 500;
/**
 * Files over {@link MAX_LINES} that issue 14 moves and splits (the simulator's move to `sim/`).
 * An entry must name an existing file that is still over the limit: once it is split or moved,
 * the check fails until the entry is removed here.
 */
const PENDING_SPLIT: readonly string[] = [];
/** Packages `shared/domain` may import: pure, no I/O, no clock (zod: the config and trace schemas). */
const DOMAIN_PACKAGES: readonly string[] = ['zod'];

const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Source files under `dirs` of `root`, as paths relative to `root` with `/` separators. */
function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { recursive: true, encoding: 'utf8' })) {
      const rel = join(dir, entry);
      if (rel.split(sep).includes('node_modules') || !SOURCE_EXT.test(rel)) continue;
      files.push(rel.split(sep).join('/'));
    }
  }
  return files.sort();
}

/** Module specifiers a file imports, re-exports, `import()`s or `require`s. */
function importsOf(root: string, file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Whether `spec`, imported by `file`, is a relative path that resolves inside `dir` of `root`. */
function resolvesInto(root: string, file: string, spec: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false;
  const target = resolve(root, dirname(file), spec);
  const base = resolve(root, dir);
  return target === base || target.startsWith(base + sep);
}

/** Import cycles among the TypeScript files of `dirs`, each as the files around the loop. */
async function importCycles(root: string, dirs: readonly string[]): Promise<string[][]> {
  const present = dirs.filter((d) => existsSync(join(root, d)));
  if (present.length === 0) return [];
  const tree = await parseDependencyTree(
    present.map((d) => `${d}/**/*.{ts,mts,cts}`),
    { context: root, cwd: root, transform: false, skipDynamicImports: false, exclude: /node_modules/ },
  );
  return parseCircular(tree);
}

/** `file -> specifier` for every import of `sim/` from the deployed folders. */
function simImports(root: string): string[] {
  return sourceFiles(root, DEPLOYED_DIRS).flatMap((file) =>
    importsOf(root, file)
      .filter((spec) => resolvesInto(root, file, spec, 'sim'))
      .map((spec) => `${file} -> ${spec}`),
  );
}

/** Lines of a file as `wc -l` counts them (a last line without newline counts too). */
function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Production source files over `limit` lines, with their line counts. */
function oversizedFiles(root: string, limit: number): Record<string, number> {
  const over: Record<string, number> = {};
  for (const file of sourceFiles(root, PRODUCTION_DIRS)) {
    const lines = lineCount(readFileSync(join(root, file), 'utf8'));
    if (lines > limit) over[file] = lines;
  }
  return over;
}

/** `file -> specifier` for imports of `shared/domain` files that leave it (but allowed packages). */
function domainImportsOutside(root: string): string[] {
  return sourceFiles(root, ['shared/domain']).flatMap((file) =>
    importsOf(root, file)
      .filter((spec) => (spec.startsWith('.') ? !resolvesInto(root, file, spec, 'shared/domain') : !DOMAIN_PACKAGES.includes(spec)))
      .map((spec) => `${file} -> ${spec}`),
  );
}

/** `file:line: code` for every `Date.now()` and argument-less `new Date()` in `shared/domain`. */
function domainClockReads(root: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(root, ['shared/domain'])) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const isDateNow =
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ts.isIdentifier(node.expression.expression) &&
        node.expression.expression.text === 'Date' &&
        node.expression.name.text === 'now';
      const isNewDate = ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && (node.arguments?.length ?? 0) === 0;
      if (isDateNow || isNewDate) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${file}:${line + 1}: ${node.getText(source)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('Architecture', () => {
  it('has no import cycle among the TypeScript sources', async () => {
    // Prepare / Act
    const cycles = await importCycles(ROOT, SOURCE_DIRS);

    // Assess
    expect(cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps shared/, lambdas/ and infra/ free of imports of sim/', () => {
    // Prepare / Act / Assess
    expect(simImports(ROOT)).toEqual([]);
  });

  it(`has no production source file over ${MAX_LINES} lines (but the ones pending their split)`, () => {
    // Prepare
    const over = oversizedFiles(ROOT, MAX_LINES);

    // Act
    const unexpected = Object.keys(over).filter((f) => !PENDING_SPLIT.includes(f));
    const stale = PENDING_SPLIT.filter((f) => !(f in over));

    // Assess
    expect(unexpected.map((f) => `${f}: ${over[f]} lines`)).toEqual([]);
    expect(stale.map((f) => `${f} is gone or within ${MAX_LINES} lines: remove it from PENDING_SPLIT`)).toEqual([]);
  });

  it('keeps shared/domain pure: no import from outside it, no clock read', () => {
    // Prepare / Act / Assess
    expect(domainImportsOutside(ROOT)).toEqual([]);
    expect(domainClockReads(ROOT)).toEqual([]);
  });
});

describe('Architecture checks (on a planted tree)', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  /** A fresh tree every check passes on (a domain using zod and a dated time, an app using it), plus `files`. */
  const tree = (files: Readonly<Record<string, string>> = {}): string => {
    const root = mkdtempSync(join(tmpdir(), 'wcs-architecture-'));
    roots.push(root);
    const base: Record<string, string> = {
      'shared/domain/a.ts': "import * as z from 'zod';\nimport { b } from './b.ts';\nexport const a = (now: number) => b + now + new Date(now).getTime() + z.string().parse('').length;\n",
      'shared/domain/b.ts': 'export const b = 1; // Date.now() in a comment is no read\n',
      'shared/app/c.ts': "import { a } from '../domain/a.ts';\nexport const c = a(0);\n",
    };
    for (const [file, text] of Object.entries({ ...base, ...files })) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    return root;
  };

  it('passes the clean tree', async () => {
    // Prepare
    const root = tree();

    // Act / Assess
    expect(await importCycles(root, SOURCE_DIRS)).toEqual([]);
    expect(simImports(root)).toEqual([]);
    expect(oversizedFiles(root, MAX_LINES)).toEqual({});
    expect(domainImportsOutside(root)).toEqual([]);
    expect(domainClockReads(root)).toEqual([]);
  });

  it('finds an import cycle, type-only imports included', async () => {
    // Prepare
    const root = tree({
      'cli/x.ts': "import { y } from './y.ts';\nexport const x = () => y;\n",
      'cli/y.ts': "import type { x } from './x.ts';\nexport const y: typeof x | undefined = undefined;\n",
    });

    // Act
    const cycles = await importCycles(root, SOURCE_DIRS);

    // Assess (a cycle may be reported from any of its files)
    expect(cycles.map((c) => [...c].sort())).toEqual([['cli/x.ts', 'cli/y.ts']]);
  });

  it('finds an import of sim/ from shared/, lambdas/ or infra/, whether sim/ exists or not', () => {
    // Prepare
    const root = tree({
      'lambdas/h.ts': "export { run } from '../sim/runtime/run.ts';\n",
      'infra/s.ts': "const m = await import('../sim');\nexport default m;\n",
      'cli/ok.ts': "import '../sim/runtime/run.ts';\n",
    });

    // Act
    const found = simImports(root);

    // Assess
    expect(found).toEqual(['infra/s.ts -> ../sim', 'lambdas/h.ts -> ../sim/runtime/run.ts']);
  });

  it('finds a production file over the limit, in sim/ and bin/ too', () => {
    // Prepare
    const root = tree({
      'sim/big.ts': 'export const x = 1;\n'.repeat(MAX_LINES + 1),
      'bin/ok.js': 'console.log(1);\n'.repeat(MAX_LINES),
      'test/big.test.ts': '// tests are not production code\n'.repeat(MAX_LINES + 1),
    });

    // Act
    const over = oversizedFiles(root, MAX_LINES);

    // Assess
    expect(over).toEqual({ 'sim/big.ts': MAX_LINES + 1 });
  });

  it('finds shared/domain importing outside itself: another folder, the SDK, a Node built-in', () => {
    // Prepare
    const root = tree({
      'shared/domain/d.ts':
        "import type { X } from '../ports/x.ts';\nimport { EC2Client } from '@aws-sdk/client-ec2';\nimport { randomUUID } from 'node:crypto';\nexport type D = X;\nexport { EC2Client, randomUUID };\n",
    });

    // Act
    const found = domainImportsOutside(root);

    // Assess
    expect(found).toEqual(['shared/domain/d.ts -> ../ports/x.ts', 'shared/domain/d.ts -> @aws-sdk/client-ec2', 'shared/domain/d.ts -> node:crypto']);
  });

  it('finds shared/domain reading the clock', () => {
    // Prepare
    const root = tree({
      'shared/domain/e.ts': 'export const e = () => Date.now();\nexport const f = () => new Date();\nexport const g = () => new Date;\nexport const h = (t: number) => new Date(t);\n',
    });

    // Act
    const found = domainClockReads(root);

    // Assess
    expect(found).toEqual(['shared/domain/e.ts:1: Date.now()', 'shared/domain/e.ts:2: new Date()', 'shared/domain/e.ts:3: new Date']);
  });
});
