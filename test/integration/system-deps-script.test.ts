/**
 * `npm test` on a fresh machine: its `pretest` runs scripts/install-system-deps.sh, which must be
 * silent when everything is there (it runs before every test run), and say clearly what is
 * missing and how to install it when it cannot install it itself. CI calls exactly `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo.js';

const script = join(repoRoot, 'scripts', 'install-system-deps.sh');
const bash = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
const work = mkdtempSync(join(tmpdir(), 'system-deps-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scripts/install-system-deps.sh', () => {
  it('is what `npm test` runs first, and CI runs `npm test` itself', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.scripts.pretest).toBe('bash scripts/install-system-deps.sh');
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
    expect(ci.split('\n').filter((l) => /^\s*(PATH=\S+ )?npm test\s*$/.test(l)).length).toBeGreaterThanOrEqual(1);
  });

  it('prints nothing and exits 0 when everything is installed', () => {
    const run = spawnSync(bash, [script], { encoding: 'utf8' });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('names what is missing and the apt-get command when it cannot install', () => {
    // A PATH with promtool, kubectl and chromium (stand-ins) and the basics, but no redis-server and no apt-get.
    const bin = join(work, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    for (const tool of ['promtool', 'kubectl', 'chromium']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
    for (const tool of ['id', 'mktemp']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
    const run = spawnSync(bash, [script], { encoding: 'utf8', env: { PATH: bin } });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('redis-server missing');
    expect(run.stderr).toContain('no apt-get');
    expect(run.stderr).toContain('apt-get install redis-server');
    expect(run.stderr).not.toContain('promtool');
  });

  it('with --bench also wants h2load, from Debian package nghttp2-client, for `npm run bench:h2`', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.scripts['prebench:h2']).toBe('bash scripts/install-system-deps.sh --bench');
    // Everything --bench wants is there as a stand-in except h2load, and there is no apt-get.
    const bin = join(work, 'bench-bin');
    execFileSync('mkdir', ['-p', bin]);
    for (const tool of ['redis-server', 'promtool', 'kubectl', 'chromium', 'wrk', 'nginx']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
    for (const tool of ['id', 'mktemp']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
    const run = spawnSync(bash, [script, '--bench'], { encoding: 'utf8', env: { PATH: bin } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('h2load missing');
    expect(run.stderr).toContain('apt-get install nghttp2-client');
    // Without --bench the same PATH lacks nothing.
    const plain = spawnSync(bash, [script], { encoding: 'utf8', env: { PATH: bin } });
    expect({ status: plain.status, stderr: plain.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
