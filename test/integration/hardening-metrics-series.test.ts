/**
 * Metric series callers cannot multiply: service and client scopes are capped, names past the
 * cap and names that found no route share the scope `other`, and idle scopes expire. 20,000
 * distinct Host values through a router process leave a bounded number of series and a bounded
 * RSS.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { get, load, startRouterProcess, startTestRouter } from '../helpers/router-harness.js';
import { metrics, testScope } from '../helpers/test-scope.js';

const { cleanups, upstream } = testScope();

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('per-name series', () => {
  it('counts names that found no route in the one scope `other`, never in a service scope of their own', async () => {
    const web = await upstream('web');
    const r = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    cleanups.push(() => r.close());
    for (let i = 0; i < 20; i++) expect((await get(r.url, { host: `nowhere-${i}` })).status).toBe(502);
    const m = await metrics(r.adminUrl);
    expect(m['rt/http/service/other/requests']).toBe(20);
    // Only the capped per-name count of unrouted requests (at most 100 names) carries them.
    expect(
      Object.keys(m)
        .filter((k) => k.includes('nowhere') && !k.includes('unrouted_requests'))
        .slice(0, 5),
    ).toEqual([]);
    const prom = (await get(`${r.adminUrl}/admin/metrics/prometheus`)).body;
    expect(prom).toContain('rt:service:requests{rt="http",service="other"} 20');
  });

  it('collapses names past maxServiceSeries into `other`, and expires idle scopes after seriesIdleTtlMs', async () => {
    const web = await upstream('web');
    const r = await startTestRouter(`
limits:
  maxServiceSeries: 3
  seriesIdleTtlMs: 1000
dtab: /svc => /$/inet/127.0.0.1/${web.port}
`);
    cleanups.push(() => r.close());
    for (let i = 0; i < 10; i++) expect((await get(r.url, { host: `h${i}` })).status).toBe(200);
    let m = await metrics(r.adminUrl);
    expect(m['rt/http/service_scopes']).toBe(3);
    expect(m['rt/http/service/other/requests']).toBe(7);
    expect(Object.keys(m).filter((k) => /^rt\/http\/service\/svc\/h\d\/requests$/.test(k))).toHaveLength(3);
    // Idle scopes go after the TTL (the sweep runs every second at this TTL).
    const until = performance.now() + 15_000;
    while (performance.now() < until && (await metrics(r.adminUrl))['rt/http/service_scopes'] !== 0) {
      await new Promise((res) => setTimeout(res, 200));
    }
    m = await metrics(r.adminUrl);
    expect(m['rt/http/service_scopes']).toBe(0);
    expect(m['rt/http/service/svc/h0/requests']).toBeUndefined();
    // A route that comes back gets its scope back.
    expect((await get(r.url, { host: 'h0' })).status).toBe(200);
    m = await metrics(r.adminUrl);
    expect(m['rt/http/service/svc/h0/requests']).toBe(1);
  }, 30_000);

  it('keeps series and RSS bounded through 20,000 distinct Host values', async () => {
    const web = await upstream('web');
    const dir = mkdtempSync(join(tmpdir(), 'series-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'router.yaml');
    writeFileSync(config, `dtab: /svc => /$/inet/127.0.0.1/${web.port}\n`);
    const router = await startRouterProcess(['--config', config]);
    cleanups.push(() => void router.child.kill('SIGKILL'));
    const pid = router.child.pid!;
    await load(200, 8, async (i) => void (await get(router.url, { host: `warm-${i}` })));
    const before = rssBytes(pid);
    let bad = 0;
    const started = performance.now();
    await load(20_000, 16, async (i) => {
      const res = await get(router.url, { host: `h-${i}.example` });
      if (res.status !== 200) bad++;
    });
    const after = rssBytes(pid);
    const m = await metrics(router.adminUrl);
    const serviceKeys = Object.keys(m).filter((k) => k.startsWith('rt/http/service/'));
    const growthMb = (after - before) / 2 ** 20;
    console.log(
      `20,000 Hosts in ${Math.round(performance.now() - started)} ms: RSS ${Math.round(before / 2 ** 20)} → ` +
        `${Math.round(after / 2 ** 20)} MB (+${growthMb.toFixed(1)} MB), ${serviceKeys.length} service keys, ` +
        `${m['rt/http/service_scopes']} scopes, other=${m['rt/http/service/other/requests']}`,
    );
    expect(bad).toBe(0);
    expect(m['rt/http/service_scopes']).toBe(1000);
    expect(m['rt/http/service/other/requests']).toBe(20_200 - 1000);
    // Per scope: requests, success, failures, retries, status/200 and 10 histogram stats (with `other`).
    expect(serviceKeys.length).toBeLessThanOrEqual(1001 * 20);
    // Unbounded series held +421 MB here; what remains is the (bounded) route and name caches and
    // GC slack: +44 to +86 MB on Node 20, up to +170 MB on Node 24, which keeps more freed memory.
    expect(growthMb).toBeLessThan(250);
  }, 240_000);
});
