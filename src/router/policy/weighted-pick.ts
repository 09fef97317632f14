/**
 * Picking a member of a weighted union per request (docs/router.md#weighted-unions, dtab `1 * /a &
 * 19 * /b`): each request goes to a member with probability weight / total, which is what makes a
 * 5% canary a 5% canary. Built once when the bound tree changes (cumulative weights in a
 * Float64Array), used per request with one random draw and a binary search, so picking allocates
 * nothing.
 *
 * All-zero weights pick uniformly (Finagle's `Drv.fromWeights` does the same), so a union whose
 * members were all weighted out still routes rather than failing; otherwise a zero-weight member
 * is never picked.
 */

export interface Weighted<T> {
  readonly weight: number;
  readonly value: T;
}

export class WeightedPicker<T> {
  readonly #values: readonly T[];
  /** cumulative[i] = sum of weights 0..i; the last entry is the total. */
  readonly #cumulative: Float64Array;
  readonly #total: number;
  /** The last member with a positive weight: r can round up to the total, which must not land on a trailing zero. */
  readonly #last: number;
  readonly #random: () => number;

  /** Throws on an empty list or a negative or non-finite weight: the dtab parser never makes those. */
  constructor(members: readonly Weighted<T>[], random: () => number = Math.random) {
    if (members.length === 0) throw new RangeError('a weighted union needs at least one member');
    this.#values = members.map((m) => m.value);
    this.#cumulative = new Float64Array(members.length);
    let total = 0;
    let last = 0;
    members.forEach((m, i) => {
      if (!(m.weight >= 0 && Number.isFinite(m.weight))) throw new RangeError(`bad union weight: ${m.weight}`);
      total += m.weight;
      this.#cumulative[i] = total;
      if (m.weight > 0) last = i;
    });
    if (total === 0) {
      // Uniform: the same search over weights 1, 1, 1, … .
      for (let i = 0; i < members.length; i++) this.#cumulative[i] = i + 1;
      total = members.length;
      last = members.length - 1;
    }
    this.#last = last;
    this.#total = total;
    this.#random = random;
  }

  get size(): number {
    return this.#values.length;
  }

  /** The member for one request. */
  pick(): T {
    const c = this.#cumulative;
    const r = this.#random() * this.#total;
    // First index whose cumulative weight exceeds r: member i owns [c[i-1], c[i]), so a
    // zero-weight member owns an empty interval and is never chosen.
    let lo = 0;
    let hi = this.#last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return this.#values[lo]!;
  }

  /** The probability of each member, in order (for the admin page and tests). */
  probabilities(): number[] {
    const c = this.#cumulative;
    return Array.from(c, (v, i) => (v - (i === 0 ? 0 : c[i - 1]!)) / this.#total);
  }
}
