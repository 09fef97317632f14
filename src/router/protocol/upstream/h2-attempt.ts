/**
 * One dispatch on the h2 upstream, from the moment it waits for a stream slot to its one
 * terminal callback. Every way it can end (response end, stream reset, connection loss, GOAWAY,
 * abort, a failing request body) goes through `settle`, so the handler hears exactly one of
 * onEnd / onError whatever order node's events come in.
 */
import { type ClientHttp2Stream, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import { createError } from '../../../errors.js';
import type {
  HeaderList,
  UpstreamController,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
} from '../../core/exchange.js';
import { fromHeaderObject, fromRawHeaders } from './h2-headers.js';
import type { H2Session } from './h2-session.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = constants;

export type AttemptState = 'waiting' | 'open' | 'done';

const kAttempt = Symbol('h2 attempt');
type AttemptStream = ClientHttp2Stream & { [kAttempt]: H2Attempt };

function onResponse(this: AttemptStream, headers: IncomingHttpHeaders, _flags: number, raw?: string[]): void {
  this[kAttempt].headArrived(headers, raw);
}
function onData(this: AttemptStream, chunk: Buffer): void {
  this[kAttempt].dataArrived(chunk);
}
function onTrailers(this: AttemptStream, headers: IncomingHttpHeaders, _flags: number, raw?: string[]): void {
  this[kAttempt].trailersArrived(headers, raw);
}
function onEnd(this: AttemptStream): void {
  this[kAttempt].ended();
}
function onError(this: AttemptStream, error: Error): void {
  this[kAttempt].failed(error);
}
function onClose(this: AttemptStream): void {
  this[kAttempt].closed();
}

// The request body goes up the stream as pipe() would send it (a full stream window pauses the
// body until 'drain'), with three shared listeners instead of the eight closures pipe() makes
// for every request.
const kUpstream = Symbol('h2 body upstream');
type BodySource = Readable & { [kUpstream]?: AttemptStream };
function onBodyData(this: BodySource, chunk: Buffer): void {
  const up = this[kUpstream];
  if (up !== undefined && !up.write(chunk)) this.pause();
}
function onBodyEnd(this: BodySource): void {
  this[kUpstream]?.end();
}
function onUpstreamDrain(this: AttemptStream): void {
  this[kAttempt].request.body?.resume();
}

export class H2Attempt implements UpstreamController {
  state: AttemptState = 'waiting';
  /** The request as node:http2 sends it, checked before the attempt was queued (h2-headers.ts). */
  headers: OutgoingHttpHeaders = {};
  private stream: ClientHttp2Stream | undefined;
  private session: H2Session | undefined;
  private headSeen = false;
  private paused = false;
  private streamError: Error | undefined;
  private trailers: HeaderList | null = null;

  constructor(
    private readonly origin: string,
    readonly request: UpstreamRequest,
    private readonly handler: UpstreamHandler,
    /** Takes a waiting attempt out of the pool's queue when it is aborted there. */
    private readonly withdraw: (attempt: H2Attempt) => void,
  ) {
    // Listened for from the start: a body may fail while the attempt still waits for a stream.
    request.body?.once('error', (error: Error) => {
      const wasWaiting = this.state === 'waiting';
      if (!this.settle()) return;
      if (wasWaiting) this.withdraw(this);
      else this.cut(NGHTTP2_CANCEL);
      this.handler.onError(error, wasWaiting ? 'not-sent' : 'sent');
    });
  }

  /** Opens the stream on `session`. Throws node's error when the session refuses it. */
  start(session: H2Session): void {
    const { request } = this;
    const stream = session.open(this.headers, request.body === null) as AttemptStream;
    this.state = 'open';
    this.session = session;
    this.stream = stream;
    if (this.paused) stream.pause();
    // Listeners shared by every stream, finding their attempt through the stream: no closures
    // allocated per request on the hot path.
    stream[kAttempt] = this;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('trailers', onTrailers);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    const body = request.body as BodySource | null;
    if (body !== null) {
      // Read no faster than the upstream takes it: a full stream window pauses the body.
      body[kUpstream] = stream;
      body.on('data', onBodyData);
      stream.on('drain', onUpstreamDrain);
      // A body that has already ended (as pipe() checks) only ends the stream.
      if (body.readableEnded) stream.end();
      else body.on('end', onBodyEnd);
      body.resume();
    }
  }

  /** @internal the stream's response head arrived. */
  headArrived(headers: IncomingHttpHeaders, raw: string[] | undefined): void {
    if (this.state !== 'open') return;
    this.headSeen = true;
    const list = raw ? fromRawHeaders(raw) : fromHeaderObject(headers);
    this.handler.onHead(Number(headers[':status']), list);
  }

  /** @internal a chunk of the response body. */
  dataArrived(chunk: Buffer): void {
    if (this.state === 'open') this.handler.onData(chunk);
  }

  /** @internal the response's trailers. */
  trailersArrived(headers: IncomingHttpHeaders, raw: string[] | undefined): void {
    this.trailers = raw ? fromRawHeaders(raw) : fromHeaderObject(headers);
  }

  /** @internal the response's END_STREAM (or node ending a stream it destroys). */
  ended(): void {
    const stream = this.stream as ClientHttp2Stream;
    // node also ends the readable side of a stream it destroys (connection lost, session
    // destroyed): that is a cut response, judged on 'close'. Only END_STREAM after a head is an end.
    if (stream.destroyed || !this.headSeen || this.state !== 'open') return;
    this.settle();
    // The response is whole; a request body still going up is of no use to anyone now.
    if (!stream.writableEnded) this.cut(NGHTTP2_CANCEL);
    this.handler.onEnd(this.trailers);
  }

  /** @internal the stream failed; judged when it closes. */
  failed(error: Error): void {
    this.streamError ??= error;
  }

  /** Ends it before a stream was opened (queue full, connect failure, pool closing, bad headers). */
  fail(error: Error, failure: UpstreamFailure): void {
    if (!this.settle()) return;
    this.handler.onError(error, failure);
  }

  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
  }

  abort(reason: Error): void {
    const wasWaiting = this.state === 'waiting';
    if (!this.settle()) return;
    if (wasWaiting) {
      this.withdraw(this);
      this.handler.onError(reason, 'not-sent');
      return;
    }
    this.cut(NGHTTP2_CANCEL);
    this.handler.onError(reason, 'sent');
  }

  /** @internal the stream closed: its slot on the session is free, and an unsettled attempt failed. */
  closed(): void {
    this.session?.streamClosed();
    if (!this.settle()) return;
    const stream = this.stream as ClientHttp2Stream;
    const failure = this.headSeen ? 'sent' : this.failureBeforeHead(stream);
    const code = stream.rstCode ?? 0;
    const reason =
      this.streamError?.message ??
      (code === 0
        ? 'the h2 connection closed before the response ended'
        : `the stream was reset (h2 error code ${code})`);
    this.handler.onError(createError('SY_ERR_UPSTREAM_FAILED', [this.origin, reason], this.streamError), failure);
  }

  /** Whether the peer may have acted on a stream that ended before its response head. */
  private failureBeforeHead(stream: ClientHttp2Stream): UpstreamFailure {
    // No id: HEADERS never went out (the connection died first).
    if (stream.id === undefined) return 'not-sent';
    // GOAWAY names the last stream the peer processed; later ones were not.
    const last = this.session?.goawayLastStreamId;
    if (last !== undefined && stream.id > last) return 'not-sent';
    if (stream.rstCode === NGHTTP2_REFUSED_STREAM) return 'not-sent';
    return 'sent';
  }

  /** Marks it done; false when something already ended it. */
  private settle(): boolean {
    if (this.state === 'done') return false;
    this.state = 'done';
    const body = this.request.body as BodySource | null;
    const stream = this.stream;
    if (body && stream && body[kUpstream] === stream) {
      // What unpipe() did: the body stops going up and is left paused.
      body[kUpstream] = undefined;
      body.off('data', onBodyData);
      body.off('end', onBodyEnd);
      stream.off('drain', onUpstreamDrain);
      body.pause();
    }
    return true;
  }

  private cut(code: number): void {
    const stream = this.stream;
    if (stream && !stream.closed && !stream.destroyed) stream.close(code);
  }
}
