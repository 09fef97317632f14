/**
 * The gated canary end to end, with the walkthrough's pieces: namerd (its HTTP API on a real
 * socket), the gob apps gen and gen-growthhack, a router that takes the namespace from namerd and
 * finds the apps through the fs namer mounted at /#/io.l5d.k8s (as the quickstart does), gRPC Gen
 * calls through the router as load (bounded in count and time), and `namectl canary` as a real
 * process, interrupted and killed as an operator would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GenApp, startGen } from '../../src/quickstart/example-apps.js';
import { type GenClient, gob } from '../../src/quickstart/gob/proto.js';
import type { RunningRouter } from '../../src/router/router.js';
import { spawnBin } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';
import { repoRoot } from '../helpers/repo.js';
import { startTestRouter } from '../helpers/router-harness.js';

const BASE = [
  '/srv => /#/io.l5d.k8s/default/grpc;',
  '/srv/proto.GenSvc => /srv/gen;',
  '/srv/proto.WordSvc => /srv/word;',
  '/grpc => /srv;',
].join('\n');

let namerd: RunningNamerd;
let dir: string;
let garbage: Server;
let garbageUrl: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  namerd = await startNamerd();
  dir = mkdtempSync(join(tmpdir(), 'canary-'));
  // A router admin port that answers anything but metrics: the run must go on without it.
  garbage = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.startsWith('/admin/metrics.json') ? '{"rt/x/client/#/a/requests": "lots", oops' : '[]');
  });
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await new Promise((r) => garbage.close(r));
  await namerd.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Mesh {
  readonly ns: string;
  readonly router: RunningRouter;
  readonly gen: GenApp;
  readonly growthhack: GenApp;
}

/** A namespace with the walkthrough's dtab, gen and gen-growthhack, and a router on that namespace. */
async function mesh(ns: string, failRate = 0): Promise<Mesh> {
  const disco = join(dir, ns);
  const services = join(disco, 'default', 'grpc');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(services, { recursive: true });
  const gen = await startGen(0, 'gen');
  const growthhack = await startGen(0, 'gen-growthhack', '127.0.0.1', { failRate });
  closers.push(
    () => gen.close(),
    () => growthhack.close(),
  );
  writeFileSync(join(services, 'gen'), `127.0.0.1 ${gen.port}\n`);
  writeFileSync(join(services, 'gen-growthhack'), `127.0.0.1 ${growthhack.port}\n`);
  const put = await fetch(`${namerd.url}/api/1/dtabs/${ns}`, {
    method: 'POST',
    body: BASE,
    headers: { 'content-type': 'application/dtab', 'x-dtab-message': 'the walkthrough default' },
  });
  expect(put.status).toBe(204);
  const router = await startTestRouter(
    [
      'dstPrefix: /grpc',
      'identifier:',
      '  - kind: io.l5d.header.path',
      '    segments: 1',
      '    grpcOnly: true',
      '  - kind: io.l5d.header.token',
      'namerd:',
      `  url: ${namerd.url}`,
      `  namespace: ${ns}`,
      'namers:',
      '  - kind: io.l5d.fs',
      `    rootDir: ${disco}`,
      '    prefix: /io.l5d.k8s',
    ].join('\n'),
  );
  closers.push(() => router.close());
  return { ns, router, gen, growthhack };
}

interface Load {
  readonly results: { readonly at: number; readonly code: number; readonly version: string }[];
  stop(): Promise<void>;
}

/** Gen calls (limit 1) through the router, 8 at a time, until stopped, at most 60 s or 20 000 calls. */
function load(router: RunningRouter): Load {
  const target = router.url.replace(/^http:\/\//, '');
  const client = new (gob().GenSvc)(target, grpc.credentials.createInsecure()) as unknown as GenClient;
  const results: { at: number; code: number; version: string }[] = [];
  let stopped = false;
  const until = Date.now() + 60_000;
  const call = () =>
    new Promise<void>((resolve) => {
      let version = '';
      const c = client.Gen({ text: 'gob', limit: 1 }, new grpc.Metadata(), { deadline: Date.now() + 5_000 });
      c.on('metadata', (m: grpc.Metadata) => (version = String(m.get('x-version')[0] ?? '')));
      c.on('data', () => {});
      c.on('error', () => {});
      c.on('status', (s: grpc.StatusObject) => {
        results.push({ at: Date.now(), code: s.code, version });
        resolve();
      });
    });
  const workers = Array.from({ length: 8 }, async () => {
    while (!stopped && Date.now() < until && results.length < 20_000) await call();
  });
  return {
    results,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      client.close();
    },
  };
}

const namectl = join(repoRoot, 'bin', 'namectl.js');

/** `namectl canary …` as a process; `lines` grows as it prints; resolves `exited` with its code. */
function canary(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [namectl, '--base-url', namerd.url, 'canary', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters.filter((w) => out.includes(w.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    out: () => out,
    err: () => err,
    /** Resolves once standard output holds `text`. */
    printed: (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited before printing ${text}:\n${out}\n${err}`)));
      }),
  };
}

type Versions = { number: number; message?: string }[];

/** What `namectl dtab history` shows, as the operator runs it. */
async function history(ns: string): Promise<Versions> {
  const r = await spawnBin('namectl.js', ['--base-url', namerd.url, 'dtab', 'history', ns, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** The same list straight from namerd's API, where the test only checks the outcome. */
async function versions(ns: string): Promise<Versions> {
  return (await fetch(`${namerd.url}/api/1/dtabs/${ns}/versions`)).json() as Promise<Versions>;
}

async function dtabOf(ns: string): Promise<string> {
  const r = await fetch(`${namerd.url}/api/1/dtabs/${ns}`, { headers: { accept: 'application/dtab' } });
  return (await r.text()).replace(/\s+/g, '');
}

/** `run` with the test's gates: 1 s windows; evidence enough for the test's question (a failing canary needs more). */
const gates = (m: Mesh, extra: string[] = [], minRequests = 10) => [
  'run',
  m.ns,
  '--service',
  '/srv/proto.GenSvc',
  '--primary',
  '/srv/gen',
  '--canary',
  '/srv/gen-growthhack',
  '--interval',
  '1s',
  '--min-requests',
  String(minRequests),
  '--max-extensions',
  '10',
  '--routers',
  m.router.adminUrl,
  ...extra,
];

describe('namectl canary run', () => {
  it('takes a healthy canary to 100% with fallback, every step in the history, despite a router answering garbage', async () => {
    const m = await mesh('healthy');
    const traffic = load(m.router);
    const run = canary([
      ...gates(m, ['--steps', '20,50,100', '--fallback', '--routers', `${m.router.adminUrl},${garbageUrl}`]),
      '--json',
    ]);
    const code = await run.exited;
    await traffic.stop();
    expect(code, run.out() + run.err()).toBe(0);
    const events = run
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const windows = events.filter((e) => e.event === 'window' && e.verdict === 'pass');
    expect(windows.map((w) => w.percent)).toEqual([20, 50]);
    for (const w of windows) {
      expect(w.canary.requests).toBeGreaterThanOrEqual(10);
      expect(w.canary.failures).toBe(0);
      expect(w.unreadable.map((u: { router: string }) => u.router)).toEqual([garbageUrl]);
    }
    expect(events.at(-1)).toEqual({ event: 'end', outcome: 'promoted', exitCode: 0 });
    const messages = (await history('healthy')).map((v) => v.message?.split(' | state ')[0]);
    expect(messages.slice(0, 3)).toEqual([
      'canary gen-growthhack: step 3/3, 100% with fallback, promoted',
      'canary gen-growthhack: step 2/3, 50%',
      'canary gen-growthhack: step 1/3, 20%',
    ]);
    expect(await dtabOf('healthy')).toContain('/srv/proto.GenSvc=>/srv/gen-growthhack|/srv/gen');
    const seen = new Set(traffic.results.map((r) => r.version));
    expect(seen).toEqual(new Set(['gen', 'gen-growthhack']));
  }, 90_000);

  it('rolls back a canary failing 10% of its calls at its first step; the callers see no failure after', async () => {
    const m = await mesh('failing', 0.1);
    const traffic = load(m.router);
    const run = canary(gates(m, ['--steps', '20,50,100'], 30));
    const code = await run.exited;
    const rolledBackAt = Date.now();
    // Calls that start once the routers have the rolled-back dtab: all go to gen, none fail.
    const after = traffic.results.length;
    await new Promise((r) => setTimeout(r, 1_000));
    await traffic.stop();
    expect(code, run.out() + run.err()).toBe(3);
    expect(run.out()).toMatch(/verdict: FAIL: error rate \d+\.\d+% is above the primary's/);
    expect(run.out()).toContain('grpc-status');
    const [latest, step1] = await versions('failing');
    expect(latest?.message).toMatch(/^canary gen-growthhack: rolled back at step 1\/3, 20%, to version 1/);
    expect(step1?.message).toMatch(/^canary gen-growthhack: step 1\/3, 20%/);
    expect(`${await dtabOf('failing')};`).toBe(BASE.replace(/\s+/g, ''));
    const late = traffic.results.slice(after).filter((r) => r.at > rolledBackAt + 500);
    expect(late.length).toBeGreaterThan(10);
    expect(late.filter((r) => r.code !== 0 || r.version !== 'gen')).toEqual([]);
  }, 90_000);

  it('stops without overwriting when someone updates the dtab during a run (exit 4)', async () => {
    const m = await mesh('contested');
    const traffic = load(m.router);
    const run = canary(gates(m, ['--steps', '20,50,100', '--interval', '2s']));
    await run.printed('step 1/3');
    const file = join(dir, 'manual.dtab');
    writeFileSync(file, `${BASE}\n/srv/proto.GenSvc => /srv/gen;\n`);
    const manual = await spawnBin('namectl.js', ['--base-url', namerd.url, 'dtab', 'update', 'contested', file]);
    expect(manual.code, manual.stderr).toBe(0);
    const code = await run.exited;
    await traffic.stop();
    expect(code, run.out() + run.err()).toBe(4);
    expect(run.out()).toContain('changed by someone else');
    expect(run.out()).toContain('Nothing was overwritten');
    const [latest] = await versions('contested');
    expect(latest?.message ?? '').not.toMatch(/^canary/);
    expect(await dtabOf('contested')).toMatch(/\/srv\/proto\.GenSvc=>\/srv\/gen$/);
    const resume = await spawnBin('namectl.js', ['--base-url', namerd.url, 'canary', 'resume', 'contested']);
    expect(resume.code).toBe(4);
    expect(resume.stderr).toContain('was changed after the canary');
  }, 90_000);

  it('pauses on Ctrl-C, resumes, survives SIGKILL and resumes again to promotion', async () => {
    const m = await mesh('resumable');
    const traffic = load(m.router);
    const first = canary(gates(m, ['--steps', '20,50,100']));
    await first.printed('step 1/3');
    first.child.kill('SIGINT');
    expect(await first.exited, first.out() + first.err()).toBe(5);
    expect(first.out()).toContain('namectl canary resume resumable');
    const status = await spawnBin('namectl.js', ['--base-url', namerd.url, 'canary', 'status', 'resumable']);
    expect(status.stdout).toContain('paused at step 1/3 (20%)');

    const second = canary(['resume', 'resumable']);
    await second.printed('step 2/3');
    second.child.kill('SIGKILL');
    await second.exited;
    expect(await dtabOf('resumable')).toContain('/srv/gen-growthhack&/srv/gen');

    const third = canary(['resume', 'resumable']);
    expect(await third.exited, third.out() + third.err()).toBe(0);
    await traffic.stop();
    expect(third.out()).toContain('resuming at step 2/3 (50%)');
    expect(third.out()).toContain('promoted');
    const messages = (await history('resumable')).map((v) => v.message?.split(' | state ')[0]);
    expect(messages.slice(0, 4)).toEqual([
      'canary gen-growthhack: step 3/3, 100%, promoted',
      'canary gen-growthhack: step 2/3, 50%',
      'canary gen-growthhack: paused at step 1/3, 20%',
      'canary gen-growthhack: step 1/3, 20%',
    ]);
    expect(await dtabOf('resumable')).toMatch(/\/srv\/proto\.GenSvc=>\/srv\/gen-growthhack$/);
  }, 90_000);

  it('switchyard canary runs a spec as a service: /healthz, /ready, /canary.json; restarted, it stays idle', async () => {
    const m = await mesh('service');
    const spec = join(dir, 'service.yaml');
    writeFileSync(
      spec,
      [
        'namespace: service',
        'service: /srv/proto.GenSvc',
        'primary: /srv/gen',
        'canary: /srv/gen-growthhack',
        'steps: [50, 100]',
        'interval: 1s',
        'minRequests: 10',
        'maxExtensions: 10',
        'fallback: true',
        `routers: [${m.router.adminUrl}]`,
      ].join('\n'),
    );
    const traffic = load(m.router);
    const start = () => {
      const child = spawn(
        process.execPath,
        [
          join(repoRoot, 'bin', 'switchyard.js'),
          'canary',
          '--spec',
          spec,
          '--admin',
          '127.0.0.1:0',
          '--namerd',
          namerd.url,
          '--log-format',
          'json',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let log = '';
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const admin = new Promise<string>((resolve, reject) => {
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          log += d;
          const m = /"adminUrl":"([^"]+)"/.exec(log);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(log)));
      });
      return { child, exited, admin, log: () => log };
    };
    const status = async (admin: string) =>
      (await fetch(`${admin}/canary.json`)).json() as Promise<{ phase: string; events: { event: string }[] }>;
    const first = start();
    const admin = await first.admin;
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    const deadline = Date.now() + 30_000;
    while ((await status(admin)).phase !== 'promoted' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    const done = await status(admin);
    expect(done.phase, first.log()).toBe('promoted');
    expect(done.events.map((e) => e.event)).toContain('window');
    expect((await fetch(`${admin}/ready`)).status).toBe(200);
    expect(first.log()).toContain('"msg":"canary promoted"');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const written = (await versions('service')).length;

    const second = start();
    const again = await second.admin;
    while ((await status(again)).phase !== 'promoted' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await status(again)).phase).toBe('promoted');
    expect((await versions('service')).length).toBe(written);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);
});
