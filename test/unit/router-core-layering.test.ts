/**
 * The router's core is protocol-blind: nothing under src/router/core imports node:http,
 * node:http2, undici or http-proxy, or anything under src/router/protocol (the adapters import
 * core, never the other way round). docs/architecture.md#layout-and-layering describes the split.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

const coreDir = path.join(repoRoot, 'src', 'router', 'core');
const protocolDir = path.join(repoRoot, 'src', 'router', 'protocol');
const FORBIDDEN_PACKAGES = new Set(['node:http', 'http', 'node:http2', 'http2', 'undici', 'http-proxy']);

/** Every import and export specifier, static and dynamic (type-only ones too), comments stripped. */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

/** What is wrong with one core file's imports, as `file: specifier` lines. */
function coreViolations(file: string, source: string): string[] {
  const out: string[] = [];
  for (const spec of specifiers(source)) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    if (FORBIDDEN_PACKAGES.has(spec) || FORBIDDEN_PACKAGES.has(pkg)) out.push(`${file}: ${spec}`);
    else if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      const rel = path.relative(protocolDir, target);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) out.push(`${file}: ${spec}`);
    }
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('router core layering', () => {
  it('catches each kind of forbidden import', () => {
    const at = path.join(coreDir, 'x.ts');
    const bad = [
      "import type { IncomingMessage } from 'node:http';",
      "import http2 from 'node:http2';",
      "import { Pool } from 'undici';",
      "import type HttpProxy from 'http-proxy';",
      "import { readHead } from '../protocol/http1/exchange.js';",
      "const m = await import('../protocol/upstream/pools.js');",
    ];
    for (const line of bad) expect(coreViolations(at, line), line).toHaveLength(1);
    const fine = [
      "import type { Readable } from 'node:stream';",
      "import { randomBytes } from 'node:crypto';",
      "import { Path } from '../../dtab/path.js';",
      "import { RetryBudget } from '../policy/retry-budget.js';",
      "import type { Exchange } from './exchange.js';",
      "// import { Pool } from 'undici';",
    ];
    for (const line of fine) expect(coreViolations(at, line), line).toEqual([]);
  });

  it('has no file under src/router/core import a protocol library or adapter', () => {
    const files = tsFiles(coreDir);
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => coreViolations(f, readFileSync(f, 'utf8')));
    expect(found, `core imports:\n${found.join('\n')}`).toEqual([]);
  });
});
