/**
 * A client: everything the router keeps for one bound name (`/$/inet/10.0.0.7/8080`,
 * `/#/io.l5d.k8s/default/http/web`): its endpoints as the namer reports them, updated in place,
 * and the balancer over them. Clients are shared by every route that binds to the same id and
 * live while any route holds them (plus an idle period, in the client cache).
 */
import type { Addr } from '../../naming/addr.js';
import type { Bound } from '../../naming/bound.js';
import type { Closable } from '../../naming/var.js';
import type { EndpointStats } from '../policy/balancer.js';
import type { FailureAccrualCounters } from '../policy/failure-accrual.js';
import type { Protocol, Upstream } from './exchange.js';
import type { ScopeStats } from './stats.js';
import { Waiters } from './waiters.js';

/**
 * Where clients get their Upstreams: one per (endpoint, protocol), shared by every client that
 * reaches that endpoint and kept while any holds it (protocol/upstream/pools.ts).
 */
export interface UpstreamSource {
  acquire(host: string, port: number, protocol: Protocol): Upstream;
  release(host: string, port: number, protocol: Protocol): void;
}

/**
 * One address of a client. The protocol spoken to it is the router's choice per request (by
 * default the caller's), so its Upstream for a protocol is acquired the first time that protocol
 * is needed, and kept until the endpoint goes away.
 */
export class Endpoint {
  readonly key: string;
  #http1: Upstream | undefined;
  #h2: Upstream | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly source: UpstreamSource,
  ) {
    this.key = `${host}:${port}`;
  }

  upstream(protocol: Protocol): Upstream {
    if (protocol === 'h2') return (this.#h2 ??= this.source.acquire(this.host, this.port, 'h2'));
    return (this.#http1 ??= this.source.acquire(this.host, this.port, 'http/1.1'));
  }

  /** Gives back every Upstream this endpoint acquired. */
  release(): void {
    if (this.#http1 !== undefined) this.source.release(this.host, this.port, 'http/1.1');
    if (this.#h2 !== undefined) this.source.release(this.host, this.port, 'h2');
    this.#http1 = undefined;
    this.#h2 = undefined;
  }
}

/** What a balancer gives for one attempt: the endpoint and how to report the outcome. */
export interface EndpointPick {
  readonly endpoint: Endpoint;
  /** `ok` null: no verdict on the endpoint (the client went away or was at fault). */
  done(latencyMs: number, ok: boolean | null): void;
}

export interface Balancer {
  update(endpoints: readonly Endpoint[]): void;
  pick(): EndpointPick | null;
  readonly size: number;
  /** Failure accrual's removals, revivals and probes, exported per client. */
  readonly counters?: FailureAccrualCounters;
  /** Per-endpoint load, EWMA and accrual state, for the admin page. */
  stats?(): EndpointStats[];
}

export type ClientState = 'pending' | 'ready' | 'neg' | 'failed';

export class Client {
  readonly id: string;
  /** This client's metrics, looked up once by the first request. */
  stats: ScopeStats | undefined;
  refs = 0;
  lastUsed = Date.now();
  #state: ClientState = 'pending';
  #failure: Error | undefined;
  #endpoints: Endpoint[] = [];
  readonly #waiters = new Waiters();
  readonly #subscription: Closable;

  constructor(
    bound: Bound,
    private readonly upstreams: UpstreamSource,
    private readonly balancer: Balancer,
  ) {
    this.id = bound.id.show();
    this.#subscription = bound.addr.observe((addr) => this.#update(addr));
  }

  get state(): ClientState {
    return this.#state;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  get endpointCount(): number {
    return this.#endpoints.length;
  }

  /** Resolves once the namer has answered (or after `timeoutMs`); null when it already has. */
  whenResolved(timeoutMs: number): Promise<void> | null {
    if (this.#state !== 'pending') return null;
    return this.#waiters.wait(timeoutMs);
  }

  /** Failure accrual counters of this client's endpoints (undefined for a balancer without them). */
  get accrualCounters(): FailureAccrualCounters | undefined {
    return this.balancer.counters;
  }

  /** The balancer's view of each endpoint (allocates; for the admin page). */
  endpointStats(): EndpointStats[] {
    return this.balancer.stats?.() ?? [];
  }

  pick(): EndpointPick | null {
    this.lastUsed = Date.now();
    return this.balancer.pick();
  }

  #update(addr: Addr): void {
    switch (addr.type) {
      case 'pending':
        return;
      case 'bound': {
        const next: Endpoint[] = [];
        const previous = new Map(this.#endpoints.map((e) => [e.key, e]));
        for (const a of addr.addresses) {
          const key = `${a.host}:${a.port}`;
          const kept = previous.get(key);
          if (kept) {
            previous.delete(key);
            next.push(kept);
          } else {
            next.push(new Endpoint(a.host, a.port, this.upstreams));
          }
        }
        for (const gone of previous.values()) gone.release();
        this.#endpoints = next;
        this.balancer.update(next);
        this.#settle('ready');
        return;
      }
      case 'neg':
      case 'failed':
        this.#dropEndpoints();
        this.#failure = addr.type === 'failed' ? addr.error : undefined;
        this.#settle(addr.type);
        return;
    }
  }

  #settle(state: ClientState): void {
    this.#state = state;
    this.#waiters.wakeAll();
  }

  #dropEndpoints(): void {
    for (const e of this.#endpoints) e.release();
    this.#endpoints = [];
    this.balancer.update([]);
  }

  close(): void {
    this.#subscription.close();
    this.#dropEndpoints();
    this.#settle('neg');
  }
}
