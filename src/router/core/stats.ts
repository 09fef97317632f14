/**
 * The router's metrics, in linkerd's names: per logical service (`rt/<router>/service/<svc>/…`),
 * per client (`rt/<router>/client/<id>/…`) and for the server. Handles are looked up once per
 * service or client and cached, so counting a request is a few field increments.
 *
 * Service names come from what callers send (a Host header), so the series they mint are
 * bounded: at most `maxServices` service and `maxClients` client scopes exist at once; a name
 * past the cap, or one that found no route, is counted in the shared scope `other`
 * (`rt/<router>/service/other/…`, label `service="other"` in Prometheus). A scope unused for
 * `idleTtlMs` is removed by `sweep`; a route still holding it is re-admitted (or sent to
 * `other`) at its next request.
 */

import type { MetricsRegistry } from '../../telemetry/metrics.js';
import type { FailureAccrualCounters } from '../policy/failure-accrual.js';
import type { Protocol } from './exchange.js';

type Counter = ReturnType<MetricsRegistry['counter']>;
type Histogram = ReturnType<MetricsRegistry['histogram']>;

/** The label of the shared scope. Real names are shown paths without the leading slash. */
export const OTHER = 'other';

export interface SeriesLimits {
  readonly maxServices: number;
  readonly maxClients: number;
  readonly idleTtlMs: number;
}

export const SERIES_DEFAULTS: SeriesLimits = { maxServices: 1_000, maxClients: 1_000, idleTtlMs: 600_000 };

const ACCRUAL = ['removals', 'revivals', 'probes'] as const;

export class ScopeStats {
  requests!: Counter;
  success!: Counter;
  failures!: Counter;
  latency!: Histogram;
  retries!: Counter;
  readonly #status = new Map<number, Counter>();
  /** The counters of HTTP statuses 100–599 by code - 100: an index, not a hashed lookup, per request. */
  #byCode: (Counter | undefined)[] = [];
  /** By `grpc_status` label: at most the 17 codes and `unknown`. */
  readonly #grpcStatus = new Map<string, Counter>();
  /** Used since the last sweep. */
  touched = true;
  lastUsed = 0;
  #removed = false;
  #accrual: FailureAccrualCounters | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly scope: string,
    readonly labels: Record<string, string>,
    /**
     * Where a scope not (or no longer) registered goes when it counts: back into the registry
     * if the cap allows, else to `other`. Null for scopes that are always registered.
     */
    private readonly readmit: ((s: ScopeStats) => ScopeStats) | null = null,
  ) {
    if (readmit === null) this.#register();
    else this.#removed = true;
  }

  #register(): void {
    const { registry, scope, labels } = this;
    this.requests = registry.counter(`rt:${scope}:requests`, labels);
    this.success = registry.counter(`rt:${scope}:success`, labels);
    this.failures = registry.counter(`rt:${scope}:failures`, labels);
    this.latency = registry.histogram(`rt:${scope}:request_latency_ms`, labels);
    this.retries = registry.counter(`rt:${scope}:retries`, labels);
    if (this.#accrual) this.exportAccrual(this.#accrual);
  }

  /** Failure accrual's counters of a client, read at scrape time (`…/failure_accrual/removals`). */
  exportAccrual(counters: FailureAccrualCounters): void {
    this.#accrual = counters;
    if (this.#removed) return;
    for (const k of ACCRUAL) {
      this.registry.counter(`rt:${this.scope}:failure_accrual:${k}`, this.labels, () => counters[k]);
    }
  }

  /** The scope to count in now: this one, or after its removal, whatever re-admission gives. */
  get live(): ScopeStats {
    if (!this.#removed || this.readmit === null) return this;
    return this.readmit(this);
  }

  /** One finished request: `ok` is the classifier's verdict; status 0 when no response came. */
  record(status: number, ok: boolean, latencyMs: number): void {
    if (this.#removed) {
      this.live.record(status, ok, latencyMs);
      return;
    }
    this.touched = true;
    this.requests.inc();
    (ok ? this.success : this.failures).inc();
    this.latency.record(latencyMs);
    if (status > 0) this.status(status).inc();
  }

  retried(): void {
    if (this.#removed) {
      this.live.retried();
      return;
    }
    this.retries.inc();
  }

  status(code: number): Counter {
    const fast = code >= 100 && code <= 599;
    if (fast) {
      const known = this.#byCode[code - 100];
      if (known !== undefined) return known;
    }
    let c = this.#status.get(code);
    if (c === undefined) {
      c = this.registry.counter(`rt:${this.scope}:status`, { ...this.labels, status: String(code) });
      this.#status.set(code, c);
    }
    if (fast) this.#byCode[code - 100] = c;
    return c;
  }

  /**
   * The counter of one gRPC status (`rt/<router>/service/<svc>/grpc/status/<code>`, Prometheus
   * label `grpc_status`). A code outside 0–16 counts as `unknown`, so an upstream cannot mint series.
   */
  grpcStatus(code: number): Counter {
    if (this.#removed && this.readmit !== null) return this.live.grpcStatus(code);
    const label = Number.isInteger(code) && code >= 0 && code <= 16 ? String(code) : 'unknown';
    let c = this.#grpcStatus.get(label);
    if (c === undefined) {
      c = this.registry.counter(`rt:${this.scope}:grpc:status`, { ...this.labels, grpc_status: label });
      this.#grpcStatus.set(label, c);
    }
    this.touched = true;
    return c;
  }

  /** Removes every series of this scope from the registry. */
  remove(): void {
    const { registry, scope, labels } = this;
    for (const m of ['requests', 'success', 'failures', 'request_latency_ms', 'retries']) {
      registry.remove(`rt:${scope}:${m}`, labels);
    }
    for (const code of this.#status.keys()) registry.remove(`rt:${scope}:status`, { ...labels, status: String(code) });
    if (this.#accrual) for (const k of ACCRUAL) registry.remove(`rt:${scope}:failure_accrual:${k}`, labels);
    for (const label of this.#grpcStatus.keys())
      registry.remove(`rt:${scope}:grpc:status`, { ...labels, grpc_status: label });
    this.#status.clear();
    this.#byCode = [];
    this.#grpcStatus.clear();
    this.#removed = true;
  }

  /** Registers the series again after a removal. */
  restore(): void {
    if (!this.#removed) return;
    this.#removed = false;
    this.touched = true;
    this.#register();
  }
}

/** The scopes of one kind (services or clients), capped, with one shared overflow scope. */
class CappedScopes {
  readonly #scopes = new Map<string, ScopeStats>();
  #other: ScopeStats | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly kind: 'service' | 'client',
    private readonly router: string,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.#scopes.size;
  }

  /** The names with a scope now (bounded by the cap). */
  names(): string[] {
    return [...this.#scopes.keys()];
  }

  get other(): ScopeStats {
    this.#other ??= new ScopeStats(this.registry, this.kind, { rt: this.router, [this.kind]: OTHER });
    return this.#other;
  }

  /**
   * `name` is shown as a path, e.g. /svc/web (linkerd drops the leading slash). A new scope
   * registers its series, and takes a place under the cap, only when it first counts a request:
   * a route that binds but never forwards (no endpoints) mints nothing.
   */
  get(name: string): ScopeStats {
    const s = this.#scopes.get(name);
    if (s !== undefined) return s;
    return new ScopeStats(this.registry, this.kind, { rt: this.router, [this.kind]: name.slice(1) }, (r) =>
      this.#readmit(name, r),
    );
  }

  #readmit(name: string, removed: ScopeStats): ScopeStats {
    const current = this.#scopes.get(name);
    if (current !== undefined) return current;
    if (this.#scopes.size >= this.max) return this.other;
    removed.restore();
    this.#scopes.set(name, removed);
    return removed;
  }

  /** Removes scopes that counted nothing for longer than `ttlMs`. */
  sweep(now: number, ttlMs: number): void {
    for (const [name, s] of this.#scopes) {
      if (s.touched) {
        s.touched = false;
        s.lastUsed = now;
      } else if (now - s.lastUsed >= ttlMs) {
        this.#scopes.delete(name);
        s.remove();
      }
    }
  }
}

/**
 * Requests whose name found no route (no dtab rule, no such Service): the answer an operator looks
 * for after a typo in a Host or a dtab. Counted per name in a family of their own, capped at
 * `MAX_UNROUTED` names (past it, `other`) so that callers inventing names neither mint unbounded
 * series nor push real services' scopes out.
 */
const MAX_UNROUTED = 100;

class UnroutedNames {
  readonly #counters = new Map<string, { counter: Counter; used: boolean }>();

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly router: string,
  ) {
    registry.describe(
      'rt:unrouted_requests',
      'requests answered by the router because their name found no route, by name',
    );
  }

  count(name: string): void {
    let entry = this.#counters.get(name);
    if (entry === undefined) {
      const key = this.#counters.size >= MAX_UNROUTED ? OTHER : name.slice(1);
      entry = this.#counters.get(key === OTHER ? OTHER : name);
      if (entry === undefined) {
        entry = {
          counter: this.registry.counter('rt:unrouted_requests', { rt: this.router, service: key }),
          used: true,
        };
        this.#counters.set(key === OTHER ? OTHER : name, entry);
      }
    }
    entry.used = true;
    entry.counter.inc();
  }

  /** Forgets names that counted nothing since the last sweep. */
  sweep(): void {
    for (const [name, entry] of this.#counters) {
      if (entry.used) entry.used = false;
      else {
        this.#counters.delete(name);
        this.registry.remove('rt:unrouted_requests', {
          rt: this.router,
          service: name === OTHER ? OTHER : name.slice(1),
        });
      }
    }
  }
}

export class RouterStats {
  readonly server: ScopeStats;
  readonly #unrouted: UnroutedNames;
  readonly #services: CappedScopes;
  readonly #clients: CappedScopes;
  readonly requeues: Counter;
  readonly overridesRefused: Counter;
  /** Requests and failures by inbound protocol (label `protocol`: linkerd's router names `http` and `h2`). */
  readonly #byProtocol: Record<Protocol, { requests: Counter; failures: Counter }>;

  constructor(
    readonly registry: MetricsRegistry,
    readonly router: string,
    readonly limits: SeriesLimits = SERIES_DEFAULTS,
  ) {
    this.server = new ScopeStats(registry, 'server', { rt: router });
    this.requeues = registry.counter('rt:requeues', { rt: router });
    this.overridesRefused = registry.counter('rt:dtab_overrides_refused', { rt: router });
    const protocolCounters = (protocol: string) => ({
      requests: registry.counter('rt:server:protocol:requests', { rt: router, protocol }),
      failures: registry.counter('rt:server:protocol:failures', { rt: router, protocol }),
    });
    this.#byProtocol = { 'http/1.1': protocolCounters('http'), h2: protocolCounters('h2') };
    this.#unrouted = new UnroutedNames(registry, router);
    this.#services = new CappedScopes(registry, 'service', router, limits.maxServices);
    this.#clients = new CappedScopes(registry, 'client', router, limits.maxClients);
    registry.gauge('rt:service_scopes', { rt: router }, () => this.#services.size);
    registry.gauge('rt:client_scopes', { rt: router }, () => this.#clients.size);
  }

  /** One finished request on the server, counted by the protocol it came in on. */
  protocol(protocol: Protocol, ok: boolean): void {
    const c = this.#byProtocol[protocol];
    c.requests.inc();
    if (!ok) c.failures.inc();
  }

  /** `name` is the logical name as shown, e.g. /svc/web (linkerd drops the leading slash). */
  service(name: string): ScopeStats {
    return this.#services.get(name);
  }

  /** The services counted recently, as shown (`/svc/web`); at most `maxServices`. */
  serviceNames(): string[] {
    return this.#services.names();
  }

  /** Requests whose name found no route, and names past the cap. */
  get other(): ScopeStats {
    return this.#services.other;
  }

  /** A request whose name (shown, e.g. /svc/wbe) found no route; counted beside `other`. */
  unrouted(name: string): void {
    this.#unrouted.count(name);
  }

  /** A client's scope; its failure accrual counters are exported with it (not with `other`). */
  client(id: string, accrual?: FailureAccrualCounters): ScopeStats {
    const s = this.#clients.get(id);
    if (accrual !== undefined) s.exportAccrual(accrual);
    return s;
  }

  /** Removes idle scopes; the router calls this periodically. */
  sweep(now = performance.now()): void {
    this.#services.sweep(now, this.limits.idleTtlMs);
    this.#clients.sweep(now, this.limits.idleTtlMs);
    this.#unrouted.sweep();
  }
}
