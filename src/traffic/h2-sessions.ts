/**
 * A target's HTTP/2 connections: cleartext h2 with prior knowledge (what gRPC and the router's
 * h2c listener speak), a few sessions shared by the run's requests. A stream goes to a session
 * with room under the server's SETTINGS_MAX_CONCURRENT_STREAMS, and a new session takes streams
 * only once those settings arrived (before that a server allowing 2 would refuse the rest); when
 * every session is full a new one is opened, up to `maxSessions`, and past that requests wait for
 * a stream to end. A session that received GOAWAY takes no new streams and is closed once its
 * streams are done, so the next request connects again. A connection that fails fails the
 * requests that were waiting for it: each request costs at most one connection attempt. Connections go through the target's policy lookup, like the HTTP/1.1 ones, so a
 * name that resolves somewhere refused is refused here too. What a server may send is bounded:
 * header lists (pairs and bytes) and the session's memory.
 */
import http2 from 'node:http2';
import net, { type LookupFunction } from 'node:net';

/** Streams assumed per session until the server's SETTINGS say otherwise. */
const INITIAL_STREAMS = 100;
/** The most streams this client runs on one session whatever the server allows. */
const MAX_STREAMS_PER_SESSION = 1000;
export const MAX_HEADER_LIST_BYTES = 64 * 1024;
export const MAX_HEADER_PAIRS = 128;

interface Slot {
  readonly session: http2.ClientHttp2Session;
  active: number;
  usable: boolean;
  /** The server's SETTINGS arrived. */
  ready: boolean;
  /** Resolves when ready (null), or with the error when the session ended first. */
  readonly settled: Promise<unknown>;
}

export interface Lease {
  readonly session: http2.ClientHttp2Session;
  release(): void;
}

export interface H2SessionsOptions {
  readonly url: URL;
  readonly lookup: LookupFunction;
  readonly maxSessions: number;
  /** How long a new connection may take to deliver the server's SETTINGS. */
  readonly connectTimeoutMs: number;
}

export class H2Sessions {
  readonly #url: URL;
  readonly #lookup: LookupFunction;
  readonly #max: number;
  readonly #connectTimeoutMs: number;
  readonly #slots = new Set<Slot>();
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: H2SessionsOptions) {
    this.#url = options.url;
    this.#lookup = options.lookup;
    this.#max = Math.max(1, options.maxSessions);
    this.#connectTimeoutMs = options.connectTimeoutMs;
  }

  /**
   * A session with room for one more stream; call the returned release() when the stream is
   * over. Resolves to `{ error }` when the connection it waited for failed, null once the pool is
   * closed.
   */
  async acquire(): Promise<Lease | { error: unknown } | null> {
    for (;;) {
      if (this.#closed) return null;
      const slot = this.#roomy();
      if (slot === null) {
        const pending = [...this.#slots].find((s) => s.usable && !s.ready);
        if (pending !== undefined) {
          const error = await pending.settled;
          if (error !== null) return { error };
          continue;
        }
        const usable = [...this.#slots].filter((s) => s.usable).length;
        if (usable < this.#max) {
          this.#connect();
          continue;
        }
      }
      if (slot !== null) {
        slot.active++;
        let released = false;
        return {
          session: slot.session,
          release: () => {
            if (released) return;
            released = true;
            slot.active--;
            this.#wake();
          },
        };
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #roomy(): Slot | null {
    for (const slot of this.#slots) {
      if (!slot.usable || !slot.ready || slot.session.destroyed || slot.session.closed) continue;
      const allowed = slot.session.remoteSettings?.maxConcurrentStreams;
      const cap = Math.min(allowed ?? INITIAL_STREAMS, MAX_STREAMS_PER_SESSION);
      if (slot.active < Math.max(cap, 1)) return slot;
    }
    return null;
  }

  #connect(): Slot {
    const { hostname, port } = this.#url;
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const session = http2.connect(this.#url.origin, {
      // No Nagle: a request is a HEADERS and a DATA frame written back to back, and waiting for the
      // ACK of the first (delayed ACK, 40 ms) would be most of a loopback call's latency.
      createConnection: () => net.connect({ host, port: Number(port || 80), lookup: this.#lookup, noDelay: true }),
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionMemory: 16,
      settings: { maxHeaderListSize: MAX_HEADER_LIST_BYTES, enablePush: false },
    });
    let settle!: (error: unknown) => void;
    const settled = new Promise<unknown>((resolve) => (settle = resolve));
    const slot: Slot = { session, active: 0, usable: true, ready: false, settled };
    this.#slots.add(slot);
    let failure: unknown = new Error('the connection closed before its settings arrived');
    // A server that accepts the connection and says nothing (an HTTP/1.1 server waiting for a
    // request line, a black hole) must not hold the requests waiting for it forever.
    const timer = setTimeout(() => {
      session.destroy(Object.assign(new Error('no HTTP/2 settings from the server in time'), { code: 'ETIMEDOUT' }));
    }, this.#connectTimeoutMs);
    session.once('remoteSettings', () => {
      clearTimeout(timer);
      slot.ready = true;
      settle(null);
      this.#wake();
    });
    session.on('goaway', () => {
      slot.usable = false;
      // Streams in flight may finish; then the connection goes (the server may never close it).
      if (!session.closed) session.close();
      this.#wake();
    });
    // The streams see the error too; the session's own is a reason to stop using it.
    session.on('error', (error) => {
      failure = error;
      slot.usable = false;
      this.#wake();
    });
    session.on('close', () => {
      clearTimeout(timer);
      slot.usable = false;
      settle(failure);
      this.#slots.delete(slot);
      this.#wake();
    });
    return slot;
  }

  /** Everyone waiting looks again: a stream ended, or a session went away (room for a new one). */
  #wake(): void {
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Lets streams in flight finish, then closes every session. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    await Promise.all(
      [...this.#slots].map(
        ({ session }) =>
          new Promise<void>((resolve) => {
            if (session.closed || session.destroyed) return resolve();
            session.close(() => resolve());
          }),
      ),
    );
  }

  /** Cuts every session off now (streams in flight end with an error). */
  destroy(): void {
    this.#closed = true;
    this.#wake();
    for (const { session } of this.#slots) session.destroy();
  }
}
