/**
 * The import direction between src folders (docs/architecture.md#layout-and-layering): a module imports
 * only from its own folder or from layers above it, so the pure dtab algebra never depends on
 * naming, naming never on the store, and so on. src/index.ts, the public API, may import anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

/** Layer of each top-level entry of src/; lower numbers sit above. Equal layers may not import each other. */
const LAYERS: Record<string, number> = {
  'errors.ts': 0,
  dtab: 1,
  naming: 2,
  namers: 3,
  store: 4,
  config: 5,
  telemetry: 6,
  // The fastify app the control-plane APIs (namerd, the router's admin port) start from.
  http: 6.5,
  // namerd's wire protocol (codecs, ETags, watch events, line reader, client): namerd, the router and the CLIs share it.
  'namerd-protocol': 6.6,
  // The dashboards: pages bundled for the browser (web/) and the route that serves them.
  ui: 6.6,
  // Toxics and Toxiproxy's API: switchyard toxiproxy (TCP) and the router's admin port (HTTP/gRPC) share them.
  chaos: 6.7,
  namerd: 7,
  router: 7,
  registry: 7,
  traffic: 7,
  // The public API re-exports the layers above cli; only the cli, at the bottom, may use it.
  'index.ts': 7.5,
  // The local mesh `npm start` runs: it assembles namerd, a router and example apps.
  quickstart: 7.6,
  // The canary controller: namectl canary and switchyard canary drive it.
  canary: 7.7,
  experiment: 7.8,
  cli: 8,
};

const srcDir = path.join(repoRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative import and export specifiers, static and dynamic, with comments stripped first. */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const patterns = [
    /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

/** The top-level entry of src/ a file belongs to (`dtab`, `errors.ts`, …), or null outside src. */
function topOf(file: string): string | null {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep)[0]!;
}

interface SourceFile {
  file: string;
  source: string;
}

function violations(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const { file, source } of files) {
    const from = topOf(file)!;
    if (from === 'index.ts') continue;
    const where = path.relative(repoRoot, file);
    if (LAYERS[from] === undefined) {
      out.push(`${where}: src/${from} is not in the layer table (docs/architecture.md#layout-and-layering)`);
      continue;
    }
    for (const spec of importSpecifiers(source)) {
      // Specifiers name the emitted .js file; the source beside it is .ts.
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      const to = topOf(target);
      if (to === null) out.push(`${where}: imports ${spec}, outside src/`);
      else if (to === from) continue;
      else if (LAYERS[to] === undefined) out.push(`${where}: imports ${spec}, in unknown src/${to}`);
      else if (LAYERS[to]! >= LAYERS[from]!) out.push(`${where}: imports ${spec} (src/${to} is not above src/${from})`);
    }
  }
  return out;
}

describe('layering', () => {
  it('finds the imports it is meant to police', () => {
    const sample = [
      "import type { Token } from 'moo';",
      "import { a, type B } from './a.js';",
      "import {\n  c,\n  d,\n} from '../c.js';",
      "export { e } from './e.js';",
      "export * from '../f.js';",
      "import './side-effect.js';",
      "const g = await import('../g.js');",
      "// import { no } from '../commented.js';",
      "/* import { no } from '../block.js'; */",
    ].join('\n');
    expect(importSpecifiers(sample)).toEqual(['./a.js', '../c.js', './e.js', '../f.js', './side-effect.js', '../g.js']);
    const parse = importSpecifiers(readFileSync(path.join(srcDir, 'dtab', 'parse.ts'), 'utf8'));
    expect(parse).toEqual(expect.arrayContaining(['./dtab.js', './generated/dtab-grammar.js', './syntax-error.js']));
  });

  it('applies the rule: above is fine, below, beside or outside is not', () => {
    const at = (rel: string, spec: string) => ({
      file: path.join(srcDir, rel),
      source: `import { x } from '${spec}';`,
    });
    expect(
      violations([
        at('naming/ok.ts', '../dtab/path.js'),
        at('dtab/ok.ts', '../errors.js'),
        at('dtab/ok2.ts', './generated/dtab-grammar.js'),
        at('cli/ok.ts', '../index.js'),
        at('index.ts', '../cli/main.js'),
        at('dtab/bad.ts', '../naming/interpreter.js'),
        at('router/bad.ts', '../registry/peers.js'),
        at('namers/bad.ts', '../index.js'),
        at('store/bad.ts', '../../test/helpers/repo.js'),
        at('mystery/bad.ts', '../dtab/path.js'),
      ]).map((v) => v.split(':')[0]),
    ).toEqual(['src/dtab/bad.ts', 'src/router/bad.ts', 'src/namers/bad.ts', 'src/store/bad.ts', 'src/mystery/bad.ts']);
  });

  it('has every src module import only from its own folder or from folders above it', () => {
    const found = violations(sourceFiles(srcDir).map((file) => ({ file, source: readFileSync(file, 'utf8') })));
    expect(found, `layering violations:\n${found.join('\n')}`).toEqual([]);
  });
});
