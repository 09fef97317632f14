/**
 * One attempt to forward a request to one endpoint through its Upstream: the request body
 * streams from the caller to the upstream and the response body streams back, each side paused
 * while the other is full (the sink's `write` returning false pauses the upstream until the
 * sink drains), so a 100 MB upload to a slow upstream costs the router a few buffers, not 100 MB.
 * A response whose status the classifier calls retryable is dropped unwritten (when a retry is
 * possible), so the caller can try again.
 *
 * Results say whose fault a failure was: the upstream's (`failed`, `timeout`) or the caller's
 * (`abandoned`: it went away; `body-stalled`: its body stopped arriving; `rejected`: the upstream
 * client refused the request as malformed), because failure accrual must judge upstreams only.
 */
import type {
  HeaderList,
  RequestBody,
  ResponseSink,
  Upstream,
  UpstreamController,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
} from './exchange.js';
import { downstreamHeaders } from './header-policy.js';

export type AttemptResult =
  /**
   * The response went (or is going) to the caller; `ok` is false when it broke midway. `headers`
   * and `trailers` are what the caller got (a gRPC call is judged by the `grpc-status` in them).
   */
  | {
      readonly kind: 'responded';
      readonly status: number;
      readonly ok: boolean;
      readonly headers: HeaderList | null;
      readonly trailers: HeaderList | null;
    }
  /** A status the caller may retry; nothing was written. */
  | { readonly kind: 'retryable'; readonly status: number }
  /** Failed before any response byte; `sent` says whether the request may have reached the upstream. */
  | { readonly kind: 'failed'; readonly error: Error; readonly sent: boolean }
  /** No response in time; `bodyPending` when the caller had not finished sending its body. */
  | { readonly kind: 'timeout'; readonly bodyPending: boolean }
  /** The caller went away before the response was complete. */
  | { readonly kind: 'abandoned' }
  /** The request body stopped arriving for longer than the body idle timeout. */
  | { readonly kind: 'body-stalled' }
  /** The request could not be sent as given (e.g. a header the client library refuses): the caller's error. */
  | { readonly kind: 'rejected'; readonly error: Error };

export interface AttemptOptions {
  readonly request: UpstreamRequest;
  /** The caller's body (the same stream as `request.body`), for the idle watch; null for none. */
  readonly body: RequestBody | null;
  readonly sink: ResponseSink;
  readonly timeoutMs: number;
  /** Until the response head, counted from the end of the request body; 0 for none. */
  readonly responseTimeoutMs: number;
  /** Longest pause in the request body; 0 for none. */
  readonly bodyIdleTimeoutMs: number;
  /** Whether a response with this head should be handed back for a retry instead of written. */
  readonly retryStatus: (status: number, headers: HeaderList) => boolean;
  readonly clearContext: boolean;
}

class AttemptHandler implements UpstreamHandler {
  #controller: UpstreamController | undefined;
  #settled = false;
  #started = false;
  #status = 0;
  #headers: HeaderList | null = null;
  /**
   * One timer for both the attempt and the response-head timeouts (set and cleared once per
   * attempt): it is armed for the earlier of the two deadlines and, on firing, times out only if
   * one has really passed (the head may have come since), else is armed again for what is left.
   */
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now() time). */
  #timerAt = Number.POSITIVE_INFINITY;
  #attemptBy = Number.POSITIVE_INFINITY;
  #responseBy = Number.POSITIVE_INFINITY;
  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#settled) return;
    // Node's timers count whole milliseconds: allow that much early firing rather than spin.
    const now = performance.now() + 1;
    if (now >= this.#attemptBy || (!this.#started && now >= this.#responseBy)) this.#timeout();
    else this.#schedule();
  };
  #bodyTimer: NodeJS.Timeout | undefined;
  #clientGone = false;
  readonly #unsubscribe: () => void;
  #onAbandon = () => {
    this.#clientGone = true;
    this.#finish({ kind: 'abandoned' });
    this.#controller?.abort(new Error('client went away'));
  };
  /** Made on the first full write only: most responses never meet backpressure. */
  #resume: (() => void) | undefined;

  constructor(
    private readonly o: AttemptOptions,
    private readonly settle: (r: AttemptResult) => void,
  ) {
    if (o.timeoutMs > 0) this.#attemptBy = performance.now() + o.timeoutMs;
    this.#unsubscribe = o.sink.onAbandon(this.#onAbandon);
    const body = o.body;
    if (o.responseTimeoutMs > 0) {
      // The upstream cannot be blamed for waiting on a body the caller has not finished sending.
      if (body === null || body.complete) this.#responseBy = performance.now() + o.responseTimeoutMs;
      else body.stream.once('end', () => this.#armResponseTimer());
    }
    this.#schedule();
    if (body !== null && !body.complete && o.bodyIdleTimeoutMs > 0) this.#watchBody(body);
  }

  #armResponseTimer(): void {
    if (this.#settled || this.#started || this.#responseBy !== Number.POSITIVE_INFINITY) return;
    this.#responseBy = performance.now() + this.o.responseTimeoutMs;
    this.#schedule();
  }

  /** Arms the timer for the earliest deadline still in force, unless it already fires by then. */
  #schedule(): void {
    const at = this.#started ? this.#attemptBy : Math.min(this.#attemptBy, this.#responseBy);
    if (at === Number.POSITIVE_INFINITY || at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, at - performance.now()));
  }

  /**
   * Polls the bytes received: no listener on the body, so the upstream's reading is untouched.
   * Only time spent waiting on the caller counts: a body paused because the upstream reads
   * slowly is the upstream's pace, not a stalled caller.
   */
  #watchBody(body: RequestBody): void {
    const stream = body.stream;
    let seen = body.received();
    const every = Math.max(50, Math.floor(this.o.bodyIdleTimeoutMs / 4));
    let idleSince = performance.now();
    this.#bodyTimer = setInterval(() => {
      if (body.complete || this.#settled) return this.#stopBodyWatch();
      const now = performance.now();
      // Paused or holding unread data, the body waits on the upstream (backpressure), not on the caller.
      const waitingOnClient = !stream.isPaused() && stream.readableLength === 0;
      const received = body.received();
      if (received !== seen || !waitingOnClient) {
        seen = received;
        idleSince = now;
      } else if (now - idleSince >= this.o.bodyIdleTimeoutMs) {
        this.#stopBodyWatch();
        if (this.#started) {
          this.o.sink.abort();
          this.#finish({ kind: 'abandoned' });
        } else this.#finish({ kind: 'body-stalled' });
        this.#controller?.abort(new Error('request body stalled'));
      }
    }, every);
  }

  #stopBodyWatch(): void {
    if (this.#bodyTimer) clearInterval(this.#bodyTimer);
    this.#bodyTimer = undefined;
  }

  onStart(controller: UpstreamController): void {
    this.#controller = controller;
  }

  onHead(status: number, headers: HeaderList, statusText?: string): void {
    if (status < 200 || this.#settled) return;
    // The head came: the response timeout no longer applies (the shared timer sees that when it fires).
    this.#responseBy = Number.POSITIVE_INFINITY;
    if (this.o.retryStatus(status, headers)) {
      this.#finish({ kind: 'retryable', status });
      this.#controller?.abort(new Error('retrying'));
      return;
    }
    this.#started = true;
    this.#status = status;
    this.#headers = downstreamHeaders(headers, this.o.clearContext);
    this.o.sink.start(status, this.#headers, statusText);
  }

  onData(chunk: Buffer): void {
    if (this.#settled) return;
    if (!this.o.sink.write(chunk)) {
      this.#controller?.pause();
      this.o.sink.onDrain((this.#resume ??= () => this.#controller?.resume()));
    }
  }

  onEnd(trailers: HeaderList | null): void {
    if (this.#settled) return;
    const sent = trailers === null ? null : downstreamHeaders(trailers, this.o.clearContext);
    this.o.sink.end(sent ?? undefined);
    this.#finish(this.#responded(true, sent));
  }

  onError(error: Error, failure: UpstreamFailure): void {
    if (this.#settled) return;
    if (this.#clientGone) {
      this.#finish({ kind: 'abandoned' });
      return;
    }
    if (this.#started) {
      this.o.sink.abort(error);
      this.#finish(this.#responded(false, null));
      return;
    }
    if (failure === 'rejected') {
      this.#finish({ kind: 'rejected', error });
      return;
    }
    this.#finish({ kind: 'failed', error, sent: failure === 'sent' });
  }

  #timeout(): void {
    if (this.#settled) return;
    if (this.#started) {
      this.o.sink.abort();
      this.#finish(this.#responded(false, null));
    } else {
      const body = this.o.body;
      this.#finish({ kind: 'timeout', bodyPending: body !== null && !body.complete });
    }
    this.#controller?.abort(new Error('timed out'));
  }

  #responded(ok: boolean, trailers: HeaderList | null): AttemptResult {
    return { kind: 'responded', status: this.#status, ok, headers: this.#headers, trailers };
  }

  #finish(result: AttemptResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopBodyWatch();
    this.#unsubscribe();
    this.settle(result);
  }
}

export function attempt(upstream: Upstream, o: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const handler = new AttemptHandler(o, resolve);
    try {
      upstream.dispatch(o.request, handler);
    } catch (error) {
      // An Upstream reports through the handler; a throw is its bug, and may have sent something.
      handler.onError(error as Error, 'sent');
    }
  });
}
