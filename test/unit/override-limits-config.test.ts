/**
 * The override block's limits in the router configuration: defaults, and every bad value listed.
 */
import { describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';

describe('dtabOverrides limits', () => {
  it('default to 100 dentries, 1000 lookups, 10,000 routes, weight 200,000 and a 5 s failed-route TTL', () => {
    const c = routerConfig('dtab: /svc => /$/inet/127.0.0.1\n').dtabOverrides;
    expect(c).toMatchObject({
      maxDentries: 100,
      maxBindLookups: 1000,
      routeCacheMaxEntries: 10_000,
      routeCacheMaxWeight: 200_000,
      failedRouteTtlMs: 5000,
    });
  });

  it('lists every bad value at once', () => {
    const yaml = `dtab: /svc => /$/inet/127.0.0.1
dtabOverrides:
  maxDentries: 0
  maxBindLookups: lots
  routeCacheMaxEntries: -1
  routeCacheMaxWeight: 1.5
  failedRouteTtlMs: -5
  maxLookups: 3
`;
    let message = '';
    try {
      routerConfig(yaml);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const key of [
      'dtabOverrides.maxDentries',
      'dtabOverrides.maxBindLookups',
      'dtabOverrides.routeCacheMaxEntries',
      'dtabOverrides.routeCacheMaxWeight',
      'dtabOverrides.failedRouteTtlMs',
      'maxLookups',
    ]) {
      expect(message).toContain(key);
    }
  });
});
