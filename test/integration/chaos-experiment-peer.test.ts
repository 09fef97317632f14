/**
 * kill-local-peer against real processes: a registry and two `switchyard peer` processes that run
 * a target against a real upstream and stream their results to the registry's locker. The
 * experiment picks one registered peer, finds the process that owns its listening socket through
 * /proc, kills it, and its hypothesis — success rate from the locker's merged results over the
 * window — still holds on the survivor. A peer address whose socket belongs to something other
 * than switchyard (a plain node server registered by hand) is refused and left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentFile, runChaos } from '../helpers/chaos-experiment-kit.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const onLinux = process.platform === 'linux';
const FAST = ['--remember-interval', '300ms', '--locker-interval', '300ms', '--results-interval', '500ms'];

let upstream: Upstream;
let registry: RoleProcess;
const peers: RoleProcess[] = [];
let impostor: ChildProcess;
let impostorPort: number;

async function reg(path: string, method = 'GET', body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${registry.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

beforeAll(async () => {
  upstream = await startUpstream();
  registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
  await reg('/registry/peers/gen/targets/add', 'POST', {
    name: 'steady',
    url: `${upstream.url}/steady`,
    qps: 20,
    duration: '90s',
    autoInvoke: true,
  });
  for (let i = 0; i < 2; i++)
    peers.push(await startRole('peer', ['--registry', registry.url, '--label', 'gen', '--locker', ...FAST]));
  // Not switchyard: a node process that serves HTTP; registered under a label by hand.
  impostor = spawn(
    process.execPath,
    [
      '-e',
      // It answers any request with 200, so the registry's health checks keep it listed as live.
      "require('http').createServer((q,s)=>s.end('{}')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  impostorPort = await new Promise<number>((r) => impostor.stdout!.once('data', (d) => r(Number(String(d).trim()))));
  expect(
    (await reg('/registry/peers/add', 'POST', { name: 'impostor', address: `127.0.0.1:${impostorPort}` })).status,
  ).toBe(200);
  // Both peers' results are in the locker before the experiment's first window.
  await eventually(
    async () => {
      const r = (await reg('/registry/peers/gen/client/results')).json as { gen?: { instances?: number } };
      return r.gen?.instances === 2 ? true : undefined;
    },
    20_000,
    'both peers in the locker',
  );
}, 60_000);

afterAll(async () => {
  impostor?.kill('SIGKILL');
  await stopAll();
  await upstream?.close();
});

const experiment = (label: string) => ({
  title: `traffic survives losing a ${label} peer`,
  steadyStateHypothesis: {
    probes: [
      {
        name: 'gen-traffic',
        window: '1500ms',
        traffic: { registry: registry.url, label: 'gen', target: 'steady' },
        tolerance: { minSuccessRate: 0.99, maxP99: '2s', minRequests: 10 },
      },
    ],
  },
  method: [
    { action: 'kill-local-peer', registry: registry.url, label },
    { action: 'wait', duration: '300ms' },
  ],
});

describe.skipIf(!onLinux)('switchyard chaos run: kill a local peer process', () => {
  it('kills the process that owns a registered peer address, and the hypothesis holds on the other', async () => {
    const r = await runChaos(['run', experimentFile(experiment('gen'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [v] = r.verdicts;
    expect(v.passed).toBe(true);
    const killed = v.method[0].result;
    const victim = peers.find((p) => p.child.pid === killed.pid);
    expect(victim, `pid ${killed.pid} is one of the peers`).toBeDefined();
    expect(killed).toMatchObject({ role: 'peer', signal: 'SIGKILL', exited: true, candidates: 2 });
    expect(killed.address).toBe(new URL(victim!.url).host);
    expect(killed.cmdline).toMatch(/bin\/switchyard\.js peer /);
    // SIGKILL: no exit code, the signal.
    expect(await victim!.exited).toBeNull();
    const survivor = peers.find((p) => p !== victim)!;
    expect(survivor.child.exitCode).toBeNull();
    expect(survivor.child.signalCode).toBeNull();
    const after = v.hypothesis.after.probes[0].measured;
    console.log(
      `kill-local-peer: killed pid ${killed.pid} at ${killed.address}; after: ${after.requests} requests, success ${after.successRate}, p99 ${after.p99Ms} ms`,
    );
    expect(after.requests).toBeGreaterThanOrEqual(10);
    expect(after.successRate).toBe(1);
    expect(after.p99Ms).toBeGreaterThan(0);
    expect(v.rollback).toEqual([{ action: 'kill-local-peer', ok: true, result: 'not restarted' }]);
  }, 60_000);

  it('refuses to kill a process that is not switchyard, whatever the registry says', async () => {
    const r = await runChaos(['run', experimentFile(experiment('impostor'))]);
    expect(r.code).toBe(2);
    const [v] = r.verdicts;
    expect(v.status).toBe('could-not-run');
    expect(v.reason).toContain(`refused to kill pid ${impostor.pid}, the owner of 127.0.0.1:${impostorPort}`);
    expect(v.reason).toContain('not switchyard');
    expect(impostor.exitCode).toBeNull();
    expect(impostor.signalCode).toBeNull();
  }, 60_000);
});
