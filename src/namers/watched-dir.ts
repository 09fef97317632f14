/**
 * WatchedDir: a directory followed as it changes, the one place the fs namer touches the file
 * system (docs/architecture.md#one-adapter-per-external-system). linkerd's Watcher uses Java's
 * WatchService; here it is fs.watch for low latency plus a periodic re-scan, because fs.watch
 * misses events on network and overlay filesystems, after a directory is replaced, and when
 * Kubernetes swaps a ConfigMap's `..data` symlink. Nothing runs until someone observes (Var.async)
 * and everything stops when the last observer closes, so an unused namer costs nothing.
 */
import { type FSWatcher, watch } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ActivityState, failed, ok } from '../naming/activity.js';
import { type Closable, Var } from '../naming/var.js';

export type EntryKind = 'file' | 'dir';
export type Listing = ReadonlyMap<string, EntryKind>;

export type FileState =
  | { readonly type: 'pending' }
  | { readonly type: 'missing' }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'failed'; readonly error: Error };

export interface WatchOptions {
  /** How often the directory is listed again whatever fs.watch says. */
  readonly rescanMs: number;
  /** Use fs.watch as well as re-scans; off for filesystems where it never fires (NFS). */
  readonly watch: boolean;
  /** Larger files fail rather than be read (linkerd's Watcher.MaxFileSize, 500 KB). */
  readonly maxFileBytes: number;
  /** Directories being watched right now, shared by one namer's tree of WatchedDirs. */
  readonly active: { count: number };
}

/** fs.watch fires several events for one write; one re-scan shortly after serves them all. */
const DEBOUNCE_MS = 15;
/** How long a changed file must stay the same before it counts, and how many times to wait for that. */
const SETTLE_MS = 15;
const SETTLE_TRIES = 5;

// Interned states: Var.async drops a value identical to the last, so equal answers are no change.
const PENDING: ActivityState<never> = Object.freeze({ status: 'pending' });
const KINDS: Record<EntryKind | 'none', ActivityState<EntryKind | null>> = {
  file: ok('file'),
  dir: ok('dir'),
  none: ok(null),
};
const FILE_PENDING: FileState = Object.freeze({ type: 'pending' });
const FILE_MISSING: FileState = Object.freeze({ type: 'missing' });

export class WatchedDir {
  /** The directory's regular files and subdirectories (symlinks followed); a vanished directory is empty. */
  readonly listing: Var<ActivityState<Listing>>;
  readonly #onScan = new Set<() => void>();
  readonly #files = new Map<string, Var<FileState>>();
  readonly #children = new Map<string, WatchedDir>();

  constructor(
    readonly dir: string,
    private readonly options: WatchOptions,
  ) {
    this.listing = Var.async<ActivityState<Listing>>(PENDING, (set) => this.#watch(set));
  }

  /**
   * What `name` is right now. It changes only when that name does, so a lookup does not re-bind
   * whenever some other file in the directory comes or goes. Not cached: names come from requests,
   * and a cache keyed by them would grow without bound.
   */
  entry(name: string): Var<ActivityState<EntryKind | null>> {
    return Var.async<ActivityState<EntryKind | null>>(PENDING, (set) => {
      const sub = this.listing.observe((s) => set(s.status === 'ok' ? KINDS[s.value.get(name) ?? 'none'] : s));
      return closeThenForget(sub, set, PENDING);
    });
  }

  /** The text of the file `name`, read again after every scan while observed; shared per file. */
  file(name: string): Var<FileState> {
    let file = this.#files.get(name);
    if (file === undefined) {
      file = Var.async<FileState>(FILE_PENDING, (set) => this.#follow(path.join(this.dir, name), set));
      this.#files.set(name, file);
    }
    return file;
  }

  /** The subdirectory `name`, watched by its own WatchedDir. */
  child(name: string): WatchedDir {
    let child = this.#children.get(name);
    if (child === undefined) {
      child = new WatchedDir(path.join(this.dir, name), this.options);
      this.#children.set(name, child);
    }
    return child;
  }

  #watch(set: (state: ActivityState<Listing>) => void): Closable {
    const { options } = this;
    options.active.count++;
    let stopped = false;
    let current: ActivityState<Listing> = PENDING;
    let watcher: { fsWatcher: FSWatcher; ino: number } | undefined;
    let debounce: NodeJS.Timeout | undefined;

    const unwatch = () => {
      watcher?.fsWatcher.close();
      watcher = undefined;
    };
    const onEvent = () => {
      if (stopped || debounce !== undefined) return;
      debounce = setTimeout(() => {
        debounce = undefined;
        scan();
      }, DEBOUNCE_MS);
    };
    // A directory that was deleted and made again is a new inode, which the old watch never reports on.
    const rearm = async () => {
      const ino = await stat(this.dir).then(
        (s) => (s.isDirectory() ? s.ino : undefined),
        () => undefined,
      );
      if (stopped || !options.watch || ino === watcher?.ino) return;
      unwatch();
      if (ino === undefined) return;
      try {
        const fsWatcher = watch(this.dir, { persistent: false }, onEvent);
        // An error (the directory went away, too many watches) leaves the re-scans to carry on alone.
        fsWatcher.on('error', () => {
          if (watcher?.fsWatcher === fsWatcher) unwatch();
        });
        watcher = { fsWatcher, ino };
      } catch {
        // As above: no watch, the periodic re-scan still sees every change.
      }
    };
    const scan = serialized(async () => {
      await rearm();
      const next = await this.#list();
      if (stopped) return;
      if (!sameListing(current, next)) set((current = next));
      for (const reread of [...this.#onScan]) reread();
    });

    const timer = setInterval(scan, options.rescanMs).unref();
    scan();
    return {
      close: () => {
        stopped = true;
        clearInterval(timer);
        clearTimeout(debounce);
        unwatch();
        options.active.count--;
        // The next observer must not be handed this session's last listing, which may be stale by then.
        set(PENDING);
      },
    };
  }

  async #list(): Promise<ActivityState<Listing>> {
    try {
      const listing = new Map<string, EntryKind>();
      for (const d of await readdir(this.dir, { withFileTypes: true })) {
        const kind = d.isSymbolicLink() ? await kindOf(path.join(this.dir, d.name)) : kindOfDirent(d);
        if (kind !== null) listing.set(d.name, kind);
      }
      return ok(listing);
    } catch (e) {
      return isGone(e) ? ok(new Map()) : failed(e);
    }
  }

  #follow(file: string, set: (state: FileState) => void): Closable {
    let stopped = false;
    let last = FILE_PENDING;
    const reread = serialized(async () => {
      let next = await readText(file, this.options.maxFileBytes);
      // `echo > file` truncates and then writes, so a read can land in between and see an empty or
      // partial file. A change counts once two reads a moment apart agree.
      for (let tries = 0; !stopped && !sameFile(last, next) && tries < SETTLE_TRIES; tries++) {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const again = await readText(file, this.options.maxFileBytes);
        if (sameFile(again, next)) break;
        next = again;
      }
      if (stopped || sameFile(last, next)) return;
      set((last = next));
    });
    this.#onScan.add(reread);
    // The directory's watch and re-scans are what tell this file to read again.
    const keepWatching = this.listing.observe(() => {});
    reread();
    return closeThenForget(
      {
        close: () => {
          stopped = true;
          this.#onScan.delete(reread);
          keepWatching.close();
        },
      },
      set,
      FILE_PENDING,
    );
  }
}

/** Closes `sub`, then resets the Var.async to `initial` so a later observer starts from nothing. */
function closeThenForget<T>(sub: Closable, set: (value: T) => void, initial: T): Closable {
  return {
    close() {
      sub.close();
      set(initial);
    },
  };
}

async function readText(file: string, maxBytes: number): Promise<FileState> {
  try {
    // stat first: opening a FIFO that replaced the file would block.
    if (!(await stat(file)).isFile()) return FILE_MISSING;
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw new Error(`${file} is ${size} bytes, more than the ${maxBytes}-byte limit`);
      return { type: 'text', text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (e) {
    return isGone(e) ? FILE_MISSING : { type: 'failed', error: e instanceof Error ? e : new Error(String(e)) };
  }
}

async function kindOf(target: string): Promise<EntryKind | null> {
  try {
    return kindOfDirent(await stat(target));
  } catch {
    return null; // a dangling symlink names nothing
  }
}

function kindOfDirent(d: { isFile(): boolean; isDirectory(): boolean }): EntryKind | null {
  return d.isFile() ? 'file' : d.isDirectory() ? 'dir' : null;
}

function isGone(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function sameListing(a: ActivityState<Listing>, b: ActivityState<Listing>): boolean {
  if (a.status === 'ok' && b.status === 'ok') {
    if (a.value.size !== b.value.size) return false;
    for (const [name, kind] of a.value) if (b.value.get(name) !== kind) return false;
    return true;
  }
  if (a.status === 'failed' && b.status === 'failed') return a.error.message === b.error.message;
  return a.status === b.status;
}

function sameFile(a: FileState, b: FileState): boolean {
  if (a.type === 'text' && b.type === 'text') return a.text === b.text;
  if (a.type === 'failed' && b.type === 'failed') return a.error.message === b.error.message;
  return a.type === b.type;
}

/** Runs `task` one at a time; calls while it runs fold into one more run afterwards. */
function serialized(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      await task().catch(() => {}); // tasks report their own failures as states
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
