/**
 * The router's admin port cannot be turned against the router: with an admin token configured,
 * every state-changing request (the drain, the traffic generator, the registry and its lockers)
 * needs it — 401 with `WWW-Authenticate: Bearer` without one, 403 with a wrong one — while probes
 * and metrics stay open; `GET /prestop` (for hooks that cannot send a header) is answered only on
 * loopback; and a drain that has ended ends the process (exit 0) instead of leaving a router that
 * serves nothing while `/healthz` says 200. Real `switchyard router` processes, plus the admin
 * app in process for the one thing a test cannot do over loopback: come from another address.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildAdminApp } from '../../src/router/admin/admin-app.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { buildClientApp } from '../../src/traffic/client-app.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';
import { type RouterProcess, startRouterProcess, startTestRouter } from '../helpers/router-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-admin-'));
const TOKEN = 'admin-token-for-tests-0123456789';
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);
const configFile = join(dir, 'router.yaml');
writeFileSync(configFile, 'dtab: /svc => /$/inet/127.0.0.1/1\n');
const started: RouterProcess[] = [];

afterEach(() => {
  for (const r of started.splice(0)) r.child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function router(extra: string[] = []): Promise<RouterProcess> {
  const r = await startRouterProcess(['--config', configFile, '--drain-grace-ms', '100', ...extra]);
  started.push(r);
  return r;
}

/** The exit code, or 'still running' when the process has not exited within `ms`. */
function exitWithin(r: RouterProcess, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([r.exited, new Promise<'still running'>((res) => setTimeout(() => res('still running'), ms))]);
}

describe('admin token on the router', () => {
  it('writes need the token (401 with WWW-Authenticate: Bearer, 403 when wrong); reads stay open', async () => {
    const r = await router(['--admin-token-file', tokenFile]);
    const post = (path: string, headers: Record<string, string> = {}, body = '{}') =>
      fetch(`${r.adminUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const writes = [
      '/prestop',
      '/admin/shutdown',
      '/client/targets/add',
      '/client/targets/invoke/all',
      '/client/track/headers/x-version',
      '/registry/peers/add',
      '/registry/peers/L/locker/store/k',
      '/registry/peers/L/127.0.0.1:1/locker/store/k',
      '/registry/peers/targets/add',
      '/registry/peers/clear',
    ];
    for (const path of writes) {
      const none = await post(path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate'), path).toMatch(/^Bearer\b/);
      expect((await post(path, bearer('not-the-token'))).status, path).toBe(403);
      expect((await post(path, { authorization: 'Basic Zm9vOmJhcg==' })).status, path).toBe(401);
    }
    for (const path of ['/healthz', '/ready', '/admin/metrics', '/client/targets', '/registry/peers']) {
      expect((await fetch(`${r.adminUrl}${path}`)).status, path).toBe(200);
    }
    // The delegator only explains: a POST, but a read.
    const explained = await post('/delegator.json', {}, JSON.stringify({ path: '/svc/x' }));
    expect(explained.status).toBe(200);
    // Nothing above drained it.
    expect((await fetch(`${r.adminUrl}/ready`)).status).toBe(200);
    expect(await exitWithin(r, 300)).toBe('still running');
    // The right token drains it, and the drain's end is the process's end.
    expect((await post('/prestop', bearer(TOKEN))).status).toBe(200);
    expect(await exitWithin(r, 20_000)).toBe(0);
  }, 40_000);

  it('a bad --admin-token-file is a usage error before any port is bound', async () => {
    await expect(router(['--admin-token-file', join(dir, 'missing')])).rejects.toThrow(/adminSecurity\.tokenFile/);
  });
});

describe('a drain that has ended ends the router', () => {
  it('GET /prestop from loopback (a kubelet exec hook) drains, then the process exits 0', async () => {
    const r = await router();
    const t0 = Date.now();
    const res = await fetch(`${r.adminUrl}/prestop`);
    expect(res.status).toBe(200);
    expect(await exitWithin(r, 20_000)).toBe(0);
    // Figure for the report: drain grace (100 ms) + close.
    console.info(`router exited ${Date.now() - t0} ms after GET /prestop`);
  }, 30_000);

  it('/healthz turns 503 once the drain is over but the process is still there', async () => {
    const running = await startTestRouter('dtab: /svc => /$/inet/127.0.0.1/1\ndrainGraceMs: 0');
    try {
      expect((await fetch(`${running.adminUrl}/healthz`)).status).toBe(200);
      await running.drain('test');
      const res = await fetch(`${running.adminUrl}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/drained/);
    } finally {
      await running.close();
    }
  });
});

describe('GET /prestop is answered only on loopback', () => {
  it('403 from another address, whatever the token; POST /prestop with the token works from anywhere', async () => {
    let drains = 0;
    const metrics = new MetricsRegistry();
    const app = buildAdminApp(
      {
        metrics,
        readiness: () => ({ ready: drains === 0 }),
        startDrain: async () => void drains++,
        delegate: async () => ({}),
        currentDtab: () => ({ dtab: null, source: 'test' }),
      },
      { token: TOKEN },
    );
    try {
      const from = (remoteAddress: string, method: 'GET' | 'POST', headers: Record<string, string> = {}) =>
        app.inject({ method, url: '/prestop', remoteAddress, headers });
      const far = await from('10.1.2.3', 'GET', bearer(TOKEN));
      expect(far.statusCode).toBe(403);
      expect(far.body).toMatch(/only on loopback/);
      expect((await from('::ffff:10.1.2.3', 'GET')).statusCode).toBe(403);
      expect((await from('fe80::1', 'GET')).statusCode).toBe(403);
      expect(drains).toBe(0);
      expect((await from('10.1.2.3', 'POST')).statusCode).toBe(401);
      expect((await from('10.1.2.3', 'POST', bearer(TOKEN))).statusCode).toBe(200);
      expect((await from('127.0.0.1', 'GET')).statusCode).toBe(200);
      expect((await from('::1', 'GET')).statusCode).toBe(200);
      expect((await from('::ffff:127.0.0.1', 'GET')).statusCode).toBe(200);
      expect(drains).toBe(4);
      // The gate judges the route a request reaches, not how its path is spelt.
      for (const url of ['/%70restop', '/%70restop?x=1', '/prestop?', '/pre%73top']) {
        const res = await app.inject({ method: 'GET', url, remoteAddress: '10.1.2.3' });
        expect(res.statusCode, url).not.toBe(200);
        const post = await app.inject({ method: 'POST', url, remoteAddress: '10.1.2.3' });
        expect(post.statusCode, url).not.toBe(200);
      }
      expect(drains).toBe(4);
    } finally {
      await app.close();
      metrics.close();
    }
  });
});

describe('request bodies are bounded on every admin-style API', () => {
  it('the router admin port and a peer answer 413 past 1 MiB, before reading the body', async () => {
    const metrics = new MetricsRegistry();
    const admin = buildAdminApp({
      metrics,
      readiness: () => ({ ready: true }),
      startDrain: async () => {},
      delegate: async () => ({}),
      currentDtab: () => ({ dtab: null, source: 'test' }),
    });
    const client = new TrafficClient();
    const peer = buildClientApp({ client });
    const body = JSON.stringify({ path: '/svc/x', dtab: `/a=>/b;${'x'.repeat(2 * 1024 * 1024)}` });
    try {
      for (const [app, url] of [
        [admin, '/delegator.json'],
        [peer, '/client/targets/add'],
      ] as const) {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body });
        expect(res.statusCode, url).toBe(413);
      }
    } finally {
      await admin.close();
      await peer.close();
      await client.close();
      metrics.close();
    }
  });
});
