/**
 * `--dtab FILE`: the base dtab from a file an operator (or a ConfigMap) edits. Read once at
 * start, synchronously, so the router knows before it binds a port whether it has a dtab; a
 * missing or invalid file then is `failed` with `file:line:col: message`. Afterwards the file is
 * watched: fs.watch on the directory (a watch on the file itself would go deaf when an editor or
 * `namectl dtab fmt --write` renames a new file over it) plus a re-stat every second, because
 * fs.watch misses changes on some file systems and symlink swaps (Kubernetes ConfigMaps) happen
 * under another name. A bad edit never takes effect: the last good dtab keeps routing, marked
 * stale with the error's position, until the file is fixed.
 */
import { type FSWatcher, readFileSync, type Stats, statSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Dtab } from '../../dtab/dtab.js';
import { DtabSyntaxError } from '../../errors.js';
import { type Cell, Var } from '../../naming/var.js';
import type { Logger } from '../../telemetry/logger.js';
import {
  type BaseDtabSnapshot,
  type BaseDtabSource,
  type BaseDtabState,
  contentVersion,
  describeParseError,
} from './base-dtab.js';

export interface FileDtabSourceOptions {
  readonly file: string;
  readonly logger: Logger;
  /** How often the file is re-stat'ed in case fs.watch missed a change (default 1000 ms). */
  readonly pollMs?: number;
  /** Quiet time after a change event before reading, so a file being written is read whole (default 25 ms). */
  readonly settleMs?: number;
}

/** Changes when the file is replaced (inode) or rewritten (size, times). */
function signature(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

const MISSING = 'missing';

export class FileDtabSource implements BaseDtabSource {
  readonly #file: string;
  readonly #source: string;
  readonly #log: Logger;
  readonly #pollMs: number;
  readonly #settleMs: number;
  readonly #cell: Cell<BaseDtabState>;
  /** The text behind the current snapshot, to ignore events that changed nothing. */
  #goodText: string | undefined;
  #signature: string | undefined;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  #started = false;
  #closed = false;

  constructor(options: FileDtabSourceOptions) {
    this.#file = path.resolve(options.file);
    this.#source = `file:${this.#file}`;
    this.#log = options.logger;
    this.#pollMs = options.pollMs ?? 1000;
    this.#settleMs = options.settleMs ?? 25;
    this.#cell = Var.cell<BaseDtabState>({ status: 'pending', reason: `${this.#file} not read yet` });
  }

  get state(): Var<BaseDtabState> {
    return this.#cell;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    try {
      // Stat before reading: a change in between then shows up as a signature mismatch later.
      this.#signature = signature(statSync(this.#file));
      this.#apply(readFileSync(this.#file, 'utf8'));
    } catch (e) {
      this.#signature = MISSING;
      this.#unreadable(e);
    }
    this.#watch();
    this.#poll = setInterval(() => this.#check(), this.#pollMs);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    clearTimeout(this.#settle);
    await this.#reading;
  }

  #watch(): void {
    if (this.#closed || this.#watcher !== undefined) return;
    const base = path.basename(this.#file);
    try {
      this.#watcher = watch(path.dirname(this.#file), { persistent: false }, (_event, name) => {
        // Some platforms do not say which file changed; then any change may be ours.
        if (name === null || name === base) this.#changed();
      });
      this.#watcher.on('error', () => {
        // The directory went away or the watch broke: the poll re-creates it and keeps checking.
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      // No directory yet (or no inotify left): the poll still notices changes, and retries the watch.
    }
  }

  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#reload(), this.#settleMs);
  }

  #check(): void {
    if (this.#closed) return;
    this.#watch();
    stat(this.#file).then(
      (s) => {
        if (signature(s) !== this.#signature) this.#reload();
      },
      () => {
        if (this.#signature !== MISSING) this.#reload();
      },
    );
  }

  /** One read at a time; a change during a read triggers exactly one more. */
  #reload(): void {
    if (this.#closed) return;
    if (this.#reading !== undefined) {
      this.#again = true;
      return;
    }
    this.#reading = (async () => {
      do {
        this.#again = false;
        await this.#readOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#reading = undefined;
    });
  }

  async #readOnce(): Promise<void> {
    let text: string;
    try {
      const s = await stat(this.#file);
      text = await readFile(this.#file, 'utf8');
      this.#signature = signature(s);
    } catch (e) {
      this.#signature = MISSING;
      if (!this.#closed) this.#unreadable(e);
      return;
    }
    if (!this.#closed) this.#apply(text);
  }

  #apply(text: string): void {
    const current = this.#cell.sample();
    if (text === this.#goodText && current.status === 'ok') {
      // Same dtab as before (a touch, or a bad edit reverted): only clear a stale mark.
      if (current.stale !== undefined) this.#ok(current.snapshot, 'base dtab file valid again');
      return;
    }
    let dtab: Dtab;
    try {
      dtab = Dtab.read(text);
    } catch (e) {
      this.#problem(describeParseError(this.#file, e), e);
      return;
    }
    this.#goodText = text;
    const snapshot = { dtab, source: this.#source, version: contentVersion(text), updatedAt: Date.now() };
    this.#ok(snapshot, 'base dtab loaded');
  }

  #ok(snapshot: BaseDtabSnapshot, msg: string): void {
    this.#cell.set({ status: 'ok', snapshot });
    this.#log.info({ file: this.#file, version: snapshot.version, dentries: snapshot.dtab.size }, msg);
  }

  #unreadable(e: unknown): void {
    const code = (e as NodeJS.ErrnoException).code;
    this.#problem(`${this.#file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, e);
  }

  /**
   * Before any good dtab the source has failed; after one, the last good dtab stays in force and
   * is marked stale, so a typo in an edit never takes routing down.
   */
  #problem(message: string, cause: unknown): void {
    const current = this.#cell.sample();
    const position = cause instanceof DtabSyntaxError ? { line: cause.line, column: cause.column } : {};
    if (current.status !== 'ok') {
      if (current.status === 'failed' && current.error.message === message) return;
      this.#cell.set({ status: 'failed', error: new Error(message, { cause }) });
      this.#log.error({ file: this.#file, ...position, error: message }, 'base dtab file unusable');
      return;
    }
    const stale = `${message} (still routing on the last good dtab, ${current.snapshot.version})`;
    if (current.stale === stale) return;
    this.#cell.set({ status: 'ok', snapshot: current.snapshot, stale });
    this.#log.warn(
      { file: this.#file, ...position, error: message, version: current.snapshot.version },
      'base dtab file invalid; keeping the last good dtab',
    );
  }
}
