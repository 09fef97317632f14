/**
 * The repository speaks for itself: what a reader needs is in docs/, so nothing may point at
 * material outside the checkout (a workspace's spec files and their section numbers, internal
 * issue numbers), and every pointer into docs/ must land on a file and a heading that exist.
 * Public upstream references (RFC sections, linkerd/linkerd#1534, owner/repo:path) are fine.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

const SCANNED_DIRS = ['src', 'test', 'docs', 'k8s', 'bench', 'grammar', 'scripts', 'dtabs', 'bin'];
const SCANNED_ROOT_FILES = ['README.md', 'Dockerfile', 'package.json'];
const TEXT = /\.(ts|mts|js|mjs|cjs|json|md|ya?ml|ne|dtab|sh|txt)$|^Dockerfile$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
const THIS_FILE = path.join('test', 'unit', 'no-external-citations.test.ts');

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : walk(full);
    return TEXT.test(e.name) && statSync(full).size < 2_000_000 ? [full] : [];
  });
}

/** Repository-relative paths of every text file a reader might follow a reference from. */
function scannedFiles(): string[] {
  const files = [
    ...SCANNED_DIRS.flatMap((d) => walk(path.join(repoRoot, d))),
    ...SCANNED_ROOT_FILES.map((f) => path.join(repoRoot, f)).filter((f) => existsSync(f)),
  ];
  return files.map((f) => path.relative(repoRoot, f)).filter((f) => f !== THIS_FILE);
}

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces to `-`, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Finding {
  readonly where: string;
  readonly text: string;
}

/** Citations of things outside the repository, line by line. */
function externalCitations(file: string, text: string, exists: (rel: string) => boolean): Finding[] {
  const found: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const say = (t: string) => found.push({ where, text: t });
    // The workspace's shared folder, as a path or as path segments in code.
    for (const m of line.matchAll(/\bshared\/|['"]shared['"]\s*,\s*['"]specs['"]/g)) say(m[0]);
    // Section numbers: only public standards may be cited by section (RFC 9110 §7.6.1).
    for (const m of line.matchAll(/§\s?\d[\w.–-]*/g)) {
      if (!/RFC \d+,? $/.test(line.slice(0, m.index))) say(m[0]);
    }
    // Internal issue numbers ("issue 4 item 9"); public ones are written owner/repo#N.
    for (const m of line.matchAll(/\b[Ii]ssues? #?\d+[^\s,;)]*/g)) say(m[0]);
    // A Markdown file named without a path must be a file of the repository (spec files are not).
    for (const m of line.matchAll(/(?<![\w/.:@-])((?:\.{1,2}\/|[\w-]+\/)*[\w.-]*[\w-]\.md)\b/g)) {
      const name = m[1]!;
      const candidates = [path.join(path.dirname(file), name), name, path.join('docs', name)];
      if (!candidates.some(exists)) say(name);
    }
  });
  return found;
}

/** `docs/x.md#anchor` pointers anywhere, and relative Markdown links in .md files, that lead nowhere. */
function brokenDocLinks(
  file: string,
  text: string,
  read: (rel: string) => string | null,
  anchorsOf: (rel: string) => Set<string> | null,
): Finding[] {
  const found: Finding[] = [];
  const check = (where: string, target: string, anchor: string | undefined) => {
    if (read(target) === null) return found.push({ where, text: `${target}: no such file` });
    if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target)?.has(anchor)) {
      found.push({ where, text: `${target}#${anchor}: no such heading` });
    }
  };
  text.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const m of line.matchAll(/(?<![\w/.-])docs\/([\w.-]+\.md)(?:#([\w-]+))?/g)) {
      check(where, `docs/${m[1]}`, m[2]);
    }
    if (!file.endsWith('.md')) return;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // http:, https:, mailto:
      const [target, anchor] = link.split('#') as [string, string | undefined];
      if (target !== '') check(where, path.normalize(path.join(path.dirname(file), target)), anchor);
      else if (anchor !== undefined && !headingAnchors(text).has(anchor)) {
        found.push({ where, text: `#${anchor}: no such heading in this file` });
      }
    }
  });
  return found;
}

const read = (rel: string): string | null => {
  const full = path.join(repoRoot, rel);
  if (!existsSync(full)) return null;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
};
const anchorCache = new Map<string, Set<string> | null>();
const anchorsOf = (rel: string): Set<string> | null => {
  if (!anchorCache.has(rel)) {
    const text = read(rel);
    anchorCache.set(rel, text === null ? null : headingAnchors(text));
  }
  return anchorCache.get(rel)!;
};
const show = (findings: Finding[]) => findings.map((f) => `${f.where}: ${f.text}`);

describe('the repository speaks for itself', () => {
  const files = scannedFiles();

  it('scans the code, the tests, the docs, the manifests and the README', () => {
    for (const f of ['README.md', 'src/errors.ts', 'docs/dtab-language.md', 'k8s/rbac.yaml']) {
      expect(files, f).toContain(f);
    }
  });

  it('cites no spec file, section number, shared/ folder or internal issue', () => {
    const exists = (rel: string) => existsSync(path.join(repoRoot, rel));
    const findings = files.flatMap((f) => externalCitations(f, read(f) ?? '', exists));
    expect(show(findings)).toEqual([]);
  });

  it('points into docs/ only at files and headings that exist', () => {
    const findings = files.flatMap((f) => brokenDocLinks(f, read(f) ?? '', read, anchorsOf));
    expect(show(findings)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const none = () => false;

  it('flag spec sections, shared/ and issue numbers, and leave public references alone', () => {
    const text = [
      ' * Dentry (dtab.md §4), see shared/specs/k8s.md §5.1 (issue 4 item 9).',
      " const shared = join(repo, '..', 'shared', 'specs', 'x.json');",
      ' * Hop-by-hop headers (RFC 9110 §7.6.1); one watch per Service (linkerd/linkerd#1534).',
      ' * See linkerd/linkerd:linkerd/docs/routers.md and https://example.org/README.md.',
    ].join('\n');
    expect(show(externalCitations('src/x.ts', text, none))).toEqual([
      'src/x.ts:1: shared/',
      'src/x.ts:1: §4',
      'src/x.ts:1: §5.1',
      'src/x.ts:1: issue 4',
      'src/x.ts:1: dtab.md',
      'src/x.ts:1: shared/specs/k8s.md',
      "src/x.ts:2: 'shared', 'specs'",
    ]);
  });

  it('resolve docs/ pointers and relative Markdown links, anchors included', () => {
    const docs: Record<string, string> = {
      'docs/a.md': '# Title\n## Lookup: one rewrite step\n```\n# not a heading\n```',
    };
    const r = (rel: string) => docs[rel] ?? null;
    const anchors = (rel: string) => (docs[rel] === undefined ? null : headingAnchors(docs[rel]!));
    expect(headingAnchors(docs['docs/a.md']!)).toEqual(new Set(['title', 'lookup-one-rewrite-step']));
    const text = 'docs/a.md#lookup-one-rewrite-step docs/a.md#nope docs/b.md [x](a.md#title) [y](#gone)';
    expect(show(brokenDocLinks('docs/c.md', text, r, anchors))).toEqual([
      'docs/c.md:1: docs/a.md#nope: no such heading',
      'docs/c.md:1: docs/b.md: no such file',
      'docs/c.md:1: #gone: no such heading in this file',
    ]);
  });
});
