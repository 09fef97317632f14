/**
 * The inet resolver remembers a bounded number of host/port pairs: names reach it from dtabs
 * (and from overrides where an operator allows `/$/inet`), so unique ports must not grow it.
 */
import { describe, expect, it } from 'vitest';
import { InetResolver } from '../../src/namers/inet-resolver.js';

describe('InetResolver cache', () => {
  it('keeps at most maxEntries pairs, dropping the least recently used', () => {
    const resolver = new InetResolver({ maxEntries: 100 });
    const first = resolver.resolve('127.0.0.1', 1, false);
    for (let port = 2; port <= 5000; port++) {
      resolver.resolve('127.0.0.1', port, false);
      // Kept in use, so never the oldest.
      if (port % 50 === 0) expect(resolver.resolve('127.0.0.1', 1, false)).toBe(first);
    }
    expect(resolver.size).toBe(100);
    expect(resolver.resolve('127.0.0.1', 1, false)).toBe(first);
    // An evicted pair still resolves; it is simply made again.
    const again = resolver.resolve('127.0.0.1', 2, false);
    expect(again.sample()).toEqual(resolver.resolve('127.0.0.1', 2, false).sample());
  });
});
