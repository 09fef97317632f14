/**
 * The canary's error test (one-sided Fisher's exact test) against values known from the
 * literature and against exact rational arithmetic, its cost on absurd counts, and the verdicts
 * the judge builds on it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketP99, readBuckets, readClients, windowOf } from '../../src/canary/client-metrics.js';
import { fisherGreater, logGamma } from '../../src/canary/fisher.js';
import { judge } from '../../src/canary/judge.js';
import type { Gates } from '../../src/canary/spec.js';
import { stepDentry, stepWeights } from '../../src/canary/step-dentry.js';

/** C(n, k) exactly. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** P(X ≥ a) for the hypergeometric law, as an exact fraction turned into a double at the end. */
function exactGreater(a: number, n1: number, f2: number, n2: number): number {
  const N = n1 + n2;
  const K = a + f2;
  let num = 0n;
  for (let x = a; x <= Math.min(n1, K); x++) num += choose(K, x) * choose(N - K, n1 - x);
  const den = choose(N, n1);
  const scale = 10n ** 30n;
  return Number((num * scale) / den) / 1e30;
}

describe('one-sided Fisher exact test', () => {
  it("gives the lady tasting tea's p-value: 3 of 4 against 1 of 4 is 17/70", () => {
    expect(fisherGreater({ requests: 4, failures: 3 }, { requests: 4, failures: 1 })).toBeCloseTo(17 / 70, 12);
  });

  it('gives known values: 10 of 100 against 0 of 400 is C(100,10)/C(500,10); equal rates are not significant', () => {
    const p = fisherGreater({ requests: 100, failures: 10 }, { requests: 400, failures: 0 });
    expect(p).toBeCloseTo(Number((choose(100, 10) * 10n ** 20n) / choose(500, 10)) / 1e20, 15);
    expect(p).toBeLessThan(1e-6);
    expect(fisherGreater({ requests: 1000, failures: 10 }, { requests: 1000, failures: 10 })).toBeGreaterThan(0.5);
    expect(fisherGreater({ requests: 50, failures: 0 }, { requests: 50, failures: 5 })).toBe(1);
    expect(fisherGreater({ requests: 50, failures: 0 }, { requests: 50, failures: 0 })).toBe(1);
    expect(fisherGreater({ requests: 0, failures: 0 }, { requests: 50, failures: 3 })).toBe(1);
  });

  it('matches exact rational arithmetic on every small table', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.nat(60), fc.nat(60), fc.nat(60), (n1, a0, n2, b0) => {
        const a = Math.min(a0, n1);
        const b = Math.min(b0, n2);
        const p = fisherGreater({ requests: n1, failures: a }, { requests: n2, failures: b });
        const exact = n1 === 0 || a + b === 0 || n2 === 0 || a + b === n1 + n2 ? 1 : exactGreater(a, n1, b, n2);
        expect(Math.abs(p - exact)).toBeLessThan(1e-9 * Math.max(1, exact) + 1e-12);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('stays fast on absurd counts (a billion requests) and refuses impossible ones', () => {
    const started = performance.now();
    const p = fisherGreater({ requests: 1e8, failures: 1_005_000 }, { requests: 1e9, failures: 1e7 });
    expect(p).toBeLessThan(1e-5);
    expect(p).toBeGreaterThan(0);
    expect(fisherGreater({ requests: 1e9, failures: 1e7 }, { requests: 1e9, failures: 1e7 })).toBeGreaterThan(0.4);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(() => fisherGreater({ requests: 1, failures: 2 }, { requests: 1, failures: 0 })).toThrow(RangeError);
    expect(() => fisherGreater({ requests: 1.5, failures: 0 }, { requests: 1, failures: 0 })).toThrow(RangeError);
  });

  it('log Γ agrees with factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });
});

const gates: Gates = { minRequests: 20, alpha: 0.05, maxErrorRate: null, maxP99Ms: null, p99Factor: null };
const side = (requests: number, failures: number, p99: number | null = null) => ({
  requests,
  failures,
  grpcErrors: {},
  p99,
  p99Source: p99 === null ? null : ('window' as const),
});

describe('window latency from /metrics buckets', () => {
  const metrics = (counts: readonly number[], client = '#/io.l5d.k8s/default/grpc/gen') =>
    ['0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']
      .map(
        (le, i) =>
          `switchyard_router_client_request_duration_seconds_bucket{router="http",client="${client}",le="${le}"} ${counts[i]}`,
      )
      .join('\n');
  const id = '/#/io.l5d.k8s/default/grpc/gen';

  it('takes the p99 of the window, not of the router since it started', () => {
    // 1000 fast calls before the window; in it, 100 calls of which 5 took 100-250 ms.
    const before = [0, 0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000];
    const after = [0, 0, 1095, 1095, 1095, 1095, 1095, 1095, 1100, 1100, 1100, 1100, 1100, 1100, 1100];
    const start = new Map([['r', readClients({}, [id])]]);
    const end = new Map([['r', readClients({}, [id])]]);
    readBuckets(metrics(before), start.get('r')!);
    readBuckets(metrics(after), end.get('r')!);
    expect(windowOf(start, end, [id])).toMatchObject({ p99: 250, p99Source: 'window' });
    // The same counts since start would put the p99 at 2.5 ms.
    expect(bucketP99(after)).toBe(2.5);
  });

  it('ignores other clients, foreign lines and garbage counts', () => {
    const scrape = readClients({}, [id]);
    readBuckets(
      [
        metrics([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], '#/other'),
        'garbage{',
        `${metrics(Array(15).fill(-3))}`,
      ].join('\n'),
      scrape,
    );
    expect(scrape.get(id)!.buckets).toBeNull();
  });
});

describe('the judge', () => {
  it('waits for evidence, passes a canary no worse than the primary, fails one that is', () => {
    expect(judge(side(10, 0), side(500, 0), gates).verdict).toBe('wait');
    expect(judge(side(100, 1), side(400, 4), gates).verdict).toBe('pass');
    const bad = judge(side(40, 4), side(160, 0), gates);
    expect(bad.verdict).toBe('fail');
    expect(bad.reasons[0]).toMatch(
      /error rate 10\.00% is above the primary's 0\.00% \(one-sided Fisher p = 0\.00\d+ < 0\.05\)/,
    );
  });

  it('applies the absolute ceilings and the latency gates, and says when latency has no data', () => {
    const g = { ...gates, maxErrorRate: 0.005, maxP99Ms: 100, p99Factor: 2 };
    const j = judge(side(1000, 6, 250), side(1000, 6, 100), g);
    expect(j.verdict).toBe('fail');
    expect(j.reasons).toEqual([
      'error rate 0.60% is above the ceiling 0.50%',
      'p99 250 ms is above the ceiling 100 ms',
      "p99 250 ms is above the primary's 100 ms × 2",
    ]);
    const blind = judge(side(1000, 0), side(1000, 0), g);
    expect(blind.verdict).toBe('pass');
    expect(blind.notes).toHaveLength(2);
  });
});

describe('step dentries', () => {
  const route = { service: '/srv/proto.GenSvc', primary: '/srv/gen', canary: '/srv/gen-growthhack' };
  it('writes each percentage as the smallest integer weights, in canonical form, as the walkthrough does', () => {
    expect(stepWeights(5)).toEqual({ canary: 1, primary: 19 });
    expect(stepDentry(route, 5, false).show()).toBe('/srv/proto.GenSvc=>/srv/gen-growthhack & 19*/srv/gen');
    expect(stepDentry(route, 20, false).show()).toBe('/srv/proto.GenSvc=>/srv/gen-growthhack & 4*/srv/gen');
    expect(stepDentry(route, 50, false).show()).toBe('/srv/proto.GenSvc=>/srv/gen-growthhack & /srv/gen');
    expect(stepDentry(route, 75, false).show()).toBe('/srv/proto.GenSvc=>3*/srv/gen-growthhack & /srv/gen');
    expect(stepDentry(route, 100, true).show()).toBe('/srv/proto.GenSvc=>/srv/gen-growthhack | /srv/gen');
    expect(stepDentry(route, 100, false).show()).toBe('/srv/proto.GenSvc=>/srv/gen-growthhack');
  });
});
