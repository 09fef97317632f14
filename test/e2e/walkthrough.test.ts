/**
 * linkerd's gRPC "gob" walkthrough, replayed against the quickstart mesh with real processes and
 * the walkthrough's own dtab files: the mesh itself (`switchyard quickstart`), namectl driven the
 * way the walkthrough drives namerctl (`NAMERCTL_BASE_URL`, `dtab get|update default FILE`), and
 * the traffic generator measuring each split on gRPC calls (`switchyard traffic --grpc`). Default
 * routing through web; staging with l5d-dtab through web's gRPC call; canary 1/20, 1/5, 1/2
 * within χ² bounds; cut-over with fallback; gen-growthhack's endpoints removed under 200 qps
 * with 0 failed calls; history and a rollback.
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
let gobHost: string;

/** Eight consecutive free ports, so the mesh's fixed offsets are all free. */
async function freeBlock(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = await freePort();
    if (base > 60_000) continue;
    const ok = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
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
  // word, gen, gen-growthhack, web from base + 3 on: GOB_HOST is web, reached directly as in the walkthrough.
  gobHost = `http://127.0.0.1:${base + 6}`;
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

/** namectl as the walkthrough runs namerctl: namerd's address from NAMERCTL_BASE_URL only. */
const namectlRun = (...args: string[]) => {
  const { NAMECTL_BASE_URL: _, ...env } = process.env;
  return run(process.execPath, [namectl, ...args], { cwd: repoRoot, env: { ...env, NAMERCTL_BASE_URL: namerd } });
};

const update = (file: string) => namectlRun('dtab', 'update', 'default', file);

interface GrpcResults {
  readonly failed: number;
  readonly bad: number;
  readonly countsByGrpcStatus: Record<string, number>;
  readonly countsByHeaders: Record<string, { countsByValues: Record<string, number> }>;
}

/** The traffic generator calling proto.GenSvc/Gen through the router, tracking who answered. */
async function traffic(...flags: string[]): Promise<GrpcResults> {
  const { stdout } = await run(
    process.execPath,
    [
      switchyard,
      'traffic',
      '--url',
      router,
      '--grpc',
      'proto.GenSvc/Gen',
      '--data',
      '{"text":"gob","limit":1}',
      '--track-header',
      'x-version',
      '--json',
      '--quiet',
      ...flags,
    ],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout).results as GrpcResults;
}

/** The split of `calls` gRPC calls to gen, by x-version; every call must end with grpc-status 0. */
async function split(calls: number): Promise<Record<string, number>> {
  const results = await traffic('--requests', String(calls), '-c', '16');
  expect(results.failed + results.bad, JSON.stringify(results.countsByGrpcStatus)).toBe(0);
  expect(results.countsByGrpcStatus).toEqual({ '0': calls });
  return results.countsByHeaders['x-version']?.countsByValues ?? {};
}

/** χ² with one degree of freedom; 10.83 is its 0.999 quantile. */
function withinBounds(counts: Record<string, number>, canaryShare: number): boolean {
  const canary = counts['gen-growthhack'] ?? 0;
  const n = canary + (counts.gen ?? 0);
  const e = [n * canaryShare, n * (1 - canaryShare)];
  const chi = (canary - e[0]!) ** 2 / e[0]! + (n - canary - e[1]!) ** 2 / e[1]!;
  return chi < 10.83;
}

/** Waits until namerd's change has reached the router, judged by where calls go. */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !(await done())) await new Promise((r) => setTimeout(r, 100));
}

describe('the linkerd gRPC walkthrough on the quickstart mesh', () => {
  it("starts namerd with the walkthrough's 4-rule dtab, read back with namectl and NAMERCTL_BASE_URL", async () => {
    const { stdout } = await namectlRun('dtab', 'get', 'default');
    expect(stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '/srv                => /#/io.l5d.k8s/default/grpc ;',
      '/srv/proto.GenSvc   => /srv/gen ;',
      '/srv/proto.WordSvc  => /srv/word ;',
      '/grpc               => /srv ;',
    ]);
  });

  it('answers /gob?text=gob&limit=10 with ten gobs, from web directly and through the router by Host', async () => {
    for (const [url, headers] of [
      [`${gobHost}/gob?text=gob&limit=10`, {}],
      [`${router}/gob?text=gob&limit=10`, { host: 'web' }],
    ] as const) {
      const r = await get(url, headers);
      expect(r.status).toBe(200);
      expect(r.body.trim().split(' ')).toEqual(Array(10).fill('gob'));
    }
    // Without a text, web asks word for one, through the router too.
    expect((await get(`${gobHost}/gob?limit=2`)).body).toMatch(/^(\w+) \1 \n$/);
  });

  it("stages gen-growthhack with l5d-dtab through web: the header reaches gen by web's gRPC call", async () => {
    const staging = { 'l5d-dtab': '/srv/gen => /srv/gen-growthhack' };
    expect((await get(`${gobHost}/gob?text=gob&limit=2`, staging)).body).toBe('gob <3 k8s\ngob <3 k8s\n');
    expect((await get(`${router}/gob?text=gob&limit=2`, { host: 'web', ...staging })).body).toBe(
      'gob <3 k8s\ngob <3 k8s\n',
    );
    expect((await get(`${gobHost}/gob?text=gob&limit=2`)).body).toBe('gob gob \n');
  });

  it.each([
    ['dtabs/canary-5.dtab', 1 / 20],
    ['dtabs/canary-20.dtab', 1 / 5],
    ['dtabs/canary-50.dtab', 1 / 2],
  ])(
    '%s splits gRPC calls within statistical bounds',
    async (file, share) => {
      await update(file);
      await until(async () => Object.keys(await split(100)).includes('gen-growthhack'));
      const counts = await split(4000);
      expect(withinBounds(counts, share), JSON.stringify(counts)).toBe(true);
    },
    60_000,
  );

  it("cuts over with fallback, and falls back with 0 failed calls at 200 qps when gen-growthhack's endpoints go", async () => {
    await update('dtabs/cutover-with-fallback.dtab');
    await until(async () => (await split(100)).gen === undefined);
    expect(await split(500)).toEqual({ 'gen-growthhack': 500 });
    // slow_cooker -qps 200 in the walkthrough: an open loop at a fixed rate, latency from the intended send time.
    const load = traffic('--qps', '200', '--duration', '6s');
    await new Promise((r) => setTimeout(r, 2000));
    unlinkSync(join(disco, 'gen-growthhack'));
    const results = await load;
    expect(results.failed + results.bad, JSON.stringify(results)).toBe(0);
    const byVersion = results.countsByHeaders['x-version']?.countsByValues ?? {};
    expect(byVersion['gen-growthhack']).toBeGreaterThan(100);
    expect(byVersion.gen).toBeGreaterThan(100);
    expect(results.countsByGrpcStatus).toEqual({ '0': byVersion['gen-growthhack']! + byVersion.gen! });
  }, 30_000);

  it("lists the history and rolls back to the walkthrough's default dtab with namectl", async () => {
    // One version per step: the default (4 dentries), then each step's file (5), newest first.
    const rows = (await namectlRun('dtab', 'history', 'default')).stdout.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(/\s+/).filter(Boolean)).map(([v, , , dentries]) => `${v}:${dentries}`)).toEqual([
      '5:5',
      '4:5',
      '3:5',
      '2:5',
      '1:4',
    ]);
    expect((await namectlRun('dtab', 'rollback', 'default', '1')).stdout).toBe(
      'Rolled back default to version 1: it is now version 6\n',
    );
    const { stdout } = await namectlRun('dtab', 'get', 'default');
    expect(stdout).not.toContain('gen-growthhack');
    let last = '';
    await until(async () => {
      last = (await get(`${gobHost}/gob?text=gob&limit=1`)).body;
      return last === 'gob \n';
    });
    expect(last).toBe('gob \n');
  });
});
