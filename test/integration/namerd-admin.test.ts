/**
 * namerd's admin port: namerd's `/admin/ping`, liveness, readiness that asks the store (a namerd
 * whose Redis is gone is not ready), and metrics in both shapes, `/metrics` lint-clean by
 * promtool, with API routes counted by their pattern so callers cannot mint series.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { type RunningNamerd, runNamerd } from '../../src/namerd/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { startRedisServer } from '../helpers/redis-server.js';

const running: RunningNamerd[] = [];
afterAll(async () => {
  for (const n of running) await n.close();
});

async function start(store: string): Promise<RunningNamerd> {
  const n = await runNamerd(namerdConfig(null, { listen: '127.0.0.1:0', store }), createLogger({ level: 'silent' }));
  running.push(n);
  return n;
}

describe("namerd's admin port", () => {
  it('answers ping, liveness and readiness on its own port, chosen by the system beside listen port 0', async () => {
    const n = await start('memory');
    expect(new URL(n.adminUrl).port).not.toBe('9991');
    expect(n.adminUrl).not.toBe(n.url);
    expect(await (await fetch(`${n.adminUrl}/admin/ping`)).text()).toBe('pong');
    expect((await fetch(`${n.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${n.adminUrl}/ready`)).status).toBe(200);
    // The API port does not serve them, and the admin port does not serve the API.
    expect((await fetch(`${n.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${n.adminUrl}/api/1/dtabs`)).status).toBe(404);
  });

  it('counts API requests by route pattern, open watches and writes; /metrics passes promtool', async () => {
    const n = await start('memory');
    for (let i = 0; i < 30; i++) await fetch(`${n.url}/api/1/dtabs/ns${i}`);
    await fetch(`${n.url}/api/1/dtabs/web`, {
      method: 'POST',
      body: '/a => /b',
      headers: { 'content-type': 'application/dtab' },
    });
    const watch = new AbortController();
    const stream = await fetch(`${n.url}/api/1/dtabs/web?watch=true`, { signal: watch.signal });
    const json = (await (await fetch(`${n.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
    expect(json['namerd/watch_streams']).toBe(1);
    watch.abort();
    await stream.body?.cancel().catch(() => {});
    const text = await (await fetch(`${n.adminUrl}/metrics`)).text();
    expect(text).toContain(
      'switchyard_namerd_http_requests_total{method="GET",route="/api/1/dtabs/:ns",status="404"} 30\n',
    );
    expect(text).toContain('switchyard_namerd_dtab_writes_total{method="POST"} 1\n');
    expect(text).toContain('# TYPE switchyard_namerd_http_request_duration_seconds histogram\n');
    expect(text).not.toContain('ns17');
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).toBe(0);
  });

  it('closes within its grace even when a watch client left its connection half-open', async () => {
    const n = await start('memory');
    await fetch(`${n.url}/api/1/dtabs/web`, {
      method: 'POST',
      body: '/a => /b',
      headers: { 'content-type': 'application/dtab' },
    });
    const watch = new AbortController();
    await fetch(`${n.url}/api/1/dtabs/web?watch=true`, { signal: watch.signal });
    watch.abort();
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await n.close();
    // Was fastify's 72 s keep-alive.
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it('is not ready while its Redis store is unreachable, and ready again when it is back', async () => {
    const redis = await startRedisServer();
    const n = await start(redis.url);
    expect((await fetch(`${n.adminUrl}/ready`)).status).toBe(200);
    await redis.stop();
    const down = await fetch(`${n.adminUrl}/ready`);
    expect(down.status).toBe(503);
    expect(await down.text()).toMatch(/^not ready: /);
    await redis.restart();
    const until = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < until && (status = (await fetch(`${n.adminUrl}/ready`)).status) !== 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    await n.close();
    await redis.cleanup();
  }, 30_000);
});
