/**
 * grpc-message's wire encoding: printable ASCII but `%` as is, every other UTF-8 byte as `%XX`;
 * a client's decoding gives the text back, and the cap never splits an escape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capEncoded } from '../../src/router/core/rescue.js';
import { decodeGrpcMessage, encodeGrpcMessage } from '../../src/router/protocol/grpc/status.js';
import { trailersOnlyHeaders } from '../../src/router/protocol/grpc/trailers-only.js';

describe('grpc-message encoding', () => {
  it('round-trips any text and emits only printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const encoded = encodeGrpcMessage(text);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeGrpcMessage(encoded)).toBe(text);
      }),
      { numRuns: 1_000 },
    );
  });

  it('encodes the spec example and leaves plain text alone', () => {
    expect(encodeGrpcMessage('a b%c')).toBe('a b%25c');
    expect(encodeGrpcMessage('ü\n')).toBe('%C3%BC%0A');
  });

  it('caps a long value without splitting an escape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 800 }), fc.integer({ min: 3, max: 400 }), (text, limit) => {
        const capped = capEncoded(encodeGrpcMessage(text), limit);
        expect(capped.length).toBeLessThanOrEqual(limit);
        expect(capped).not.toMatch(/%[0-9A-F]?$/);
      }),
      { numRuns: 500 },
    );
  });

  it('renders a trailers-only answer from a failure', () => {
    const headers = trailersOnlyHeaders({
      code: 'SY_ERR_UPSTREAM_TIMEOUT',
      status: 504,
      message: 'Request to web timed out after 10 ms',
      retryable: false,
      grpcStatus: 4,
    });
    expect(headers).toEqual([
      'content-type',
      'application/grpc',
      'grpc-status',
      '4',
      'grpc-message',
      'Request to web timed out after 10 ms',
      'l5d-err',
      'Request%20to%20web%20timed%20out%20after%2010%20ms',
    ]);
  });
});
