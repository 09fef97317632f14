/**
 * linkerd's canary walkthrough, replayed against the quickstart mesh with real processes: the
 * mesh itself (`switchyard quickstart`), namectl to change the dtab, and the traffic generator
 * (`switchyard traffic --track-header x-version`) to measure each split. Default routing; staging
 * one request with l5d-dtab; canary 5%, 20%, 50% within χ² bounds; cut-over with fallback; the
 * canary disappearing under load with 0 failed requests; and a rollback.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/namerd-process.js';
import { repoRoot } from '../helpers/repo.js';
import { get } from '../helpers/router-harness.js';

const run = promisify(execFile);
const switchyard = join(repoRoot, 'bin', 'switchyard.js');
const namectl = join(repoRoot, 'bin', 'namectl.js');

let mesh: ChildProcess;
let dir: string;
let router: string;
let namerd: string;
let disco: string;

/** Ten consecutive free ports, so the mesh's fixed offsets are all free. */
async function freeBlock(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = await freePort();
    if (base > 60_000) continue;
    const ok = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const { createServer } = await import('node:net');
        return new Promise<boolean>((resolve) => {
          const s = createServer();
          s.once('error', () => resolve(false));
          s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
        });
      }),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no block of free ports');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'walkthrough-'));
  const base = await freeBlock();
  mesh = spawn(process.execPath, [switchyard, 'quickstart', '--dir', dir, '--base-port', String(base)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`quickstart did not come up: ${out}`)), 20_000);
    mesh.stdout?.on('data', (c) => {
      out += c;
      if (out.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    });
    mesh.stderr?.on('data', (c) => {
      out += c;
    });
    mesh.once('exit', () => reject(new Error(`quickstart exited: ${out}`)));
  });
  router = `http://127.0.0.1:${base}`;
  namerd = `http://127.0.0.1:${base + 2}`;
  disco = join(dir, 'disco', 'default', 'grpc');
}, 30_000);

afterAll(async () => {
  if (mesh && mesh.exitCode === null) {
    const exited = new Promise((r) => mesh.once('exit', r));
    mesh.kill('SIGINT');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const update = (file: string) =>
  run(process.execPath, [namectl, '--base-url', namerd, 'dtab', 'update', 'default', file, '-m', file], {
    cwd: repoRoot,
  });

/** The traffic generator's split of `requests` requests to Host gen, by x-version. */
async function split(requests: number): Promise<Record<string, number>> {
  const { stdout } = await run(
    process.execPath,
    [
      switchyard,
      'traffic',
      '--url',
      `${router}/`,
      '-H',
      'Host: gen',
      '--requests',
      String(requests),
      '-c',
      '16',
      '--track-header',
      'x-version',
      '--json',
      '-q',
    ],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  const results = JSON.parse(stdout).results;
  expect(results.failed + results.bad).toBe(0);
  return results.countsByHeaders['x-version'].countsByValues;
}

/** χ² with one degree of freedom; 10.83 is its 0.999 quantile. */
function withinBounds(counts: Record<string, number>, canaryShare: number): boolean {
  const canary = counts['gen-growthhack'] ?? 0;
  const n = canary + (counts.gen ?? 0);
  const e = [n * canaryShare, n * (1 - canaryShare)];
  const chi = (canary - e[0]!) ** 2 / e[0]! + (n - canary - e[1]!) ** 2 / e[1]!;
  return chi < 10.83;
}

describe('the linkerd canary walkthrough on the quickstart mesh', () => {
  it('routes by the default dtab', async () => {
    const r = await get(`${router}/gob?text=gob&limit=10`, { host: 'web' });
    expect(r.status).toBe(200);
    expect(r.body.trim().split(' ')).toEqual(Array(10).fill('gob'));
    // Without a text, web asks word for one, through the router too.
    expect((await get(`${router}/gob?limit=2`, { host: 'web' })).body).toMatch(/^(\w+) \1 \n$/);
  });

  it('stages gen-growthhack for one request with l5d-dtab while others still see gen', async () => {
    const staged = await get(`${router}/gob?text=gob&limit=2`, {
      host: 'web',
      'l5d-dtab': '/grpc/gen => /srv/gen-growthhack',
    });
    expect(staged.body).toBe('gob <3 k8s\ngob <3 k8s\n');
    expect((await get(`${router}/gob?text=gob&limit=2`, { host: 'web' })).body).toBe('gob gob \n');
  });

  it.each([
    ['dtabs/canary-5.dtab', 1 / 20],
    ['dtabs/canary-20.dtab', 1 / 5],
    ['dtabs/blue-green-50.dtab', 1 / 2],
  ])(
    '%s splits within statistical bounds',
    async (file, share) => {
      await update(file);
      // namerd streams the change to the router; wait until it shows.
      const until = Date.now() + 5000;
      while (Date.now() < until && share < 1 && !Object.keys(await split(200)).includes('gen-growthhack')) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const counts = await split(4000);
      expect(withinBounds(counts, share), JSON.stringify(counts)).toBe(true);
    },
    60_000,
  );

  it('cuts over with fallback, and falls back with 0 failed requests when the canary disappears', async () => {
    await update('dtabs/cutover-with-fallback.dtab');
    const until = Date.now() + 5000;
    while (Date.now() < until && (await split(100)).gen !== undefined) await new Promise((r) => setTimeout(r, 100));
    expect(await split(500)).toEqual({ 'gen-growthhack': 500 });
    const failures: string[] = [];
    const seen = new Map<string, number>();
    let running = true;
    const workers = Array.from({ length: 8 }, async () => {
      while (running) {
        const r = await get(`${router}/`, { host: 'gen' }).catch(
          (e): Awaited<ReturnType<typeof get>> => ({ status: 0, body: String(e), headers: {} }),
        );
        if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
        else seen.set(String(r.headers['x-version']), (seen.get(String(r.headers['x-version'])) ?? 0) + 1);
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    unlinkSync(join(disco, 'gen-growthhack'));
    const before = seen.get('gen') ?? 0;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && (seen.get('gen') ?? 0) < before + 300) await new Promise((r) => setTimeout(r, 50));
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(seen.get('gen') ?? 0).toBeGreaterThanOrEqual(before + 300);
  }, 30_000);

  it('rolls back to the default dtab with namectl', async () => {
    await run(process.execPath, [namectl, '--base-url', namerd, 'dtab', 'rollback', 'default', '1'], { cwd: repoRoot });
    const { stdout } = await run(process.execPath, [namectl, '--base-url', namerd, 'dtab', 'get', 'default'], {
      cwd: repoRoot,
    });
    expect(stdout).not.toContain('/grpc/gen');
    const until = Date.now() + 5000;
    let last = '';
    while (Date.now() < until) {
      last = (await get(`${router}/gob?text=gob&limit=1`, { host: 'web' })).body;
      if (last === 'gob \n') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).toBe('gob \n');
  });
});
