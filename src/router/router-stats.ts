/**
 * The router's metrics, in linkerd's names (router.md §7): per logical service
 * (`rt/<router>/service/<svc>/…`), per client (`rt/<router>/client/<id>/…`) and for the server.
 * Handles are looked up once per service or client and cached, so counting a request is a few
 * field increments.
 */
import type { MetricsRegistry } from '../telemetry/metrics.js';

type Counter = ReturnType<MetricsRegistry['counter']>;
type Histogram = ReturnType<MetricsRegistry['histogram']>;

export class ScopeStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  readonly retries: Counter;
  readonly #status = new Map<number, Counter>();

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly scope: string,
    private readonly labels: Record<string, string>,
  ) {
    this.requests = registry.counter(`rt:${scope}:requests`, labels);
    this.success = registry.counter(`rt:${scope}:success`, labels);
    this.failures = registry.counter(`rt:${scope}:failures`, labels);
    this.latency = registry.histogram(`rt:${scope}:request_latency_ms`, labels);
    this.retries = registry.counter(`rt:${scope}:retries`, labels);
  }

  /** One finished request: `ok` is the classifier's verdict; status 0 when no response came. */
  record(status: number, ok: boolean, latencyMs: number): void {
    this.requests.inc();
    (ok ? this.success : this.failures).inc();
    this.latency.record(latencyMs);
    if (status > 0) this.status(status).inc();
  }

  status(code: number): Counter {
    let c = this.#status.get(code);
    if (c === undefined) {
      c = this.registry.counter(`rt:${this.scope}:status`, { ...this.labels, status: String(code) });
      this.#status.set(code, c);
    }
    return c;
  }
}

export class RouterStats {
  readonly server: ScopeStats;
  readonly #services = new Map<string, ScopeStats>();
  readonly #clients = new Map<string, ScopeStats>();
  readonly requeues: Counter;
  readonly overridesRefused: Counter;

  constructor(
    readonly registry: MetricsRegistry,
    readonly router: string,
  ) {
    this.server = new ScopeStats(registry, 'server', { rt: router });
    this.requeues = registry.counter('rt:requeues', { rt: router });
    this.overridesRefused = registry.counter('rt:dtab_overrides_refused', { rt: router });
  }

  /** `name` is the logical name as shown, e.g. /svc/web (linkerd drops the leading slash). */
  service(name: string): ScopeStats {
    let s = this.#services.get(name);
    if (s === undefined) {
      s = new ScopeStats(this.registry, 'service', { rt: this.router, service: name.slice(1) });
      this.#services.set(name, s);
    }
    return s;
  }

  client(id: string): ScopeStats {
    let s = this.#clients.get(id);
    if (s === undefined) {
      s = new ScopeStats(this.registry, 'client', { rt: this.router, client: id.slice(1) });
      this.#clients.set(id, s);
    }
    return s;
  }
}
