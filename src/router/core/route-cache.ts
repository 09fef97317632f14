/**
 * Routes by (dtab, name): built on first use, reused for every later request with the same base
 * dtab generation, request-local dtab and name, and dropped after the idle TTL. A new base dtab
 * means new routes (old ones age out), so a dtab update takes effect for the next request.
 *
 * Callers choose the keys (every distinct `l5d-dtab` is a new route), so the cache has ceilings:
 * a number of entries and a total weight (lookups judged + bound leaves held, roughly the
 * memory a route keeps), evicting the least recently used first. A route whose binding failed,
 * and an override the policy refused, are kept only as a small negative entry (the error) for a
 * short TTL, so a caller repeating them costs a map lookup and no bound tree is kept alive.
 */
import type { Dtab } from '../../dtab/dtab.js';
import type { Path } from '../../dtab/path.js';
import type { Activity } from '../../naming/activity.js';
import { type BoundTree, NameInterpreter } from '../../naming/interpreter.js';
import type { ClientCache } from './client-cache.js';
import type { OverrideVerdict } from './dtab-override-policy.js';
import type { OwnListeners } from './own-listeners.js';
import { Route } from './route.js';

/**
 * What binds a route's name: the router's own interpreter over base ++ local, or namerd
 * (src/router/interpreter/), which holds the base dtab itself and is sent only the local one.
 */
export interface Binder {
  bind(base: Dtab, local: Dtab | null, name: Path): Activity<BoundTree>;
}

/** Binding with the router's own namers. */
export function localBinder(interpreter: NameInterpreter): Binder {
  return { bind: (base, local, name) => interpreter.bind(local === null ? base : base.concat(local), name) };
}

export interface RouteCacheLimits {
  readonly idleTtlMs: number;
  /** Most routes (and negative entries) kept. */
  readonly maxEntries: number;
  /** Most total weight kept; a route weighs 1 + its judged lookups + its bound leaves. */
  readonly maxWeight: number;
  /** How long a failed bind or a refused override is remembered before it is tried again. */
  readonly failedTtlMs: number;
}

export const DEFAULT_ROUTE_CACHE_LIMITS: RouteCacheLimits = {
  idleTtlMs: 600_000,
  maxEntries: 10_000,
  maxWeight: 200_000,
  failedTtlMs: 5_000,
};

interface Entry {
  readonly route: Route | null;
  readonly error: Error | null;
  readonly weight: number;
  /** When the entry was last moved to the back of the LRU order. */
  touched: number;
  /** Negative entries: when they stop answering. */
  readonly expires: number;
}

export class RouteCache {
  readonly #entries = new Map<string, Entry>();
  #weight = 0;
  #evictions = 0;
  /** The last key made, by its parts: the identifiers hand back one Path per name, so a run of requests to one service makes its key once. */
  #lastDtabKey = '';
  #lastName: Path | null = null;
  #lastKey = '';

  readonly #binder: Binder;

  constructor(
    binder: Binder | NameInterpreter,
    private readonly clients: ClientCache,
    private readonly limits: RouteCacheLimits = DEFAULT_ROUTE_CACHE_LIMITS,
    private readonly listeners: OwnListeners | null = null,
  ) {
    this.#binder = binder instanceof NameInterpreter ? localBinder(binder) : binder;
  }

  /**
   * `dtabKey` identifies the dtab (base generation plus local dtab text) without showing it per
   * request; the dtab is `base` ++ `local`, joined only when a route is built. `judge`, given for request-local dtabs, runs before anything is bound; what it
   * throws (a refusal, the bind budget) is cached as a negative entry and thrown. So is the
   * error of a route whose binding failed.
   */
  get(dtabKey: string, base: Dtab, name: Path, judge?: () => OverrideVerdict, local: Dtab | null = null): Route {
    let key: string;
    if (name === this.#lastName && dtabKey === this.#lastDtabKey) key = this.#lastKey;
    else {
      key = `${dtabKey}\u0000${name.show()}`;
      this.#lastDtabKey = dtabKey;
      this.#lastName = name;
      this.#lastKey = key;
    }
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      if (hit.error !== null) {
        if (now < hit.expires) throw hit.error;
        this.#delete(key, hit);
      } else if (hit.route!.state === 'failed') {
        if (now - hit.route!.failedAt < this.limits.failedTtlMs) return this.#failed(key, hit, hit.route!);
        this.#delete(key, hit);
        hit.route!.close();
      } else {
        if (now - hit.touched > 1000) {
          // Moves it to the back of the Map's order, which is the LRU order evictions follow.
          this.#entries.delete(key);
          this.#entries.set(key, hit);
          hit.touched = now;
        }
        return hit.route!;
      }
    }
    let verdict: OverrideVerdict | null = null;
    try {
      verdict = judge?.() ?? null;
    } catch (e) {
      this.#insert(key, {
        route: null,
        error: e as Error,
        weight: 1,
        touched: now,
        expires: now + this.limits.failedTtlMs,
      });
      throw e;
    }
    const guard = this.listeners === null && verdict === null ? null : { verdict, listeners: this.listeners };
    const route = new Route(this.#binder.bind(base, local, name), this.clients, guard);
    const entry: Entry = {
      route,
      error: null,
      weight: 1 + (verdict?.lookups ?? 0) + route.leaves,
      touched: now,
      expires: 0,
    };
    this.#insert(key, entry);
    return route.state === 'failed' ? this.#failed(key, entry, route) : route;
  }

  /** A failed route answers with its error, but keeps nothing bound while it does. */
  #failed(key: string, entry: Entry, route: Route): Route {
    if (entry.route !== null) {
      this.#delete(key, entry);
      route.close();
      const error = route.error ?? new Error('binding failed');
      this.#insert(key, {
        route: null,
        error,
        weight: 1,
        touched: entry.touched,
        expires: route.failedAt + this.limits.failedTtlMs,
      });
      throw error;
    }
    return route;
  }

  #insert(key: string, entry: Entry): void {
    // V8 keeps an error's raw stack frames, and through them whatever the frames held (a whole
    // failed binding), until the stack is first read; reading it keeps only the text.
    if (entry.error !== null) void entry.error.stack;
    this.#entries.set(key, entry);
    this.#weight += entry.weight;
    while (
      this.#entries.size > 1 &&
      (this.#entries.size > this.limits.maxEntries || this.#weight > this.limits.maxWeight)
    ) {
      const [oldKey, old] = this.#entries.entries().next().value!;
      this.#delete(oldKey, old);
      old.route?.close();
      this.#evictions++;
    }
  }

  #delete(key: string, entry: Entry): void {
    if (this.#entries.get(key) === entry) {
      this.#entries.delete(key);
      this.#weight -= entry.weight;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Total weight of the cached routes. */
  get weight(): number {
    return this.#weight;
  }

  /** Routes evicted to stay within the ceilings, since start. */
  get evictions(): number {
    return this.#evictions;
  }

  sweep(now = Date.now()): void {
    for (const [key, entry] of this.#entries) {
      const idle = entry.route === null ? now >= entry.expires : now - entry.route.lastUsed > this.limits.idleTtlMs;
      if (idle) {
        this.#delete(key, entry);
        entry.route?.close();
      }
    }
  }

  close(): void {
    for (const e of this.#entries.values()) e.route?.close();
    this.#entries.clear();
    this.#weight = 0;
  }
}
