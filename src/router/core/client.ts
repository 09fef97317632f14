/**
 * A client: everything the router keeps for one bound name (`/$/inet/10.0.0.7/8080`,
 * `/#/io.l5d.k8s/default/http/web`): its endpoints as the namer reports them, updated in place,
 * and the balancer over them. Clients are shared by every route that binds to the same id and
 * live while any route holds them (plus an idle period, in the client cache).
 */
import type { Pool } from 'undici';
import type { Addr } from '../naming/addr.js';
import type { Bound } from '../naming/bound.js';
import type { Closable } from '../naming/var.js';
import { type EndpointPools, originOf } from './endpoint-pools.js';
import type { FailureAccrualCounters } from './policy/failure-accrual.js';
import type { ScopeStats } from './router-stats.js';
import { Waiters } from './waiters.js';

export interface Endpoint {
  readonly key: string;
  /** `http://host:port`, made once for every request to it. */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  readonly pool: Pool;
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
    private readonly pools: EndpointPools,
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
            next.push({
              key,
              origin: originOf(a.host, a.port),
              host: a.host,
              port: a.port,
              pool: this.pools.acquire(a.host, a.port),
            });
          }
        }
        for (const gone of previous.values()) this.pools.release(gone.host, gone.port);
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
    for (const e of this.#endpoints) this.pools.release(e.host, e.port);
    this.#endpoints = [];
    this.balancer.update([]);
  }

  close(): void {
    this.#subscription.close();
    this.#dropEndpoints();
    this.#settle('neg');
  }
}
