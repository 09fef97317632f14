/**
 * `/admin/faults.json` through a real router with two real upstreams: every rule with its
 * selector and toxics, the known services and clients each selects (judged by the rule's own
 * selectors), applied counts that move with requests, nothing selected after `/toxiproxy/reset`.
 * Rules are made through the router's Toxiproxy API over plain HTTP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultReport, MAX_MATCHES, type RuleReport } from '../../src/router/faults/fault-report.js';
import { FaultTable } from '../../src/router/faults/fault-table.js';
import type { RunningRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { faultApi, setFaults, startFaultRouter } from '../helpers/router-faults.js';
import { client } from '../helpers/router-harness.js';

let web: Server;
let api: Server;
let router: RunningRouter;
const id = (s: Server) => `/$/inet/127.0.0.1/${(s.address() as AddressInfo).port}`;

async function upstream(): Promise<Server> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('hello\n'));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}

beforeAll(async () => {
  web = await upstream();
  api = await upstream();
  router = await startFaultRouter(`dtab: "/svc/web => ${id(web)}; /svc/api => ${id(api)}"`);
});

afterAll(async () => {
  await router?.close();
  for (const s of [web, api]) {
    s?.closeAllConnections();
    await new Promise((r) => s?.close(r));
  }
});

async function send(host: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(`${router.url}/`, { headers: { host, ...headers }, dispatcher: client });
    await res.body.text();
    statuses.push(res.statusCode);
  }
  return statuses;
}

async function report(): Promise<Record<string, RuleReport>> {
  const res = await fetch(`${router.adminUrl}/admin/faults.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await res.json()) as FaultReport;
  return Object.fromEntries(body.rules.map((r) => [r.name, r]));
}

describe('/admin/faults.json', () => {
  it('is empty with no rules', async () => {
    expect(await report()).toEqual({});
  });

  it('shows each rule, the services and clients it selects, and applied counts that move', async () => {
    // Both services and both clients known to the router before any rule.
    expect(await send('web', 1)).toEqual([200]);
    expect(await send('api', 1)).toEqual([200]);
    await faultApi(router, 'POST', '/proxies', {
      name: 'web-slow',
      listen: '/svc/web',
      upstream: '*',
      toxics: [{ name: 'slow', type: 'latency', attributes: { latency: 1, jitter: 0 } }],
    });
    await faultApi(router, 'POST', '/proxies', {
      name: 'api-down',
      upstream: id(api),
      toxics: [{ name: 'boom', type: 'abort', stream: 'upstream', attributes: { status: 503 } }],
    });
    await faultApi(router, 'POST', '/proxies', {
      name: 'tagged',
      upstream: '*',
      header: 'x-chaos: yes',
      toxics: [{ name: 'lag', type: 'latency', toxicity: 0.5, attributes: { latency: 1 } }],
    });
    let rules = await report();
    expect(Object.keys(rules)).toEqual(['web-slow', 'api-down', 'tagged']);
    expect(rules['web-slow']).toMatchObject({
      service: '/svc/web',
      client: '*',
      header: null,
      enabled: true,
      live: true,
      applied: 0,
      toxics: [{ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, applied: 0 }],
      matches: { services: ['/svc/web'], clients: [id(api), id(web)].sort(), more: { services: 0, clients: 0 } },
    });
    expect(rules['web-slow']!.toxics[0]!.attributes).toEqual({ latency: 1, jitter: 0 });
    expect(rules['api-down']).toMatchObject({
      service: '*',
      client: id(api),
      matches: { services: ['/svc/api', '/svc/web'], clients: [id(api)] },
    });
    expect(rules.tagged).toMatchObject({ header: 'x-chaos: yes', toxics: [{ toxicity: 0.5 }] });

    expect(await send('web', 3)).toEqual([200, 200, 200]);
    expect(await send('api', 2)).toEqual([503, 503]);
    rules = await report();
    expect(rules['web-slow']!.applied).toBe(3);
    expect(rules['web-slow']!.toxics[0]!.applied).toBe(3);
    expect(rules['api-down']!.applied).toBe(2);
    expect(rules.tagged!.applied).toBe(0);

    // A disabled rule refuses what it selects; each refused attempt (the router retries a
    // refusal) counts, as in `rt:faults:applied`.
    await faultApi(router, 'POST', '/proxies/web-slow', { enabled: false });
    const refused = await send('web', 2);
    expect(refused.every((s) => s >= 500)).toBe(true);
    rules = await report();
    expect(rules['web-slow']).toMatchObject({ enabled: false, live: true, toxics: [{ applied: 3 }] });
    expect(rules['web-slow']!.refused).toBeGreaterThanOrEqual(2);
    expect(rules['web-slow']!.applied).toBe(3 + rules['web-slow']!.refused);
    console.log(
      'faults.json applied:',
      Object.values(rules).map((r) => `${r.name}=${r.applied}`),
    );
  });

  it('selects nothing after /toxiproxy/reset, and lists nothing once the rules are deleted', async () => {
    await faultApi(router, 'POST', '/reset');
    const rules = await report();
    expect(Object.keys(rules)).toEqual(['web-slow', 'api-down', 'tagged']);
    for (const r of Object.values(rules)) {
      // The toxics and their counts are gone; refusals of the rule while disabled stay counted.
      expect(r).toMatchObject({ enabled: true, live: false, toxics: [], applied: r.refused });
      expect(r.matches).toEqual({ services: [], clients: [], more: { services: 0, clients: 0 } });
    }
    await setFaults(router);
    expect(await report()).toEqual({});
  });

  it('is read-only', async () => {
    const res = await fetch(`${router.adminUrl}/admin/faults.json`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('lists at most 50 services and clients per rule, counting the rest, as the data path selects them', async () => {
    const table = new FaultTable({
      metrics: new MetricsRegistry(),
      log: createLogger({ level: 'silent' }),
      router: 'rt',
    });
    await table.create({ name: 'all', upstream: '*', toxics: [{ type: 'latency', attributes: { latency: 1 } }] });
    await table.create({ name: 'web', listen: '/svc/web', upstream: '/$/inet/127.0.0.1/1', enabled: false });
    const services = Array.from({ length: 120 }, (_, i) => `/svc/s${i}`).concat('/svc/web/v2', '/svc/webby');
    const clients = Array.from({ length: 70 }, (_, i) => `/$/inet/127.0.0.1/${i}`);
    const [all, web] = table.report(services, clients).rules;
    expect(all!.matches.services.length).toBe(MAX_MATCHES);
    expect(all!.matches.more).toEqual({ services: 122 - MAX_MATCHES, clients: 70 - MAX_MATCHES });
    // Whole segments, as a request is matched: /svc/web/v2 yes, /svc/webby no; client /1 only.
    expect(web!.matches).toEqual({
      services: ['/svc/web/v2'],
      clients: ['/$/inet/127.0.0.1/1'],
      more: { services: 0, clients: 0 },
    });
    for (const s of services) {
      for (const c of ['/$/inet/127.0.0.1/1', '/$/inet/127.0.0.1/10']) {
        const selected = web!.matches.services.includes(s) && web!.matches.clients.includes(c);
        expect(table.get('web').matches(s, c, [])).toBe(selected);
      }
    }
  });
});
