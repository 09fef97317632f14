/**
 * The shapes one proxied request takes inside the router, whatever protocol it came in on or goes
 * out with. The protocol adapters (protocol/http1, protocol/http2, protocol/upstream) turn node's
 * objects into these and back; everything in core/ works on these alone, so an identifier, a dtab
 * override, a retry or a deadline is written once for HTTP/1.1, h2c and gRPC. Nothing here (or
 * anywhere in core/) imports node:http or node:http2.
 *
 * The split follows linkerd 1.x's `RoutingFactory[Req, Rsp]` and undici's dispatch contract: an
 * inbound adapter builds an Exchange (head, body, sink); core resolves the head to a target and
 * runs attempts through an Upstream, which calls an UpstreamHandler as the response arrives.
 */
import type { Readable } from 'node:stream';

/** The wire protocol of one side of the router (inbound or upstream). */
export type Protocol = 'http/1.1' | 'h2';

/**
 * Headers as a flat list, `[name, value, name, value, …]`, in arrival order, repeated names kept.
 * HTTP/1.1 names keep the caller's case; h2 names are lower-case (RFC 9113 §8.2.2). No pseudo-headers:
 * `:method`, `:path`, `:authority` and `:status` have their own fields.
 */
export type HeaderList = string[];

/** The request as core sees it. Built by an inbound adapter in one pass over the headers. */
export interface RequestHead {
  readonly protocol: Protocol;
  readonly method: string;
  /** Host (HTTP/1.1) or `:authority` (h2); undefined when the caller sent neither. */
  authority: string | undefined;
  /** The origin-form target, path and query (`/proto.GenSvc/Gen`, `/api?x=1`). */
  path: string;
  readonly headers: HeaderList;
  /** The caller's address, for X-Forwarded-For. */
  readonly remoteAddress: string | undefined;
  /** An HTTP/1.0 request (linkerd's methodAndHost names it apart). */
  readonly http10: boolean;
  /** More than one Host header: ambiguous, refused before routing. */
  duplicateHost: boolean;
  /** `Expect: 100-continue`: the 100 is sent once the request has a route. */
  expectContinue: boolean;
  /** Every Via value, joined as one list. */
  via: string | undefined;
  /** Whether a body follows the head (a length above 0, chunked, or an h2 stream not ended by HEADERS). */
  hasBody: boolean;
  /** The body's length when the caller declared one. */
  contentLength: number | undefined;
  ctxDtab: string[] | undefined;
  userDtab: string[] | undefined;
  /** `l5d-ctx-deadline` values. */
  deadline: string[] | undefined;
  /** The `grpc-timeout` value, if any. */
  grpcTimeout: string | undefined;
  /** `content-type: application/grpc…`: failures are answered as gRPC statuses. */
  grpc: boolean;
}

/** The request body as it streams in. */
export interface RequestBody {
  readonly stream: Readable;
  /** Whether the whole body has arrived. */
  readonly complete: boolean;
  /** Body bytes received so far, for the idle watch (paused while the upstream reads slowly). */
  received(): number;
}

/**
 * Where the response goes: the caller's HTTP/1.1 response or h2 stream. Writes follow the
 * caller's flow control: `write` returning false means wait for `onDrain`.
 */
export interface ResponseSink {
  /** Whether the response head has gone out (after that, a failure can only cut the response). */
  readonly started: boolean;
  /** Whether the response has been ended or cut. */
  readonly finished: boolean;
  /** Tells a caller that sent `Expect: 100-continue` to send its body. */
  continue(): void;
  start(status: number, headers: HeaderList, statusText?: string): void;
  write(chunk: Uint8Array): boolean;
  onDrain(callback: () => void): void;
  /** Ends the response; trailers go out as HTTP/1.1 chunked trailers or an h2 trailing HEADERS frame. */
  end(trailers?: HeaderList): void;
  /** Cuts the response so the caller sees it incomplete (socket destroyed, RST_STREAM). */
  abort(error?: Error): void;
  /** Renders one of the router's own failures (see rescue.ts); cuts the response when it has started. */
  rescue(failure: Synthetic): void;
  /** Called once if the caller goes away (closed connection, RST_STREAM) before the response ends. Returns an unsubscribe. */
  onAbandon(callback: () => void): () => void;
}

/** One request in flight through the router. */
export interface Exchange {
  readonly head: RequestHead;
  readonly body: RequestBody | null;
  readonly sink: ResponseSink;
  /** When the router started on it (performance.now()). */
  readonly started: number;
}

/**
 * One of the router's own failures, with no I/O: the adapter renders it as an HTTP status with
 * `l5d-err` (and `l5d-retryable` when the request never reached an upstream), or for a gRPC caller
 * as a trailers-only response with `grpc-status` and `grpc-message`.
 */
export interface Synthetic {
  /** The SY_ERR_* code. */
  readonly code: string;
  readonly status: number;
  readonly message: string;
  /** The request never reached an upstream: the caller may send it again. */
  readonly retryable: boolean;
  /** The gRPC status code for gRPC callers (UNAVAILABLE, DEADLINE_EXCEEDED, …). */
  readonly grpcStatus: number;
}

/** The request as sent to one endpoint, headers already rewritten for the upstream's protocol. */
export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  /** `:authority` for h2 upstreams; HTTP/1.1 upstreams take Host from `headers`. */
  readonly authority: string | undefined;
  readonly headers: HeaderList;
  /** A fresh stream per attempt (a replay of the buffered body on retries), or null for none. */
  readonly body: Readable | null;
}

/** How an attempt steers the upstream's response stream. */
export interface UpstreamController {
  pause(): void;
  resume(): void;
  /** Cancels the attempt (closes the HTTP/1.1 connection, RST_STREAM CANCEL on h2). */
  abort(reason: Error): void;
}

/**
 * Why an attempt failed before a response head arrived:
 * - `not-sent`: the request never left (connection refused, unreachable, connect timeout, a
 *   GOAWAY or REFUSED_STREAM that says the stream was not processed): safe to requeue anywhere.
 * - `sent`: it may have reached the upstream (reset, closed, protocol error after writing).
 * - `rejected`: the request could not be sent as given (a header the client library refuses):
 *   the caller's fault, not the upstream's.
 */
export type UpstreamFailure = 'not-sent' | 'sent' | 'rejected';

/** Called by an Upstream as the attempt progresses; exactly one of onEnd / onError ends it. */
export interface UpstreamHandler {
  onStart(controller: UpstreamController): void;
  /** The final response head (1xx are not passed on). */
  onHead(status: number, headers: HeaderList, statusText?: string): void;
  onData(chunk: Buffer): void;
  /** The response is complete; trailers when the upstream sent any. */
  onEnd(trailers: HeaderList | null): void;
  /** `failure` is meaningful only before onHead; after it, any error cuts the response. */
  onError(error: Error, failure: UpstreamFailure): void;
}

/** A connection pool to one endpoint, speaking one protocol. */
export interface Upstream {
  readonly protocol: Protocol;
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
  /** Lets in-flight attempts finish, then closes every connection. */
  close(): Promise<void>;
  /** Closes at once, cutting in-flight attempts. */
  destroy(): Promise<void>;
}

/** Makes the Upstream for one endpoint; the router keeps one per (origin, protocol). */
export type UpstreamFactory = (host: string, port: number, protocol: Protocol) => Upstream;
