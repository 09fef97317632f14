/**
 * A probe's window read from routers' admin ports: the canary controller's reading of router
 * metrics (src/canary/client-metrics.ts: cumulative counters and latency buckets, a window is the
 * difference of two scrapes, summed over routers) reused as it is. Per client, the canary's scrape
 * serves directly; per service, the router keeps the same series under `/service/<name>/` (and
 * `service="…"` in /metrics), so the text is renamed into the client form the canary reads rather
 * than parsed a second way.
 */
import { type FetchLimits, getJson, getText } from '../canary/bounded-fetch.js';
import { readBuckets, readClients, type Scrape, scrapeClients, windowOf } from '../canary/client-metrics.js';
import { routersFromRegistry } from '../canary/routers.js';
import type { RouterSource } from './spec.js';

export interface RouterSnapshot {
  readonly routers: readonly string[];
  readonly scrapes: Map<string, Scrape>;
  readonly unreadable: { router: string; error: string }[];
}

export interface Figures {
  readonly requests: number;
  readonly failures: number;
  /** null without latency data. */
  readonly p99Ms: number | null;
  readonly p99Source: string | null;
}

async function routersOf(source: RouterSource, limits: FetchLimits): Promise<string[]> {
  const found = source.registry === null ? [] : await routersFromRegistry(source.registry, source.routerLabel, limits);
  return [...new Set([...source.admins, ...found])];
}

async function scrapeServices(admin: string, name: string, limits: FetchLimits): Promise<Scrape> {
  const json = await getJson(`${admin}/admin/metrics.json?q=rt`, limits);
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new Error('metrics.json is not an object of metric names to numbers');
  const renamed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>))
    if (k.startsWith('rt/')) renamed[k.replace('/service/', '/client/')] = v;
  const scrape = readClients(renamed, [name]);
  const text = await getText(`${admin}/metrics`, limits).catch(() => null);
  if (text !== null) {
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith('switchyard_router_service_request_duration_seconds_bucket{'))
      .map((l) =>
        l.replace('switchyard_router_service_', 'switchyard_router_client_').replace('service="', 'client="'),
      );
    readBuckets(lines.join('\n'), scrape);
  }
  return scrape;
}

/** One scrape of every router of the source; routers that cannot be read are listed, not fatal. */
export async function snapshotRouters(
  source: RouterSource,
  limits: FetchLimits,
  routers?: readonly string[],
): Promise<RouterSnapshot> {
  const list = routers ?? (await routersOf(source, limits));
  const scrapes = new Map<string, Scrape>();
  const unreadable: { router: string; error: string }[] = [];
  await Promise.all(
    list.map(async (router) => {
      try {
        scrapes.set(
          router,
          source.scope === 'client'
            ? await scrapeClients(router, [source.name], limits)
            : await scrapeServices(router, source.name, limits),
        );
      } catch (e) {
        unreadable.push({ router, error: (e as Error).message });
      }
    }),
  );
  return { routers: list, scrapes, unreadable };
}

export function routerFigures(source: RouterSource, start: RouterSnapshot, end: RouterSnapshot): Figures {
  const w = windowOf(start.scrapes, end.scrapes, [source.name]);
  return { requests: w.requests, failures: w.failures, p99Ms: w.p99, p99Source: w.p99Source };
}
