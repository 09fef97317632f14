/**
 * No caller-chosen key reaches Object.prototype. `__proto__`, `constructor` and `prototype` go to
 * every JSON API on the router's admin port (its own routes, the traffic generator's and the
 * registry's, mounted as `switchyard router` mounts them) and on the standalone registry and peer
 * apps — as every path parameter, and as JSON object keys at the top and nested, as JSON and as
 * text — and a peer registered under the label `constructor` takes pushes. Afterwards
 * Object.prototype and Object are as they were, no response was a 500, a dtab still parses and a
 * request still routes. Before, one `POST /registry/peers/L/locker/store/__proto__` set
 * Object.prototype.data and every later dtab parse in the process failed.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { Dtab } from '../../src/dtab/dtab.js';
import { Registry } from '../../src/registry/registry.js';
import { buildRegistryApp } from '../../src/registry/registry-app.js';
import { registerRegistryRoutes } from '../../src/registry/registry-routes.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { buildClientApp } from '../../src/traffic/client-app.js';
import { registerClientRoutes } from '../../src/traffic/client-routes.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';
import { get, type NamedUpstream, startNamedUpstream } from '../helpers/router-harness.js';

const KEYS = ['__proto__', 'constructor', 'prototype'];
const poison = { polluted: 'yes', data: 'poisoned', lastReported: 'poisoned' };

/** JSON text with the hostile keys as own keys, at the top and nested, beside plausible fields. */
function hostileBody(name: string, extra: Record<string, unknown> = {}): string {
  const fields = JSON.stringify({
    name,
    address: extra.address ?? '127.0.0.1:1',
    url: 'http://127.0.0.1:1/',
    headers: { [KEYS[0]!]: 'x', constructor: 'y' },
    nested: { a: [{ b: 1 }] },
    ...extra,
  });
  const keys = KEYS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(poison)}`).join(',');
  const nested = `"deep":{"__proto__":${JSON.stringify(poison)},"constructor":{"prototype":${JSON.stringify(poison)}}}`;
  return `{${keys},${nested},${fields.slice(1)}`;
}

/** Every way to fill a route's parameters with the hostile keys (and `client,<key>` for lockers). */
function paths(url: string): string[] {
  const params = url.match(/:[A-Za-z]+/g) ?? [];
  if (params.length === 0) return [url];
  const values = [...KEYS, ...KEYS.map((k) => `client,${k}`), `${KEYS.join(',')}`];
  return values.map((v) => params.reduce((u, p) => u.replace(p, encodeURIComponent(v)), url));
}

interface Route {
  readonly method: string;
  readonly url: string;
}

function recordRoutes(app: FastifyInstance, into: Route[]): void {
  app.addHook('onRoute', (r: RouteOptions) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') into.push({ method, url: r.url });
  });
}

/** Sends the hostile bodies to every route; answers the statuses seen. */
async function attack(base: string, routes: readonly Route[], skip: RegExp): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const route of routes) {
    if (skip.test(route.url)) continue;
    for (const path of paths(route.url)) {
      for (const [type, body] of [
        ['application/json', hostileBody('constructor')],
        ['text/plain', hostileBody('__proto__')],
      ] as const) {
        const res = await fetch(`${base}${path}`, {
          method: route.method,
          ...(route.method === 'GET' ? {} : { body, headers: { 'content-type': type } }),
        });
        await res.arrayBuffer();
        seen.set(`${route.method} ${path} (${type})`, res.status);
      }
    }
  }
  return seen;
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const objectKeys = () => Object.getOwnPropertyNames(Object).sort();
let cleanPrototype: string[];
let cleanObject: string[];

function expectClean(statuses: Map<string, number>): void {
  expect([...statuses].filter(([, status]) => status >= 500)).toEqual([]);
  expect(prototypeKeys()).toEqual(cleanPrototype);
  expect(objectKeys()).toEqual(cleanObject);
  const probe = {} as Record<string, unknown>;
  expect([probe.polluted, probe.data, probe.lastReported, probe['127.0.0.1:1']]).toEqual([
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  expect(Dtab.read('/svc/web => /$/inet/127.0.0.1/1').size).toBe(1);
}

let upstream: NamedUpstream;
let router: RunningRouter;
let registry: Registry;
let traffic: TrafficClient;
const adminRoutes: Route[] = [
  { method: 'GET', url: '/delegator.json?path=/svc/__proto__&dtab=/__proto__=>/constructor' },
  { method: 'POST', url: '/delegator.json' },
  { method: 'GET', url: '/admin/metrics.json?q=__proto__' },
  { method: 'GET', url: '/admin/dtab' },
];

beforeAll(async () => {
  cleanPrototype = prototypeKeys();
  cleanObject = objectKeys();
  upstream = await startNamedUpstream('web');
  traffic = new TrafficClient();
  registry = await Registry.open();
  const config = routerConfig(
    `dtab: /svc/web => /$/inet/127.0.0.1/${upstream.port}\nlisten: 127.0.0.1:0\nadmin: 127.0.0.1:0\n`,
  );
  router = await startRouter(config, createLogger({ level: 'silent' }), {
    admin: (app) => {
      recordRoutes(app, adminRoutes);
      registerClientRoutes(app, { client: traffic });
      registerRegistryRoutes(app, { registry });
    },
  });
});

afterAll(async () => {
  await traffic?.close();
  await router?.close();
  await registry?.close();
  await upstream?.close();
});

describe('prototype keys on every JSON API', () => {
  it("the router's admin port: its routes, the traffic generator's and the registry's", async () => {
    // A peer under the label `constructor` at this very admin port, so pushes reach a pod.
    const address = new URL(router.adminUrl).host;
    const added = await fetch(`${router.adminUrl}/registry/peers/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'constructor', address }),
    });
    expect(added.status).toBe(200);
    expect(adminRoutes.length).toBeGreaterThan(40);
    // Draining would end this router before the checks that follow.
    const statuses = await attack(router.adminUrl, adminRoutes, /^\/(prestop|admin\/shutdown)/);
    expect(statuses.size).toBeGreaterThan(300);
    expectClean(statuses);
    const routed = await get(`${router.url}/`, { host: 'web' });
    expect(routed.status).toBe(200);
    expect(routed.headers['x-served-by']).toBe('web');
    // The registry's views still serialise what was stored under hostile keys.
    const results = await fetch(`${router.adminUrl}/registry/peers/client/results`);
    expect(results.status).toBe(200);
    expect((await fetch(`${router.adminUrl}/registry/peers/lockers`)).status).toBe(200);
  }, 120_000);

  it('the standalone registry and peer apps', async () => {
    const standalone = await Registry.open();
    const client = new TrafficClient();
    // The route lists, recorded by mounting the same routes on a bare fastify that never listens.
    const registryRoutes = routesOf((app) => registerRegistryRoutes(app, { registry: standalone }));
    const clientRoutes = routesOf((app) => registerClientRoutes(app, { client }));
    expect(registryRoutes.length).toBeGreaterThan(30);
    expect(clientRoutes.length).toBeGreaterThan(10);
    const registryApp = buildRegistryApp({ registry: standalone });
    const peerApp = buildClientApp({ client });
    try {
      const registryUrl = await registryApp.listen({ host: '127.0.0.1', port: 0 });
      const peerUrl = await peerApp.listen({ host: '127.0.0.1', port: 0 });
      expectClean(await attack(registryUrl, registryRoutes, /^$/));
      expectClean(await attack(peerUrl, clientRoutes, /^$/));
    } finally {
      await registryApp.close();
      await peerApp.close();
      await client.close();
      await standalone.close();
    }
  }, 120_000);
});

function routesOf(mount: (app: FastifyInstance) => void): Route[] {
  const routes: Route[] = [];
  const recorder = Fastify();
  recordRoutes(recorder, routes);
  mount(recorder);
  void recorder.close();
  return routes;
}
