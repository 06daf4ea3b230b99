/**
 * Relative links of markdown files, checked the way GitHub renders them: a link's file must
 * exist (relative to the linking file, or to the repository root when it starts with `/`), and
 * its `#anchor` must match a heading of the target markdown file under GitHub's slug rules
 * (`github-slugger`, duplicates suffixed `-1`, `-2`, …). Links with a scheme (`https:`,
 * `mailto:`) and protocol-relative links are not checked: the tests run offline.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString } from 'mdast-util-to-string';
import { visit } from 'unist-util-visit';

/** One link target as written in a markdown file. */
export interface MarkdownLink {
  /** The URL as written, e.g. `docs/design.md#event-contract`. */
  readonly url: string;
  /** 1-based line of the link in its file. */
  readonly line: number;
}

/** A link that does not resolve, with why. */
export interface BrokenLink extends MarkdownLink {
  readonly reason: string;
}

/**
 * The anchors GitHub gives the headings of a markdown text, in document order.
 *
 * @example
 * headingAnchors('# A\n## Read the answer (`RoomPlaced`)\n## A'); // ['a', 'read-the-answer-roomplaced', 'a-1']
 */
export function headingAnchors(markdown: string): string[] {
  const slugger = new GithubSlugger();
  const anchors: string[] = [];
  visit(fromMarkdown(markdown), 'heading', (node) => {
    anchors.push(slugger.slug(toString(node)));
  });
  return anchors;
}

/** Every link, image and reference definition target of a markdown text (code is not markdown, so links in code are not links). */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  visit(fromMarkdown(markdown), (node) => {
    if (node.type === 'link' || node.type === 'image' || node.type === 'definition') {
      links.push({ url: node.url, line: node.position?.start.line ?? 0 });
    }
  });
  return links;
}

const isExternal = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');

/**
 * The relative links of one markdown file that do not resolve.
 *
 * @param file - absolute path of the markdown file
 * @param root - absolute path of the repository root (for links that start with `/`)
 * @returns the broken links, [] when all resolve
 */
export function brokenLinks(file: string, root: string): BrokenLink[] {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    let set = anchorsOf.get(path);
    if (!set) {
      set = new Set(headingAnchors(readFileSync(path, 'utf8')));
      anchorsOf.set(path, set);
    }
    return set;
  };
  const broken: BrokenLink[] = [];
  for (const link of markdownLinks(readFileSync(file, 'utf8'))) {
    if (isExternal(link.url)) continue;
    const hash = link.url.indexOf('#');
    const pathPart = decodeURIComponent(hash < 0 ? link.url : link.url.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(link.url.slice(hash + 1));
    const target = pathPart === '' ? file : pathPart.startsWith('/') ? resolve(root, `.${pathPart}`) : resolve(dirname(file), pathPart);
    if (!existsSync(target)) {
      broken.push({ ...link, reason: `no file ${relative(root, target)}` });
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(target).isDirectory() || extname(target).toLowerCase() !== '.md') {
      broken.push({ ...link, reason: `an anchor on ${relative(root, target)}, which is not a markdown file` });
    } else if (!anchors(target).has(anchor)) {
      broken.push({ ...link, reason: `no heading #${anchor} in ${relative(root, target)}` });
    }
  }
  return broken;
}
