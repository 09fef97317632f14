/**
 * The hot-path latency histogram: every reported quantile within 1% of the exact nearest-rank
 * quantile of the same data (seeded random latencies of several shapes), exact count, sum, min
 * and max, and linkerd's snapshot windows.
 */
import { describe, expect, it } from 'vitest';
import { bucketBounds, bucketIndex, Histogram, QUANTILES } from '../../src/telemetry/histogram.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** A seeded generator, so a failure reproduces. */
const seeded = seededRandom;

function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const shapes: Record<string, (r: () => number) => number> = {
  // Typical proxy latencies: a log-normal body around 2 ms with a long tail.
  lognormal: (r) => Math.exp(Math.log(2) + 0.9 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  uniform: (r) => 0.2 + r() * 500,
  // Mostly fast, a few very slow (timeouts): the tail quantiles must still be right.
  bimodal: (r) => (r() < 0.98 ? 0.3 + r() * 0.7 : 1000 + r() * 29_000),
  // Seconds to an hour, to exercise the high buckets.
  wide: (r) => 10 ** (r() * 6.5),
};

describe('Histogram accuracy', () => {
  for (const [shape, draw] of Object.entries(shapes)) {
    it(`reports ${shape} quantiles within 1% of the exact ones`, () => {
      const random = seeded(shape.length * 7919);
      const h = new Histogram();
      const values: number[] = [];
      for (let i = 0; i < 50_000; i++) {
        const v = draw(random);
        values.push(v);
        h.record(v);
      }
      values.sort((a, b) => a - b);
      const s = h.current();
      expect(s.count).toBe(values.length);
      expect(s.min).toBe(values[0]);
      expect(s.max).toBe(values[values.length - 1]);
      expect(s.sum).toBeCloseTo(
        values.reduce((a, b) => a + b, 0),
        3,
      );
      for (const [i, { key, q }] of QUANTILES.entries()) {
        const exact = exactQuantile(values, q);
        const got = s.quantiles[i]!;
        // Relative bound, with half a microsecond of slack for the sub-128 µs linear buckets.
        expect(Math.abs(got - exact), `${key}: ${got} vs exact ${exact}`).toBeLessThanOrEqual(exact * 0.01 + 0.0005);
      }
    });
  }

  it('keeps every bucket within 1/128 of its lower edge and the index continuous', () => {
    let previous = -1;
    for (const us of [0, 1, 127, 128, 129, 255, 256, 1000, 65_535, 2 ** 31, 0xffff_ffff]) {
      const index = bucketIndex(us);
      const { lower, width } = bucketBounds(index);
      expect(us).toBeGreaterThanOrEqual(lower);
      expect(us).toBeLessThan(lower + width);
      expect(width / Math.max(lower, 128)).toBeLessThanOrEqual(1 / 128);
      expect(index).toBeGreaterThan(previous);
      previous = index;
    }
    for (let us = 0; us < 5000; us++) expect(bucketIndex(us + 1) - bucketIndex(us)).toBeLessThanOrEqual(1);
  });

  it('ignores NaN and infinities, counts negatives as 0, and clamps beyond 71 minutes', () => {
    const h = new Histogram();
    h.record(Number.NaN);
    h.record(Number.POSITIVE_INFINITY);
    h.record(-5);
    h.record(5e9);
    const s = h.current();
    expect(s.count).toBe(2);
    expect(s.min).toBe(0);
    expect(s.max).toBe(5e9);
    expect(s.quantiles[QUANTILES.length - 1]).toBeGreaterThan(4.2e6);
  });

  it('is exact for a single value and orders quantiles', () => {
    const h = new Histogram();
    h.record(12.345);
    expect(h.current().quantiles).toEqual(QUANTILES.map(() => 12.345));
    for (let i = 1; i <= 1000; i++) h.record(i);
    const q = h.current().quantiles;
    for (let i = 1; i < q.length; i++) expect(q[i]!).toBeGreaterThanOrEqual(q[i - 1]!);
  });
});

describe('Histogram snapshots', () => {
  it('reports the last closed interval while the cumulative totals keep growing', () => {
    const h = new Histogram();
    expect(h.last.count).toBe(0);
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.last.count).toBe(0);
    h.snapshot();
    expect(h.last).toMatchObject({ count: 100, min: 1, max: 100, sum: 5050, avg: 50.5 });
    expect(h.current().count).toBe(0);
    h.record(1000);
    expect(h.last.max).toBe(100);
    h.snapshot();
    expect(h.last).toMatchObject({ count: 1, min: 1000, max: 1000 });
    expect(h.last.quantiles[0]).toBe(1000);
    h.snapshot();
    expect(h.last.count).toBe(0);
    expect(h.totalCount).toBe(101);
    expect(h.totalSum).toBe(6050);
  });
});
