/**
 * An experiment that fails its hypothesis and says why: a `switchyard toxiproxy` proxy sits in
 * front of a real upstream, a real router sends traffic through it, and the experiment's latency
 * toxic pushes the client's p99 (read from the router's metrics over the window) past the
 * tolerance. The rollback removes exactly the toxic it added — checked with the Toxiproxy API
 * afterwards — also when the run is interrupted in the middle of a wait, and never one it did not
 * create.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import {
  backgroundLoad,
  experimentFile,
  runChaos,
  startChaos,
  startToxiproxy,
  type Toxiproxy,
} from '../helpers/chaos-experiment-kit.js';
import { type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';
import { eventually } from '../helpers/switchyard-process.js';

let upstream: NamedUpstream;
let toxiproxy: Toxiproxy;
let router: RunningRouter;
let load: ReturnType<typeof backgroundLoad>;
let proxyPort: number;

beforeAll(async () => {
  upstream = await startNamedUpstream('web');
  toxiproxy = await startToxiproxy();
  const created = await toxiproxy.api('/proxies', 'POST', {
    name: 'web',
    listen: '127.0.0.1:0',
    upstream: `127.0.0.1:${upstream.port}`,
  });
  expect(created.status).toBe(201);
  proxyPort = Number(String(created.json.listen).split(':').pop());
  router = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${proxyPort}`);
  load = backgroundLoad(router.url, 'web', 8);
}, 30_000);

afterAll(async () => {
  await load?.stop();
  await router?.close();
  await toxiproxy?.stop();
  await upstream?.close();
});

const experiment = (method: unknown[], maxP99 = '5s', window = '1500ms') => ({
  title: 'web stays fast behind a slow link',
  steadyStateHypothesis: {
    title: 'web answers fast',
    probes: [
      {
        name: 'web-p99',
        window,
        router: { admins: [router.adminUrl], client: `/$/inet/127.0.0.1/${proxyPort}` },
        tolerance: { minSuccessRate: 0.99, maxP99, minRequests: 10 },
      },
    ],
  },
  method,
});

const slow = (name: string, latency = 400) => ({
  action: 'add-toxic',
  api: toxiproxy.url,
  proxy: 'web',
  toxic: { name, type: 'latency', stream: 'downstream', attributes: { latency } },
});

describe('switchyard chaos run: a latency toxic that breaks the hypothesis', () => {
  it('fails, names the probe and its p99, and its rollback removed the toxic', async () => {
    const r = await runChaos([
      'run',
      experimentFile(experiment([slow('slow', 1200), { action: 'wait', duration: '300ms' }], '1s', '3s')),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const [v] = r.verdicts;
    expect(v.passed).toBe(false);
    expect(v.status).toBe('deviated');
    expect(v.reason).toMatch(/^after the method: web-p99: p99 \d+ ms is above 1000 ms$/);
    expect(v.hypothesis.before.ok).toBe(true);
    expect(v.hypothesis.before.probes[0].measured.p99Ms).toBeLessThanOrEqual(1000);
    const after = v.hypothesis.after.probes[0];
    console.log(
      `latency toxic: p99 before ${v.hypothesis.before.probes[0].measured.p99Ms} ms, after ${after.measured.p99Ms} ms (${after.measured.requests} requests)`,
    );
    expect(after.ok).toBe(false);
    // The window's p99 to the bucket: 1200 ms lands in the bucket up to 2500 ms (or above, on a loaded machine).
    expect(after.measured.p99Ms).toBeGreaterThanOrEqual(2500);
    expect(after.measured.p99Source).toBe('window');
    expect(after.tolerance).toEqual({ minSuccessRate: 0.99, maxP99Ms: 1000, minRequests: 10 });
    expect(v.method.map((m: { action: string; ok: boolean }) => [m.action, m.ok])).toEqual([
      ['add-toxic', true],
      ['wait', true],
    ]);
    expect(v.method[0].result.toxic).toMatchObject({ name: 'slow', type: 'latency', attributes: { latency: 1200 } });
    expect(v.rollback).toEqual([
      { action: 'remove-toxic', api: toxiproxy.url, proxy: 'web', toxic: 'slow', ok: true, result: 'removed' },
    ]);
    expect((await toxiproxy.api('/proxies/web/toxics')).json).toEqual([]);
  }, 60_000);

  it('passes with a tolerance the toxic stays within', async () => {
    const r = await runChaos([
      'run',
      experimentFile(experiment([slow('slow'), { action: 'wait', duration: '100ms' }], '5s')),
    ]);
    expect(r.code).toBe(0);
    expect(r.verdicts[0]).toMatchObject({ passed: true, status: 'passed', exitCode: 0 });
    expect((await toxiproxy.api('/proxies/web/toxics')).json).toEqual([]);
  }, 60_000);

  it("never removes a toxic it did not create: a name taken already is someone else's (could not run, exit 2)", async () => {
    const theirs = { name: 'theirs', type: 'latency', stream: 'upstream', attributes: { latency: 1 } };
    expect((await toxiproxy.api('/proxies/web/toxics', 'POST', theirs)).status).toBe(200);
    try {
      const r = await runChaos(['run', experimentFile(experiment([slow('mine'), slow('theirs')], '5s'))]);
      expect(r.code).toBe(2);
      const [v] = r.verdicts;
      expect(v.status).toBe('could-not-run');
      expect(v.reason).toContain('method[1] (add-toxic) failed');
      expect(v.reason).toContain('a toxic named theirs already exists (left alone)');
      expect(v.rollback.map((x: { toxic: string }) => x.toxic)).toEqual(['mine']);
      const left = (await toxiproxy.api('/proxies/web/toxics')).json.map((t: { name: string }) => t.name);
      expect(left).toEqual(['theirs']);
    } finally {
      await toxiproxy.api('/proxies/web/toxics/theirs', 'DELETE');
    }
  }, 60_000);

  it('rolls back when stopped in the middle of a long wait (SIGTERM), and exits 4 at once', async () => {
    const run = startChaos([
      'run',
      experimentFile(experiment([slow('slow'), { action: 'wait', duration: '10m' }], '5s')),
    ]);
    await eventually(
      async () => ((await toxiproxy.api('/proxies/web/toxics')).json.length === 1 ? true : undefined),
      20_000,
      'the toxic',
    );
    const stoppedAt = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(4);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ passed: false, status: 'interrupted' });
    expect(v.rollback[0]).toMatchObject({ toxic: 'slow', ok: true, result: 'removed' });
    expect((await toxiproxy.api('/proxies/web/toxics')).json).toEqual([]);
  }, 60_000);

  it('--every repeats the run, one verdict per line, at most --max-runs times', async () => {
    const file = experimentFile(experiment([slow('slow'), { action: 'wait', duration: '100ms' }], '5s'));
    const r = await runChaos(['run', file, '--every', '1s', '--max-runs', '2']);
    expect(r.code).toBe(0);
    expect(r.verdicts.map((v: { run: number; passed: boolean }) => [v.run, v.passed])).toEqual([
      [1, true],
      [2, true],
    ]);
    // Each run added its toxic and removed it again.
    for (const v of r.verdicts)
      expect(v.rollback).toEqual([expect.objectContaining({ toxic: 'slow', result: 'removed' })]);
    expect((await toxiproxy.api('/proxies/web/toxics')).json).toEqual([]);
  }, 60_000);

  it('a Toxiproxy API that never answers costs a bounded wait, and the unanswered add is reported, not guessed at (exit 3)', async () => {
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const api = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const file = experimentFile(experiment([{ ...slow('slow'), api }], '5s'));
      const run = startChaos(['run', file]);
      const r = await run.done;
      expect(r.code).toBe(3);
      // The hypothesis (1.5 s), the add's deadline (5 s) and the check's (5 s), with room for a loaded machine.
      expect(r.ms).toBeLessThan(30_000);
      const v = JSON.parse(r.stdout);
      expect(v.status).toBe('rollback-failed');
      expect(v.method[0]).toMatchObject({
        action: 'add-toxic',
        ok: false,
        error: expect.stringContaining('no answer within 5000 ms'),
      });
      expect(v.rollback).toEqual([
        expect.objectContaining({ action: 'check-unanswered-toxic', toxic: 'slow', ok: false }),
      ]);
      expect(v.reason).toContain('the rollback left what it could not remove');
    } finally {
      for (const res of held) res.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 60_000);

  it('does not run the method when the steady state does not hold before it (exit 1)', async () => {
    const e = experiment([slow('never')]);
    e.steadyStateHypothesis.probes[0]!.tolerance.minRequests = 1_000_000_000;
    const r = await runChaos(['run', experimentFile(e)]);
    expect(r.code).toBe(1);
    const [v] = r.verdicts;
    expect(v.reason).toMatch(
      /^steady state not met before the method, so it did not run: web-p99: \d+ requests in the window, fewer than the 1000000000 it needs as evidence$/,
    );
    expect(v.method).toEqual([]);
    expect(v.rollback).toEqual([]);
    expect(v.hypothesis.after).toBeNull();
    expect((await toxiproxy.api('/proxies/web/toxics')).json).toEqual([]);
  }, 60_000);

  it('could not run (exit 2) when a probe cannot read its router, and says so', async () => {
    const e = experiment([slow('never')]);
    e.steadyStateHypothesis.probes[0]!.router.admins = ['http://127.0.0.1:9'];
    const r = await runChaos(['run', experimentFile(e)]);
    expect(r.code).toBe(2);
    const [v] = r.verdicts;
    expect(v.status).toBe('could-not-run');
    expect(v.reason).toMatch(
      /^before the method: web-p99: could not measure: no router could be read: http:\/\/127\.0\.0\.1:9: /,
    );
    expect(v.method).toEqual([]);
  }, 60_000);
});
