/**
 * The package as a user gets it: `npm pack`, installed into an empty prefix (from npm's cache,
 * which `npm ci` filled), and `switchyard quickstart` run through the installed bin from a
 * directory that has nothing to do with the repository. Everything it needs (the example dtabs,
 * the compiled grammar) must come from the package itself, and the commands its banner suggests
 * must work from anywhere.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

const run = promisify(execFile);

/** The test's node first on PATH (the bins' `#!/usr/bin/env node`), and no npm_* settings from `npm test`. */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
);
env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;

let work: string;
let tarball: string;
let packed: string[];
let prefix: string;
let mesh: ChildProcess | undefined;

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'index.js'))) throw new Error('no dist/: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'packed-install-'));
  // --ignore-scripts: dist/ is already built (npm test builds first); `prepare` would build again.
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work, '--loglevel', 'error'],
    { cwd: repoRoot, env, maxBuffer: 16 << 20 },
  );
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
  prefix = join(work, 'prefix');
  await run(
    'npm',
    ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball],
    { cwd: work, env, timeout: 45_000 },
  );
}, 60_000);

afterAll(async () => {
  if (mesh !== undefined && mesh.exitCode === null) {
    const exited = new Promise((r) => mesh!.once('exit', r));
    mesh.kill('SIGKILL');
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Starts the installed quickstart in `cwd` and resolves with its banner once it is up. */
function startQuickstart(cwd: string): Promise<string> {
  const bin = join(prefix, 'node_modules', '.bin', 'switchyard');
  mesh = spawn(bin, ['quickstart', '--base-port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`quickstart did not come up: ${out}`)), 20_000);
    mesh!.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    mesh!.stderr!.on('data', (c) => {
      out += c;
    });
    mesh!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`quickstart exited with ${code}: ${out}`));
    });
  });
}

describe('the packed package, installed and run outside the repository', () => {
  it('ships the code, the bins, the example dtabs, the docs and the license, and no tests', () => {
    for (const file of ['LICENSE', 'README.md', 'package.json', 'bin/switchyard.js', 'bin/namectl.js']) {
      expect(packed).toContain(file);
    }
    expect(packed).toContain('dist/index.js');
    expect(packed).toContain('dist/dtab/generated/dtab-grammar.js');
    expect(packed).toContain('dtabs/default.dtab');
    expect(packed).toContain('proto/gob.proto');
    expect(packed.some((f) => f.startsWith('docs/'))).toBe(true);
    expect(packed.filter((f) => /^(test|src|bench|\.ci|node_modules)\//.test(f))).toEqual([]);
  });

  it('runs quickstart from another directory, routes through its router, and its hints work from anywhere', async () => {
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    const banner = await startQuickstart(elsewhere);
    const router = /router\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    expect(router, banner).toBeDefined();
    // The state lives where the user started it, not inside the package.
    expect(existsSync(join(elsewhere, '.switchyard', 'dtabs'))).toBe(true);

    // web calls gen over gRPC through the router: grpc-js, proto-loader and proto/ come with the package.
    const viaCurl = await run(
      'curl',
      ['-sS', '--max-time', '10', '-H', 'Host: web', `${router}/gob?text=gob&limit=3`],
      {
        env,
      },
    );
    expect(viaCurl.stdout).toBe('gob gob gob \n');

    // The walkthrough's commands, run as printed from a third directory by a shell that expands
    // aliases as an interactive one does: GOB_HOST, NAMERCTL_BASE_URL and the namectl alias.
    const lines = banner
      .slice(banner.indexOf('The walkthrough, in a shell:'))
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim());
    const setup = lines.filter((l) => l.startsWith('export ') || l.startsWith('alias '));
    const pick = (test: (l: string) => boolean) => {
      const line = lines.find(test);
      expect(line, banner).toBeDefined();
      return line!;
    };
    const script = [
      ...setup,
      pick((l) => l.startsWith('curl "$GOB_HOST/gob?text=gob&limit=10"')),
      pick((l) => l === 'namectl dtab get default'),
      pick((l) => l.startsWith('namectl dtab update default') && l.includes('canary-5.dtab')),
      pick((l) => l.startsWith("curl -H 'l5d-dtab: /srv/gen => /srv/gen-growthhack' \"$GOB_HOST")),
      'namectl dtab get default',
    ].join('\n');
    expect(setup.length, banner).toBe(2);
    const third = mkdtempSync(join(work, 'third-'));
    const shell = await run('bash', ['-O', 'expand_aliases', '-c', script], { cwd: third, env });
    expect(shell.stdout).toContain(`${'gob '.repeat(10)}\n`);
    expect(shell.stdout).toContain('/srv/proto.WordSvc  => /srv/word ;');
    expect(shell.stdout).toContain(`${'gob <3 k8s\n'.repeat(10)}`);
    expect(shell.stdout).toContain('/srv/proto.GenSvc   => /srv/gen-growthhack & 19*/srv/gen ;');

    const exited = new Promise<number | null>((r) => mesh!.once('exit', r));
    mesh!.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 40_000);
});
