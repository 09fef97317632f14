/**
 * ResponseSink over one ServerHttp2Stream. The response head goes out with `waitForTrailers`,
 * so `end(trailers)` can still send a trailing HEADERS frame (gRPC's grpc-status lives there);
 * without trailers node ends the stream with an empty DATA frame. `write` follows the stream's
 * buffer (false: wait for 'drain'), which follows the caller's h2 flow-control window, so a slow
 * reader holds the upstream back instead of filling the router's memory.
 */
import { type Http2Session, constants as h2, type ServerHttp2Stream } from 'node:http2';
import type { HeaderList, RequestHead, ResponseSink, Synthetic } from '../../core/exchange.js';
import { plainFailure } from '../../core/rescue.js';
import { trailersOnlyHeaders } from '../grpc/trailers-only.js';

/** Connection-specific fields h2 forbids (node throws on them); an HTTP/1.1 upstream may send them. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

type OutgoingHeaders = Record<string, string | string[] | number>;

/** node copies both before use, so shared frozen objects do for every response. */
const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true });
const NO_TRAILERS: OutgoingHeaders = Object.freeze({}) as OutgoingHeaders;

/** A header list as node's header object, repeated names kept as arrays; pseudo and connection fields dropped. */
export function toOutgoing(list: HeaderList, into: OutgoingHeaders = {}): OutgoingHeaders {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = (list[i] as string).toLowerCase();
    const value = list[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a || CONNECTION_HEADERS.has(name)) continue;
    if (name === 'te' && value.toLowerCase() !== 'trailers') continue;
    const prev = into[name];
    if (prev === undefined) into[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else into[name] = [String(prev), value];
  }
  return into;
}

/** The router's own aborts: a cancellation the caller asked for says CANCEL, anything else INTERNAL_ERROR. */
export function abortCode(error: Error | undefined): number {
  return error?.name === 'AbortError' ? h2.NGHTTP2_CANCEL : h2.NGHTTP2_INTERNAL_ERROR;
}

const kSink = Symbol('h2 sink');
type SinkStream = ServerHttp2Stream & { [kSink]: H2StreamSink };

// Listeners shared by every stream, finding their sink through the stream: no closure is
// allocated per request for them.
function onClose(this: SinkStream): void {
  this[kSink].closed();
}
function onWantTrailers(this: SinkStream): void {
  this[kSink].sendTrailers();
}

export class H2StreamSink implements ResponseSink {
  #started = false;
  #finished = false;
  #abandoned = false;
  #trailers: OutgoingHeaders | undefined;
  /**
   * A gRPC caller's response head, held until the first message or the end: an upstream's
   * trailers-only answer (its status in a head that ends the stream) must reach the caller as one
   * HEADERS frame with END_STREAM, or gRPC clients miss its status.
   */
  #pendingHead: OutgoingHeaders | undefined;
  /** Callbacks for a caller that goes away (core registers one per attempt: an array, not a Set). */
  readonly #abandon: Array<() => void> = [];

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly head: RequestHead,
    /** Told when the stream closes, whoever ended it (the server counts open streams per session). */
    private readonly onClosed?: (session: Http2Session) => void,
    /** The stream's session, kept here: node unsets `stream.session` before 'close'. */
    private readonly session?: Http2Session,
  ) {
    (stream as SinkStream)[kSink] = this;
    // 'close' comes once for every stream; before our end it means the caller reset or dropped it.
    stream.on('close', onClose);
  }

  /** @internal the stream's 'close'. */
  closed(): void {
    if (this.session) this.onClosed?.(this.session);
    if (this.#finished) return;
    this.#finished = true;
    this.#abandoned = true;
    const callbacks = this.#abandon.splice(0);
    for (const callback of callbacks) callback();
  }

  /** @internal node asks for the trailers (the head went out with `waitForTrailers`). */
  sendTrailers(): void {
    // Empty trailers become an empty DATA frame that ends the stream.
    if (this.#open()) this.stream.sendTrailers(this.#trailers ?? NO_TRAILERS);
  }

  get started(): boolean {
    return this.#started;
  }

  get finished(): boolean {
    return this.#finished;
  }

  #open(): boolean {
    return !this.stream.destroyed && !this.stream.closed;
  }

  continue(): void {
    if (!this.#started && this.#open()) this.stream.additionalHeaders({ ':status': 100 });
  }

  start(status: number, headers: HeaderList, _statusText?: string): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    if (!this.#open()) return;
    const outgoing = toOutgoing(headers, { ':status': status });
    if (this.head.grpc) this.#pendingHead = outgoing;
    else this.#respond(outgoing);
  }

  #respond(outgoing: OutgoingHeaders): void {
    this.stream.on('wantTrailers', onWantTrailers);
    try {
      this.stream.respond(outgoing, WAIT_FOR_TRAILERS);
    } catch (error) {
      // A header node refuses to send (an invalid name or value from the upstream).
      this.abort(error as Error);
    }
  }

  write(chunk: Uint8Array): boolean {
    // node ends the stream at respond() for HEAD, 204, 205 and 304: such a body is dropped.
    if (this.#finished || !this.#open() || this.stream.writableEnded) return true;
    if (this.#pendingHead !== undefined) {
      this.#flushHead();
      if (this.#finished || !this.#open()) return true;
    }
    return this.stream.write(chunk);
  }

  onDrain(callback: () => void): void {
    this.stream.once('drain', callback);
  }

  end(trailers?: HeaderList): void {
    if (this.#finished) return;
    if (!this.#started) this.start(200, []);
    this.#finished = true;
    const hasTrailers = trailers !== undefined && trailers.length > 0;
    if (hasTrailers) this.#trailers = toOutgoing(trailers);
    const pending = this.#pendingHead;
    if (pending !== undefined && !hasTrailers && this.#open()) {
      // Nothing but a head: a trailers-only answer, sent as it came.
      this.#pendingHead = undefined;
      try {
        this.stream.respond(pending, { endStream: true });
      } catch (error) {
        this.abort(error as Error);
      }
      return;
    }
    if (pending !== undefined) this.#flushHead();
    if (this.#open() && !this.stream.writableEnded) this.stream.end();
  }

  #flushHead(): void {
    const pending = this.#pendingHead!;
    this.#pendingHead = undefined;
    if (this.#open()) this.#respond(pending);
  }

  abort(error?: Error): void {
    this.#finished = true;
    if (this.#open()) this.stream.close(abortCode(error));
  }

  rescue(failure: Synthetic): void {
    if (this.#finished) return;
    if (this.#started || !this.#open()) {
      this.abort();
      return;
    }
    this.#started = true;
    this.#finished = true;
    if (this.head.grpc) {
      this.stream.respond(toOutgoing(trailersOnlyHeaders(failure), { ':status': 200 }), { endStream: true });
      return;
    }
    const plain = plainFailure(failure);
    const headers = toOutgoing(plain.headers, { ':status': plain.status });
    if (this.head.method === 'HEAD') {
      this.stream.respond(headers, { endStream: true });
      return;
    }
    this.stream.respond(headers);
    this.stream.end(plain.body);
  }

  onAbandon(callback: () => void): () => void {
    if (this.#abandoned) queueMicrotask(callback);
    if (this.#finished) return () => {};
    this.#abandon.push(callback);
    return () => {
      const i = this.#abandon.indexOf(callback);
      if (i >= 0) this.#abandon.splice(i, 1);
    };
  }
}
