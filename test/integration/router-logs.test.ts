/**
 * What the router says about requests, beside metrics: a line for every answer it gives itself
 * (no hosts, a refused override), for upstream connection failures and for failure accrual's
 * removals and revivals, throttled so that callers cannot flood the log; and linkerd's access
 * log, one line per request in the Common Log Format or as JSON, with what callers send escaped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { get, type NamedUpstream, startNamedUpstream } from '../helpers/router-harness.js';

let dir: string;
let web: NamedUpstream;
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'router-logs-'));
  web = await startNamedUpstream('web');
  // A port nothing listens on: taken, then released.
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
});

afterAll(async () => {
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Logged {
  readonly router: RunningRouter;
  readonly lines: () => Record<string, unknown>[];
}

async function routerWithLog(extra: string): Promise<Logged> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => {
    text += c;
  });
  const yaml = [
    'listen: 127.0.0.1:0',
    'admin: 127.0.0.1:0',
    `dtab: "/svc/web => /$/inet/127.0.0.1/${web.port} ; /svc/down => /$/inet/127.0.0.1/${closedPort}"`,
    'dtabOverrides:',
    '  allowDestinations: [/svc]',
    extra,
  ].join('\n');
  const router = await startRouter(
    routerConfig(yaml),
    createLogger({ level: 'info', format: 'json', destination: out }),
  );
  return {
    router,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('router log lines', () => {
  it('logs a no-hosts answer once a second per host, counting the ones it left out', async () => {
    const { router, lines } = await routerWithLog('');
    try {
      for (let i = 0; i < 200; i++) expect((await get(`${router.url}/`, { host: 'nowhere' })).status).toBe(502);
      const noHosts = lines().filter((l) => l.msg === 'no hosts are available');
      expect(noHosts.length).toBeGreaterThanOrEqual(1);
      // 200 requests in well under the few seconds this takes: a handful of lines, not 200.
      expect(noHosts.length).toBeLessThan(10);
      expect(noHosts[0]).toMatchObject({ code: 'SY_ERR_NO_BROKERS', status: 502, authority: 'nowhere', path: '/' });
      await new Promise((r) => setTimeout(r, 1100));
      await get(`${router.url}/`, { host: 'nowhere' });
      const later = lines().filter((l) => l.msg === 'no hosts are available');
      expect(later.at(-1)?.suppressed).toBeGreaterThan(0);
      const counted = later.reduce((n, l) => n + 1 + ((l.suppressed as number | undefined) ?? 0), 0);
      expect(counted).toBe(201);
    } finally {
      await router.close();
    }
  });

  it('bounds what a caller can put in a line, and the keys it can mint', async () => {
    const { router, lines } = await routerWithLog('');
    try {
      const started = Date.now();
      for (let i = 0; i < 300; i++) await get(`${router.url}/${'x'.repeat(2000)}`, { host: `h${i}` });
      const seconds = Math.ceil((Date.now() - started) / 1000);
      const noHosts = lines().filter((l) => l.msg === 'no hosts are available');
      // Every host is new, but the router writes at most 100 lines a second in all (the unit test
      // pins the cap on a stepped clock; here the machine decides how fast requests come).
      expect(noHosts.length).toBeLessThanOrEqual(100 * (seconds + 1));
      for (const l of noHosts) expect(String(l.path).length).toBeLessThanOrEqual(260);
    } finally {
      await router.close();
    }
  }, 60_000);

  it('logs refused overrides and upstream connection failures', async () => {
    const { router, lines } = await routerWithLog('');
    try {
      const refused = await get(`${router.url}/`, { host: 'web', 'l5d-dtab': '/svc/web => /$/inet/10.0.0.1/80' });
      expect(refused.status).toBe(403);
      expect(lines().find((l) => l.code === 'SY_ERR_DTAB_OVERRIDE_DENIED')).toMatchObject({ status: 403 });
      expect((await get(`${router.url}/`, { host: 'down' })).status).toBe(502);
      expect(lines().find((l) => l.msg === 'upstream connection failed')).toMatchObject({
        client: `/$/inet/127.0.0.1/${closedPort}`,
        endpoint: `127.0.0.1:${closedPort}`,
        sent: false,
      });
    } finally {
      await router.close();
    }
  });

  it('logs failure accrual marking an endpoint dead, with its backoff', async () => {
    const { router, lines } = await routerWithLog(
      'failureAccrual:\n  failures: 3\n  minBackoffMs: 60000\n  maxBackoffMs: 60000',
    );
    try {
      for (let i = 0; i < 5; i++) await get(`${router.url}/`, { host: 'down' });
      expect(lines().find((l) => l.msg === 'failure accrual: endpoint marked dead')).toMatchObject({
        client: `/$/inet/127.0.0.1/${closedPort}`,
        endpoint: `127.0.0.1:${closedPort}`,
        backoffMs: 60000,
      });
    } finally {
      await router.close();
    }
  });
});

describe('requests whose name found no route', () => {
  it('are counted per name, in a family capped at 100 names', async () => {
    const { router } = await routerWithLog('');
    try {
      for (let i = 0; i < 5; i++) await get(`${router.url}/`, { host: 'wbe' });
      for (let i = 0; i < 150; i++) await get(`${router.url}/`, { host: `typo${i}` });
      const text = await (await fetch(`${router.adminUrl}/metrics`)).text();
      expect(text).toContain('switchyard_router_unrouted_requests_total{router="http",service="svc/wbe"} 5\n');
      const series = text.split('\n').filter((l) => l.startsWith('switchyard_router_unrouted_requests_total{'));
      expect(series.length).toBe(101);
      expect(text).toContain('switchyard_router_unrouted_requests_total{router="http",service="other"} 51\n');
    } finally {
      await router.close();
    }
  }, 30_000);
});

describe('the access log', () => {
  it('writes one Common Log Format line per request, escaping what callers send', async () => {
    const file = join(dir, 'access.log');
    const { router } = await routerWithLog(`httpAccessLog: ${file}`);
    try {
      await get(`${router.url}/hello?x=1`, { host: 'web', 'user-agent': 'say "hi"\tthere' });
      await get(`${router.url}/`, { host: 'nowhere' });
    } finally {
      await router.close();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/hello\?x=1 HTTP\/1\.1" 200 - "-" "say \\x22hi\\x22\\x09there" "web" "\/svc\/web" \d+\.\d{3}$/,
    );
    expect(lines[1]).toMatch(/"GET \/ HTTP\/1\.1" 502 - "-" "[^"]*" "nowhere" "-" \d+\.\d{3}$/);
  });

  it('writes JSON lines with format json, and counts in metrics nothing dropped', async () => {
    const file = join(dir, 'access.json');
    const { router } = await routerWithLog(`httpAccessLog: ${file}\nhttpAccessLogFormat: json`);
    try {
      await get(`${router.url}/a`, { host: 'web' });
      const metrics = (await (await fetch(`${router.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
      expect(Object.entries(metrics).find(([k]) => k.includes('access_log'))?.[1]).toBe(0);
    } finally {
      await router.close();
    }
    const [line] = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({
      method: 'GET',
      path: '/a',
      protocol: 'http/1.1',
      authority: 'web',
      service: '/svc/web',
      status: 200,
      remote: '127.0.0.1',
    });
  });
});
