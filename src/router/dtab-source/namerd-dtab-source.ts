/**
 * `--namerd URL --namespace NS`: the base dtab from namerd's ndjson watch (GET
 * /api/1/dtabs/NS?watch=true, `Accept: application/x-ndjson`), read with the shared namerd client
 * and watch-event reader (src/namerd-protocol/). namerd sends the current state
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
import { Dtab } from '../../dtab/dtab.js';
import { NamerdClient, type WatchEvent } from '../../namerd-protocol/client.js';
import { type ConnectionProgress, ReconnectingStream } from '../../namerd-protocol/reconnecting-stream.js';
import { type Cell, Var } from '../../naming/var.js';
import type { Logger } from '../../telemetry/logger.js';
import { type BaseDtabSnapshot, type BaseDtabSource, type BaseDtabState, describeParseError } from './base-dtab.js';
import { LastKnownGoodCache } from './last-known-good.js';

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

export class NamerdDtabSource implements BaseDtabSource {
  readonly #source: string;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #cache: LastKnownGoodCache | undefined;
  readonly #stream: ReconnectingStream;
  readonly #userAgent: () => string;
  readonly #cell: Cell<BaseDtabState>;
  // A client (and dispatcher) of our own, so close() can tear down the watch's socket whatever
  // state it is in. No timeouts of its own: the heartbeat watchdog below covers every phase.
  readonly #client: NamerdClient;
  #cacheTried = false;
  /** When the current outage began (undefined while the watch is healthy). */
  #downSince: number | undefined;
  /** Why the current dtab may be out of date, beyond the connection itself (deleted namespace, cache). */
  #origin: string | undefined;
  /** The version number of the last dtab event, to notice when namerd's numbering starts over. */
  #lastNumber: number | undefined;

  constructor(options: NamerdDtabSourceOptions) {
    const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.#client = new NamerdClient(new URL(base), { timeoutMs: 0 });
    this.#source = `namerd:${new URL(base).origin}${new URL(base).pathname.replace(/\/$/, '')}/${options.namespace}`;
    this.#namespace = options.namespace;
    this.#log = options.logger.child({ namerd: new URL(base).origin, namespace: options.namespace });
    this.#cache =
      options.cacheFile === undefined
        ? undefined
        : new LastKnownGoodCache(options.cacheFile, options.namespace, this.#log);
    this.#stream = new ReconnectingStream(
      {
        heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
        backoffMinMs: options.backoff?.minMs ?? 100,
        backoffMaxMs: options.backoff?.maxMs ?? 10_000,
      },
      (signal, progress) => this.#watch(signal, progress),
      (error) => this.#disconnected(error),
    );
    this.#userAgent = options.userAgent ?? (() => 'switchyard-router');
    this.#cell = Var.cell<BaseDtabState>({
      status: 'pending',
      reason: `waiting for namespace "${options.namespace}" from namerd at ${new URL(base).origin}`,
    });
  }

  get state(): Var<BaseDtabState> {
    return this.#cell;
  }

  start(): void {
    this.#stream.start();
  }

  async close(): Promise<void> {
    await this.#stream.close();
    await this.#cache?.flush();
    await this.#client.close();
  }

  /** One connection, from request to the stream's end (reconnecting-stream.ts reconnects). */
  async #watch(signal: AbortSignal, progress: ConnectionProgress): Promise<never> {
    for await (const event of this.#client.watch(this.#namespace, { signal, userAgent: this.#userAgent() })) {
      progress.alive();
      if (event.type === 'dtab' || event.type === 'deleted') progress.synced();
      // Awaited, so events apply in order even when one has to read the cache.
      await this.#handle(event);
    }
    throw new Error('namerd ended the watch stream');
  }

  #handle(event: WatchEvent): void | Promise<void> {
    switch (event.type) {
      case 'heartbeat':
        return;
      case 'dtab':
        // namerd's own format (linkerd's namerd) carries no version: the text stands for it.
        return this.#dtab(event.dtab, event.version ?? 'unversioned', event.number, event.message);
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
      if (cached !== null && !this.#stream.closed && this.#cell.sample().status !== 'ok') {
        this.#origin = `from cache ${this.#cache.file} (version ${cached.snapshot.version}, cached ${new Date(cached.snapshot.updatedAt).toISOString()} from ${cached.origin})`;
        // Stale from the first moment: observers must never see a cached dtab as fresh.
        this.#cell.set({ status: 'ok', snapshot: cached.snapshot, stale: `${this.#origin}; ${reason}` });
        this.#log.warn({ version: cached.snapshot.version, file: this.#cache.file }, 'routing on the cached dtab');
      }
    }
    if (this.#stream.closed) return;
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
