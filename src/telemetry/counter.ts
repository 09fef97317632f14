/**
 * A counter handle: registered once (MetricsRegistry.counter) and kept by the code that counts,
 * so counting a request is one field increment with no lookup and no allocation. A counter may
 * instead be read from a callback at scrape time, for counts another module already keeps as
 * plain numbers (failure accrual's removals); the callback must only ever grow.
 */
export class Counter {
  #value = 0;
  #sample: (() => number) | undefined;

  constructor(sample?: () => number) {
    this.#sample = sample;
  }

  /** Adds `n` (default 1). Allocation-free. */
  inc(n = 1): void {
    this.#value += n;
  }

  /** Reads the value from `sample` at scrape time from now on. */
  sampleWith(sample: () => number): void {
    this.#sample = sample;
  }

  get value(): number {
    return this.#sample === undefined ? this.#value : this.#sample();
  }
}
