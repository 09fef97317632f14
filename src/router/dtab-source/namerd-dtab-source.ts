/**
 * `--namerd URL --namespace NS`: the base dtab from namerd's ndjson watch (GET
 * /api/1/dtabs/NS?watch=true, `Accept: application/x-ndjson`). namerd sends the current state
 * first and then one event per change, with heartbeats in between. The router must keep routing
 * through any namerd trouble (docs/router.md#where-the-base-dtab-comes-from), so nothing here ever
 * takes a dtab away:
 * - the stream ending, a connection error, a non-200 answer, or no line at all for the heartbeat
 *   timeout (a half-open connection that no error would reveal, linkerd#2249) all reconnect with
 *   jittered exponential backoff, keeping the last dtab marked stale; the first event after a
 *   reconnect resyncs and clears the mark;
 * - a deleted namespace keeps the last dtab, marked stale (as linkerd does: namerd's own watch
 *   format sends nothing on deletion). Deleting by accident must not black-hole a mesh; an
 *   operator who wants no routes writes an empty dtab;
 * - with a last-known-good cache, a router that starts while namerd is unreachable (or while the
 *   namespace does not exist) routes on the cached dtab, marked stale, instead of staying unready.
 */
import { Agent, request } from 'undici';
import { Dtab } from '../../dtab/dtab.js';
import { type Cell, Var } from '../../naming/var.js';
import type { Logger } from '../../telemetry/logger.js';
import { type BaseDtabSnapshot, type BaseDtabSource, type BaseDtabState, describeParseError } from './base-dtab.js';
import { LastKnownGoodCache } from './last-known-good.js';
import { parseEvent, readLines, type WatchEvent } from './watch-stream-reader.js';

export interface NamerdDtabSourceOptions {
  /** namerd's base URL, e.g. `http://namerd:4180` (a path prefix is kept). */
  readonly url: string;
  readonly namespace: string;
  readonly logger: Logger;
  /** `--dtab-cache FILE`: last-known-good dtab written on every update, served when namerd is down at start. */
  readonly cacheFile?: string;
  /** With no line (event or heartbeat) for this long the connection is presumed dead (default 30 s, 3 × namerd's heartbeat). */
  readonly heartbeatTimeoutMs?: number;
  /** Reconnect delays double from minMs up to maxMs, each jittered down by up to half (default 100 ms → 10 s). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  /** The User-Agent of each watch request, asked at every connect (namerd's admin page names watchers by it). */
  readonly userAgent?: () => string;
}

const NDJSON = 'application/x-ndjson';

export class NamerdDtabSource implements BaseDtabSource {
  readonly #watchUrl: string;
  readonly #source: string;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #cache: LastKnownGoodCache | undefined;
  readonly #heartbeatTimeoutMs: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #userAgent: () => string;
  readonly #cell: Cell<BaseDtabState>;
  // A dispatcher of our own, so close() can tear down the watch's socket whatever state it is in.
  readonly #agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, pipelining: 0 });
  #loop: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #cacheTried = false;
  /** When the current outage began (undefined while the watch is healthy). */
  #downSince: number | undefined;
  /** Why the current dtab may be out of date, beyond the connection itself (deleted namespace, cache). */
  #origin: string | undefined;
  /** The version number of the last dtab event, to notice when namerd's numbering starts over. */
  #lastNumber: number | undefined;

  constructor(options: NamerdDtabSourceOptions) {
    const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    const url = new URL(`api/1/dtabs/${encodeURIComponent(options.namespace)}?watch=true`, base);
    this.#watchUrl = url.href;
    this.#source = `namerd:${new URL(base).origin}${new URL(base).pathname.replace(/\/$/, '')}/${options.namespace}`;
    this.#namespace = options.namespace;
    this.#log = options.logger.child({ namerd: new URL(base).origin, namespace: options.namespace });
    this.#cache =
      options.cacheFile === undefined
        ? undefined
        : new LastKnownGoodCache(options.cacheFile, options.namespace, this.#log);
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
    this.#userAgent = options.userAgent ?? (() => 'switchyard-router');
    this.#minMs = options.backoff?.minMs ?? 100;
    this.#maxMs = Math.max(this.#minMs, options.backoff?.maxMs ?? 10_000);
    this.#cell = Var.cell<BaseDtabState>({
      status: 'pending',
      reason: `waiting for namespace "${options.namespace}" from namerd at ${new URL(base).origin}`,
    });
  }

  get state(): Var<BaseDtabState> {
    return this.#cell;
  }

  start(): void {
    if (this.#loop !== undefined || this.#closed) return;
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort(new Error('closed'));
    this.#wake?.();
    await this.#loop;
    await this.#cache?.flush();
    await this.#agent.destroy();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      const synced = await this.#watchOnce();
      if (this.#closed) break;
      // A stream that delivered the state was a working connection: start the backoff over.
      if (synced) attempt = 0;
      await this.#sleep(this.#delay(attempt++));
    }
  }

  /** Exponential, capped, with "equal jitter" so a fleet of routers does not reconnect in step. */
  #delay(attempt: number): number {
    const ceiling = Math.min(this.#maxMs, this.#minMs * 2 ** Math.min(attempt, 30));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One connection, from request to the stream's end; true if it delivered the namespace's state. */
  async #watchOnce(): Promise<boolean> {
    const abort = new AbortController();
    this.#abort = abort;
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        abort.abort(new Error('heartbeat timeout'));
      }, this.#heartbeatTimeoutMs);
      timer.unref();
    };
    let synced = false;
    let body: { destroy(): unknown } | undefined;
    try {
      // The watchdog covers connecting and waiting for headers too: a peer that accepts and says nothing is dead.
      arm();
      const res = await request(this.#watchUrl, {
        dispatcher: this.#agent,
        headers: { accept: NDJSON, 'user-agent': this.#userAgent() },
        signal: abort.signal,
      });
      body = res.body;
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).trim().slice(0, 300);
        throw new Error(`namerd answered ${res.statusCode}${text === '' ? '' : `: ${text}`}`);
      }
      for await (const line of readLines(res.body)) {
        arm();
        const event = parseEvent(line);
        if (event.type === 'dtab' || event.type === 'deleted') synced = true;
        // Awaited, so events apply in order even when one has to read the cache.
        await this.#handle(event);
      }
      throw new Error('namerd ended the watch stream');
    } catch (e) {
      if (!this.#closed) {
        const error = silent
          ? new Error(`no line from namerd for ${this.#heartbeatTimeoutMs} ms (heartbeat timeout)`)
          : (e as Error);
        await this.#disconnected(error);
      }
    } finally {
      clearTimeout(timer);
      body?.destroy();
    }
    return synced;
  }

  #handle(event: WatchEvent): void | Promise<void> {
    switch (event.type) {
      case 'heartbeat':
        return;
      case 'dtab':
        return this.#dtab(event.dtab, event.version, event.number, event.message);
      case 'deleted':
        return this.#deleted();
      case 'error':
        // namerd's store failed; namerd ends the stream after this line, and we reconnect.
        throw new Error(`namerd: ${event.message}`);
      case 'unknown':
        if (event.json) {
          this.#log.debug({ line: event.line.slice(0, 300) }, 'unknown watch event skipped');
          return;
        }
        throw new Error(`unexpected line from namerd: ${event.line.slice(0, 300)}`);
    }
  }

  #dtab(text: string, version: string, number: number | undefined, message: string | undefined): void {
    let dtab: Dtab;
    try {
      dtab = Dtab.read(text);
    } catch (e) {
      // namerd validates writes, so this is a version mismatch between namerd and router: keep the last dtab.
      this.#markStale(describeParseError(`namerd version ${version}`, e));
      this.#log.error({ version, error: (e as Error).message }, 'namerd sent a dtab this router cannot parse');
      return;
    }
    const current = this.#cell.sample();
    const previous = current.status === 'ok' ? current.snapshot : undefined;
    const outage = this.#downSince === undefined ? undefined : Date.now() - this.#downSince;
    this.#downSince = undefined;
    this.#origin = undefined;
    const same = previous !== undefined && previous.version === version && previous.dtab.show() === dtab.show();
    const fromNamerd = previous?.source === this.#source;
    if (same && fromNamerd && current.status === 'ok' && current.stale === undefined) return;
    // An unchanged dtab keeps its object, so caches keyed by it survive a resync.
    const snapshot: BaseDtabSnapshot =
      same && fromNamerd
        ? previous
        : {
            dtab: previous?.dtab.show() === dtab.show() ? previous.dtab : dtab,
            source: this.#source,
            version,
            updatedAt: Date.now(),
          };
    this.#cell.set({ status: 'ok', snapshot });
    this.#cache?.save(snapshot);
    const fields = { version, number, message, dentries: dtab.size, previous: previous?.version };
    // Versions are not an order the router enforces: namerd's state is the truth, even when its
    // numbers start over (its store lost its data, or a new namerd came up on an empty one).
    if (number !== undefined && this.#lastNumber !== undefined && number < this.#lastNumber) {
      this.#log.warn(
        { ...fields, previousNumber: this.#lastNumber },
        "namerd's version went backwards (its store was reset or replaced); taking its dtab",
      );
    }
    if (number !== undefined) this.#lastNumber = number;
    if (outage !== undefined) this.#log.info({ ...fields, outageMs: outage }, 'namerd watch resynced');
    else if (!same) this.#log.info(fields, 'base dtab updated');
  }

  #deleted(): Promise<void> | undefined {
    const current = this.#cell.sample();
    this.#downSince = undefined;
    const when = new Date().toISOString();
    if (current.status === 'ok' && current.snapshot.source === this.#source) {
      this.#origin = `namespace "${this.#namespace}" deleted in namerd (seen ${when}); routing on the last dtab, version ${current.snapshot.version}`;
      this.#log.warn({ version: current.snapshot.version }, 'namespace deleted in namerd; keeping the last dtab');
      this.#markStale();
      return undefined;
    }
    // Nothing from namerd yet: the namespace does not exist there (yet). The cache, if any, serves meanwhile.
    const reason = `namespace "${this.#namespace}" does not exist in namerd`;
    this.#log.warn(reason);
    return this.#fallBack(reason, `${reason}; waiting for it to be created`);
  }

  async #disconnected(error: Error): Promise<void> {
    const first = this.#downSince === undefined;
    this.#downSince ??= Date.now();
    const reason = `namerd unreachable since ${new Date(this.#downSince).toISOString()}: ${error.message}`;
    if (first) this.#log.warn({ error: error.message }, 'namerd watch lost; reconnecting with backoff');
    else this.#log.debug({ error: error.message }, 'namerd watch reconnect failed');
    await this.#fallBack(reason, `${reason}; retrying`);
  }

  /** Keeps whatever dtab is in hand, stale; with none yet, tries the cache once, else stays pending. */
  async #fallBack(reason: string, pendingReason: string): Promise<void> {
    if (this.#cell.sample().status !== 'ok' && this.#cache !== undefined && !this.#cacheTried) {
      this.#cacheTried = true;
      const cached = await this.#cache.read();
      if (cached !== null && !this.#closed && this.#cell.sample().status !== 'ok') {
        this.#origin = `from cache ${this.#cache.file} (version ${cached.snapshot.version}, cached ${new Date(cached.snapshot.updatedAt).toISOString()} from ${cached.origin})`;
        // Stale from the first moment: observers must never see a cached dtab as fresh.
        this.#cell.set({ status: 'ok', snapshot: cached.snapshot, stale: `${this.#origin}; ${reason}` });
        this.#log.warn({ version: cached.snapshot.version, file: this.#cache.file }, 'routing on the cached dtab');
      }
    }
    if (this.#closed) return;
    if (this.#cell.sample().status === 'ok') this.#markStale(reason);
    else this.#cell.set({ status: 'pending', reason: pendingReason });
  }

  /** Keeps the snapshot, saying why it may be out of date: where it came from, then the current problem. */
  #markStale(problem?: string): void {
    const current = this.#cell.sample();
    if (current.status !== 'ok') return;
    const stale = [this.#origin, problem].filter((s) => s !== undefined).join('; ');
    if (stale === '' || stale === current.stale) return;
    this.#cell.set({ status: 'ok', snapshot: current.snapshot, stale });
  }
}
