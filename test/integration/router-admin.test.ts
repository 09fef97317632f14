/**
 * The router's admin port over a real socket (port 0): probes and the drain trigger, metrics in
 * both shapes with the Prometheus text checked by promtool (docs/router.md#metrics), the delegator
 * explaining with the router's dtab through the real interpreter, and /admin/dtab. The deps are a
 * real MetricsRegistry and small closures holding plain state, which is all the admin port reads.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { Path } from '../../src/dtab/path.js';
import { createError } from '../../src/errors.js';
import { delegate as explain } from '../../src/namers/default-interpreter.js';
import { delegateTreeToJson } from '../../src/naming/delegate-json.js';
import { buildAdminApp, type RouterDtabInfo } from '../../src/router/admin/admin-app.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { registerProcessMetrics } from '../../src/telemetry/process-metrics.js';
import { LINKERD_NAMING_LINTS, promtoolCheckMetrics } from '../helpers/promtool.js';

const BASE = '/svc => /srv ; /srv/web => /$/inet/127.0.0.1/8080';

interface RouterState {
  dtab: RouterDtabInfo;
  draining: boolean;
  drainReasons: string[];
}

let app: FastifyInstance;
let url: string;
let state: RouterState;
let metrics: MetricsRegistry;
let stopProcessMetrics: () => void;

beforeEach(async () => {
  state = { dtab: { dtab: null, source: 'namerd:http://127.0.0.1:4180/default' }, draining: false, drainReasons: [] };
  metrics = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
  stopProcessMetrics = registerProcessMetrics(metrics);
  app = buildAdminApp({
    metrics,
    readiness: () => {
      if (state.draining) return { ready: false, reason: 'draining' };
      if (state.dtab.dtab === null)
        return { ready: false, reason: `waiting for the first dtab from ${state.dtab.source}` };
      return { ready: true };
    },
    startDrain: async (reason) => {
      state.drainReasons.push(reason);
      state.draining = true;
    },
    delegate: async (pathText, extra) => {
      if (pathText === '/svc/slow') throw createError('SY_ERR_TIMEOUT');
      let path: Path;
      let local: Dtab;
      try {
        path = Path.read(pathText);
      } catch (e) {
        throw createError('SY_ERR_INVALID_PATH', [(e as Error).message], e);
      }
      try {
        local = extra === undefined ? Dtab.empty : Dtab.read(extra);
      } catch (e) {
        throw createError('SY_ERR_INVALID_DTAB', [(e as Error).message], e);
      }
      const base = Dtab.read(state.dtab.dtab ?? '');
      return delegateTreeToJson(await explain(base.concat(local), path));
    },
    currentDtab: () => state.dtab,
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  stopProcessMetrics();
  metrics.close();
  await app.close();
});

const haveDtab = () => {
  state.dtab = {
    dtab: BASE,
    source: state.dtab.source,
    version: 'AAAAAAAAAAE=',
    updatedAt: '2026-01-02T03:04:05.000Z',
  };
};

describe('probes and drain', () => {
  it('answers ping and liveness at once, readiness only once a dtab is in hand', async () => {
    expect(await (await fetch(`${url}/admin/ping`)).text()).toBe('pong');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    let ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('waiting for the first dtab from namerd:http://127.0.0.1:4180/default\n');
    haveDtab();
    ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
  });

  it('starts the drain from /prestop (POST, or GET as a kubelet hook sends it): not ready, still alive', async () => {
    haveDtab();
    const res = await fetch(`${url}/prestop`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('draining\n');
    const ready = await fetch(`${url}/ready`);
    expect([ready.status, await ready.text()]).toEqual([503, 'draining\n']);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/prestop`)).status).toBe(200);
    expect(state.drainReasons).toEqual(['prestop hook', 'prestop hook']);
  });

  it("takes linkerd's POST /admin/shutdown, with ?grace= accepted", async () => {
    expect((await fetch(`${url}/admin/shutdown`)).status).toBe(404);
    expect((await fetch(`${url}/admin/shutdown?grace=5s`, { method: 'POST' })).status).toBe(200);
    expect(state.drainReasons).toEqual(['admin/shutdown (grace=5s ignored)']);
  });
});

describe('metrics', () => {
  beforeEach(() => {
    const svc = { rt: 'http', service: 'svc/web' };
    const client = { rt: 'http', client: '$/inet/127.0.0.1/8080' };
    metrics.counter('rt:service:requests', svc).inc(3);
    metrics.counter('rt:service:success', svc).inc(2);
    metrics.counter('rt:service:failures', svc).inc();
    for (const v of [1.5, 2.5, 40]) metrics.histogram('rt:service:request_latency_ms', svc).record(v);
    metrics.counter('rt:client:requests', client).inc(3);
    metrics.counter('rt:client:status', { ...client, status: '200' }).inc(2);
    metrics.counter('rt:client:status', { ...client, status: '502' }).inc();
    metrics.counter('rt:service:requests', { rt: 'http', service: 'svc/quote"back\\slash' }).inc();
  });

  it('serves metrics.json with linkerd keys, ?q= subtrees (404 when empty) and ?pretty=1', async () => {
    const res = await fetch(`${url}/admin/metrics.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as Record<string, number>;
    expect(json).toMatchObject({
      'rt/http/service/svc/web/requests': 3,
      'rt/http/service/svc/web/request_latency_ms.count': 3,
      'rt/http/service/svc/web/request_latency_ms.max': 40,
      'rt/http/client/$/inet/127.0.0.1/8080/status/200': 2,
      'rt/http/client/$/inet/127.0.0.1/8080/status/502': 1,
    });
    expect(json['process/uptime_ms']).toBeGreaterThan(0);
    const q = await fetch(`${url}/admin/metrics.json?q=${encodeURIComponent('rt/http/client')}`);
    expect(Object.keys((await q.json()) as object)).toEqual([
      'rt/http/client/$/inet/127.0.0.1/8080/requests',
      'rt/http/client/$/inet/127.0.0.1/8080/status/200',
      'rt/http/client/$/inet/127.0.0.1/8080/status/502',
    ]);
    expect((await fetch(`${url}/admin/metrics.json?q=rt/nope`)).status).toBe(404);
    const pretty = await (await fetch(`${url}/admin/metrics.json?q=rt/http/service/svc/web/requests&pretty=1`)).text();
    expect(pretty).toBe('{\n  "rt/http/service/svc/web/requests": 3\n}\n');
  });

  it('serves Prometheus text that promtool accepts, at both paths', async () => {
    const res = await fetch(`${url}/admin/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('rt:service:requests{rt="http",service="svc/web"} 3\n');
    expect(text).toContain('rt:service:requests{rt="http",service="svc/quote\\"back\\\\slash"} 1\n');
    expect(text).toContain('rt:client:status{rt="http",client="$/inet/127.0.0.1/8080",status="502"} 1\n');
    expect(text).toContain('rt:service:request_latency_ms{rt="http",service="svc/web",quantile="0.5"} 2.5');
    expect(text).toContain('# TYPE process:rss_bytes gauge\n');
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).not.toBe(1);
    expect(
      result.problems.filter((p) => !LINKERD_NAMING_LINTS.some((re) => re.test(p))),
      result.output,
    ).toEqual([]);
    const other = await (await fetch(`${url}/admin/metrics/prometheus`)).text();
    expect(other.split('\n').filter((l) => l.startsWith('rt:'))).toEqual(
      text.split('\n').filter((l) => l.startsWith('rt:')),
    );
  });

  it('serves /metrics in Prometheus conventions, lint-clean', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('switchyard_router_service_requests_total{router="http",service="svc/web"} 3\n');
    expect(text).toContain(
      'switchyard_router_client_status_total{router="http",client="$/inet/127.0.0.1/8080",status="502"} 1\n',
    );
    expect(text).toContain('# TYPE switchyard_router_service_request_duration_seconds histogram\n');
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).toBe(0);
  });
});

describe('delegator and dtab', () => {
  const leaf = {
    type: 'delegate',
    path: '/svc/web',
    delegate: {
      type: 'delegate',
      path: '/srv/web',
      dentry: { prefix: '/svc', dst: '/srv' },
      delegate: {
        type: 'leaf',
        path: '/$/inet/127.0.0.1/8080',
        dentry: { prefix: '/srv/web', dst: '/$/inet/127.0.0.1/8080' },
      },
    },
  };

  it('explains a path with the current dtab, by GET or by POSTed JSON', async () => {
    haveDtab();
    const res = await fetch(`${url}/delegator.json?path=/svc/web`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject(leaf);
    const posted = await fetch(`${url}/delegator.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/svc/web', dtab: '/srv/web => /$/inet/127.0.0.1/9090' }),
    });
    expect(posted.status).toBe(200);
    expect(JSON.stringify(await posted.json())).toContain('/$/inet/127.0.0.1/9090');
    const extra = encodeURIComponent('/srv/web => /$/inet/127.0.0.1/9091');
    expect(await (await fetch(`${url}/delegator.json?path=/svc/web&dtab=${extra}`)).text()).toContain('9091');
  });

  it("maps the router's errors to 400 and 503, and refuses bodies it cannot read", async () => {
    haveDtab();
    const get = (query: string) => fetch(`${url}/delegator.json${query}`);
    let res = await get('');
    expect([res.status, await res.text()]).toEqual([400, 'Invalid path: the path parameter is missing\n']);
    res = await get('?path=nope');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Invalid path: /);
    res = await get(`?path=/svc/web&dtab=${encodeURIComponent('/a => ')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Invalid dtab: /);
    res = await get('?path=/svc/slow');
    expect([res.status, await res.text()]).toEqual([503, 'Request timed out.\n']);
    const post = (body: string, type = 'application/json') =>
      fetch(`${url}/delegator.json`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('{"path":"/svc/web"}', 'text/plain')).status).toBe(415);
    expect((await post('{"path":')).status).toBe(400);
    expect((await post('{"path":1}')).status).toBe(400);
    expect((await post('{"path":"/svc/web","dtab":null}')).status).toBe(200);
  });

  it('reports the base dtab as JSON, or as text with ?format=text', async () => {
    let res = await fetch(`${url}/admin/dtab`);
    expect(await res.json()).toEqual({ dtab: null, source: 'namerd:http://127.0.0.1:4180/default' });
    expect((await fetch(`${url}/admin/dtab?format=text`)).status).toBe(503);
    haveDtab();
    res = await fetch(`${url}/admin/dtab`);
    expect(await res.json()).toEqual({
      dtab: BASE,
      source: 'namerd:http://127.0.0.1:4180/default',
      version: 'AAAAAAAAAAE=',
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
    res = await fetch(`${url}/admin/dtab?format=text`);
    expect([res.status, await res.text()]).toEqual([200, `${BASE}\n`]);
  });

  it('answers 404 for unknown admin paths', async () => {
    const res = await fetch(`${url}/admin/nope`);
    expect([res.status, await res.text()]).toEqual([404, 'Not Found\n']);
  });
});
