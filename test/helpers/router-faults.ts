/**
 * A router in this process with a seeded fault PRNG, and the calls the router-faults tests make
 * on its `/toxiproxy/` API.
 */
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
