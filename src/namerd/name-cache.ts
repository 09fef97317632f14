/**
 * What namerd keeps bound for its clients (linkerd's `NameInterpreterCache`): the binding of each
 * (namespace, path) through the namespace's stored dtab, following dtab changes, and the addresses
 * of each bound id. A thousand routers asking for the same name share one binding, and so one
 * namer watch. Entries stay observed while they are cached, so a repeated one-shot request answers
 * at once, and are dropped least recently used first past `maxEntries` each (linkerd keeps 1000 of
 * each), which bounds what callers can make namerd hold. A bind carrying an extra dtab is the
 * caller's own and is not cached.
 *
 * Every binding here keeps unions whole (`wholeUnions`): an answer (or a stream's chunk) is a
 * snapshot a router routes on, and a member that is merely slow to bind must not be left out.
 */
import { Dtab } from '../dtab/dtab.js';
import type { Path } from '../dtab/path.js';
import { Activity, type ActivityState } from '../naming/activity.js';
import { Addr } from '../naming/addr.js';
import type { BoundTree, NameInterpreter } from '../naming/interpreter.js';
import { type Cell, type Closable, Var } from '../naming/var.js';
import type { DtabStore } from '../store/dtab-store.js';

interface Entry<T> {
  readonly activity: Activity<T>;
  readonly keep: Closable;
}

/** A Map in least-recently-used order whose evicted entries stop being observed. */
class ObservedLru<T> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(
    private readonly max: number,
    private readonly changed: () => void,
  ) {}

  get(key: string, make: () => Activity<T>): Activity<T> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.activity;
    }
    const activity = make();
    const keep = activity.run.observe(() => this.changed());
    this.#entries.set(key, { activity, keep });
    while (this.#entries.size > this.max) {
      const [oldKey, old] = this.#entries.entries().next().value!;
      this.#entries.delete(oldKey);
      old.keep.close();
    }
    this.changed();
    return activity;
  }

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<[string, Entry<T>]> {
    return this.#entries.entries();
  }

  close(): void {
    for (const e of this.#entries.values()) e.keep.close();
    this.#entries.clear();
  }
}

/** linkerd writes transformed ids as `/%/<transformer…>/#/…`; the namers know only the part from `#` or `$`. */
export function stripTransformerPrefix(id: Path): Path {
  if (id.elems[0] !== '%') return id;
  const at = id.elems.findIndex((e) => e === '#' || e === '$');
  return at === -1 ? id : id.drop(at);
}

export class NameCache {
  readonly #binds: ObservedLru<BoundTree>;
  readonly #addrs: ObservedLru<Addr>;
  readonly #names: Cell<readonly string[]> = Var.cell<readonly string[]>([]);
  #namesQueued = false;

  constructor(
    private readonly store: DtabStore,
    private readonly interpreter: NameInterpreter,
    maxEntries = 1000,
  ) {
    const changed = () => this.#queueNames();
    this.#binds = new ObservedLru(maxEntries, changed);
    this.#addrs = new ObservedLru(maxEntries, changed);
  }

  /** `path` bound through the namespace's dtab (empty while it does not exist) ++ `extra`, following both. */
  bind(ns: string, path: Path, extra: Dtab | null): Activity<BoundTree> {
    const make = () =>
      new Activity(this.store.watch(ns).run).flatMap((v) =>
        this.interpreter.bind((v?.dtab ?? Dtab.empty).concat(extra ?? Dtab.empty), path, { wholeUnions: true }),
      );
    if (extra !== null && !extra.isEmpty) return make();
    return this.#binds.get(`${ns}\u0000${path.show()}`, make);
  }

  /**
   * The addresses of a bound id, whatever namespace asks (namers are namerd-wide). Pending while
   * the namer has not answered; an id that is not one name (a union) fails.
   */
  addr(idText: Path): Activity<Addr> {
    const id = stripTransformerPrefix(idText);
    return this.#addrs.get(id.show(), () =>
      this.interpreter.bind(Dtab.empty, id).flatMap((tree): Activity<Addr> => {
        switch (tree.type) {
          case 'leaf':
            return new Activity(
              tree.value.addr.map(
                (a): ActivityState<Addr> => (a.type === 'pending' ? PENDING : { status: 'ok', value: a }),
              ),
            );
          case 'empty':
            return Activity.value(Addr.bound([]));
          case 'neg':
            return Activity.value(Addr.Neg);
          case 'fail':
            return Activity.exception(new Error('name tree failed'));
          default:
            return Activity.exception(new Error(`${id.show()} is not a concrete bound id`));
        }
      }),
    );
  }

  /** The concrete names namerd has bound for its clients right now, sorted; follows changes. */
  get boundNames(): Var<readonly string[]> {
    this.#refreshNames();
    return this.#names;
  }

  get size(): { readonly binds: number; readonly addrs: number } {
    return { binds: this.#binds.size, addrs: this.#addrs.size };
  }

  close(): void {
    this.#binds.close();
    this.#addrs.close();
  }

  /** Many entries change at once (a dtab write re-binds them all): recount once per tick. */
  #queueNames(): void {
    if (this.#namesQueued) return;
    this.#namesQueued = true;
    queueMicrotask(() => {
      this.#namesQueued = false;
      this.#refreshNames();
    });
  }

  #refreshNames(): void {
    const ids = new Set<string>();
    for (const [, e] of this.#binds.entries()) {
      const s = e.activity.sample();
      if (s.status === 'ok') collectIds(s.value, ids);
    }
    for (const [id, e] of this.#addrs.entries()) {
      const s = e.activity.sample();
      if (s.status === 'ok' && s.value.type === 'bound') ids.add(id);
    }
    const names = [...ids].sort();
    const current = this.#names.sample();
    if (names.length !== current.length || names.some((n, i) => n !== current[i])) this.#names.set(names);
  }
}

const PENDING: ActivityState<never> = Object.freeze({ status: 'pending' });

function collectIds(tree: BoundTree, into: Set<string>): void {
  if (tree.type === 'leaf') into.add(tree.value.id.show());
  else if (tree.type === 'alt') for (const t of tree.trees) collectIds(t, into);
  else if (tree.type === 'union') for (const w of tree.trees) collectIds(w.tree, into);
}
