/**
 * Var: a value that changes over time and can be observed (Finagle's `Var`). Namers push new
 * endpoint sets into Vars; bindings are Vars derived from them. Derived Vars connect to their
 * sources only while someone observes them and share one connection among all observers, so a
 * Kubernetes watch runs once however many routes use it, and stops when the last one goes.
 * Constants stay constants through map/flatMap/collect, which keeps static binding synchronous.
 */

export type Observer<T> = (value: T) => void;

export interface Closable {
  close(): void;
}

const noop: Closable = { close() {} };

export abstract class Var<T> {
  /** The current value. A Var that nobody observes computes it from its sources on demand. */
  abstract sample(): T;

  /** Calls `f` at once with the current value and again on every change, until closed. */
  abstract observe(f: Observer<T>): Closable;

  static value<T>(value: T): Var<T> {
    return new ConstVar(value);
  }

  /** A Var whose value is set from outside (Finagle's `Var(init)`). */
  static cell<T>(initial: T): Cell<T> {
    return new Cell(initial);
  }

  /**
   * A Var fed by an external source that is started by the first observer and stopped when the
   * last one closes (Finagle's `Var.async`): DNS polling, file watches, API watches.
   */
  static async<T>(initial: T, start: (set: (value: T) => void) => Closable): Var<T> {
    return new AsyncVar(initial, start);
  }

  static collect<T>(vars: readonly Var<T>[]): Var<T[]> {
    if (vars.every((v) => v instanceof ConstVar)) return new ConstVar(vars.map((v) => (v as ConstVar<T>).value));
    return new CollectVar(vars);
  }

  get isConstant(): boolean {
    return this instanceof ConstVar;
  }

  map<U>(f: (value: T) => U): Var<U> {
    if (this instanceof ConstVar) return new ConstVar(f(this.value));
    return new MapVar(this, f);
  }

  flatMap<U>(f: (value: T) => Var<U>): Var<U> {
    if (this instanceof ConstVar) return f(this.value);
    return new FlatMapVar(this, f);
  }

  /** The first value that satisfies `accept`, observing only until then. */
  first(accept: (value: T) => boolean): Promise<T> {
    return new Promise((resolve) => {
      let done = false;
      let closable: Closable | undefined;
      closable = this.observe((v) => {
        if (done || !accept(v)) return;
        done = true;
        resolve(v);
        // The observer may fire while observe() is still running; close once it has returned.
        if (closable) closable.close();
      });
      if (done) closable.close();
    });
  }
}

/**
 * The first value that satisfies `accept` within `ms`, or undefined; unlike `first`, it stops
 * observing when the time is up, so a value that never comes holds nothing (an HTTP request that
 * timed out must not keep a binding observed for ever).
 */
export function firstWithin<T>(v: Var<T>, accept: (value: T) => boolean, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let closable: Closable | undefined;
    const finish = (value: T | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
      if (closable) closable.close();
    };
    const timer = setTimeout(() => finish(undefined), ms);
    closable = v.observe((value) => {
      if (accept(value)) finish(value);
    });
    if (done) closable.close();
  });
}

class ConstVar<T> extends Var<T> {
  constructor(readonly value: T) {
    super();
  }
  sample(): T {
    return this.value;
  }
  observe(f: Observer<T>): Closable {
    f(this.value);
    return noop;
  }
}

/** Shares one upstream connection among all observers and remembers the last value. */
abstract class SharedVar<T> extends Var<T> {
  #observers = new Set<Observer<T>>();
  #current: { value: T } | undefined;
  #upstream: Closable | undefined;

  /** Subscribes to the sources; must emit at least once before returning. */
  protected abstract connect(emit: Observer<T>): Closable;
  /** The value computed straight from the sources, for sample() while unobserved. */
  protected abstract compute(): T;

  sample(): T {
    return this.#current !== undefined ? this.#current.value : this.compute();
  }

  observe(f: Observer<T>): Closable {
    this.#observers.add(f);
    if (this.#upstream === undefined) {
      this.#upstream = noop;
      this.#upstream = this.connect((value) => this.#emit(value));
    } else if (this.#current !== undefined) {
      f(this.#current.value);
    }
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        this.#observers.delete(f);
        if (this.#observers.size === 0 && this.#upstream !== undefined) {
          const upstream = this.#upstream;
          this.#upstream = undefined;
          this.#current = undefined;
          upstream.close();
        }
      },
    };
  }

  #emit(value: T): void {
    this.#current = { value };
    for (const o of [...this.#observers]) if (this.#observers.has(o)) o(value);
  }
}

export class Cell<T> extends SharedVar<T> {
  #value: T;
  #emit: Observer<T> | undefined;

  constructor(initial: T) {
    super();
    this.#value = initial;
  }

  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    this.#emit?.(value);
  }

  update(f: (value: T) => T): void {
    this.set(f(this.#value));
  }

  protected connect(emit: Observer<T>): Closable {
    this.#emit = emit;
    emit(this.#value);
    return { close: () => (this.#emit = undefined) };
  }

  protected compute(): T {
    return this.#value;
  }
}

class AsyncVar<T> extends SharedVar<T> {
  #last: T;
  constructor(
    initial: T,
    private readonly start: (set: Observer<T>) => Closable,
  ) {
    super();
    this.#last = initial;
  }
  protected connect(emit: Observer<T>): Closable {
    emit(this.#last);
    return this.start((v) => {
      // Sources often repeat their current value when they start; that is not a change.
      if (Object.is(v, this.#last)) return;
      this.#last = v;
      emit(v);
    });
  }
  protected compute(): T {
    return this.#last;
  }
}

class MapVar<T, U> extends SharedVar<U> {
  constructor(
    private readonly parent: Var<T>,
    private readonly f: (value: T) => U,
  ) {
    super();
  }
  protected connect(emit: Observer<U>): Closable {
    return this.parent.observe((v) => emit(this.f(v)));
  }
  protected compute(): U {
    return this.f(this.parent.sample());
  }
}

class FlatMapVar<T, U> extends SharedVar<U> {
  constructor(
    private readonly parent: Var<T>,
    private readonly f: (value: T) => Var<U>,
  ) {
    super();
  }
  protected connect(emit: Observer<U>): Closable {
    let inner: Closable | undefined;
    const outer = this.parent.observe((v) => {
      const previous = inner;
      inner = this.f(v).observe(emit);
      previous?.close();
    });
    return {
      close: () => {
        outer.close();
        inner?.close();
      },
    };
  }
  protected compute(): U {
    return this.f(this.parent.sample()).sample();
  }
}

class CollectVar<T> extends SharedVar<T[]> {
  constructor(private readonly vars: readonly Var<T>[]) {
    super();
  }
  protected connect(emit: Observer<T[]>): Closable {
    const values: T[] = new Array(this.vars.length);
    let ready = false;
    const subs = this.vars.map((v, i) =>
      v.observe((value) => {
        values[i] = value;
        if (ready) emit(values.slice());
      }),
    );
    ready = true;
    emit(values.slice());
    return {
      close: () => {
        for (const s of subs) s.close();
      },
    };
  }
  protected compute(): T[] {
    return this.vars.map((v) => v.sample());
  }
}
