/**
 * The one place where the router turns its own failures into answers (as linkerd's
 * ErrorResponder and linkerd2-proxy's rescue), with no I/O: an error becomes a Synthetic with the
 * registry's status, its message, whether the request never reached an upstream, and the gRPC
 * status a gRPC caller gets instead. Each protocol adapter renders a Synthetic its own way
 * (HTTP/1.1: the status, `l5d-err`, `l5d-retryable` and the message as a text body).
 */
import { SwitchyardError } from '../../errors.js';
import type { HeaderList, Synthetic } from './exchange.js';

/** The 17 gRPC status codes, as gRPC defines them (protocol/grpc/status.ts reads and writes them). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The gRPC status of each router failure; any code not listed is INTERNAL. UNAVAILABLE is the
 * one gRPC clients retry on their own, so it is kept for failures where no upstream saw the call
 * or none could be reached. REQUEST_TIMEOUT (the caller's own body or head did not arrive in
 * time) maps to DEADLINE_EXCEEDED: it is a timeout, and not one a client should treat as the
 * server being down.
 */
const GRPC_BY_CODE: Readonly<Record<string, number>> = {
  SY_ERR_NO_BROKERS: GrpcStatus.UNAVAILABLE,
  SY_ERR_UPSTREAM_CONNECT: GrpcStatus.UNAVAILABLE,
  SY_ERR_UPSTREAM_FAILED: GrpcStatus.UNAVAILABLE,
  SY_ERR_BINDING_TIMEOUT: GrpcStatus.UNAVAILABLE,
  SY_ERR_TOO_MANY_CONNECTIONS: GrpcStatus.UNAVAILABLE,
  SY_ERR_UPSTREAM_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  SY_ERR_DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  SY_ERR_REQUEST_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  SY_ERR_INVALID_DTAB_HEADERS: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_DTAB_SYNTAX: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_DTAB_HEADER_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_BAD_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_UNIDENTIFIED: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_MAX_CALL_DEPTH: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_BIND_BUDGET: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_DTAB_TOO_MANY_DENTRIES: GrpcStatus.INVALID_ARGUMENT,
  SY_ERR_DTAB_OVERRIDE_DENIED: GrpcStatus.PERMISSION_DENIED,
  SY_ERR_SELF_ADDRESS: GrpcStatus.PERMISSION_DENIED,
  SY_ERR_HEADERS_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
};

/** The code given to a failure that is not one of the registry's (a bug, or an I/O error). */
export const UNKNOWN_CODE = 'SY_ERR_UPSTREAM_FAILED';

export function grpcStatusOf(code: string): number {
  return GRPC_BY_CODE[code] ?? GrpcStatus.INTERNAL;
}

/**
 * The Synthetic for an error. `retryable` is for the caller that knows the request never left
 * (a connection that was refused): nothing else says so on its own.
 */
export function rescue(error: unknown, retryable = false): Synthetic {
  if (error instanceof SwitchyardError) {
    return {
      code: error.code,
      status: error.status,
      message: error.message,
      retryable,
      grpcStatus: grpcStatusOf(error.code),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: UNKNOWN_CODE, status: 502, message, retryable, grpcStatus: GrpcStatus.INTERNAL };
}

/** Header values must stay well under the 8 KiB header budget. */
const MAX_ERR_HEADER = 1024;

/** Cuts a percent-encoded value at the limit without splitting a `%XX` escape. */
export function capEncoded(value: string, limit = MAX_ERR_HEADER): string {
  if (value.length <= limit) return value;
  const cut = value.slice(0, limit);
  const pct = cut.lastIndexOf('%');
  return pct >= limit - 2 ? cut.slice(0, pct) : cut;
}

/** The `l5d-err` value: the message URL-encoded, so callers can tell a router error from the app's. */
export function errHeaderValue(failure: Synthetic): string {
  return capEncoded(encodeURIComponent(failure.message));
}

/** The text body of an HTTP rendering. */
export function errBody(failure: Synthetic): string {
  return `${failure.message}\n`;
}

/**
 * A failure as a plain HTTP answer, for every protocol's non-gRPC callers: the status, `l5d-err`,
 * `l5d-retryable: true` when the request never reached an upstream, and the message as a text body.
 */
export function plainFailure(failure: Synthetic): { status: number; headers: HeaderList; body: string } {
  const body = errBody(failure);
  const headers: HeaderList = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'l5d-err',
    errHeaderValue(failure),
  ];
  if (failure.retryable) headers.push('l5d-retryable', 'true');
  return { status: failure.status, headers, body };
}
