/**
 * The router's HTTP/2 inbound edge, cleartext (h2c) only: a node:http2 server that turns each
 * stream into an Exchange for a protocol-blind handler. It is listened on directly or fed
 * connections by the protocol detector (protocol-detect.ts), which shares one port with HTTP/1.1.
 *
 * Limits (every one bounded, defaults in H2C_DEFAULTS):
 *  - streams per session (SETTINGS_MAX_CONCURRENT_STREAMS); one more is refused by nghttp2;
 *  - the request header block (SETTINGS_MAX_HEADER_LIST_SIZE, counting 32 bytes per field on
 *    top of name and value): a larger block resets that stream (ENHANCE_YOUR_CALM), or is
 *    answered 431 when it came before the client acknowledged our SETTINGS; the session goes on;
 *  - header fields per request (128) and memory per session (frames queued, headers held), settings entries per frame and unacked
 *    SETTINGS/PING floods: node and nghttp2 end a session past them;
 *  - sessions held at once: one more gets a GOAWAY before any stream is processed (nothing
 *    reached an upstream, so the client may retry), and an idle session (no open stream) is
 *    closed with GOAWAY after `sessionIdleMs`.
 *
 * Drain follows HTTP/1.1's: `markDraining` sends every session a GOAWAY (NO_ERROR, naming the
 * last stream it will serve) so clients open new streams elsewhere while the ones in flight
 * finish; a session that arrives while draining serves its first stream, then gets its GOAWAY.
 * `stop(graceMs)` closes the listener, waits for the in-flight streams up to the grace, then
 * destroys what is left.
 */
import {
  createServer,
  type Http2Server,
  type Http2Session,
  constants as h2,
  type ServerHttp2Stream,
  type ServerOptions,
} from 'node:http2';
import { createError } from '../../../errors.js';
import type { Exchange } from '../../core/exchange.js';
import { rescue } from '../../core/rescue.js';
import { bodyOf } from './request-body.js';
import { headFromH2 } from './request-head.js';
import { ResetBudget, type ResetBudgetOptions } from './reset-budget.js';
import { H2StreamSink } from './stream-sink.js';

/** How long a flooding session is read (and dropped) after its GOAWAY, so the GOAWAY is seen. */
const FLOOD_LINGER_MS = 1_000;

export interface H2cServerOptions {
  /** Streams a session may have open at once. */
  readonly maxConcurrentStreams: number;
  /** Largest request header block, in bytes (the router's maxHeadersKB × 1024). */
  readonly maxHeaderListBytes: number;
  /** Each stream's initial flow-control window: what a client may send before the router reads. */
  readonly initialWindowSize: number;
  /** A session with no open stream for this long is closed (GOAWAY). */
  readonly sessionIdleMs: number;
  /** Sessions held at once; one more is sent away with a GOAWAY. */
  readonly maxSessions: number;
  /** Memory node lets one session hold (queued frames, headers), in MB. */
  readonly maxSessionMemoryMB: number;
  /** In-flight streams a caller may reset at once, and per second after that (reset-budget.ts). */
  readonly resets: ResetBudgetOptions;
}

export const H2C_DEFAULTS: H2cServerOptions = {
  maxConcurrentStreams: 100,
  maxHeaderListBytes: 8 * 1024,
  initialWindowSize: 65_535,
  sessionIdleMs: 10_000,
  maxSessions: 10_000,
  maxSessionMemoryMB: 10,
  resets: { burst: 200, perSecond: 20 },
};

/** Entries one SETTINGS frame may carry (h2 defines 6; a few more for extensions). */
const MAX_SETTINGS_ENTRIES = 16;
/** Header fields per request, pseudo-headers included (node's default, said here so it is seen). */
const MAX_HEADER_FIELDS = 128;
/** Our own SETTINGS frames awaiting the client's ACK. */
const MAX_OUTSTANDING_SETTINGS = 10;

export type ExchangeHandler = (exchange: Exchange) => void;

/** The header list's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it: name + value + 32 per field. */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    size += (rawHeaders[i] as string).length + (rawHeaders[i + 1] as string).length + 32;
  }
  return size;
}

/** Errors end the stream they belong to; none may take the process down. */
function ignore(): void {}

export class H2cServer {
  readonly server: Http2Server;
  readonly options: H2cServerOptions;
  #draining = false;
  #stopped = false;
  #refused = 0;
  #resetFloods = 0;
  readonly #resetBudgets = new WeakMap<Http2Session, ResetBudget>();
  /** Sessions past their reset budget: their GOAWAY is on its way, their new streams are refused. */
  readonly #flooded = new WeakSet<Http2Session>();
  /** Open streams per session: an idle session is one with none. */
  readonly #sessions = new Map<Http2Session, number>();
  #onEmpty: (() => void) | undefined;

  constructor(
    private readonly handler: ExchangeHandler,
    options: Partial<H2cServerOptions> = {},
  ) {
    this.options = { ...H2C_DEFAULTS, ...options };
    const o = this.options;
    const serverOptions: ServerOptions & { maxOutstandingSettings: number } = {
      settings: {
        maxConcurrentStreams: o.maxConcurrentStreams,
        maxHeaderListSize: o.maxHeaderListBytes,
        initialWindowSize: o.initialWindowSize,
      },
      maxSessionMemory: o.maxSessionMemoryMB,
      maxHeaderListPairs: MAX_HEADER_FIELDS,
      maxSettings: MAX_SETTINGS_ENTRIES,
      // node reads it, @types/node does not list it yet.
      maxOutstandingSettings: MAX_OUTSTANDING_SETTINGS,
    };
    this.server = createServer(serverOptions);
    this.server.on('session', (session: Http2Session) => this.#admit(session));
    this.server.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, rawHeaders: string[]) =>
      this.#serve(stream, rawHeaders),
    );
    // Errors end the session or stream they belong to; none may take the process down.
    this.server.on('sessionError', () => {});
  }

  /** Sessions held now (to be counted with HTTP/1.1 connections against one cap). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Streams open now across all sessions. */
  get streamCount(): number {
    let n = 0;
    for (const open of this.#sessions.values()) n += open;
    return n;
  }

  /** Sessions sent away at once because `maxSessions` were held. */
  get refusedSessions(): number {
    return this.#refused;
  }

  /** Sessions ended with ENHANCE_YOUR_CALM because their caller reset streams past its budget. */
  get resetFloods(): number {
    return this.#resetFloods;
  }

  get draining(): boolean {
    return this.#draining;
  }

  #admit(session: Http2Session): void {
    session.on('error', () => {});
    if (this.#stopped || this.#sessions.size >= this.options.maxSessions) {
      this.#refused++;
      // GOAWAY before any frame is read: last-stream-id 0, nothing processed, safe to retry.
      session.close();
      return;
    }
    this.#sessions.set(session, 0);
    session.once('close', () => {
      this.#sessions.delete(session);
      if (this.#sessions.size === 0) this.#onEmpty?.();
    });
    // Also bounds a session nghttp2 has already ended with a GOAWAY (a protocol error, a flood):
    // node leaves its socket open until the client closes it.
    session.setTimeout(this.options.sessionIdleMs, () => {
      if ((this.#sessions.get(session) ?? 0) === 0) session.destroy();
    });
  }

  /** A counted stream closed (the sink tells on its 'close'): one fewer open on its session. */
  readonly #streamClosed = (session: Http2Session): void => {
    const open = this.#sessions.get(session);
    if (open !== undefined) this.#sessions.set(session, open - 1);
  };

  #serve(stream: ServerHttp2Stream, rawHeaders: string[]): void {
    stream.on('error', ignore);
    const session = stream.session;
    // nghttp2 goes on reading the frames already received after our GOAWAY: none of them is served.
    if (session && this.#flooded.has(session)) {
      stream.close(h2.NGHTTP2_ENHANCE_YOUR_CALM);
      return;
    }
    let counted: Http2Session | undefined;
    if (session) {
      const open = this.#sessions.get(session);
      if (open !== undefined) {
        this.#sessions.set(session, open + 1);
        counted = session;
        // A session that arrived while draining serves this stream, then is sent away.
        if (this.#draining && !session.closed) session.close();
      }
    }
    const head = headFromH2(rawHeaders, stream.endAfterHeaders, session?.socket?.remoteAddress);
    const sink = new H2StreamSink(stream, head, this.#streamClosed, counted);
    // nghttp2 enforces the limit only once the client has acknowledged our SETTINGS (a larger
    // block then resets the stream); a request sent before that is measured here and answered 431.
    if (headerListSize(rawHeaders) > this.options.maxHeaderListBytes) {
      sink.rescue(rescue(createError('SY_ERR_HEADERS_TOO_LARGE', [this.options.maxHeaderListBytes])));
      return;
    }
    if (session) sink.onAbandon(() => this.#callerReset(session));
    const exchange: Exchange = {
      head,
      body: head.hasBody ? bodyOf(stream) : null,
      sink,
      started: performance.now(),
    };
    try {
      this.handler(exchange);
    } catch {
      // A handler bug must cost one stream, not the process.
      exchange.sink.abort();
    }
  }

  /** A caller reset (or dropped) a stream still being served: past the budget, the session ends. */
  #callerReset(session: Http2Session): void {
    if (session.destroyed || this.#flooded.has(session)) return;
    let budget = this.#resetBudgets.get(session);
    if (budget === undefined) this.#resetBudgets.set(session, (budget = new ResetBudget(this.options.resets)));
    if (budget.spend()) return;
    this.#resetFloods++;
    this.#flooded.add(session);
    // The GOAWAY goes out first (nghttp2 then opens no new stream of this session). The session
    // lingers, reading and dropping what the caller still sends, before it is destroyed (which
    // cancels what it still has in flight): closing a socket with unread input sends a TCP reset,
    // and a reset makes the caller's kernel drop the GOAWAY it has not read yet.
    session.goaway(h2.NGHTTP2_ENHANCE_YOUR_CALM);
    const linger = setTimeout(() => session.destroy(undefined, h2.NGHTTP2_ENHANCE_YOUR_CALM), FLOOD_LINGER_MS);
    linger.unref();
    session.once('close', () => clearTimeout(linger));
  }

  /** Not ready any more: every session gets a GOAWAY and its in-flight streams finish. */
  markDraining(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const session of this.#sessions.keys()) if (!session.closed) session.close();
  }

  /** Stops accepting, waits up to `graceMs` for in-flight streams, then destroys what is left. */
  async stop(graceMs: number): Promise<void> {
    this.markDraining();
    this.#stopped = true;
    if (this.server.listening) this.server.close();
    if (this.#sessions.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#onEmpty = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#onEmpty = undefined;
    }
    const left = [...this.#sessions.keys()];
    const closed = Promise.all(left.map((s) => new Promise((resolve) => s.once('close', resolve))));
    for (const session of left) session.destroy(undefined, h2.NGHTTP2_CANCEL);
    await closed;
  }
}
