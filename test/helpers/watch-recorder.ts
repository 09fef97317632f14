/**
 * Observes an Activity the way a namerd watch stream does and keeps every state it was given,
 * so tests can assert on the whole sequence (order, duplicates, gaps), not just the last value.
 */
import type { Activity } from '../../src/naming/activity.js';

export interface WatchRecorder<T> {
  /** Every ok value, in the order they arrived. */
  readonly values: T[];
  readonly errors: Error[];
  /** Resolves once `accept(values)` holds; rejects after `timeoutMs` with what was seen. */
  until(accept: (values: readonly T[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export function recordWatch<T>(activity: Activity<T>): WatchRecorder<T> {
  const values: T[] = [];
  const errors: Error[] = [];
  const sub = activity.run.observe((state) => {
    if (state.status === 'ok') values.push(state.value);
    else if (state.status === 'failed') errors.push(state.error);
  });
  return {
    values,
    errors,
    async until(accept, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!accept(values)) {
        if (Date.now() > deadline) {
          throw new Error(
            `watch did not get there in ${timeoutMs} ms; saw ${JSON.stringify(values)}, errors ${errors}`,
          );
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () => sub.close(),
  };
}
