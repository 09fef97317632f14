/**
 * One undici connection pool per upstream address, shared by every client that resolves to it
 * and kept while any of them uses it: keep-alive connections survive dtab changes and reach the
 * same pods from several names. A pool no client holds is closed after a grace period, so an
 * endpoint that flaps does not cost a reconnect storm.
 */
import { Pool } from 'undici';

export interface PoolSettings {
  /** Connections per endpoint at most (linkerd: unbounded). */
  readonly connections: number;
  /** How long an idle keep-alive connection is kept, if the upstream does not say. */
  readonly keepAliveMs: number;
  readonly connectTimeoutMs: number;
  /** A pool no client holds is closed after this long. */
  readonly idleCloseMs: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  connections: 1024,
  keepAliveMs: 4_000,
  connectTimeoutMs: 3_000,
  idleCloseMs: 30_000,
};

interface Held {
  readonly pool: Pool;
  refs: number;
  timer: NodeJS.Timeout | undefined;
}

export function originOf(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export class EndpointPools {
  readonly #held = new Map<string, Held>();
  readonly #settings: PoolSettings;

  constructor(settings: Partial<PoolSettings> = {}) {
    this.#settings = { ...DEFAULT_POOL_SETTINGS, ...settings };
  }

  acquire(host: string, port: number): Pool {
    const origin = originOf(host, port);
    let held = this.#held.get(origin);
    if (held === undefined) {
      const pool = new Pool(origin, {
        connections: this.#settings.connections,
        pipelining: 1,
        keepAliveTimeout: this.#settings.keepAliveMs,
        connectTimeout: this.#settings.connectTimeoutMs,
        // Timeouts are the router's policy (total and per-attempt), not the pool's.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      held = { pool, refs: 0, timer: undefined };
      this.#held.set(origin, held);
    }
    if (held.timer) {
      clearTimeout(held.timer);
      held.timer = undefined;
    }
    held.refs++;
    return held.pool;
  }

  release(host: string, port: number): void {
    const origin = originOf(host, port);
    const held = this.#held.get(origin);
    if (held === undefined || --held.refs > 0) return;
    held.timer = setTimeout(() => {
      if (held.refs > 0) return;
      this.#held.delete(origin);
      void held.pool.close();
    }, this.#settings.idleCloseMs).unref();
  }

  get size(): number {
    return this.#held.size;
  }

  /** Closes every pool: in-flight requests finish, idle connections close. */
  async close(): Promise<void> {
    const all = [...this.#held.values()];
    this.#held.clear();
    for (const h of all) if (h.timer) clearTimeout(h.timer);
    await Promise.all(all.map((h) => h.pool.close()));
  }
}
