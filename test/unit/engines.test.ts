/**
 * package.json's `engines` is true to what is installed: every package under node_modules
 * (dependencies and dev tools alike, nested copies included) declares a Node range that contains
 * all of ours, so `npm install` warns of no EBADENGINE on any Node we claim, and the Node this
 * test runs on is one we claim.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

interface Semver {
  subset(sub: string, dom: string): boolean;
  satisfies(version: string, range: string): boolean;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

interface Installed {
  readonly name: string;
  readonly version: string;
  readonly node: string;
}

/** Every package.json under a node_modules folder, scoped and nested ones too. */
function installed(modules: string, out: Installed[] = []): Installed[] {
  if (!existsSync(modules)) return out;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => join(entry, n)) : [entry];
    for (const dir of dirs) {
      const file = join(modules, dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      const node = pkg.engines?.node;
      if (typeof node === 'string') out.push({ name: pkg.name ?? dir, version: pkg.version, node });
      installed(join(modules, dir, 'node_modules'), out);
    }
  }
  return out;
}

const ours: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.node;

describe('engines', () => {
  it('claims only Node versions that every installed package supports', () => {
    const all = installed(join(repoRoot, 'node_modules'));
    expect(all.length).toBeGreaterThan(20);
    const narrower = all.filter((p) => !semver.subset(ours, p.node)).map((p) => `${p.name}@${p.version} (${p.node})`);
    expect(narrower).toEqual([]);
  });

  it('includes the Node running the tests, and the current LTS', () => {
    expect(semver.satisfies(process.versions.node, ours)).toBe(true);
    expect(semver.satisfies('24.0.0', ours)).toBe(true);
  });
});
