/**
 * Routes by (dtab, name): built on first use, reused for every later request with the same base
 * dtab generation, request-local dtab and name, and dropped after the idle TTL. A new base dtab
 * means new routes (old ones age out), so a dtab update takes effect for the next request.
 */
import type { Dtab } from '../dtab/dtab.js';
import type { Path } from '../dtab/path.js';
import type { NameInterpreter } from '../naming/interpreter.js';
import type { ClientCache } from './client-cache.js';
import { Route } from './route.js';

export class RouteCache {
  readonly #routes = new Map<string, Route>();

  constructor(
    private readonly interpreter: NameInterpreter,
    private readonly clients: ClientCache,
    private readonly idleTtlMs: number,
    private readonly capacity: number,
  ) {}

  /** `dtabKey` identifies `dtab` (base generation plus local dtab text) without showing it per request. */
  get(dtabKey: string, dtab: Dtab, name: Path): Route {
    const key = `${dtabKey}\u0000${name.show()}`;
    let route = this.#routes.get(key);
    if (route === undefined) {
      if (this.#routes.size >= this.capacity) this.#evictOldest();
      route = new Route(this.interpreter.bind(dtab, name), this.clients);
      this.#routes.set(key, route);
    }
    return route;
  }

  get size(): number {
    return this.#routes.size;
  }

  sweep(now = Date.now()): void {
    for (const [key, route] of this.#routes) {
      if (now - route.lastUsed > this.idleTtlMs) {
        this.#routes.delete(key);
        route.close();
      }
    }
  }

  #evictOldest(): void {
    let oldestKey: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, route] of this.#routes) {
      if (route.lastUsed < oldest) {
        oldest = route.lastUsed;
        oldestKey = key;
      }
    }
    if (oldestKey !== undefined) {
      this.#routes.get(oldestKey)?.close();
      this.#routes.delete(oldestKey);
    }
  }

  close(): void {
    for (const r of this.#routes.values()) r.close();
    this.#routes.clear();
  }
}
