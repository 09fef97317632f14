/**
 * gRPC status codes as the router reads and writes them (docs/grpc.md): the 17 codes of the gRPC
 * protocol, the `grpc-status` trailer, the mapping gRPC clients apply when an upstream answers a
 * gRPC call with a plain HTTP error, and the `grpc-message` percent-encoding. Everything here is
 * pure and bounded: a caller or an upstream can send any bytes in these headers, and none of them
 * costs more than a fixed amount of work or mints a code outside 0–16.
 */

import { GrpcStatus } from '../../core/rescue.js';

export { GrpcStatus };

export type GrpcStatusName = keyof typeof GrpcStatus;
export type GrpcStatusCode = (typeof GrpcStatus)[GrpcStatusName];

/** Names by code: `GRPC_STATUS_NAMES[14]` is `UNAVAILABLE`. */
export const GRPC_STATUS_NAMES: readonly GrpcStatusName[] = Object.keys(GrpcStatus) as GrpcStatusName[];

export const GRPC_STATUS_HEADER = 'grpc-status';
export const GRPC_MESSAGE_HEADER = 'grpc-message';

/** Whether `code` is one of the 17 codes. */
export function isGrpcStatus(code: unknown): code is GrpcStatusCode {
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}

/** The code's name (`UNAVAILABLE`), or `unknown` for anything outside 0–16. */
export function grpcStatusName(code: number): string {
  return isGrpcStatus(code) ? GRPC_STATUS_NAMES[code]! : 'unknown';
}

/** Longer than this, a `grpc-status` value is not read at all (the codes have one or two digits). */
const MAX_STATUS_DIGITS = 10;

/**
 * A `grpc-status` value as gRPC clients read it: decimal digits naming one of the 17 codes. Anything
 * else (empty, signs, spaces, hex, a code past 16, a value too long to be one) is UNKNOWN, as
 * grpc-js and grpc-go treat it, so an upstream cannot make the router count or act on a code that
 * does not exist.
 */
export function parseGrpcStatus(value: string | undefined): GrpcStatusCode {
  if (value === undefined || value.length === 0 || value.length > MAX_STATUS_DIGITS) return GrpcStatus.UNKNOWN;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return GrpcStatus.UNKNOWN;
  }
  const n = Number(value);
  return isGrpcStatus(n) ? n : GrpcStatus.UNKNOWN;
}

/**
 * The code a gRPC client reports when a call is answered with an HTTP status other than 200 and
 * no `grpc-status` (a proxy or a plain web server in the way): gRPC's "HTTP to gRPC Status Code
 * Mapping". The router uses it to classify and count such answers like the client will see them.
 */
export function grpcStatusFromHttp(status: number): GrpcStatusCode {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/**
 * The status a response head already settles, or undefined when it must wait for the trailers:
 * a trailers-only response carries `grpc-status` in its head; a non-200 head without one is
 * mapped from its HTTP status; a 200 head without one is an ordinary gRPC response in progress.
 */
export function grpcStatusOfHead(httpStatus: number, grpcStatus: string | undefined): GrpcStatusCode | undefined {
  if (grpcStatus !== undefined) return parseGrpcStatus(grpcStatus);
  return httpStatus === 200 ? undefined : grpcStatusFromHttp(httpStatus);
}

/** UTF-8 bytes of a message the router writes; a longer message is cut at a character boundary. */
export const GRPC_MESSAGE_MAX_BYTES = 1024;
/** Encoded characters of a received `grpc-message` that are decoded; the rest is dropped. */
export const GRPC_MESSAGE_MAX_ENCODED = 3 * GRPC_MESSAGE_MAX_BYTES;

const HEX = '0123456789ABCDEF';

/**
 * `grpc-message` as the gRPC spec writes it: UTF-8, with every byte outside printable ASCII
 * (0x20–0x7E) and `%` itself as `%XX`. The result is a valid header value whatever the message held
 * (line breaks, control characters, non-ASCII), at most 3 × GRPC_MESSAGE_MAX_BYTES characters.
 */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let end = Math.min(bytes.length, GRPC_MESSAGE_MAX_BYTES);
  // Never split a UTF-8 sequence: back up over continuation bytes to the start of a character.
  if (end < bytes.length) while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * Reads a `grpc-message` leniently, as the spec asks of receivers: `%XX` becomes the byte; a `%`
 * not followed by two hex digits stays as it is; the bytes are read as UTF-8 with U+FFFD for bad
 * sequences. Only the first GRPC_MESSAGE_MAX_ENCODED characters are read.
 */
export function decodeGrpcMessage(value: string): string {
  const text = value.length > GRPC_MESSAGE_MAX_ENCODED ? value.slice(0, GRPC_MESSAGE_MAX_ENCODED) : value;
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Not valid in a header value; kept as its UTF-8 so nothing is silently dropped.
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * The `grpc-status` value in a flat header list (`[name, value, …]`, a response head or its
 * trailers), or undefined. Names compare without case: HTTP/1.1 trailers keep the sender's case.
 */
export function findGrpcStatus(headers: readonly string[] | null): string | undefined {
  if (headers === null) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 11 && name.toLowerCase() === GRPC_STATUS_HEADER) return headers[i + 1];
  }
  return undefined;
}

/**
 * How a gRPC call ended, once its response is complete: the code in the trailers, else the one its
 * head settled (trailers-only, or a non-gRPC HTTP error), else `no-status` (a 200 that ended
 * without one). What the classifiers and the `grpc/status` metrics take.
 */
export function grpcStatusOfResponse(
  httpStatus: number,
  head: readonly string[],
  trailers: readonly string[] | null,
): GrpcStatusCode | 'no-status' {
  const inTrailers = findGrpcStatus(trailers);
  if (inTrailers !== undefined) return parseGrpcStatus(inTrailers);
  return grpcStatusOfHead(httpStatus, findGrpcStatus(head)) ?? 'no-status';
}
