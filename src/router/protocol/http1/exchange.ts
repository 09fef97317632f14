/**
 * node:http's request and response as core's Exchange. The head is read in one pass over node's
 * rawHeaders: asking node for `req.headers` and `req.headersDistinct` instead builds two full
 * header objects per request, which the profile showed as the router's largest cost of its own.
 * One object is both the body and the sink, so a request costs three small objects here (the
 * head, that, and the exchange holding them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { serve } from '../../core/dispatch.js';
import type { Exchange, HeaderList, RequestBody, RequestHead, ResponseSink, Synthetic } from '../../core/exchange.js';
import { plainFailure } from '../../core/rescue.js';
import type { RouterRuntime } from '../../core/runtime.js';

/** node:http's request listener: each request becomes an Exchange served by core. */
export function http1Handler(
  rt: RouterRuntime,
  closing: () => boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(rt, http1Exchange(req, res, closing));
  };
}

export function readHead(req: IncomingMessage): RequestHead {
  const raw = req.rawHeaders;
  const head: RequestHead = {
    protocol: 'http/1.1',
    method: req.method ?? 'GET',
    authority: undefined,
    path: req.url ?? '/',
    headers: raw,
    remoteAddress: req.socket?.remoteAddress,
    http10: req.httpVersion === '1.0',
    duplicateHost: false,
    expectContinue: false,
    via: undefined,
    hasBody: false,
    contentLength: undefined,
    ctxDtab: undefined,
    userDtab: undefined,
    deadline: undefined,
    grpcTimeout: undefined,
    grpc: false,
  };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Most headers are ruled out by length before any lower-casing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          if (head.authority === undefined) head.authority = raw[i + 1];
          else head.duplicateHost = true;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect' && raw[i + 1]!.toLowerCase() === '100-continue') head.expectContinue = true;
        break;
      case 3:
        if (name.toLowerCase() === 'via') head.via = head.via === undefined ? raw[i + 1] : `${head.via}, ${raw[i + 1]}`;
        break;
      case 8:
        if (name.toLowerCase() === 'l5d-dtab') (head.userDtab ??= []).push(raw[i + 1]!);
        break;
      case 12: {
        const lower = name.toLowerCase();
        if (lower === 'l5d-ctx-dtab') (head.ctxDtab ??= []).push(raw[i + 1]!);
        else if (lower === 'content-type') head.grpc = raw[i + 1]!.toLowerCase().startsWith('application/grpc');
        else if (lower === 'grpc-timeout') head.grpcTimeout = raw[i + 1];
        break;
      }
      case 14:
        if (name.toLowerCase() === 'content-length') {
          const value = raw[i + 1]!;
          if (value !== '0') head.hasBody = true;
          head.contentLength = Number(value);
        }
        break;
      case 16:
        if (name.toLowerCase() === 'l5d-ctx-deadline') (head.deadline ??= []).push(raw[i + 1]!);
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') head.hasBody = true;
        break;
    }
  }
  return head;
}

/** An HTTP/1.1 request and its response as core's Exchange; `closing` says whether the router is draining. */
export function http1Exchange(req: IncomingMessage, res: ServerResponse, closing: () => boolean): Exchange {
  const started = performance.now();
  const head = readHead(req);
  const io = new Http1Io(req, res, closing);
  return { head, body: head.hasBody ? io : null, sink: io, started };
}

/** The request body and the response sink of one HTTP/1.1 exchange. */
export class Http1Io implements RequestBody, ResponseSink {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Whether the router is draining: responses then say `Connection: close`. */
    private readonly closing: () => boolean,
  ) {}

  // RequestBody

  get stream(): Readable {
    return this.req;
  }

  get complete(): boolean {
    return this.req.complete;
  }

  received(): number {
    return this.req.socket.bytesRead;
  }

  // ResponseSink

  get started(): boolean {
    return this.res.headersSent;
  }

  get finished(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  continue(): void {
    if (!this.res.headersSent) this.res.writeContinue();
  }

  start(status: number, headers: HeaderList, statusText?: string): void {
    if (this.closing()) headers.push('connection', 'close');
    this.res.writeHead(status, statusText ?? '', headers);
  }

  write(chunk: Uint8Array): boolean {
    return this.res.write(chunk);
  }

  onDrain(callback: () => void): void {
    this.res.once('drain', callback);
  }

  end(trailers?: HeaderList): void {
    if (trailers !== undefined && trailers.length > 0) addTrailers(this.res, trailers);
    this.res.end();
  }

  abort(error?: Error): void {
    this.res.destroy(error);
  }

  /**
   * The registry's status, `l5d-err`, `l5d-retryable` when the request never reached an
   * upstream, and the message as a text body. Too late for a status, the response is cut so the
   * caller sees it incomplete, not truncated-but-ok.
   */
  rescue(failure: Synthetic): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { headers, body } = plainFailure(failure);
    // A body still on its way cannot be left in the stream to be read as the next request.
    if (this.closing() || !this.req.complete) headers.push('connection', 'close');
    res.writeHead(failure.status, headers);
    res.end(body);
  }

  onAbandon(callback: () => void): () => void {
    const res = this.res;
    const listener = () => {
      if (!res.writableFinished) callback();
    };
    res.once('close', listener);
    return () => res.off('close', listener);
  }
}

/** Trailers go out on a chunked response only (node drops them otherwise); a bad one is skipped. */
function addTrailers(res: ServerResponse, trailers: HeaderList): void {
  try {
    const all: [string, string][] = [];
    for (let i = 0; i < trailers.length; i += 2) all.push([trailers[i]!, trailers[i + 1]!]);
    res.addTrailers(all);
  } catch {
    // A trailer node refuses is dropped rather than cutting a response that has arrived whole.
  }
}
