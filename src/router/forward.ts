/**
 * One attempt to forward a request to one endpoint, with undici's low-level dispatch: the
 * request body streams from the client socket to the upstream and the response body streams
 * back, each side paused while the other is full, so a 100 MB upload to a slow upstream costs
 * the router a few buffers, not 100 MB. A response whose status the classifier calls retryable
 * is dropped unwritten (when a retry is possible), so the caller can try again.
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
  | { readonly kind: 'timeout' };

export interface AttemptOptions {
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: IncomingMessage | null;
  readonly res: ServerResponse;
  readonly timeoutMs: number;
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

export function notSent(error: Error): boolean {
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  return code !== undefined && NOT_SENT.has(code);
}

class AttemptHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  #onClientClose = () => this.#controller?.abort(new Error('client went away'));

  constructor(
    private readonly o: AttemptOptions,
    private readonly settle: (r: AttemptResult) => void,
  ) {
    if (o.timeoutMs > 0) this.#timer = setTimeout(() => this.#timeout(), o.timeoutMs);
    o.res.once('close', this.#onClientClose);
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
    if (status < 200) return;
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
    if (this.#started) {
      this.o.res.destroy(error);
      this.#finish({ kind: 'responded', status: this.o.res.statusCode, ok: false });
      return;
    }
    this.#finish({ kind: 'failed', error, sent: !notSent(error) });
  }

  #timeout(): void {
    if (this.#settled) return;
    if (this.#started) {
      this.o.res.destroy();
      this.#finish({ kind: 'responded', status: this.o.res.statusCode, ok: false });
    } else this.#finish({ kind: 'timeout' });
    this.#controller?.abort(new Error('timed out'));
  }

  #finish(result: AttemptResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
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
