/**
 * One Upstream per (endpoint address, protocol), shared by every client that resolves to it and
 * kept while any of them uses it: keep-alive connections survive dtab changes and reach the same
 * pods from several names. An Upstream no client holds is closed after a grace period, so an
 * endpoint that flaps does not cost a reconnect storm. Upstreams are made by a factory per
 * protocol (`upstreamFactories`), so a protocol's client lives in one adapter file.
 */

import type { UpstreamSource } from '../../core/client.js';
import type { Protocol, Upstream, UpstreamFactory } from '../../core/exchange.js';
import { createH2Upstream } from './h2-upstream.js';
import { http1Upstreams, originOf } from './http1-upstream.js';

export { originOf };

export interface PoolSettings {
  /** Connections per endpoint at most (linkerd: unbounded). */
  readonly connections: number;
  /** How long an idle keep-alive connection is kept, if the upstream does not say. */
  readonly keepAliveMs: number;
  readonly connectTimeoutMs: number;
  /** An Upstream no client holds is closed after this long. */
  readonly idleCloseMs: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  connections: 1024,
  keepAliveMs: 4_000,
  connectTimeoutMs: 3_000,
  idleCloseMs: 30_000,
};

/**
 * The factory for each upstream protocol: HTTP/1.1 is undici's Pool (http1-upstream.ts), h2c is
 * node:http2 sessions multiplexed per endpoint (h2-upstream.ts).
 */
export function upstreamFactories(settings: PoolSettings): Partial<Record<Protocol, UpstreamFactory>> {
  return {
    'http/1.1': http1Upstreams(settings),
    h2: (host, port) => createH2Upstream(host, port, { connectTimeoutMs: settings.connectTimeoutMs }),
  };
}

interface Held {
  readonly upstream: Upstream;
  refs: number;
  timer: NodeJS.Timeout | undefined;
}

export class UpstreamPools implements UpstreamSource {
  readonly #held = new Map<string, Held>();
  readonly #settings: PoolSettings;
  readonly #factories: Partial<Record<Protocol, UpstreamFactory>>;

  constructor(settings: Partial<PoolSettings> = {}, factories?: Partial<Record<Protocol, UpstreamFactory>>) {
    this.#settings = { ...DEFAULT_POOL_SETTINGS, ...settings };
    this.#factories = factories ?? upstreamFactories(this.#settings);
  }

  acquire(host: string, port: number, protocol: Protocol): Upstream {
    const key = `${protocol} ${originOf(host, port)}`;
    let held = this.#held.get(key);
    if (held === undefined) {
      const factory = this.#factories[protocol];
      if (factory === undefined) throw new Error(`no upstream client for ${protocol}`);
      held = { upstream: factory(host, port, protocol), refs: 0, timer: undefined };
      this.#held.set(key, held);
    }
    if (held.timer) {
      clearTimeout(held.timer);
      held.timer = undefined;
    }
    held.refs++;
    return held.upstream;
  }

  release(host: string, port: number, protocol: Protocol): void {
    const key = `${protocol} ${originOf(host, port)}`;
    const held = this.#held.get(key);
    if (held === undefined || --held.refs > 0) return;
    held.timer = setTimeout(() => {
      if (held.refs > 0) return;
      this.#held.delete(key);
      void held.upstream.close();
    }, this.#settings.idleCloseMs).unref();
  }

  get size(): number {
    return this.#held.size;
  }

  /** Closes every Upstream: in-flight requests finish, idle connections close. */
  async close(): Promise<void> {
    const all = [...this.#held.values()];
    this.#held.clear();
    for (const h of all) if (h.timer) clearTimeout(h.timer);
    await Promise.all(all.map((h) => h.upstream.close()));
  }
}
