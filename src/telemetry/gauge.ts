/**
 * A gauge handle: either set by its owner (pool sizes, pending requests) or backed by a callback
 * read only at scrape time, for values that are cheaper to ask for than to track (memory, the
 * size of a cache).
 */
export class Gauge {
  #value = 0;
  #sample: (() => number) | undefined;

  constructor(sample?: () => number) {
    this.#sample = sample;
  }

  set(value: number): void {
    this.#value = value;
  }

  add(delta: number): void {
    this.#value += delta;
  }

  /** Replaces the callback read at scrape time (or, with undefined, goes back to the set value). */
  sampleWith(sample: (() => number) | undefined): void {
    this.#sample = sample;
  }

  /** The set value, or the callback's answer; a throwing callback reads as NaN rather than failing the scrape. */
  get value(): number {
    if (this.#sample === undefined) return this.#value;
    try {
      return this.#sample();
    } catch {
      return Number.NaN;
    }
  }
}
