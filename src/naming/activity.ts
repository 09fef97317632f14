/**
 * Activity: a Var of a computation's state, pending, ok with a value, or failed (Finagle's
 * `Activity`). Namer lookups and bindings are Activities, so a name can wait for a namer's first
 * answer, follow later changes, and carry a failure as a value instead of an exception.
 */
import { Var } from './var.js';

export type ActivityState<T> =
  | { readonly status: 'pending' }
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'failed'; readonly error: Error };

const PENDING: ActivityState<never> = Object.freeze({ status: 'pending' });

export function ok<T>(value: T): ActivityState<T> {
  return { status: 'ok', value };
}

export function failed(error: unknown): ActivityState<never> {
  return { status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
}

export class Activity<T> {
  static readonly pending: Activity<never> = new Activity(Var.value(PENDING));

  constructor(readonly run: Var<ActivityState<T>>) {}

  static value<T>(value: T): Activity<T> {
    return new Activity(Var.value(ok(value)));
  }

  static exception(error: unknown): Activity<never> {
    return new Activity(Var.value(failed(error)));
  }

  static fromState<T>(state: ActivityState<T>): Activity<T> {
    return new Activity(Var.value(state));
  }

  /** Ok with every value once all are ok; the first failure if any failed; otherwise pending. */
  static collect<T>(activities: readonly Activity<T>[]): Activity<T[]> {
    return new Activity(
      Var.collect(activities.map((a) => a.run)).map((states): ActivityState<T[]> => {
        const values: T[] = [];
        let pending = false;
        for (const s of states) {
          if (s.status === 'failed') return s;
          if (s.status === 'pending') pending = true;
          else values.push(s.value);
        }
        return pending ? PENDING : ok(values);
      }),
    );
  }

  map<U>(f: (value: T) => U): Activity<U> {
    return new Activity(
      this.run.map((s): ActivityState<U> => {
        if (s.status !== 'ok') return s;
        try {
          return ok(f(s.value));
        } catch (e) {
          return failed(e);
        }
      }),
    );
  }

  flatMap<U>(f: (value: T) => Activity<U>): Activity<U> {
    return new Activity(
      this.run.flatMap((s): Var<ActivityState<U>> => {
        if (s.status !== 'ok') return Var.value(s);
        try {
          return f(s.value).run;
        } catch (e) {
          return Var.value(failed(e));
        }
      }),
    );
  }

  /** Rewrites every state, the failed and pending ones included. */
  transform<U>(f: (state: ActivityState<T>) => Activity<U>): Activity<U> {
    return new Activity(
      this.run.flatMap((s) => {
        try {
          return f(s).run;
        } catch (e) {
          return Var.value(failed(e));
        }
      }),
    );
  }

  /** Turns a failure into a value. */
  handle(f: (error: Error) => T): Activity<T> {
    return this.transform((s) => (s.status === 'failed' ? Activity.value(f(s.error)) : Activity.fromState(s)));
  }

  sample(): ActivityState<T> {
    return this.run.sample();
  }

  /** Resolves with the first ok value, rejects with the first failure; waits while pending. */
  async toPromise(): Promise<T> {
    const s = await this.run.first((state) => state.status !== 'pending');
    if (s.status === 'ok') return s.value;
    throw (s as { error: Error }).error;
  }
}
