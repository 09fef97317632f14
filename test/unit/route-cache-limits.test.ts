/**
 * The route cache's ceilings, with the real interpreter, client cache and pools (no request is
 * sent): entries and weight evict the least recently used routes; a failed bind is kept as its
 * error only, for the failed-route TTL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dtab, Path } from '../../src/index.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { ClientCache } from '../../src/router/core/client-cache.js';
import { RouteCache } from '../../src/router/core/route-cache.js';
import { P2cEwmaBalancer } from '../../src/router/policy/balancer.js';
import { UpstreamPools } from '../../src/router/protocol/upstream/pools.js';

const pools = new UpstreamPools();
const clients = new ClientCache(pools, () => new P2cEwmaBalancer({}), 60_000);
const interpreter = defaultInterpreter();
const base = Dtab.read('/svc => /$/inet/127.0.0.1');
let cache: RouteCache | undefined;

afterEach(() => cache?.close());

describe('route cache ceilings', () => {
  it('keeps at most maxEntries routes, evicting the least recently used', () => {
    cache = new RouteCache(interpreter, clients, {
      idleTtlMs: 60_000,
      maxEntries: 5,
      maxWeight: 1e9,
      failedTtlMs: 5000,
    });
    for (let i = 0; i < 12; i++) cache.get(`k${i}`, base, Path.read(`/svc/${8000 + i}`));
    expect(cache.size).toBe(5);
    expect(cache.evictions).toBe(7);
  });

  it('keeps at most maxWeight, counting the bound names a route holds', () => {
    cache = new RouteCache(interpreter, clients, {
      idleTtlMs: 60_000,
      maxEntries: 1000,
      maxWeight: 20,
      failedTtlMs: 5000,
    });
    for (let i = 0; i < 50; i++) cache.get(`k${i}`, base, Path.read(`/svc/${8000 + i}`));
    expect(cache.weight).toBeLessThanOrEqual(20);
    expect(cache.evictions).toBeGreaterThan(0);
  });

  it('keeps a failed bind as its error for failedTtlMs, then binds again', () => {
    cache = new RouteCache(interpreter, clients, {
      idleTtlMs: 60_000,
      maxEntries: 1000,
      maxWeight: 1e9,
      failedTtlMs: 60_000,
    });
    const loop = Dtab.read('/a => /b ; /b => /a');
    expect(() => cache!.get('loop', loop, Path.read('/a'))).toThrow(/Max recursion level/);
    expect(() => cache!.get('loop', loop, Path.read('/a'))).toThrow(/Max recursion level/);
    expect(cache.size).toBe(1);
    expect(cache.weight).toBe(1);
    const judged = () => {
      throw new Error('refused');
    };
    expect(() => cache!.get('refused', base, Path.read('/svc/1'), judged)).toThrow('refused');
    // Remembered: the judge is not asked again within the TTL.
    expect(() => cache!.get('refused', base, Path.read('/svc/1'), () => null as never)).toThrow('refused');
    const quick = new RouteCache(interpreter, clients, {
      idleTtlMs: 60_000,
      maxEntries: 10,
      maxWeight: 1e9,
      failedTtlMs: 0,
    });
    expect(() => quick.get('refused', base, Path.read('/svc/1'), judged)).toThrow('refused');
    expect(quick.get('refused', base, Path.read('/svc/1')).state).toBe('ready');
    quick.close();
  });
});
