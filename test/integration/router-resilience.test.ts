/**
 * The router through bad days, with real processes (fallback under load is in the protocol
 * conformance suite): a SIGTERM drain under load (0 failed requests, exit 0); namerd
 * killed and restarted while routing continues; and its metrics scraped as Prometheus text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/h2-upstream-harness.js';
import { freePort, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';
import { LINKERD_NAMING_LINTS, promtoolCheckMetrics } from '../helpers/promtool.js';
import { loadLoop, wireClient } from '../helpers/protocol-client.js';
import { get, startRouterProcess, startTestRouter } from '../helpers/router-harness.js';
import { testScope } from '../helpers/test-scope.js';

const { cleanups, upstream } = testScope();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'router-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('drain', () => {
  it('keeps serving through a SIGTERM drain with 0 failed requests, is not ready meanwhile, and exits 0', async () => {
    const app = await upstream('app');
    const dir = tempDir();
    writeFileSync(join(dir, 'dtab'), `/svc/web => /$/inet/127.0.0.1/${app.port}`);
    const router = await startRouterProcess(['--dtab', join(dir, 'dtab'), '--drain-grace-ms', '1500']);
    cleanups.push(() => void router.child.kill('SIGKILL'));
    expect((await get(`${router.adminUrl}/ready`)).status).toBe(200);
    const loop = loadLoop(wireClient('http/1.1'), router.url, 'web');
    await until(() => (loop.counts.get('app\n') ?? 0) > 300, 'progress', 5000);
    router.child.kill('SIGTERM');
    await until(() => router.log().includes('draining'), 'progress', 2000);
    expect((await get(`${router.adminUrl}/ready`)).status).toBe(503);
    const atTerm = loop.counts.get('app\n') ?? 0;
    // Traffic continues during the grace period (kube-proxy has not caught up yet), then stops.
    await new Promise((r) => setTimeout(r, 700));
    await loop.stop();
    expect(loop.counts.get('app\n')!).toBeGreaterThan(atTerm);
    expect(loop.failures).toEqual([]);
    expect(await router.exited).toBe(0);
  }, 30_000);
});

describe('namerd outage', () => {
  it('routes on the last dtab while namerd is down, and follows it again after a restart', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const store = tempDir();
    const port = await freePort();
    let namerd = await startNamerdProcess(port, store);
    cleanups.push(() => namerd.kill());
    const namerdUrl = `http://127.0.0.1:${port}`;
    await putDtab(namerdUrl, 'default', `/svc/web => /$/inet/127.0.0.1/${a.port}`);
    const router = await startRouterProcess(['--namerd', namerdUrl, '--namespace', 'default']);
    cleanups.push(() => void router.child.kill('SIGKILL'));
    await until(() => router.log().includes('base dtab in use'), 'progress', 5000);
    const loop = loadLoop(wireClient('http/1.1'), router.url, 'web', 4);
    await until(() => (loop.counts.get('a\n') ?? 0) > 100, 'progress', 5000);
    await namerd.kill();
    const duringOutage = loop.counts.get('a\n') ?? 0;
    await until(() => (loop.counts.get('a\n') ?? 0) > duringOutage + 200, 'progress', 5000);
    const state = await get(`${router.adminUrl}/admin/dtab`);
    expect(JSON.parse(state.body).stale).toMatch(/unreachable/);
    expect((await get(`${router.adminUrl}/ready`)).status).toBe(200);
    namerd = await startNamerdProcess(port, store);
    await putDtab(namerdUrl, 'default', `/svc/web => /$/inet/127.0.0.1/${b.port}`);
    await until(() => (loop.counts.get('b\n') ?? 0) > 100, 'progress', 15_000);
    await loop.stop();
    expect(loop.failures).toEqual([]);
  }, 40_000);
});

describe('metrics', () => {
  it('serves per-service and per-client metrics that promtool accepts', async () => {
    const app = await upstream('app');
    const router = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${app.port}`);
    cleanups.push(() => router.close());
    for (let i = 0; i < 20; i++) await get(router.url, { host: 'web' });
    await get(router.url, { host: 'missing' });
    const json = JSON.parse((await get(`${router.adminUrl}/admin/metrics.json`)).body);
    expect(json['rt/http/service/svc/web/requests']).toBe(20);
    expect(json['rt/http/service/svc/web/success']).toBe(20);
    expect(json[`rt/http/client/$/inet/127.0.0.1/${app.port}/status/200`]).toBe(20);
    expect(json['rt/http/server/requests']).toBe(21);
    expect(json['rt/http/server/status/502']).toBe(1);
    const text = (await get(`${router.adminUrl}/admin/metrics`)).body;
    expect(text).toContain(`rt:service:requests{rt="http",service="svc/web"} 20`);
    const check = promtoolCheckMetrics(text);
    expect(check.status === 0 || check.status === 3).toBe(true);
    const unexpected = check.problems.filter((p) => !LINKERD_NAMING_LINTS.some((re) => re.test(p)));
    expect(unexpected).toEqual([]);
  });
});
