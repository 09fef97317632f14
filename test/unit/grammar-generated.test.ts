/**
 * Generated code stays in step with its source (docs/architecture.md#generated-code), and the dtab
 * modules, which import one another, can each be loaded first without tripping over a cycle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGrammar, generatedFile, grammarFile } from '../../scripts/build-grammar.mjs';
import { repoRoot } from '../helpers/repo.js';

describe('the generated parser', () => {
  it('is exactly what grammar/dtab.ne compiles to', () => {
    expect(path.relative(repoRoot, grammarFile)).toBe(path.join('grammar', 'dtab.ne'));
    const committed = readFileSync(generatedFile, 'utf8');
    expect(committed.startsWith('// DO NOT EDIT.')).toBe(true);
    expect(committed === compileGrammar(), 'run `npm run grammar` and commit the result').toBe(true);
  });

  it('is what `build-grammar.mjs --check` accepts, and a changed grammar is not', () => {
    const check = spawnSync(process.execPath, ['scripts/build-grammar.mjs', '--check'], { cwd: repoRoot });
    expect(check.status, check.stderr.toString()).toBe(0);
    const changed = compileGrammar(`${readFileSync(grammarFile, 'utf8')}\nextra -> %semi\n`);
    expect(changed).not.toBe(readFileSync(generatedFile, 'utf8'));
  });
});

const distDtab = path.join(repoRoot, 'dist', 'dtab');
const distIndex = path.join(repoRoot, 'dist', 'index.js');

function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return modulesUnder(full);
    return e.name.endsWith('.js') ? [full] : [];
  });
}

const built = existsSync(distDtab) && existsSync(distIndex);
const modules = built ? modulesUnder(distDtab) : [];

describe.skipIf(!built)(
  `each dtab module loads first on its own${built ? '' : ' (SKIPPED: no dist/, run npm run build)'}`,
  () => {
    it('finds the modules', () => {
      expect(modules.map((m) => path.basename(m))).toEqual(expect.arrayContaining(['dtab.js', 'parse.js', 'path.js']));
    });

    // A module-evaluation cycle shows up as a TDZ ReferenceError or an undefined class, and only
    // when that module is the first one loaded; so each gets its own fresh process.
    it.each(modules.map((m) => [path.relative(repoRoot, m), m]))('%s', (_, file) => {
      const script = [
        `await import(${JSON.stringify(file)});`,
        `const { Dtab, NameTree, Path } = await import(${JSON.stringify(distIndex)});`,
        `const d = Dtab.read('/a/* => 2*/b & /c | ~');`,
        `process.stdout.write(d.show() + ' ' + NameTree.show(NameTree.simplify(d.lookup(Path.read('/a/x/y')))));`,
      ].join('\n');
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: repoRoot,
        timeout: 15_000,
      });
      expect(child.stderr.toString()).toBe('');
      expect(child.status).toBe(0);
      expect(child.stdout.toString()).toBe('/a/*=>2*/b & /c | ~ 2*/b/y & /c/y');
    });
  },
);
