/**
 * How the router answers a gRPC caller with one of its own failures: a trailers-only response,
 * one HEADERS frame that ends the stream and carries `:status 200`, `content-type:
 * application/grpc`, the gRPC status and its message. gRPC clients read the outcome from
 * `grpc-status`, never from the HTTP status, so a 502 would surface as an opaque INTERNAL;
 * `l5d-err` still names the router's failure for anyone reading headers.
 */
import type { HeaderList, Synthetic } from '../../core/exchange.js';

/** Header values stay well under the header budget, as on HTTP/1.1. */
const MAX_HEADER_VALUE = 1024;

/**
 * The gRPC wire encoding of `grpc-message`: the UTF-8 bytes, with every byte outside printable
 * ASCII (0x20–0x7E) and `%` itself written as `%XX`. Clients decode it back to the text.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Cuts an encoded value at the limit without splitting a `%XX` escape. */
export function capEncoded(value: string, limit = MAX_HEADER_VALUE): string {
  if (value.length <= limit) return value;
  const cut = value.slice(0, limit);
  const pct = cut.lastIndexOf('%');
  return pct >= limit - 2 ? cut.slice(0, pct) : cut;
}

/** The headers of a trailers-only response (no pseudo-headers: `:status` is always 200). */
export function trailersOnlyHeaders(failure: Synthetic): HeaderList {
  return [
    'content-type',
    'application/grpc',
    'grpc-status',
    String(failure.grpcStatus),
    'grpc-message',
    capEncoded(encodeGrpcMessage(failure.message)),
    'l5d-err',
    capEncoded(encodeURIComponent(failure.message)),
  ];
}
