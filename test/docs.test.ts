import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors } from './support/markdown-links.ts';

const root = resolve(import.meta.dirname, '..');
const docs = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const checked = ['README.md', ...docs, 'infra/README.md', 'samples/README.md'];

/** Source folders whose comments may cite `docs/<page>.md#<anchor>`. */
const SOURCE_DIRS = ['shared', 'lambdas', 'infra', 'cli', 'bench', 'sim', 'test'];

describe('Docs: README.md', () => {
  it('is at most 10 KB (10,240 bytes)', () => {
    // Act
    const bytes = statSync(join(root, 'README.md')).size;

    // Assess
    expect(bytes).toBeLessThanOrEqual(10_240);
  });

  it('links every page of docs/', () => {
    // Prepare
    const readme = readFileSync(join(root, 'README.md'), 'utf8');

    // Assess
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((page) => !readme.includes(`](${page})`))).toEqual([]);
  });
});

describe('Docs: links', () => {
  it.each(checked)('every relative link and #anchor in %s resolves', (file) => {
    // Act
    const broken = brokenLinks(join(root, file), root);

    // Assess
    expect(broken).toEqual([]);
  });

  it('every docs/<page>.md#<anchor> a source comment cites resolves', () => {
    // Prepare
    const citation = /docs\/([\w-]+\.md)(?:#([\w-]+))?/g;
    const sources = SOURCE_DIRS.flatMap((dir) => {
      try {
        return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts') && !f.includes('node_modules'))
          .map((f) => join(dir, f))
          .filter((f) => f !== join('test', 'docs.test.ts')); // this file's fixtures cite missing pages on purpose
      } catch {
        return []; // a folder that does not exist (yet) cites nothing
      }
    });

    // Act
    const broken: string[] = [];
    for (const source of sources) {
      for (const [, page, anchor] of readFileSync(join(root, source), 'utf8').matchAll(citation)) {
        const target = `docs/${page}`;
        const exists = docs.includes(target);
        if (!exists) broken.push(`${source}: no file ${target}`);
        else if (anchor && !headingAnchors(readFileSync(join(root, target), 'utf8')).includes(anchor)) {
          broken.push(`${source}: no heading #${anchor} in ${target}`);
        }
      }
    }

    // Assess
    expect(broken).toEqual([]);
  });
});

describe('Function: headingAnchors', () => {
  it.each([
    ['# Design', ['design']],
    ['## Read the answer (`RoomPlaced`)', ['read-the-answer-roomplaced']],
    ['## `npm start`: one day through the real handlers', ['npm-start-one-day-through-the-real-handlers']],
    ['## A\n\n## A', ['a', 'a-1']],
    ['```md\n# not a heading\n```\n# Real', ['real']],
  ])('gives GitHub anchors for %j', (markdown, anchors) => {
    expect(headingAnchors(markdown)).toEqual(anchors);
  });
});

describe('Function: brokenLinks', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'b.md'), '# B\n\n## Event contract\n');
    writeFileSync(join(dir, 'code.ts'), 'export {};\n');
    writeFileSync(
      join(dir, 'README.md'),
      [
        '# Top',
        '[ok](docs/b.md) [ok anchor](docs/b.md#event-contract) [self](#top) [root](/docs/b.md)',
        '[ok file](code.ts) [ok dir](docs/) [web](https://example.com/x.md#nope)',
        '[missing file](docs/c.md)',
        '[missing anchor](docs/b.md#scaling-policy)',
        '[missing self anchor](#bottom)',
        '[anchor on code](code.ts#L1)',
        '[ref]',
        '',
        '[ref]: docs/gone.md',
        '',
        '```md',
        '[in code](docs/nowhere.md)',
        '```',
      ].join('\n'),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports exactly the links whose file or heading is missing, with the line', () => {
    // Act
    const broken = brokenLinks(join(dir, 'README.md'), dir);

    // Assess
    expect(broken).toEqual([
      { url: 'docs/c.md', line: 4, reason: 'no file docs/c.md' },
      { url: 'docs/b.md#scaling-policy', line: 5, reason: 'no heading #scaling-policy in docs/b.md' },
      { url: '#bottom', line: 6, reason: 'no heading #bottom in README.md' },
      { url: 'code.ts#L1', line: 7, reason: 'an anchor on code.ts, which is not a markdown file' },
      { url: 'docs/gone.md', line: 10, reason: 'no file docs/gone.md' },
    ]);
  });
});
