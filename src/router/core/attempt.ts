/**
 * One attempt to forward a request to one endpoint, with undici's low-level dispatch: the
 * request body streams from the client socket to the upstream and the response body streams
 * back, each side paused while the other is full, so a 100 MB upload to a slow upstream costs
 * the router a few buffers, not 100 MB. A response whose status the classifier calls retryable
 * is dropped unwritten (when a retry is possible), so the caller can try again.
 *
 * Results say whose fault a failure was: the upstream's (`failed`, `timeout`) or the client's
 * (`abandoned`: it went away; `body-stalled`: its body stopped arriving; `rejected`: undici
 * refused the request as malformed), because failure accrual must judge upstreams only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { downstreamHeaders } from './proxy-headers.js';

export type AttemptResult =
  /** The response went (or is going) to the client; `ok` is false when it broke midway. */
  | { readonly kind: 'responded'; readonly status: number; readonly ok: boolean }
  /** A status the caller may retry; nothing was written. */
  | { readonly kind: 'retryable'; readonly status: number }
  /** Failed before any response byte; `sent` says whether the request may have reached the upstream. */
  | { readonly kind: 'failed'; readonly error: Error; readonly sent: boolean }
  /** No response in time; `bodyPending` when the client had not finished sending its body. */
  | { readonly kind: 'timeout'; readonly bodyPending: boolean }
  /** The client closed its connection before the response was complete. */
  | { readonly kind: 'abandoned' }
  /** The request body stopped arriving for longer than the body idle timeout. */
  | { readonly kind: 'body-stalled' }
  /** The request could not be sent as given (e.g. a header undici refuses): the client's error. */
  | { readonly kind: 'rejected'; readonly error: Error };

export interface AttemptOptions {
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: IncomingMessage | null;
  readonly res: ServerResponse;
  readonly timeoutMs: number;
  /** Until the response head, counted from the end of the request body; 0 for none. */
  readonly responseTimeoutMs: number;
  /** Longest pause in the request body; 0 for none. */
  readonly bodyIdleTimeoutMs: number;
  /** Whether a response with this status should be handed back for a retry instead of written. */
  readonly retryStatus: (status: number) => boolean;
  readonly clearContext: boolean;
  readonly closeConnection: () => boolean;
}

/** Errors that mean the connection never carried the request: safe to send elsewhere. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** undici's refusals of the request itself: nothing was sent and the upstream is not to blame. */
const INVALID_REQUEST = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

function errorCode(error: Error): string | undefined {
  return (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
}

export function notSent(error: Error): boolean {
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  return code !== undefined && NOT_SENT.has(code);
}

class AttemptHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  #responseTimer: NodeJS.Timeout | undefined;
  #bodyTimer: NodeJS.Timeout | undefined;
  #clientGone = false;
  #onClientClose = () => {
    if (this.o.res.writableFinished) return;
    this.#clientGone = true;
    this.#finish({ kind: 'abandoned' });
    this.#controller?.abort(new Error('client went away'));
  };

  constructor(
    private readonly o: AttemptOptions,
    private readonly settle: (r: AttemptResult) => void,
  ) {
    if (o.timeoutMs > 0) this.#timer = setTimeout(() => this.#timeout(), o.timeoutMs);
    o.res.once('close', this.#onClientClose);
    const body = o.body;
    if (o.responseTimeoutMs > 0) {
      // The upstream cannot be blamed for waiting on a body the client has not finished sending.
      if (body === null || body.complete) this.#armResponseTimer();
      else body.once('end', () => this.#armResponseTimer());
    }
    if (body !== null && !body.complete && o.bodyIdleTimeoutMs > 0) this.#watchBody(body);
  }

  #armResponseTimer(): void {
    if (this.#settled || this.#started || this.#responseTimer) return;
    this.#responseTimer = setTimeout(() => this.#timeout(), this.o.responseTimeoutMs);
  }

  /**
   * Polls the socket's byte count: no listener on the body, so undici's reading is untouched.
   * Only time spent waiting on the client counts: a body paused because the upstream reads
   * slowly is the upstream's pace, not a stalled client.
   */
  #watchBody(body: IncomingMessage): void {
    const socket = body.socket;
    let seen = socket.bytesRead;
    const every = Math.max(50, Math.floor(this.o.bodyIdleTimeoutMs / 4));
    let idleSince = performance.now();
    this.#bodyTimer = setInterval(() => {
      if (body.complete || this.#settled) return this.#stopBodyWatch();
      const now = performance.now();
      // Paused or holding unread data, the body waits on the upstream (backpressure), not on the client.
      const waitingOnClient = !body.isPaused() && body.readableLength === 0;
      if (socket.bytesRead !== seen || !waitingOnClient) {
        seen = socket.bytesRead;
        idleSince = now;
      } else if (now - idleSince >= this.o.bodyIdleTimeoutMs) {
        this.#stopBodyWatch();
        if (this.#started) {
          this.o.res.destroy();
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

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[]>,
    statusMessage?: string,
  ): void {
    if (status < 200 || this.#settled) return;
    if (this.#responseTimer) clearTimeout(this.#responseTimer);
    if (this.o.retryStatus(status)) {
      this.#finish({ kind: 'retryable', status });
      controller.abort(new Error('retrying'));
      return;
    }
    this.#started = true;
    const res = this.o.res;
    res.writeHead(
      status,
      statusMessage ?? '',
      downstreamHeaders(headers, this.o.clearContext, this.o.closeConnection()),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    const res = this.o.res;
    if (!res.write(chunk)) {
      controller.pause();
      res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.o.res.end();
    this.#finish({ kind: 'responded', status: this.o.res.statusCode, ok: true });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    if (this.#clientGone) {
      this.#finish({ kind: 'abandoned' });
      return;
    }
    if (this.#started) {
      this.o.res.destroy(error);
      this.#finish({ kind: 'responded', status: this.o.res.statusCode, ok: false });
      return;
    }
    const code = errorCode(error);
    if (code !== undefined && INVALID_REQUEST.has(code)) {
      this.#finish({ kind: 'rejected', error });
      return;
    }
    this.#finish({ kind: 'failed', error, sent: !notSent(error) });
  }

  #timeout(): void {
    if (this.#settled) return;
    if (this.#started) {
      this.o.res.destroy();
      this.#finish({ kind: 'responded', status: this.o.res.statusCode, ok: false });
    } else {
      const body = this.o.body;
      this.#finish({ kind: 'timeout', bodyPending: body !== null && !body.complete });
    }
    this.#controller?.abort(new Error('timed out'));
  }

  #finish(result: AttemptResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#responseTimer) clearTimeout(this.#responseTimer);
    this.#stopBodyWatch();
    this.o.res.off('close', this.#onClientClose);
    this.settle(result);
  }
}

export function attempt(dispatcher: Dispatcher, origin: string, o: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const handler = new AttemptHandler(o, resolve);
    try {
      dispatcher.dispatch(
        { origin, method: o.method as Dispatcher.HttpMethod, path: o.path, headers: o.headers, body: o.body },
        handler,
      );
    } catch (error) {
      handler.onResponseError(undefined as never, error as Error);
    }
  });
}
