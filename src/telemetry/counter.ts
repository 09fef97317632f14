/**
 * A counter handle: registered once (MetricsRegistry.counter) and kept by the code that counts,
 * so counting a request is one field increment with no lookup and no allocation.
 */
export class Counter {
  #value = 0;

  /** Adds `n` (default 1). Allocation-free. */
  inc(n = 1): void {
    this.#value += n;
  }

  get value(): number {
    return this.#value;
  }
}
