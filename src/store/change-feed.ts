/**
 * The in-process side of every store's watches: observers of a namespace (or of the name list)
 * share one Var each, which starts pending, loads the current value when first observed, and then
 * takes every value the store publishes. Values that repeat the version already seen are dropped,
 * so a store may publish freely (after a reconnect, say) without watchers seeing duplicates.
 */
import { Activity, type ActivityState, failed, ok } from '../naming/activity.js';
import { Var } from '../naming/var.js';
import type { VersionedDtab } from './versioned-dtab.js';

type Current = VersionedDtab | null;
type Push<T> = (state: ActivityState<T>) => void;

function sameVersion(a: Current, b: Current): boolean {
  return a === null ? b === null : b !== null && a.version === b.version;
}

export class ChangeFeed {
  readonly #namespaces = new Map<string, Set<Push<Current>>>();
  readonly #lists = new Set<Push<string[]>>();
  readonly #last = new Map<string, Current>();
  #lastList: string | undefined;

  /** `load` reads the current value from the backend; it runs each time the first observer arrives. */
  watch(ns: string, load: () => Promise<Current>): Activity<Current> {
    return new Activity(
      Var.async<ActivityState<Current>>({ status: 'pending' }, (set) => {
        let push: Push<Current> | undefined = set;
        const observers = this.#namespaces.get(ns) ?? new Set();
        this.#namespaces.set(ns, observers);
        observers.add(set);
        load().then(
          (value) => {
            if (push === undefined) return;
            this.#last.set(ns, value);
            push(ok(value));
          },
          (error) => push?.(failed(error)),
        );
        return {
          close: () => {
            push = undefined;
            observers.delete(set);
            if (observers.size === 0) {
              this.#namespaces.delete(ns);
              this.#last.delete(ns);
            }
          },
        };
      }),
    );
  }

  watchList(load: () => Promise<string[]>): Activity<string[]> {
    return new Activity(
      Var.async<ActivityState<string[]>>({ status: 'pending' }, (set) => {
        let push: Push<string[]> | undefined = set;
        this.#lists.add(set);
        load().then(
          (names) => {
            this.#lastList = names.join('\n');
            push?.(ok(names));
          },
          (error) => push?.(failed(error)),
        );
        return {
          close: () => {
            push = undefined;
            this.#lists.delete(set);
          },
        };
      }),
    );
  }

  /** True while anyone watches this namespace (stores use it to decide what to re-read on reconnect). */
  isWatched(ns: string): boolean {
    return this.#namespaces.has(ns);
  }

  watchedNamespaces(): string[] {
    return [...this.#namespaces.keys()];
  }

  /** `force` hands the value to every observer even if its version was seen (after a data loss). */
  publish(ns: string, value: Current, force = false): void {
    const observers = this.#namespaces.get(ns);
    if (observers === undefined) return;
    const last = this.#last.get(ns);
    if (!force && last !== undefined && sameVersion(last, value)) return;
    this.#last.set(ns, value);
    const state = ok(value);
    for (const push of [...observers]) push(state);
  }

  publishList(names: string[], force = false): void {
    const key = names.join('\n');
    if (!force && key === this.#lastList) return;
    this.#lastList = key;
    const state = ok(names);
    for (const push of [...this.#lists]) push(state);
  }

  /** Every watcher fails (the store is closing, or its backend is gone for good). */
  failAll(error: Error): void {
    const state = failed(error);
    for (const observers of this.#namespaces.values()) for (const push of [...observers]) push(state);
    for (const push of [...this.#lists]) push(state);
  }
}
