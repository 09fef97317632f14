/**
 * Weighted union picks: exact probabilities, zero and all-zero weights, and a χ² goodness-of-fit
 * test over 20,000 picks for the 1:19 and 1:4 canary splits, with a seeded PRNG (deterministic,
 * p = 0.001) and with Math.random (a conservative p = 1e-6 critical value bounds the flakiness).
 */
import { describe, expect, it } from 'vitest';
import { WeightedPicker } from '../../../src/router/policy/weighted-pick.js';
import { seededRandom } from '../../helpers/seeded-random.js';

/** Upper critical values of χ² by degrees of freedom. */
const CHI2_P001: Record<number, number> = { 1: 10.828, 2: 13.816 };
const CHI2_P1E6: Record<number, number> = { 1: 23.928, 2: 27.631 };

function chiSquare(weights: number[], random: () => number, n = 20_000): number {
  const picker = new WeightedPicker(
    weights.map((weight, value) => ({ weight, value })),
    random,
  );
  const observed = new Array<number>(weights.length).fill(0);
  for (let i = 0; i < n; i++) observed[picker.pick()]!++;
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.reduce((sum, w, i) => {
    const expected = (n * w) / total;
    return sum + (observed[i]! - expected) ** 2 / expected;
  }, 0);
}

describe('WeightedPicker', () => {
  for (const weights of [
    [1, 19],
    [1, 4],
    [1, 2, 3],
  ]) {
    const df = weights.length - 1;
    it(`passes χ² for ${weights.join(':')} over 20,000 seeded picks (p = 0.001)`, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        expect(chiSquare(weights, seededRandom(seed))).toBeLessThan(CHI2_P001[df]!);
      }
    });

    it(`passes χ² for ${weights.join(':')} over 20,000 Math.random picks (p = 1e-6)`, () => {
      expect(chiSquare(weights, Math.random)).toBeLessThan(CHI2_P1E6[df]!);
    });
  }

  it('detects a biased picker (the test has power)', () => {
    // A 1:4 picker judged against 1:3 expectations must fail.
    const picker = new WeightedPicker(
      [
        { weight: 1, value: 0 },
        { weight: 4, value: 1 },
      ],
      seededRandom(9),
    );
    let zeros = 0;
    for (let i = 0; i < 20_000; i++) if (picker.pick() === 0) zeros++;
    const chi = (zeros - 5_000) ** 2 / 5_000 + (20_000 - zeros - 15_000) ** 2 / 15_000;
    expect(chi).toBeGreaterThan(CHI2_P1E6[1]!);
  });

  it('never picks a zero-weight member, even when the draw rounds up to the total', () => {
    const members = [
      { weight: 0, value: 'a' },
      { weight: 1, value: 'b' },
      { weight: 19, value: 'c' },
      { weight: 0, value: 'd' },
    ];
    // 1 is outside random()'s contract but stands for a product that rounds up to the total.
    for (const r of [0, 0.049_999, 0.05, 0.5, 1 - 2 ** -53, 1]) {
      expect(new WeightedPicker(members, () => r).pick()).not.toMatch(/[ad]/);
    }
    expect(new WeightedPicker(members, () => 0).pick()).toBe('b');
    expect(new WeightedPicker(members, () => 0.05).pick()).toBe('c');
    expect(new WeightedPicker(members).probabilities()).toEqual([0, 0.05, 0.95, 0]);
  });

  it('picks uniformly when every weight is zero', () => {
    const picker = new WeightedPicker(
      [0, 0, 0, 0].map((weight, value) => ({ weight, value })),
      seededRandom(3),
    );
    expect(picker.probabilities()).toEqual([0.25, 0.25, 0.25, 0.25]);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8_000; i++) counts[picker.pick()]!++;
    for (const c of counts) expect(Math.abs(c - 2_000)).toBeLessThan(200);
  });

  it('rejects an empty union and weights the parser never produces', () => {
    expect(() => new WeightedPicker([])).toThrow(RangeError);
    expect(() => new WeightedPicker([{ weight: -1, value: 0 }])).toThrow(RangeError);
    expect(() => new WeightedPicker([{ weight: Number.NaN, value: 0 }])).toThrow(RangeError);
    expect(() => new WeightedPicker([{ weight: Infinity, value: 0 }])).toThrow(RangeError);
  });
});
