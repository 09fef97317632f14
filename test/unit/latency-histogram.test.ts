/**
 * The traffic generator's latency histogram: quantiles within the bucket precision it promises
 * (1/128 of the value) against exact sorted data, its JSON form, and merging, which is how the
 * registry builds one latency distribution out of many pods' snapshots.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/telemetry/latency-histogram.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('LatencyHistogram', () => {
  it('is empty before anything is recorded', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, mean: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 });
    expect(h.toJSON()).toEqual({ count: 0, sumUs: 0, minUs: 0, maxUs: 0, buckets: [] });
  });

  it('is exact below 256 µs', () => {
    const h = new LatencyHistogram();
    for (let v = 0; v < 256; v++) h.record(v);
    expect(h.quantile(0.5)).toBe(127);
    expect(h.quantile(1)).toBe(255);
    expect(h.quantile(0)).toBe(0);
  });

  it('keeps every quantile within 1/128 of the exact value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 34 }), { minLength: 1, maxLength: 400 }), (values) => {
        const h = new LatencyHistogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of [0.01, 0.5, 0.9, 0.99, 0.999, 1]) {
          const exact = exactQuantile(sorted, q);
          const got = h.quantile(q);
          expect(got).toBeGreaterThanOrEqual(exact);
          expect(got - exact).toBeLessThanOrEqual(exact / 128);
        }
      }),
      { seed: 4242, numRuns: 200 },
    );
  });

  it('summarises in milliseconds', () => {
    const h = new LatencyHistogram();
    for (const us of [1000, 2000, 3000, 4000, 250_000]) h.record(us);
    const s = h.summary();
    expect(s).toMatchObject({ count: 5, min: 1, max: 250, mean: 52 });
    expect(s.p50).toBeCloseTo(3, 1);
    expect(s.p99).toBe(250);
  });

  it('clamps negative and huge values instead of failing', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.record(2 ** 60);
    expect(h.count).toBe(2);
    expect(h.quantile(0)).toBe(0);
    expect(h.quantile(1)).toBe(2 ** 40 - 1);
  });

  it('round-trips through JSON and merges by adding counts', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 0; i < 5000; i++) {
      const v = Math.floor(Math.exp((i % 97) / 8) * 10);
      (i % 3 === 0 ? a : b).record(v);
      all.record(v);
    }
    const wire = JSON.parse(JSON.stringify(b));
    expect(LatencyHistogram.isJson(wire)).toBe(true);
    const merged = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a))).merge(wire);
    expect(merged.toJSON()).toEqual(all.toJSON());
    expect(merged.summary()).toEqual(all.summary());
  });

  it('recognises only well-formed JSON', () => {
    expect(LatencyHistogram.isJson({ count: 1, sumUs: 1, minUs: 1, maxUs: 1, buckets: [1, 1] })).toBe(true);
    expect(LatencyHistogram.isJson({ count: 1, sumUs: 1, minUs: 1, maxUs: 1, buckets: ['1'] })).toBe(false);
    expect(LatencyHistogram.isJson(null)).toBe(false);
  });
});
