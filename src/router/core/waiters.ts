/**
 * Requests waiting for something the router is still learning (a route's first binding, a
 * client's first addresses), each bounded by its own timeout so no request waits for ever.
 */
export class Waiters {
  #list: (() => void)[] = [];

  /** Resolves when woken or after `timeoutMs`, whichever comes first; the caller re-checks the state. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#list.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  wakeAll(): void {
    const list = this.#list;
    this.#list = [];
    for (const wake of list) wake();
  }
}
