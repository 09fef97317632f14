/**
 * The Redis store (`--store redis://host:port/db`): the only code that talks to Redis for dtabs,
 * and the store for several namerd replicas sharing one state. Writes are Lua scripts
 * (src/store/redis-scripts.ts), atomic inside Redis, that also PUBLISH the new version with its
 * value; every replica subscribes, so a watcher on any replica sees every change, in the order
 * Redis applied them. Pub/sub forgets what it could not deliver, so after every (re)connect a
 * replica re-reads each watched namespace and the name list; versions already delivered are
 * dropped, so nothing is lost and nothing repeats. While Redis is down every call fails at once
 * with SY_ERR_STORE_UNAVAILABLE (503) instead of queueing.
 *
 * A Redis can also come back empty (no persistence, FLUSHALL). Every script reply and change
 * message names the store's epoch (src/store/redis-scripts.ts); a new epoch means the data this
 * replica knew is gone, so it forgets what it delivered, re-reads everything watched and hands
 * watchers the new truth. Versions keep growing across the loss: each write carries the highest
 * version this replica has seen of its namespace as a floor for the counter.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { Dtab } from '../dtab/dtab.js';
import { createError, SwitchyardError } from '../errors.js';
import type { Activity } from '../naming/activity.js';
import { ChangeFeed } from './change-feed.js';
import { DEFAULT_HISTORY_LIMIT, type DtabStore, type WriteOptions } from './dtab-store.js';
import { withMessage } from './memory-store.js';
import { assertNamespace } from './namespace.js';
import { EpochTracker, newEpoch } from './redis-epoch.js';
import {
  type ChangeMessage,
  decodeChangeMessage,
  decodeHistoryEntry,
  READ_SCRIPT,
  WRITE_SCRIPT,
} from './redis-scripts.js';
import type { HistoryEntry, VersionedDtab } from './versioned-dtab.js';

export interface RedisStoreOptions {
  readonly historyLimit?: number;
  /** Prefix of every key and of the change channel, so several deployments can share a Redis. */
  readonly prefix?: string;
  /** How long a connection attempt and a command may take before the call fails with 503. */
  readonly timeoutMs?: number;
  /** Time source, for tests. */
  readonly now?: () => number;
}

/** A value a watcher may be given, with the version it stands for (a deletion's, when null). */
interface Change {
  readonly version: number;
  readonly value: VersionedDtab | null;
}

type WriteMode = 'create' | 'update' | 'put' | 'delete';
type WriteReply = [status: string, version: number | string, epoch: string];
type ReadReply = [
  last: string,
  version: string | null,
  text: string | null,
  time: string | null,
  message: string | null,
  epoch: string,
];
interface Scripts {
  dtabWrite(...args: (string | number)[]): Promise<WriteReply>;
  dtabRead(...keys: string[]): Promise<ReadReply>;
}

export class RedisDtabStore implements DtabStore {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #feed = new ChangeFeed();
  readonly #where: string;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #historyLimit: number;
  readonly #now: () => number;
  /** Per namespace, the newest change handed to the feed; older or equal ones are dropped. */
  readonly #delivered = new Map<string, Change>();
  /** Messages that arrive while a namespace is being read wait here, so they are not overtaken by the read. */
  readonly #reading = new Map<string, Set<Change[]>>();
  /** Which data this replica is looking at, and the version floors that outlive its loss. */
  readonly #epochs = new EpochTracker();
  /** Set after a data loss until a resync has handed every watcher the new state. */
  #resyncForced = false;
  #subscribed = false;
  #closed = false;
  #lastError: Error | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;

  private constructor(url: string, options: RedisStoreOptions) {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed?.protocol !== 'redis:') {
      throw createError('SY_ERR_INVALID_ARGUMENT', [`A Redis store URL looks like redis://host:port/db, not ${url}`]);
    }
    this.#where = `redis ${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
    this.#prefix = options.prefix ?? 'switchyard:';
    this.#channel = `${this.#prefix}changes`;
    this.#historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.#now = options.now ?? Date.now;
    const timeout = options.timeoutMs ?? 1000;
    const redisOptions: RedisOptions = {
      // Fail fast while disconnected: a namerd that queues requests hangs its clients.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A write whose connection dropped has an unknown outcome: report it, never resend it.
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      connectTimeout: timeout,
      commandTimeout: timeout,
      retryStrategy: (attempt) => (this.#closed ? null : Math.min(50 * attempt, 500)),
    };
    this.#cmd = new Redis(url, redisOptions);
    this.#sub = new Redis(url, redisOptions);
    this.#cmd.defineCommand('dtabWrite', { numberOfKeys: 5, lua: WRITE_SCRIPT });
    this.#cmd.defineCommand('dtabRead', { numberOfKeys: 3, lua: READ_SCRIPT });
    for (const conn of [this.#cmd, this.#sub]) conn.on('error', (error: Error) => (this.#lastError = error));
    this.#cmd.on('ready', () => void this.#resync());
    this.#sub.on('ready', () => void this.#subscribe());
    this.#sub.on('close', () => (this.#subscribed = false));
    this.#sub.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#onMessage(text);
    });
  }

  /** Connects, waiting up to `timeoutMs` for Redis; a store opened while Redis is down answers 503 until it is up. */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisDtabStore> {
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) {
      throw createError('SY_ERR_INVALID_ARGUMENT', [`historyLimit must be a positive integer, not ${historyLimit}`]);
    }
    const store = new RedisDtabStore(url, options);
    const deadline = Date.now() + (options.timeoutMs ?? 1000);
    while (!store.#isReady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return store;
  }

  async list(): Promise<string[]> {
    return (await this.#call(() => this.#cmd.smembers(this.#key('namespaces')))).sort();
  }

  async get(ns: string): Promise<VersionedDtab | null> {
    return (await this.#readChange(ns)).value;
  }

  async getVersion(ns: string, version: number): Promise<VersionedDtab | null> {
    const entry = (await this.history(ns)).find((h) => h.version === version);
    if (entry === undefined || entry.dtab === null) return null;
    return { namespace: ns, version, dtab: entry.dtab, time: entry.time, ...withMessage(entry.message) };
  }

  create(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#writeDtab('create', ns, dtab, 0, options);
  }

  update(ns: string, dtab: Dtab, expectedVersion: number, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#writeDtab('update', ns, dtab, expectedVersion, options);
  }

  put(ns: string, dtab: Dtab, options: WriteOptions = {}): Promise<VersionedDtab> {
    return this.#writeDtab('put', ns, dtab, 0, options);
  }

  async delete(ns: string, options: WriteOptions = {}): Promise<void> {
    await this.#write('delete', ns, '', 0, this.#now(), options.message ?? '');
  }

  async history(ns: string): Promise<HistoryEntry[]> {
    assertNamespace(ns);
    const items = await this.#call(() => this.#cmd.lrange(this.#key('history', ns), 0, -1));
    return items.map(decodeHistoryEntry);
  }

  watch(ns: string): Activity<VersionedDtab | null> {
    assertNamespace(ns);
    return this.#feed.watch(ns, async () => {
      const { change, buffered } = await this.#readBuffered(ns);
      let best = change;
      for (const c of [...buffered, this.#delivered.get(ns)]) if (c !== undefined && c.version > best.version) best = c;
      this.#delivered.set(ns, best);
      return best.value;
    });
  }

  watchList(): Activity<string[]> {
    return this.#feed.watchList(() => this.list());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#resyncTimer);
    if (this.#cmd.status === 'ready') await this.#cmd.quit().catch(() => {});
    this.#cmd.disconnect();
    this.#sub.disconnect();
  }

  async #writeDtab(mode: WriteMode, ns: string, dtab: Dtab, expected: number, options: WriteOptions) {
    const time = this.#now();
    const version = await this.#write(mode, ns, dtab.show(), expected, time, options.message ?? '');
    const written: VersionedDtab = { namespace: ns, version, dtab, time, ...withMessage(options.message) };
    return written;
  }

  async #write(mode: WriteMode, ns: string, text: string, expected: number, time: number, message: string) {
    assertNamespace(ns);
    const keys = [
      this.#key('epoch'),
      this.#key('dtab', ns),
      this.#key('history', ns),
      this.#key('last', ns),
      this.#key('namespaces'),
    ];
    const floor = this.#epochs.floor(ns);
    const args = [newEpoch(), mode, ns, text, String(time), message, String(expected), this.#historyLimit];
    const [status, version, epoch] = await this.#call(() =>
      (this.#cmd as unknown as Scripts).dtabWrite(...keys, ...args, this.#channel, floor),
    );
    this.#noteEpoch(epoch);
    this.#epochs.see(ns, Number(version));
    if (status === 'exists') throw createError('SY_ERR_NAMESPACE_EXISTS', [ns]);
    if (status === 'notfound') throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
    if (status === 'mismatch') throw createError('SY_ERR_VERSION_MISMATCH', [ns, expected, version]);
    return Number(version);
  }

  /** The current value with its version, read atomically. */
  async #readChange(ns: string): Promise<Change> {
    assertNamespace(ns);
    const keys = [this.#key('epoch'), this.#key('dtab', ns), this.#key('last', ns)];
    const [last, version, text, time, message, epoch] = await this.#call(() =>
      (this.#cmd as unknown as Scripts).dtabRead(...keys, newEpoch()),
    );
    this.#noteEpoch(epoch);
    this.#epochs.see(ns, Number(last));
    if (version === null || text === null) return { version: Number(last), value: null };
    const entry = {
      version: Number(version),
      time: Number(time),
      dtab: Dtab.read(text),
      ...withMessage(message ?? ''),
    };
    return { version: entry.version, value: { namespace: ns, ...entry } };
  }

  /** Reads `ns`, keeping the messages that arrive meanwhile for the caller to order against the read. */
  async #readBuffered(ns: string): Promise<{ change: Change; buffered: Change[] }> {
    const buffered: Change[] = [];
    const buffers = this.#reading.get(ns) ?? new Set();
    this.#reading.set(ns, buffers);
    buffers.add(buffered);
    try {
      return { change: await this.#readChange(ns), buffered };
    } finally {
      buffers.delete(buffered);
      if (buffers.size === 0) this.#reading.delete(ns);
    }
  }

  #onMessage(text: string): void {
    let msg: ChangeMessage;
    try {
      msg = decodeChangeMessage(text);
    } catch {
      return; // not ours (another program on the channel); the next resync reads the truth anyway
    }
    const { ns, entry } = msg;
    if (msg.epoch !== undefined && msg.epoch !== this.#epochs.current) {
      // Late news from data that is gone: the re-read after the loss already told the truth.
      if (this.#epochs.isRetired(msg.epoch)) return;
      // A write to data this replica has not read yet: the re-read it starts covers this change.
      if (this.#noteEpoch(msg.epoch)) return;
    }
    this.#epochs.see(ns, entry.version);
    const change = {
      version: entry.version,
      value: entry.dtab === null ? null : { namespace: ns, ...entry, dtab: entry.dtab },
    };
    if (msg.listChanged) void this.#refreshList();
    const buffers = this.#reading.get(ns);
    if (buffers !== undefined) for (const b of buffers) b.push(change);
    else this.#deliver(ns, change);
  }

  /** `force`: the value read right after a data loss, which every watcher must get whatever its number. */
  #deliver(ns: string, change: Change, force = false): void {
    if (!this.#feed.isWatched(ns)) {
      this.#delivered.delete(ns);
      return;
    }
    const last = this.#delivered.get(ns);
    if (!force && last !== undefined && change.version <= last.version) return;
    this.#delivered.set(ns, change);
    this.#feed.publish(ns, change.value, force);
  }

  /**
   * Every reply names the epoch it came from. A different one than before means Redis lost the
   * data this replica knew: what it delivered describes a history that no longer exists, so it
   * forgets it (synchronously, so the read that noticed already answers from the new data) and
   * re-reads everything watched, handing watchers the new truth even where a number repeats.
   */
  #noteEpoch(epoch: string): boolean {
    if (!this.#epochs.note(epoch)) return false;
    this.#delivered.clear();
    void this.#resync(true);
    return true;
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#sub.subscribe(this.#channel);
      this.#subscribed = true;
      await this.#resync();
    } catch {
      // The connection dropped again; its next 'ready' subscribes again.
    }
  }

  /**
   * Catches up on whatever pub/sub could not deliver while a connection was down: re-reads every
   * watched namespace and the name list once both connections are up. Retried while it fails;
   * `afterLoss` (sticky until a resync succeeds) hands every watcher the value read.
   */
  async #resync(afterLoss = false): Promise<void> {
    this.#resyncForced ||= afterLoss;
    if (!this.#isReady() || this.#closed) return;
    clearTimeout(this.#resyncTimer);
    const force = this.#resyncForced;
    try {
      await Promise.all([
        ...this.#feed.watchedNamespaces().map((ns) => this.#refresh(ns, force)),
        this.#refreshList(true, force),
      ]);
      if (force) this.#resyncForced = false;
    } catch {
      if (!this.#closed) this.#resyncTimer = setTimeout(() => void this.#resync(), 250);
    }
  }

  async #refresh(ns: string, force: boolean): Promise<void> {
    const { change, buffered } = await this.#readBuffered(ns);
    if (force) this.#deliver(ns, change, true);
    for (const c of [change, ...buffered].sort((a, b) => a.version - b.version)) this.#deliver(ns, c);
  }

  async #refreshList(rethrow = false, force = false): Promise<void> {
    try {
      this.#feed.publishList(await this.list(), force);
    } catch (error) {
      if (rethrow) throw error;
    }
  }

  #isReady(): boolean {
    return this.#subscribed && this.#cmd.status === 'ready';
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw createError('SY_ERR_STORE_UNAVAILABLE', [`the store for ${this.#where} is closed`]);
    if (this.#cmd.status !== 'ready') {
      const why = this.#lastError?.message ?? this.#cmd.status;
      throw createError('SY_ERR_STORE_UNAVAILABLE', [`${this.#where} is not connected (${why})`]);
    }
    try {
      return await fn();
    } catch (error) {
      if (error instanceof SwitchyardError) throw error;
      throw createError('SY_ERR_STORE_UNAVAILABLE', [`${this.#where}: ${(error as Error).message}`], error);
    }
  }

  #key(kind: string, ns?: string): string {
    return ns === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${ns}`;
  }
}
