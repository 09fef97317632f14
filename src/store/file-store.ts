/**
 * The file store (`--store file:DIR`), namerd's durable default. Each version is its own file,
 * written atomically (src/store/atomic-file.ts), so after `kill -9` at any moment every
 * acknowledged version is on disk and no file is torn; the current version of a namespace is its
 * highest version file. One process owns the directory (src/store/dir-lock.ts), so it keeps the
 * whole state in memory, reads never touch the disk, and compare-and-set only has to be atomic
 * within the process: writes to one namespace run one at a time, checked against that state.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Dtab } from '../dtab/dtab.js';
import { createError, SwitchyardError } from '../errors.js';
import type { Activity } from '../naming/activity.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { ChangeFeed } from './change-feed.js';
import { DirLock } from './dir-lock.js';
import { DEFAULT_HISTORY_LIMIT, type DtabStore, type WriteOptions } from './dtab-store.js';
import { withMessage } from './memory-store.js';
import { assertNamespace, namespaceProblem } from './namespace.js';
import { encodeVersion, readNamespaceDir, versionFileName } from './version-file.js';
import type { HistoryEntry, VersionedDtab } from './versioned-dtab.js';

export interface FileStoreOptions {
  /** Versions kept per namespace; older version files are deleted. */
  readonly historyLimit?: number;
  /** Time source, for tests. */
  readonly now?: () => number;
}

interface Namespace {
  current: VersionedDtab | null;
  /** Oldest first, mirroring the version files on disk. */
  history: HistoryEntry[];
  lastVersion: number;
  /** Whether the namespace directory is known to exist durably. */
  dirReady: boolean;
}

export class FileDtabStore implements DtabStore {
  readonly #namespaces = new Map<string, Namespace>();
  readonly #feed = new ChangeFeed();
  /** The tail of each namespace's write chain: a promise-chain mutex. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  private constructor(
    readonly dir: string,
    readonly historyLimit: number,
    readonly now: () => number,
    readonly lock: DirLock,
  ) {}

  /** Takes the directory's lock (SY_ERR_STORE_LOCKED when a live process holds it) and loads every namespace. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileDtabStore> {
    const root = path.resolve(dir);
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) {
      throw createError('SY_ERR_INVALID_ARGUMENT', [`historyLimit must be a positive integer, not ${historyLimit}`]);
    }
    await unavailableOnError(`cannot create ${root}`, () => mkdir(root, { recursive: true }));
    const lock = await unavailableOnError(`cannot lock ${root}`, () => DirLock.acquire(root));
    const store = new FileDtabStore(root, historyLimit, options.now ?? Date.now, lock);
    try {
      await unavailableOnError(`cannot read ${root}`, () => store.#load());
    } catch (error) {
      await lock.release();
      throw error;
    }
    return store;
  }

  async list(): Promise<string[]> {
    this.#assertOpen();
    return this.#names();
  }

  async get(ns: string): Promise<VersionedDtab | null> {
    assertNamespace(ns);
    this.#assertOpen();
    return this.#namespaces.get(ns)?.current ?? null;
  }

  async getVersion(ns: string, version: number): Promise<VersionedDtab | null> {
    assertNamespace(ns);
    this.#assertOpen();
    const entry = this.#namespaces.get(ns)?.history.find((h) => h.version === version);
    if (entry === undefined || entry.dtab === null) return null;
    return { namespace: ns, version, dtab: entry.dtab, time: entry.time, ...withMessage(entry.message) };
  }

  async create(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#exclusive(ns, async (state) => {
      if (state.current !== null) throw createError('SY_ERR_NAMESPACE_EXISTS', [ns]);
      return this.#commitDtab(ns, state, dtab, options);
    });
  }

  async update(ns: string, dtab: Dtab, expectedVersion: number, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#exclusive(ns, async (state) => {
      if (state.current === null) throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
      if (state.current.version !== expectedVersion) {
        throw createError('SY_ERR_VERSION_MISMATCH', [ns, expectedVersion, state.current.version]);
      }
      return this.#commitDtab(ns, state, dtab, options);
    });
  }

  async put(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#exclusive(ns, (state) => this.#commitDtab(ns, state, dtab, options));
  }

  async delete(ns: string, options: WriteOptions = {}): Promise<void> {
    return this.#exclusive(ns, async (state) => {
      if (state.current === null) throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
      const entry = { version: state.lastVersion + 1, time: this.now(), dtab: null, ...withMessage(options.message) };
      await this.#commit(ns, state, entry, null);
    });
  }

  async history(ns: string): Promise<HistoryEntry[]> {
    assertNamespace(ns);
    this.#assertOpen();
    return [...(this.#namespaces.get(ns)?.history ?? [])].reverse();
  }

  watch(ns: string): Activity<VersionedDtab | null> {
    assertNamespace(ns);
    return this.#feed.watch(ns, async () => this.#namespaces.get(ns)?.current ?? null);
  }

  watchList(): Activity<string[]> {
    return this.#feed.watchList(async () => this.#names());
  }

  /** Waits for writes in flight, then releases the directory's lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#queues.values()]);
    await this.lock.release();
  }

  async #load(): Promise<void> {
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      // Namespace names start with a letter or digit, so `.lock` and temp files never look like one.
      if (!entry.isDirectory() || namespaceProblem(entry.name) !== null) continue;
      const nsDir = path.join(this.dir, entry.name);
      const history = await readNamespaceDir(nsDir);
      const last = history[history.length - 1];
      if (last === undefined) continue; // a directory whose first write never completed
      const state: Namespace = { current: null, history, lastVersion: last.version, dirReady: true };
      if (last.dtab !== null) state.current = { namespace: entry.name, ...last, dtab: last.dtab };
      await this.#prune(nsDir, state);
      this.#namespaces.set(entry.name, state);
    }
  }

  /** Runs `fn` after every earlier write to `ns` has settled, so its checks and its write are one step. */
  #exclusive<T>(ns: string, fn: (state: Namespace) => Promise<T>): Promise<T> {
    assertNamespace(ns);
    this.#assertOpen();
    // A write queued before close() still runs: close() waits for it before releasing the lock.
    const run = async (): Promise<T> => {
      let state = this.#namespaces.get(ns);
      if (state === undefined) {
        state = { current: null, history: [], lastVersion: 0, dirReady: false };
        this.#namespaces.set(ns, state);
      }
      return fn(state);
    };
    const result = (this.#queues.get(ns) ?? Promise.resolve()).then(run);
    const tail = result.catch(() => {});
    this.#queues.set(ns, tail);
    void tail.then(() => {
      if (this.#queues.get(ns) === tail) this.#queues.delete(ns);
    });
    return result;
  }

  async #commitDtab(ns: string, state: Namespace, dtab: Dtab, options: WriteOptions): Promise<VersionedDtab> {
    const entry = { version: state.lastVersion + 1, time: this.now(), dtab, ...withMessage(options.message) };
    const written: VersionedDtab = { namespace: ns, ...entry };
    await this.#commit(ns, state, entry, written);
    return written;
  }

  /**
   * Makes the version durable, and only then changes the in-memory state and tells watchers:
   * a write that fails leaves everything as it was. (If it fails after the rename, the unacknowledged
   * file may survive; the next write reuses its number and replaces it.)
   */
  async #commit(ns: string, state: Namespace, entry: HistoryEntry, current: VersionedDtab | null): Promise<void> {
    const nsDir = path.join(this.dir, ns);
    await unavailableOnError(`cannot write ${ns}`, async () => {
      if (!state.dirReady) {
        await mkdir(nsDir, { recursive: true });
        await fsyncDir(this.dir);
        state.dirReady = true;
      }
      await writeFileAtomic(path.join(nsDir, versionFileName(entry.version)), encodeVersion(entry));
    });
    const listChanged = (state.current === null) !== (current === null);
    state.lastVersion = entry.version;
    state.current = current;
    state.history.push(entry);
    await this.#prune(nsDir, state);
    this.#feed.publish(ns, current);
    if (listChanged) this.#feed.publishList(this.#names());
  }

  /** Drops versions beyond the limit. Best effort: a file left behind is pruned at the next open. */
  async #prune(nsDir: string, state: Namespace): Promise<void> {
    const excess = state.history.length - this.historyLimit;
    if (excess <= 0) return;
    for (const old of state.history.splice(0, excess)) {
      await unlink(path.join(nsDir, versionFileName(old.version))).catch(() => {});
    }
  }

  #names(): string[] {
    return [...this.#namespaces.entries()]
      .filter(([, s]) => s.current !== null)
      .map(([ns]) => ns)
      .sort();
  }

  #assertOpen(): void {
    if (this.#closed) throw createError('SY_ERR_STORE_UNAVAILABLE', [`the file store ${this.dir} is closed`]);
  }
}

/** File-system failures (ENOSPC, EACCES, EIO, …) surface as SY_ERR_STORE_UNAVAILABLE (503), with the cause kept. */
async function unavailableOnError<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SwitchyardError) throw error;
    throw createError('SY_ERR_STORE_UNAVAILABLE', [`${what}: ${(error as Error).message}`], error);
  }
}
