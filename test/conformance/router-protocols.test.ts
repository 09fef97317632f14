/**
 * One conformance suite, run over each of the router's inbound protocols (HTTP/1.1 and h2c with
 * prior knowledge): the same test bodies, the same dtabs, upstreams speaking the caller's protocol
 * (the router's default upstream protocol). Whatever routing does, it does the same on every protocol:
 * names, weighted splits, fallback under load, drain under load, staging and refused overrides, and
 * every error the router makes itself.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { type ForbiddenListener, startForbiddenListener } from '../helpers/forbidden-listener.js';
import { until } from '../helpers/h2-upstream-harness.js';
import {
  loadLoop,
  startWireUpstream,
  WIRE_PROTOCOLS,
  type WireClient,
  type WireProtocol,
  type WireUpstream,
  wireClient,
} from '../helpers/protocol-client.js';
import { get, load, startTestRouter } from '../helpers/router-harness.js';
import { metrics, testScope } from '../helpers/test-scope.js';

/** The 1 - 1e-6 quantile of χ² with one degree of freedom (Math.random drives the split). */
const CHI2_1DF_P1E6 = 23.93;

const { cleanups, tempDir } = testScope();

const errText = (h: Record<string, string | string[] | undefined>) => decodeURIComponent(String(h['l5d-err'] ?? ''));

describe.each(WIRE_PROTOCOLS)('over %s', (protocol: WireProtocol) => {
  let client: WireClient;
  let v1: WireUpstream;
  let v2: WireUpstream;
  let canary: WireUpstream;
  let stall: WireUpstream;
  let forbidden: ForbiddenListener;
  let router: RunningRouter;

  beforeAll(async () => {
    client = wireClient(protocol);
    v1 = await startWireUpstream('v1', protocol);
    v2 = await startWireUpstream('v2', protocol);
    canary = await startWireUpstream('canary', protocol);
    // Never answers: the router's timeouts answer instead.
    stall = await startWireUpstream('stall', protocol, (req) => req.resume());
    forbidden = await startForbiddenListener();
    router = await startTestRouter(`
dtab: |
  /srv/web-v1   => /$/inet/127.0.0.1/${v1.port} ;
  /srv/web-v2   => /$/inet/127.0.0.1/${v2.port} ;
  /srv/canary   => /$/inet/127.0.0.1/${canary.port} ;
  /srv/stall    => /$/inet/127.0.0.1/${stall.port} ;
  /svc/web      => /srv/web-v1 ;
  /svc/split19  => 1 * /srv/canary & 19 * /srv/web-v1 ;
  /svc/stall    => /srv/stall ;
  /svc/neg      => ~ ;
totalTimeoutMs: 500
`);
  });
  afterAll(async () => {
    await client.close();
    await router.close();
    await Promise.all([v1.close(), v2.close(), canary.close(), stall.close(), forbidden.close()]);
  });

  it('routes by name through the dtab, adding the l5d-dst-* headers and counting it under its protocol', async () => {
    const r = await client.send(router.url, { host: 'web', path: '/hello?x=1' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('v1\n');
    const seen = v1.seen.at(-1)!;
    expect(seen['l5d-dst-service']).toBe('/svc/web');
    expect(seen['l5d-dst-client']).toBe(`/$/inet/127.0.0.1/${v1.port}`);
    expect(seen.via).toMatch(/switchyard$/);
    const label = protocol === 'h2' ? 'h2' : 'http';
    expect((await metrics(router.adminUrl))[`rt/http/server/protocol/${label}/requests`]).toBeGreaterThan(0);
  });

  it('splits 10,000 requests 1:19 within χ² bounds', async () => {
    const n = 10_000;
    let toCanary = 0;
    await load(n, 32, async () => {
      const r = await client.send(router.url, { host: 'split19' });
      if (r.body === 'canary\n') toCanary++;
      else expect(r.body).toBe('v1\n');
    });
    const expected = n / 20;
    const chi2 = (toCanary - expected) ** 2 / expected + (toCanary - expected) ** 2 / (n - expected);
    expect(chi2).toBeLessThan(CHI2_1DF_P1E6);
  }, 60_000);

  it('stages a request through l5d-dtab and forwards it as l5d-ctx-dtab', async () => {
    const staged = await client.send(router.url, { host: 'web', headers: { 'l5d-dtab': '/svc/web => /srv/web-v2' } });
    expect(staged.body).toBe('v2\n');
    expect(v2.seen.at(-1)!['l5d-ctx-dtab']).toBe('/svc/web=>/srv/web-v2');
    expect(v2.seen.at(-1)!['l5d-dtab']).toBeUndefined();
    expect((await client.send(router.url, { host: 'web' })).body).toBe('v1\n');
  });

  it('refuses an override that binds to an address, without contacting it, and a malformed one with its position', async () => {
    const refused = await client.send(router.url, {
      host: 'web',
      headers: { 'l5d-dtab': `/svc/web => /$/inet/127.0.0.1/${forbidden.port}` },
    });
    expect(refused.status).toBe(403);
    expect(errText(refused.headers)).toContain('not an allowed destination');
    const bad = await client.send(router.url, {
      host: 'web',
      headers: { 'l5d-dtab': '/svc/web => /srv/web-v2,/x=>/y' },
    });
    expect(bad.status).toBe(400);
    expect(errText(bad.headers)).toMatch(/^Invalid Dtab headers: .* at line 1, column 24/);
    expect(forbidden.contacts()).toBe(0);
  });

  it('answers each of its own failures with its status and l5d-err', async () => {
    const cases: [string, Parameters<WireClient['send']>[1], number, RegExp][] = [
      ['no hosts', { host: 'nothing-here' }, 502, /^No hosts are available for \/svc\/nothing-here/],
      ['a negative name', { host: 'neg' }, 502, /^No hosts are available for \/svc\/neg/],
      [
        'too many hops',
        { host: 'web', headers: { via: Array.from({ length: 1000 }, () => '1.1 x').join(', ') } },
        400,
        /^Max call depth exceeded/,
      ],
      ['an upstream that never answers', { host: 'stall' }, 504, /timed out/],
      ['a deadline already past', { host: 'web', headers: { 'l5d-ctx-deadline': '1000000 0' } }, 504, /deadline/i],
    ];
    for (const [what, req, status, message] of cases) {
      const r = await client.send(router.url, req);
      expect(r.status, what).toBe(status);
      expect(errText(r.headers), what).toMatch(message);
    }
  });

  it('moves to the fallback when the primary’s endpoints vanish, with 0 failed requests under load', async () => {
    const primary = await startWireUpstream('primary', protocol);
    const fallback = await startWireUpstream('fallback', protocol);
    cleanups.push(
      () => primary.close(),
      () => fallback.close(),
    );
    const disco = tempDir();
    writeFileSync(join(disco, 'web'), `127.0.0.1 ${primary.port}\n`);
    writeFileSync(join(disco, 'web-backup'), `127.0.0.1 ${fallback.port}\n`);
    const r = await startTestRouter(`
namers:
  - kind: io.l5d.fs
    rootDir: ${disco}
dtab: /svc/web => /#/io.l5d.fs/web | /#/io.l5d.fs/web-backup
`);
    cleanups.push(() => r.close());
    const loop = loadLoop(client, r.url, 'web');
    await until(() => (loop.counts.get('primary\n') ?? 0) > 200, 'load progress', 5000);
    writeFileSync(join(disco, 'web'), '');
    await until(() => (loop.counts.get('fallback\n') ?? 0) > 200, 'load progress', 5000);
    rmSync(join(disco, 'web'));
    const before = loop.counts.get('fallback\n') ?? 0;
    await until(() => (loop.counts.get('fallback\n') ?? 0) > before + 200, 'load progress', 5000);
    writeFileSync(join(disco, 'web'), `127.0.0.1 ${primary.port}\n`);
    const primaryBefore = loop.counts.get('primary\n') ?? 0;
    await until(() => (loop.counts.get('primary\n') ?? 0) > primaryBefore + 200, 'load progress', 5000);
    await loop.stop();
    expect(loop.failures).toEqual([]);
  }, 30_000);

  it('keeps serving through a drain with 0 failed requests and is not ready meanwhile', async () => {
    const app = await startWireUpstream('app', protocol);
    cleanups.push(() => app.close());
    const r = await startTestRouter(`
dtab: /svc/web => /$/inet/127.0.0.1/${app.port}
drainGraceMs: 1500
`);
    cleanups.push(() => r.close());
    const loop = loadLoop(client, r.url, 'web');
    await until(() => (loop.counts.get('app\n') ?? 0) > 300, 'load progress', 5000);
    const drained = r.drain('test');
    expect((await get(`${r.adminUrl}/ready`)).status).toBe(503);
    const atDrain = loop.counts.get('app\n') ?? 0;
    // Traffic goes on during the grace period (kube-proxy has not caught up yet), then stops.
    await new Promise((res) => setTimeout(res, 700));
    await loop.stop();
    expect(loop.counts.get('app\n')!).toBeGreaterThan(atDrain);
    expect(loop.failures).toEqual([]);
    await drained;
  }, 30_000);
});
