/**
 * Observing a Var over time in tests: keep one observation open, wait (with a deadline) until
 * its value satisfies a condition, and say what the last value was when the deadline passes,
 * so a slow watch fails with a reason instead of hanging the suite.
 */
import type { Var } from '../../src/index.js';

export class Observed<T> {
  #last: { value: T } | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #sub: { close(): void };

  constructor(
    v: Var<T>,
    private readonly show: (value: T) => string = (value) => JSON.stringify(value),
  ) {
    this.#sub = v.observe((value) => {
      this.#last = { value };
      for (const w of [...this.#waiters]) w();
    });
  }

  get value(): T | undefined {
    return this.#last?.value;
  }

  /** Resolves with the first value (the current one included) that satisfies `accept`. */
  until(accept: (value: T) => boolean, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#last === undefined || !accept(this.#last.value)) return;
        settle();
        resolve(this.#last.value);
      };
      const settle = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const timer = setTimeout(() => {
        settle();
        const last = this.#last === undefined ? 'nothing yet' : this.show(this.#last.value);
        reject(new Error(`waited ${timeoutMs} ms for ${what}; last value: ${last}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  close(): void {
    this.#sub.close();
  }
}

/** Polls `condition` every few milliseconds until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
