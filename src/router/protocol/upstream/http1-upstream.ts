/**
 * undici's `Pool` as an HTTP/1.1 Upstream: undici's dispatch handler calls turned into an
 * UpstreamHandler's, and undici's errors sorted by whether the request left: a refused or
 * unreachable connection was `not-sent` (safe to requeue anywhere), undici's refusals of the
 * request itself are `rejected` (the caller's fault), anything else may have reached the
 * upstream (`sent`).
 */
import { type Dispatcher, Pool } from 'undici';
import type {
  HeaderList,
  Protocol,
  Upstream,
  UpstreamController,
  UpstreamFactory,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
} from '../../core/exchange.js';
import type { PoolSettings } from './pools.js';

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

export function failureOf(error: Error): UpstreamFailure {
  const code = errorCode(error);
  if (code === undefined) return 'sent';
  if (NOT_SENT.has(code)) return 'not-sent';
  if (INVALID_REQUEST.has(code)) return 'rejected';
  return 'sent';
}

/** Flat `[name, value, …]` from undici's header object (names already lower-case). */
function flat(headers: Record<string, string | string[] | undefined>): HeaderList {
  const out: HeaderList = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/**
 * One attempt's handler on undici's side, and the controller on core's: calls before undici has
 * started the request are remembered (an abort then cancels it as soon as undici starts it).
 */
class Attempt implements Dispatcher.DispatchHandler, UpstreamController {
  #controller: Dispatcher.DispatchController | undefined;
  #aborted: Error | undefined;

  constructor(private readonly handler: UpstreamHandler) {}

  pause(): void {
    this.#controller?.pause();
  }

  resume(): void {
    this.#controller?.resume();
  }

  abort(reason: Error): void {
    if (this.#controller === undefined) this.#aborted = reason;
    else this.#controller.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#aborted !== undefined) controller.abort(this.#aborted);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[]>,
    statusMessage?: string,
  ): void {
    // 1xx are undici's business (it does not pass them on for a dispatch without upgrade).
    if (status < 200) return;
    this.handler.onHead(status, flat(headers), statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onData(chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: Record<string, string | string[]>): void {
    const list = trailers === undefined || trailers === null ? null : flat(trailers);
    this.handler.onEnd(list === null || list.length === 0 ? null : list);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onError(error, failureOf(error));
  }
}

export class Http1Upstream implements Upstream {
  readonly protocol: Protocol = 'http/1.1';
  readonly #origin: string;
  readonly #pool: Pool;

  constructor(origin: string, settings: PoolSettings) {
    this.#origin = origin;
    this.#pool = new Pool(origin, {
      connections: settings.connections,
      pipelining: 1,
      keepAliveTimeout: settings.keepAliveMs,
      connectTimeout: settings.connectTimeoutMs,
      // Timeouts are the router's policy (total and per-attempt), not the pool's.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const attempt = new Attempt(handler);
    handler.onStart(attempt);
    try {
      this.#pool.dispatch(
        {
          origin: this.#origin,
          method: request.method as Dispatcher.HttpMethod,
          path: request.path,
          headers: request.headers,
          body: request.body,
        },
        attempt,
      );
    } catch (error) {
      handler.onError(error as Error, failureOf(error as Error));
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  destroy(): Promise<void> {
    return this.#pool.destroy();
  }
}

/** `http://host:port`, with an IPv6 host in brackets. */
export function originOf(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export function http1Upstreams(settings: PoolSettings): UpstreamFactory {
  return (host, port) => new Http1Upstream(originOf(host, port), settings);
}
