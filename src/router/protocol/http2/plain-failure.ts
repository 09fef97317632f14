/**
 * One of the router's own failures as a plain HTTP answer, for an h2 caller that is not gRPC:
 * the same rendering as HTTP/1.1's error response (the status, `l5d-err` with the URL-encoded
 * message, `l5d-retryable: true` when the request never reached an upstream, the message as a
 * text body), as a header list so any protocol adapter can send it.
 */
import type { HeaderList, Synthetic } from '../../core/exchange.js';
import { capEncoded } from '../grpc/trailers-only.js';

export interface PlainFailure {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: string;
}

export function plainFailure(failure: Synthetic): PlainFailure {
  const body = `${failure.message}\n`;
  const headers: HeaderList = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'l5d-err',
    capEncoded(encodeURIComponent(failure.message)),
  ];
  if (failure.retryable) headers.push('l5d-retryable', 'true');
  return { status: failure.status, headers, body };
}
