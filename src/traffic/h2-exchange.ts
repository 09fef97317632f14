/**
 * One HTTP/2 request (plain h2 or a gRPC call) on a session, read to its end. The generator keeps
 * only what it counts: the status, the response headers and trailers, and for gRPC the number of
 * messages and the grpc-status. Response bytes are dropped as they arrive; gRPC messages are
 * counted by reading each frame's 5-byte prefix and skipping its length, so a server that
 * announces a 4 GiB message or streams forever costs nothing but the time until requestTimeout.
 *
 * gRPC status, as a gRPC client sees it: from the trailers, or from the head of a trailers-only
 * answer; an HTTP error without one is mapped as gRPC clients map it; a call still streaming at
 * requestTimeout is cancelled (RST_STREAM CANCEL) and counts as DEADLINE_EXCEEDED; a call that
 * ends without any grpc-status is the error `grpc-status-missing`.
 */
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { DEADLINE_EXCEEDED, grpcStatusFromHttp, parseGrpcStatus } from './grpc-codes.js';
import { errorKind } from './http-exchange.js';

export interface H2Result {
  /** The HTTP status, or 0 when no response head came. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders | null;
  readonly trailers: IncomingHttpHeaders | null;
  /** gRPC only: the call's status, or null (not gRPC, no response, or none sent). */
  readonly grpcStatus: number | null;
  /** gRPC only: response messages received. */
  readonly messages: number;
  readonly error: string | null;
}

export interface H2Request {
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | string | null;
  readonly grpc: boolean;
  readonly timeoutMs: number;
}

/** Counts length-prefixed gRPC messages without keeping their bytes: at most 5 bytes are held. */
export class GrpcFrameCounter {
  messages = 0;
  #prefix = Buffer.alloc(5);
  #have = 0;
  /** Payload bytes still to skip in the current message. */
  #skip = 0;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(5 - this.#have, chunk.length - at);
      chunk.copy(this.#prefix, this.#have, at, at + n);
      this.#have += n;
      at += n;
      if (this.#have === 5) {
        this.#have = 0;
        this.messages++;
        this.#skip = this.#prefix.readUInt32BE(1);
      }
    }
  }

  /** True when the body ended in the middle of a message. */
  get partial(): boolean {
    return this.#have > 0 || this.#skip > 0;
  }
}

function withoutPseudo(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = Object.create(null) as IncomingHttpHeaders;
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  return out;
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function h2Exchange(session: http2.ClientHttp2Session, request: H2Request): Promise<H2Result> {
  return new Promise((resolve) => {
    let status = 0;
    let headers: IncomingHttpHeaders | null = null;
    let trailers: IncomingHttpHeaders | null = null;
    let grpcStatus: number | null = null;
    let timedOut = false;
    let error: string | null = null;
    const frames = request.grpc ? new GrpcFrameCounter() : null;
    let settled = false;
    let stream: http2.ClientHttp2Stream | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (request.grpc && status !== 0) {
        if (timedOut) grpcStatus = DEADLINE_EXCEEDED;
        else if (grpcStatus === null && status !== 200) grpcStatus = grpcStatusFromHttp(status);
        else if (grpcStatus === null) error ??= 'grpc-status-missing';
      } else if (timedOut) error = 'timeout';
      resolve({ status, headers, trailers, grpcStatus, messages: frames?.messages ?? 0, error });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stream?.close(http2.constants.NGHTTP2_CANCEL);
      finish();
    }, request.timeoutMs);
    try {
      stream = session.request(request.headers, { endStream: request.body === null });
    } catch (e) {
      error = h2ErrorKind(e);
      return finish();
    }
    stream.on('response', (head) => {
      status = Number(head[':status']) || 0;
      headers = withoutPseudo(head);
      // A trailers-only answer: the status is in the head and no body follows.
      const inHead = one(head['grpc-status']);
      if (request.grpc && inHead !== undefined) grpcStatus = parseGrpcStatus(inHead);
    });
    stream.on('trailers', (t) => {
      trailers = withoutPseudo(t);
      const inTrailers = one(t['grpc-status']);
      if (request.grpc && inTrailers !== undefined) grpcStatus = parseGrpcStatus(inTrailers);
    });
    stream.on('data', (chunk: Buffer) => frames?.push(chunk));
    stream.on('error', (e) => {
      if (status === 0) error ??= h2ErrorKind(e);
    });
    stream.on('close', () => {
      // Reset by the server before the end, with no status to say why.
      if (status === 0 && error === null && !timedOut) error = rstKind(stream?.rstCode);
      finish();
    });
    if (request.body !== null) stream.end(request.body);
  });
}

/**
 * errorKind() for node:http2's errors: a stream cut off because its session failed carries the
 * session's error as its cause (a refused connection, the policy's refusal), which is the one
 * worth counting.
 */
export function h2ErrorKind(error: unknown): string {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (e?.cause !== undefined && e.cause !== null) return h2ErrorKind(e.cause);
  switch (e?.code) {
    case 'ERR_HTTP2_GOAWAY_SESSION':
    case 'ERR_HTTP2_INVALID_SESSION':
      return 'goaway';
    case 'ERR_HTTP2_STREAM_ERROR':
    case 'ERR_HTTP2_STREAM_CANCEL':
      return 'reset';
    case 'ERR_HTTP2_ERROR':
    case 'ERR_HTTP2_SESSION_ERROR':
      return 'protocol-error';
    default:
      return errorKind(error);
  }
}

function rstKind(code: number | undefined): string {
  if (code === http2.constants.NGHTTP2_REFUSED_STREAM) return 'refused-stream';
  return 'reset';
}
