/**
 * A router in this process with a seeded fault PRNG, and the calls the router-faults tests make
 * on its `/toxiproxy/` API.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { seededRandom } from './seeded-random.js';

export async function startFaultRouter(yaml: string, seed = 1): Promise<RunningRouter> {
  const config = routerConfig(`${yaml}\nlisten: 127.0.0.1:0\nadmin: 127.0.0.1:0\n`);
  return startRouter(config, createLogger({ level: 'silent' }), { faultRandom: seededRandom(seed) });
}

/** One call on the router's Toxiproxy API; throws unless it answered 2xx. */
export async function faultApi(router: RunningRouter, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${router.adminUrl}/toxiproxy${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Replaces every rule with `rules` (each with its toxics). */
export async function setFaults(router: RunningRouter, ...rules: unknown[]): Promise<void> {
  for (const name of Object.keys((await faultApi(router, 'GET', '/proxies')) as object)) {
    await faultApi(router, 'DELETE', `/proxies/${name}`);
  }
  if (rules.length > 0) await faultApi(router, 'POST', '/populate', rules);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export interface WebUnderFaults {
  readonly router: RunningRouter;
  /** The upstream's port: `/svc/web` is bound to `/$/inet/127.0.0.1/<port>`. */
  readonly port: number;
}

/**
 * For a test file: an HTTP upstream served by `handle`, a fault router whose dtab sends
 * `/svc/web` (Host: web) to it, every rule removed after each test, and both closed at the end.
 */
export function webUnderFaults(handle: RequestListener): WebUnderFaults {
  let upstream: Server | undefined;
  const state: { router?: RunningRouter; port?: number } = {};
  beforeAll(async () => {
    const server = createServer(handle);
    upstream = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    state.port = (server.address() as AddressInfo).port;
    state.router = await startFaultRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${state.port}`);
  });
  afterEach(async () => {
    if (state.router) await setFaults(state.router);
  });
  afterAll(async () => {
    await state.router?.close();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
  });
  return {
    get router() {
      return state.router!;
    },
    get port() {
      return state.port!;
    },
  };
}
