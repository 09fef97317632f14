/**
 * A target's cumulative results, in goto's TargetResults shape where goto has one
 * (countsByStatusCodes, countsByHeaders with countsByValues and countsByValuesStatusCodes — the
 * canary split and the error rate per version — countsByURIs, countsByRetries,
 * countsByRetryReasons, countsByErrors) and slow_cooker's where it does not: good (below 500),
 * bad (5xx) and failed (no response) counts, latency percentiles over the whole run and per
 * reporting interval, and the full histogram so the registry can merge pods' latencies. The
 * hot path only increments Maps; JSON is built when someone asks.
 *
 * gRPC calls add countsByGrpcStatus (code → calls) beside countsByStatusCodes, and every tracked
 * header carries the same split by grpc-status in countsByGrpcStatus and countsByValuesGrpcStatus,
 * parallel to its HTTP maps. For them good is grpc-status 0 and bad any other code, or a call
 * that ended without one (the error `grpc-status-missing`). Tracked headers are looked up in the
 * response headers, then in the trailers, where gRPC servers put most of their metadata.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type HistogramJson, LatencyHistogram, type LatencySummary } from '../telemetry/latency-histogram.js';

/** What one request came to, after its retries. */
export interface Outcome {
  /** The final response's status, or 0 when no response came. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders | null;
  /** The response's trailers (h2 and gRPC), or null. */
  readonly trailers?: IncomingHttpHeaders | null;
  /** gRPC: the call's status (0 OK); null for other protocols or when the call had none. */
  readonly grpcStatus?: number | null;
  /** Why no response came (`timeout`, `refused`, `reset`, …), or null. */
  readonly error: string | null;
  readonly latencyUs: number;
  readonly retries: number;
  /** The reason of the last retry (a status code or an error kind), or null. */
  readonly retryReason: string | null;
}

export interface IntervalSummary {
  readonly start: string;
  readonly end: string;
  readonly requests: number;
  readonly errors: number;
  readonly rps: number;
  readonly latency: LatencySummary;
}

interface HeaderCounts {
  count: number;
  readonly byValue: Map<string, number>;
  readonly byStatus: Map<number, number>;
  readonly byValueStatus: Map<string, Map<number, number>>;
  readonly byGrpc: Map<number, number>;
  readonly byValueGrpc: Map<string, Map<number, number>>;
}

/** An hour at five-second intervals; snapshots travel to the locker every few seconds, so they stay small. */
const MAX_INTERVALS = 720;

function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function obj<K>(map: Map<K, number>): Record<string, number> {
  // Keys are header values and the like, chosen by whoever answers: no prototype to set.
  const out = Object.create(null) as Record<string, number>;
  for (const [k, v] of map) out[String(k)] = v;
  return out;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class TargetResults {
  readonly target: string;
  readonly intervalMs: number;
  #track: readonly string[] = [];
  #uri = '/';
  #invocations = 0;
  #running = false;
  #firstAt: number | null = null;
  #lastAt: number | null = null;
  #finishedAt: number | null = null;
  #requests = 0;
  #good = 0;
  #bad = 0;
  #failed = 0;
  #missed = 0;
  #retries = 0;
  #retried = 0;
  readonly #byStatus = new Map<number, number>();
  readonly #byGrpc = new Map<number, number>();
  readonly #byHeader = new Map<string, HeaderCounts>();
  readonly #byUri = new Map<string, { count: number; byStatus: Map<number, number> }>();
  readonly #byError = new Map<string, number>();
  readonly #byRetries = new Map<number, number>();
  readonly #byRetryReason = new Map<string, number>();
  readonly #latency = new LatencyHistogram();
  #intervalStart = 0;
  #intervalEnd = 0;
  #intervalHist = new LatencyHistogram();
  #intervalErrors = 0;
  readonly #intervals: IntervalSummary[] = [];

  constructor(target: string, intervalMs = 5000) {
    this.target = target;
    this.intervalMs = intervalMs;
  }

  get running(): boolean {
    return this.#running;
  }

  get invocationCount(): number {
    return this.#invocations;
  }

  /** Results recorded so far; the peer agent sends a snapshot only when this moved. */
  get requests(): number {
    return this.#requests;
  }

  /** An invocation starts: the tracked headers are fixed for it, as goto snapshots them. */
  begin(trackHeaders: readonly string[], uri: string, now = Date.now()): void {
    this.#invocations++;
    this.#running = true;
    this.#finishedAt = null;
    this.#track = trackHeaders;
    this.#uri = uri;
    this.#openInterval(now, now);
  }

  end(now = Date.now()): void {
    this.#closeInterval(now);
    this.#running = false;
    this.#finishedAt = now;
  }

  /** Requests that were due but never sent, because the target could not keep up with qps. */
  miss(count: number): void {
    this.#missed += count;
  }

  record(o: Outcome, now = Date.now()): void {
    if (now >= this.#intervalEnd) this.#roll(now);
    this.#firstAt ??= now;
    this.#lastAt = now;
    this.#requests++;
    this.#latency.record(o.latencyUs);
    this.#intervalHist.record(o.latencyUs);
    if (o.retries > 0) {
      this.#retries += o.retries;
      this.#retried++;
      bump(this.#byRetries, o.retries);
      if (o.retryReason !== null) bump(this.#byRetryReason, o.retryReason);
    }
    const uri = this.#byUri.get(this.#uri) ?? { count: 0, byStatus: new Map<number, number>() };
    this.#byUri.set(this.#uri, uri);
    uri.count++;
    if (o.status === 0) {
      this.#failed++;
      this.#intervalErrors++;
      bump(this.#byError, o.error ?? 'unknown');
      return;
    }
    const grpc = o.grpcStatus ?? null;
    if (grpc !== null) bump(this.#byGrpc, grpc);
    else if (o.error !== null) bump(this.#byError, o.error);
    if (grpc !== null ? grpc !== 0 : o.status >= 500 || o.error !== null) {
      this.#bad++;
      this.#intervalErrors++;
    } else this.#good++;
    bump(this.#byStatus, o.status);
    bump(uri.byStatus, o.status);
    if (o.headers !== null || o.trailers) for (const header of this.#track) this.#countHeader(header, o, grpc);
  }

  #countHeader(header: string, o: Outcome, grpc: number | null): void {
    const raw = o.headers?.[header] ?? o.trailers?.[header];
    if (raw === undefined) return;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    let counts = this.#byHeader.get(header);
    if (counts === undefined) {
      counts = {
        count: 0,
        byValue: new Map(),
        byStatus: new Map(),
        byValueStatus: new Map(),
        byGrpc: new Map(),
        byValueGrpc: new Map(),
      };
      this.#byHeader.set(header, counts);
    }
    counts.count++;
    bump(counts.byValue, value);
    bump(counts.byStatus, o.status);
    let byStatus = counts.byValueStatus.get(value);
    if (byStatus === undefined) counts.byValueStatus.set(value, (byStatus = new Map()));
    bump(byStatus, o.status);
    if (grpc === null) return;
    bump(counts.byGrpc, grpc);
    let byGrpc = counts.byValueGrpc.get(value);
    if (byGrpc === undefined) counts.byValueGrpc.set(value, (byGrpc = new Map()));
    bump(byGrpc, grpc);
  }

  #openInterval(start: number, now: number): void {
    this.#intervalStart = start;
    // Intervals are aligned to the invocation's start, so every line covers the same span.
    const elapsed = Math.max(0, now - start);
    this.#intervalEnd = start + (Math.floor(elapsed / this.intervalMs) + 1) * this.intervalMs;
    this.#intervalHist = new LatencyHistogram();
    this.#intervalErrors = 0;
  }

  #roll(now: number): void {
    this.#closeInterval(this.#intervalEnd);
    const behind = Math.floor((now - this.#intervalEnd) / this.intervalMs);
    this.#openInterval(this.#intervalEnd + Math.max(0, behind) * this.intervalMs, now);
  }

  #closeInterval(end: number): void {
    const count = this.#intervalHist.count;
    if (count === 0) return;
    const seconds = Math.max(end - this.#intervalStart, 1) / 1000;
    this.#intervals.push({
      start: iso(this.#intervalStart)!,
      end: iso(end)!,
      requests: count,
      errors: this.#intervalErrors,
      rps: Math.round((count / seconds) * 10) / 10,
      latency: this.#intervalHist.summary(),
    });
    if (this.#intervals.length > MAX_INTERVALS) this.#intervals.shift();
    this.#intervalHist = new LatencyHistogram();
    this.#intervalErrors = 0;
  }

  /** Closes the interval that ended by `now`, so a snapshot shows every finished interval. */
  settle(now = Date.now()): void {
    if (this.#running && now >= this.#intervalEnd) this.#roll(now);
  }

  toJSON(): TargetResultsJson {
    this.settle();
    const headers = Object.create(null) as Record<string, unknown>;
    for (const [header, c] of this.#byHeader) {
      const byValueStatus = Object.create(null) as Record<string, Record<string, number>>;
      for (const [value, byStatus] of c.byValueStatus) byValueStatus[value] = obj(byStatus);
      const byValueGrpc = Object.create(null) as Record<string, Record<string, number>>;
      for (const [value, byGrpc] of c.byValueGrpc) byValueGrpc[value] = obj(byGrpc);
      headers[header] = {
        header,
        count: c.count,
        countsByValues: obj(c.byValue),
        countsByStatusCodes: obj(c.byStatus),
        countsByValuesStatusCodes: byValueStatus,
        ...(c.byGrpc.size === 0 ? {} : { countsByGrpcStatus: obj(c.byGrpc), countsByValuesGrpcStatus: byValueGrpc }),
      };
    }
    const uris = Object.create(null) as Record<string, unknown>;
    for (const [uri, c] of this.#byUri) uris[uri] = { count: c.count, countsByStatusCodes: obj(c.byStatus) };
    return {
      target: this.target,
      running: this.#running,
      invocationCount: this.#invocations,
      firstResultAt: iso(this.#firstAt),
      lastResultAt: iso(this.#lastAt),
      finishedAt: iso(this.#finishedAt),
      requests: this.#requests,
      good: this.#good,
      bad: this.#bad,
      failed: this.#failed,
      missed: this.#missed,
      retries: this.#retries,
      retriedRequests: this.#retried,
      countsByStatusCodes: obj(this.#byStatus),
      countsByGrpcStatus: obj(this.#byGrpc),
      countsByHeaders: headers as TargetResultsJson['countsByHeaders'],
      countsByURIs: uris as TargetResultsJson['countsByURIs'],
      countsByErrors: obj(this.#byError),
      countsByRetries: obj(this.#byRetries),
      countsByRetryReasons: obj(this.#byRetryReason),
      latency: { ...this.#latency.summary(), histogram: this.#latency.toJSON() },
      intervals: [...this.#intervals],
    };
  }
}

export interface HeaderCountsJson {
  readonly header: string;
  readonly count: number;
  readonly countsByValues: Record<string, number>;
  readonly countsByStatusCodes: Record<string, number>;
  readonly countsByValuesStatusCodes: Record<string, Record<string, number>>;
  /** gRPC targets: calls with this header by grpc-status, and the same per value. */
  readonly countsByGrpcStatus?: Record<string, number>;
  readonly countsByValuesGrpcStatus?: Record<string, Record<string, number>>;
}

export interface TargetResultsJson {
  readonly target: string;
  readonly running: boolean;
  readonly invocationCount: number;
  readonly firstResultAt: string | null;
  readonly lastResultAt: string | null;
  readonly finishedAt: string | null;
  readonly requests: number;
  readonly good: number;
  readonly bad: number;
  readonly failed: number;
  readonly missed: number;
  readonly retries: number;
  readonly retriedRequests: number;
  readonly countsByStatusCodes: Record<string, number>;
  /** gRPC calls by grpc-status code (`"0"`, `"14"`); empty for other protocols. */
  readonly countsByGrpcStatus: Record<string, number>;
  readonly countsByHeaders: Record<string, HeaderCountsJson>;
  readonly countsByURIs: Record<string, { count: number; countsByStatusCodes: Record<string, number> }>;
  readonly countsByErrors: Record<string, number>;
  readonly countsByRetries: Record<string, number>;
  readonly countsByRetryReasons: Record<string, number>;
  readonly latency: LatencySummary & { readonly histogram: HistogramJson };
  readonly intervals: readonly IntervalSummary[];
}
