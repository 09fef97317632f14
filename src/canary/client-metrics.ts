/**
 * What a router's `/admin/metrics.json` says about the clients a canary compares, read from
 * linkerd's flat key names, which stay stable: `rt/<router>/client/<id>/requests`, `…/failures`
 * (the router's verdict: for gRPC calls that includes every non-OK grpc-status, by the gRPC
 * classifier), `…/grpc/status/<code>`, and the latency histogram's `…/request_latency_ms.p99` and
 * `.count`. Counters are cumulative, so a window is the difference between two scrapes. Latency
 * comes from `/metrics`, where the router exports cumulative histogram buckets: their difference
 * is the window's own distribution, so the p99 is the window's (to the bucket), summed over
 * routers as Prometheus' histogram_quantile does. A router without `/metrics` falls back to
 * metrics.json's p99, which describes its last snapshot interval (a minute), not the window.
 *
 * Whatever a router answers is untrusted: non-numeric, negative or non-finite values are ignored.
 */
import { EXPORTED_BOUNDS_MS } from '../telemetry/histogram.js';
import { type FetchLimits, getJson, getText } from './bounded-fetch.js';

export interface ClientSample {
  requests: number;
  failures: number;
  /** Non-OK gRPC statuses by code, for the report. */
  readonly grpcErrors: Record<string, number>;
  /** The last snapshot's p99 in ms, when that snapshot counted any requests. */
  p99: number | null;
  latencyCount: number;
  /** Cumulative counts per exported bound (then +Inf) from /metrics, or null when the router has none. */
  buckets: number[] | null;
}

/** By bound id (`/#/io.l5d.k8s/default/grpc/gen`). */
export type Scrape = Map<string, ClientSample>;

const empty = (): ClientSample => ({
  requests: 0,
  failures: 0,
  grpcErrors: {},
  p99: null,
  latencyCount: 0,
  buckets: null,
});

/** Scrapes one router's metrics for the given client ids. */
export async function scrapeClients(adminUrl: string, ids: readonly string[], limits: FetchLimits): Promise<Scrape> {
  const json = await getJson(`${adminUrl}/admin/metrics.json?q=rt`, limits);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('metrics.json is not an object of metric names to numbers');
  }
  const scrape = readClients(json as Record<string, unknown>, ids);
  // Older routers have no /metrics: their p99 stays metrics.json's.
  const text = await getText(`${adminUrl}/metrics`, limits).catch(() => null);
  if (text !== null) readBuckets(text, scrape);
  return scrape;
}

const LE = [...EXPORTED_BOUNDS_MS.map((ms) => String(ms / 1000)), '+Inf'];
const BUCKET_LINE =
  /^switchyard_router_client_request_duration_seconds_bucket\{(?:[^}]*,)?client="((?:[^"\\]|\\.)*)"(?:,[^}]*)?\} (\d+)$/;

/** Adds the client latency buckets of a /metrics text to the scrape (summed over router labels). */
export function readBuckets(text: string, scrape: Scrape): void {
  const wanted = new Map([...scrape.keys()].map((id) => [id.replace(/^\/+/, ''), id]));
  for (const line of text.split('\n')) {
    const m = BUCKET_LINE.exec(line);
    if (m === null) continue;
    const id = wanted.get(m[1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const i = le === undefined ? -1 : LE.indexOf(le);
    if (id === undefined || i < 0) continue;
    const value = Number(m[2]);
    if (!Number.isSafeInteger(value)) continue;
    const s = scrape.get(id)!;
    s.buckets ??= LE.map(() => 0);
    s.buckets[i]! += value;
  }
}

/** The p99 in ms of bucket counts (cumulative per bound): the upper bound of the bucket holding it. */
export function bucketP99(buckets: readonly number[]): number | null {
  const total = buckets.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = Math.ceil(0.99 * total);
  const i = buckets.findIndex((n) => n >= rank);
  // Above the last finite bound: the window's p99 is only known to exceed it.
  return i < EXPORTED_BOUNDS_MS.length ? EXPORTED_BOUNDS_MS[i]! : EXPORTED_BOUNDS_MS.at(-1)!;
}

/** Picks the client series out of a flat metrics.json object; summed over router labels. */
export function readClients(json: Record<string, unknown>, ids: readonly string[]): Scrape {
  const out: Scrape = new Map(ids.map((id) => [id, empty()]));
  const marks = ids.map((id) => ({ id, mark: `/client/${id.replace(/^\/+/, '')}/` }));
  for (const [key, value] of Object.entries(json)) {
    if (!key.startsWith('rt/') || typeof value !== 'number' || !Number.isFinite(value) || value < 0) continue;
    for (const { id, mark } of marks) {
      const at = key.indexOf(mark);
      // The router's label sits between `rt/` and `/client/` and holds no slash.
      if (at < 4 || key.slice(3, at).includes('/')) continue;
      add(out.get(id)!, key.slice(at + mark.length), value);
    }
  }
  return out;
}

function add(s: ClientSample, metric: string, value: number): void {
  // Counters are whole numbers; anything else under a counter's name is garbage and ignored.
  const count = Number.isSafeInteger(value);
  if (!count && metric !== 'request_latency_ms.p99') return;
  if (metric === 'requests') s.requests += value;
  else if (metric === 'failures') s.failures += value;
  else if (metric === 'request_latency_ms.count') s.latencyCount += value;
  else if (metric === 'request_latency_ms.p99') s.p99 = Math.max(s.p99 ?? 0, value);
  else if (metric.startsWith('grpc/status/')) {
    const code = metric.slice('grpc/status/'.length);
    if (code !== '0' && /^(\d{1,2}|unknown)$/.test(code)) s.grpcErrors[code] = (s.grpcErrors[code] ?? 0) + value;
  }
}

/** What one side (canary or primary) did over a window, summed over its ids and the routers. */
export interface SideWindow {
  requests: number;
  failures: number;
  grpcErrors: Record<string, number>;
  /**
   * The side's p99 over the window from the routers' histogram buckets (every router together),
   * or else the highest p99 any router's last snapshot shows; null without data.
   */
  p99: number | null;
  /** Where the p99 came from: `window` (buckets) or `snapshot` (metrics.json's last minute). */
  p99Source: 'window' | 'snapshot' | null;
}

/** A counter's increase; a router that restarted (its counter went down) counts from zero. */
const increase = (start: number, end: number) => (end >= start ? end - start : end);

/** Window totals for `ids` from scrapes at its start and end, router by router (routers missing at either end are left out). */
export function windowOf(
  start: ReadonlyMap<string, Scrape>,
  end: ReadonlyMap<string, Scrape>,
  ids: readonly string[],
): SideWindow {
  const w: SideWindow = { requests: 0, failures: 0, grpcErrors: {}, p99: null, p99Source: null };
  const window = LE.map(() => 0);
  let bucketed = true;
  for (const [router, last] of end) {
    const first = start.get(router);
    if (first === undefined) continue;
    for (const id of ids) {
      const a = first.get(id) ?? empty();
      const b = last.get(id) ?? empty();
      w.requests += increase(a.requests, b.requests);
      w.failures += Math.min(increase(a.failures, b.failures), increase(a.requests, b.requests));
      for (const [code, n] of Object.entries(b.grpcErrors)) {
        w.grpcErrors[code] = (w.grpcErrors[code] ?? 0) + increase(a.grpcErrors[code] ?? 0, n);
      }
      if (b.p99 !== null && b.latencyCount > 0) w.p99 = Math.max(w.p99 ?? 0, b.p99);
      if (a.buckets === null || b.buckets === null) bucketed = false;
      else for (let i = 0; i < window.length; i++) window[i]! += increase(a.buckets[i]!, b.buckets[i]!);
    }
  }
  const fromBuckets = bucketed ? bucketP99(window) : null;
  if (fromBuckets !== null) {
    w.p99 = fromBuckets;
    w.p99Source = 'window';
  } else if (w.p99 !== null) w.p99Source = 'snapshot';
  for (const [code, n] of Object.entries(w.grpcErrors)) if (n === 0) delete w.grpcErrors[code];
  return w;
}
