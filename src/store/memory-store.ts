/**
 * The in-memory store: for tests, demos and single-replica setups that can afford to lose
 * everything on restart. Operations are synchronous inside, so each is atomic by construction.
 */
import type { Dtab } from '../dtab/dtab.js';
import { createError } from '../errors.js';
import type { Activity } from '../naming/activity.js';
import { ChangeFeed } from './change-feed.js';
import { DEFAULT_HISTORY_LIMIT, type DtabStore, type WriteOptions } from './dtab-store.js';
import { assertNamespace } from './namespace.js';
import type { HistoryEntry, VersionedDtab } from './versioned-dtab.js';

interface Namespace {
  current: VersionedDtab | null;
  /** Oldest first; trimmed to the history limit. */
  history: HistoryEntry[];
  lastVersion: number;
}

export interface MemoryStoreOptions {
  readonly historyLimit?: number;
  /** Time source, for tests. */
  readonly now?: () => number;
}

export class MemoryDtabStore implements DtabStore {
  readonly #namespaces = new Map<string, Namespace>();
  readonly #feed = new ChangeFeed();
  readonly #historyLimit: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.#now = options.now ?? Date.now;
  }

  async list(): Promise<string[]> {
    return this.#names();
  }

  async get(ns: string): Promise<VersionedDtab | null> {
    assertNamespace(ns);
    return this.#namespaces.get(ns)?.current ?? null;
  }

  async getVersion(ns: string, version: number): Promise<VersionedDtab | null> {
    assertNamespace(ns);
    const entry = this.#namespaces.get(ns)?.history.find((h) => h.version === version);
    if (entry === undefined || entry.dtab === null) return null;
    return { namespace: ns, version, dtab: entry.dtab, time: entry.time, ...withMessage(entry.message) };
  }

  async create(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    assertNamespace(ns);
    if (this.#namespaces.get(ns)?.current) throw createError('SY_ERR_NAMESPACE_EXISTS', [ns]);
    return this.#write(ns, dtab, options);
  }

  async update(ns: string, dtab: Dtab, expectedVersion: number, options: WriteOptions = {}): Promise<VersionedDtab> {
    assertNamespace(ns);
    const current = this.#namespaces.get(ns)?.current;
    if (!current) throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
    if (current.version !== expectedVersion) {
      throw createError('SY_ERR_VERSION_MISMATCH', [ns, expectedVersion, current.version]);
    }
    return this.#write(ns, dtab, options);
  }

  async put(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    assertNamespace(ns);
    return this.#write(ns, dtab, options);
  }

  async delete(ns: string, options: WriteOptions = {}): Promise<void> {
    assertNamespace(ns);
    const state = this.#namespaces.get(ns);
    if (!state?.current) throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
    state.lastVersion++;
    state.current = null;
    this.#record(state, { version: state.lastVersion, time: this.#now(), dtab: null, ...withMessage(options.message) });
    this.#feed.publish(ns, null);
    this.#feed.publishList(this.#names());
  }

  async history(ns: string): Promise<HistoryEntry[]> {
    assertNamespace(ns);
    return [...(this.#namespaces.get(ns)?.history ?? [])].reverse();
  }

  watch(ns: string): Activity<VersionedDtab | null> {
    assertNamespace(ns);
    return this.#feed.watch(ns, async () => this.#namespaces.get(ns)?.current ?? null);
  }

  watchList(): Activity<string[]> {
    return this.#feed.watchList(async () => this.#names());
  }

  async close(): Promise<void> {}

  #names(): string[] {
    return [...this.#namespaces.entries()]
      .filter(([, s]) => s.current !== null)
      .map(([ns]) => ns)
      .sort();
  }

  #write(ns: string, dtab: Dtab, options: WriteOptions): VersionedDtab {
    let state = this.#namespaces.get(ns);
    if (state === undefined) {
      state = { current: null, history: [], lastVersion: 0 };
      this.#namespaces.set(ns, state);
    }
    const created = state.current === null;
    const version = ++state.lastVersion;
    const written: VersionedDtab = { namespace: ns, version, dtab, time: this.#now(), ...withMessage(options.message) };
    state.current = written;
    this.#record(state, { version, time: written.time, dtab, ...withMessage(options.message) });
    this.#feed.publish(ns, written);
    if (created) this.#feed.publishList(this.#names());
    return written;
  }

  #record(state: Namespace, entry: HistoryEntry): void {
    state.history.push(entry);
    if (state.history.length > this.#historyLimit) state.history.splice(0, state.history.length - this.#historyLimit);
  }
}

export function withMessage(message: string | undefined): { message?: string } {
  return message === undefined || message === '' ? {} : { message };
}
