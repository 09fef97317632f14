/**
 * How the router answers a gRPC caller with one of its own failures: a trailers-only response,
 * one HEADERS frame that ends the stream and carries `:status 200`, `content-type:
 * application/grpc`, the gRPC status and its message. gRPC clients read the outcome from
 * `grpc-status`, never from the HTTP status, so a 502 would surface as an opaque INTERNAL;
 * `l5d-err` still names the router's failure for anyone reading headers.
 */
import type { HeaderList, Synthetic } from '../../core/exchange.js';
import { capEncoded, errHeaderValue } from '../../core/rescue.js';
import { encodeGrpcMessage } from './status.js';

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
    errHeaderValue(failure),
  ];
}
