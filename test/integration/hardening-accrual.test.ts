/**
 * Failure accrual judges upstreams only: what a client does (two Host headers, giving up early,
 * a stalled body) never marks a healthy endpoint dead, while an upstream that fails is removed,
 * probed and revived, and each of those is a counter in metrics.json and Prometheus.
 */

import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../helpers/raw-http.js';
import { client, get } from '../helpers/router-harness.js';
import { metrics, testScope } from '../helpers/test-scope.js';

const { upstream, router } = testScope();

const accrualKey = (port: number, what: string) => `rt/http/client/$/inet/127.0.0.1/${port}/failure_accrual/${what}`;

describe('client behaviour does not count against an endpoint', () => {
  it('answers two Host headers 400 before routing, and the endpoint stays alive', async () => {
    const web = await upstream('web');
    const r = await router(`dtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    // Warm the client so its accrual counters are exported.
    expect((await get(r.url, { host: 'web' })).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const a = await rawExchange(r.url, 'GET / HTTP/1.1\r\nHost: web\r\nHost: evil\r\n\r\n', {
        stopWhen: (t) => t.includes('\r\n\r\n'),
      });
      expect(a.status).toBe(400);
      expect(a.text).toMatch(/l5d-err: Bad%20request%3A%20more%20than%20one%20Host/);
    }
    const m = await metrics(r.adminUrl);
    expect(m[accrualKey(web.port, 'removals')]).toBe(0);
    expect(web.seen.length).toBe(1);
  });

  it('does not mark an endpoint dead when clients abandon requests after 20 ms', async () => {
    const slow = await upstream('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end('late\n'), 300);
    });
    const r = await router(`dtab: /svc/web => /$/inet/127.0.0.1/${slow.port}`);
    expect((await get(r.url, { host: 'web' })).status).toBe(200);
    for (let i = 0; i < 12; i++) {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 20);
      await request(r.url, { headers: { host: 'web' }, signal: ac.signal, dispatcher: client }).then(
        (res) => res.body.text(),
        () => undefined,
      );
      clearTimeout(t);
    }
    // Wait for the router to see every abandoned request end (in-flight gauge back to 0).
    for (let i = 0; i < 100; i++) {
      if ((await metrics(r.adminUrl))['rt/http/server/pending'] === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const m = await metrics(r.adminUrl);
    expect(m[accrualKey(slow.port, 'removals')]).toBe(0);
    expect((await get(r.url, { host: 'web' })).status).toBe(200);
  });
});

describe('an upstream that fails is removed, probed and revived, in metrics', () => {
  it('counts removals, probes and revivals per client in metrics.json and Prometheus', async () => {
    let failing = true;
    const flaky = await upstream('flaky', (req, res) => {
      req.resume();
      res.statusCode = failing ? 500 : 200;
      res.end('x');
    });
    const r = await router(`
failureAccrual:
  failures: 3
  minBackoffMs: 200
  maxBackoffMs: 200
dtab: /svc/web => /$/inet/127.0.0.1/${flaky.port}
`);
    for (let i = 0; i < 3; i++) expect((await get(r.url, { host: 'web' })).status).toBe(500);
    let m = await metrics(r.adminUrl);
    expect(m[accrualKey(flaky.port, 'removals')]).toBe(1);
    failing = false;
    await new Promise((res) => setTimeout(res, 300));
    // One endpoint: the balancer fails open, and the request after the backoff is the probe.
    expect((await get(r.url, { host: 'web' })).status).toBe(200);
    m = await metrics(r.adminUrl);
    expect(m[accrualKey(flaky.port, 'probes')]).toBe(1);
    expect(m[accrualKey(flaky.port, 'revivals')]).toBe(1);
    const prom = (await get(`${r.adminUrl}/admin/metrics/prometheus`)).body;
    expect(prom).toContain('# TYPE rt:client:failure_accrual:removals counter');
    expect(prom).toMatch(
      new RegExp(`rt:client:failure_accrual:removals\\{rt="http",client="\\$/inet/127.0.0.1/${flaky.port}"\\} 1`),
    );
  });
});
