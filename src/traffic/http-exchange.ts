/**
 * One request and its response head through an undici dispatcher, without a body stream: the
 * generator only needs the status and headers, so the body is read and dropped chunk by chunk.
 * Skipping `request()`'s Readable per response is most of what keeps the generator from being
 * the bottleneck of a load test. Transport errors are reduced to a few kinds people can act on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface ResponseHead {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

class Exchange implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  readonly #resolve: (head: ResponseHead) => void;
  readonly #reject: (error: Error) => void;

  constructor(resolve: (head: ResponseHead) => void, reject: (error: Error) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.#status = status;
    this.#headers = headers;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.#resolve({ status: this.#status, headers: this.#headers });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#reject(error);
  }
}

export function exchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<ResponseHead> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new Exchange(resolve, reject));
  });
}

/** The kinds `countsByErrors` uses; anything unexpected keeps its code so it stays visible. */
export function errorKind(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    default:
      return typeof code === 'string' ? code : 'other';
  }
}
