/**
 * gRPC status codes: names, reading `grpc-status` (anything but a listed code is UNKNOWN), the
 * HTTP → gRPC mapping for non-gRPC answers, and `grpc-message` percent-encoding round trips.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  findGrpcStatus,
  GRPC_MESSAGE_MAX_BYTES,
  GRPC_MESSAGE_MAX_ENCODED,
  GRPC_STATUS_NAMES,
  GrpcStatus,
  grpcStatusFromHttp,
  grpcStatusName,
  grpcStatusOfHead,
  grpcStatusOfResponse,
  parseGrpcStatus,
} from '../../../src/router/protocol/grpc/status.js';

describe('gRPC status codes', () => {
  it('has the 17 codes of the protocol, OK = 0 to UNAUTHENTICATED = 16, with their names', () => {
    expect(GRPC_STATUS_NAMES).toHaveLength(17);
    expect(GRPC_STATUS_NAMES.map((n) => GrpcStatus[n])).toEqual([...Array(17).keys()]);
    expect(grpcStatusName(14)).toBe('UNAVAILABLE');
    expect(grpcStatusName(4)).toBe('DEADLINE_EXCEEDED');
    expect(grpcStatusName(17)).toBe('unknown');
    expect(grpcStatusName(-1)).toBe('unknown');
  });

  it('reads grpc-status digits as the code they name', () => {
    for (let c = 0; c <= 16; c++) expect(parseGrpcStatus(String(c))).toBe(c);
    expect(parseGrpcStatus('014')).toBe(14);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['a code past 16', '17'],
    ['a sign', '-1'],
    ['a plus', '+3'],
    ['spaces', ' 3'],
    ['hex', '0x1'],
    ['a fraction', '1.0'],
    ['a word', 'OK'],
    ['too long', '0'.repeat(11)],
    ['huge', '9'.repeat(400)],
  ])('reads %s as UNKNOWN', (_what, value) => {
    expect(parseGrpcStatus(value)).toBe(GrpcStatus.UNKNOWN);
  });

  it('never yields anything but a code 0–16, whatever the value (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (v) => {
        const c = parseGrpcStatus(v);
        expect(Number.isInteger(c) && c >= 0 && c <= 16).toBe(true);
      }),
    );
  });

  it("maps a non-gRPC HTTP answer as gRPC's HTTP to gRPC Status Code Mapping does", () => {
    const table: [number, number][] = [
      [400, GrpcStatus.INTERNAL],
      [401, GrpcStatus.UNAUTHENTICATED],
      [403, GrpcStatus.PERMISSION_DENIED],
      [404, GrpcStatus.UNIMPLEMENTED],
      [429, GrpcStatus.UNAVAILABLE],
      [502, GrpcStatus.UNAVAILABLE],
      [503, GrpcStatus.UNAVAILABLE],
      [504, GrpcStatus.UNAVAILABLE],
      [500, GrpcStatus.UNKNOWN],
      [302, GrpcStatus.UNKNOWN],
      [418, GrpcStatus.UNKNOWN],
    ];
    for (const [http, grpc] of table) expect([http, grpcStatusFromHttp(http)]).toEqual([http, grpc]);
  });

  it('settles the status at the head only for trailers-only and non-200 answers', () => {
    expect(grpcStatusOfHead(200, undefined)).toBeUndefined();
    expect(grpcStatusOfHead(200, '5')).toBe(GrpcStatus.NOT_FOUND);
    expect(grpcStatusOfHead(503, undefined)).toBe(GrpcStatus.UNAVAILABLE);
    // A grpc-status in the head wins over the HTTP status.
    expect(grpcStatusOfHead(503, '0')).toBe(GrpcStatus.OK);
  });
});

describe('the status of a whole response', () => {
  it('is the trailers’ grpc-status, else what the head settled, else no-status', () => {
    expect(grpcStatusOfResponse(200, ['content-type', 'application/grpc'], ['grpc-status', '0'])).toBe(0);
    expect(grpcStatusOfResponse(200, [], ['grpc-message', 'x', 'grpc-status', '14'])).toBe(14);
    // Trailers-only: the head carries it and there are no trailers.
    expect(grpcStatusOfResponse(200, ['grpc-status', '5'], null)).toBe(5);
    expect(grpcStatusOfResponse(503, ['content-type', 'text/plain'], null)).toBe(GrpcStatus.UNAVAILABLE);
    expect(grpcStatusOfResponse(200, ['content-type', 'application/grpc'], null)).toBe('no-status');
    expect(grpcStatusOfResponse(200, [], ['grpc-status', 'OK'])).toBe(GrpcStatus.UNKNOWN);
  });

  it('finds grpc-status whatever its case (HTTP/1.1 trailers keep it) and only in name positions', () => {
    expect(findGrpcStatus(['Grpc-Status', '3'])).toBe('3');
    expect(findGrpcStatus(['x-note', 'grpc-status', 'grpc-status', '4'])).toBe('4');
    expect(findGrpcStatus(['grpc-status'])).toBeUndefined();
    expect(findGrpcStatus(null)).toBeUndefined();
  });
});

describe('grpc-message', () => {
  it('percent-encodes bytes outside printable ASCII and % itself, as UTF-8', () => {
    expect(encodeGrpcMessage('no route: /svc/x')).toBe('no route: /svc/x');
    expect(encodeGrpcMessage('100% done')).toBe('100%25 done');
    expect(encodeGrpcMessage('line\nbreak\r\t')).toBe('line%0Abreak%0D%09');
    expect(encodeGrpcMessage('café ☃')).toBe('caf%C3%A9 %E2%98%83');
    expect(encodeGrpcMessage('\u007f')).toBe('%7F');
  });

  it('decodes leniently: a % without two hex digits stays, bad UTF-8 becomes U+FFFD', () => {
    expect(decodeGrpcMessage('caf%C3%A9')).toBe('café');
    expect(decodeGrpcMessage('caf%c3%a9')).toBe('café');
    expect(decodeGrpcMessage('50%')).toBe('50%');
    expect(decodeGrpcMessage('%zz%4')).toBe('%zz%4');
    expect(decodeGrpcMessage('%FF')).toBe('\ufffd');
    expect(decodeGrpcMessage('plain')).toBe('plain');
  });

  it('round-trips any message that fits, and the encoding is always a valid header value (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (m) => {
        const encoded = encodeGrpcMessage(m);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        // Lone surrogates have no UTF-8 form; everything else comes back as it was.
        expect(decodeGrpcMessage(encoded)).toBe(Buffer.from(m, 'utf8').toString('utf8'));
      }),
    );
  });

  it('bounds both directions: long messages are cut at a character boundary, long values read in part', () => {
    const long = '☃'.repeat(GRPC_MESSAGE_MAX_BYTES); // 3 bytes each
    const encoded = encodeGrpcMessage(long);
    expect(encoded.length).toBeLessThanOrEqual(3 * GRPC_MESSAGE_MAX_BYTES);
    const decoded = decodeGrpcMessage(encoded);
    expect(decoded).toBe('☃'.repeat(Math.floor(GRPC_MESSAGE_MAX_BYTES / 3)));
    const hostile = '%41'.repeat(1_000_000);
    const started = performance.now();
    expect(decodeGrpcMessage(hostile)).toBe('A'.repeat(GRPC_MESSAGE_MAX_ENCODED / 3));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
