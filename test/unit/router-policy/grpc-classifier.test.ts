/**
 * linkerd's gRPC response classifiers: every kind × every code (and every way a call can end
 * without a code) → class; the kinds' one rule each, checked over all codes with fast-check; and
 * how a non-gRPC answer is read before it is classified.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GRPC_CLASSIFIER,
  GRPC_CLASSIFIERS,
  type GrpcOutcome,
  grpcClassifier,
  isGrpcClassifierKind,
} from '../../../src/router/policy/grpc-classifier.js';
import { type ResponseClass, responseClassifier } from '../../../src/router/policy/response-classifier.js';
import { GrpcStatus, grpcStatusOfHead } from '../../../src/router/protocol/grpc/status.js';

const S: ResponseClass = 'success';
const F: ResponseClass = 'failure';
const R: ResponseClass = 'retryable-failure';
const code = fc.integer({ min: 0, max: 16 });
const noStatus: GrpcOutcome[] = ['reset', 'no-status', 'connect', 'write', 'timeout', 'closed', 'other'];
const classify = (kind: string, outcome: GrpcOutcome, codes?: number[]) =>
  grpcClassifier(kind, codes)!.classify(outcome);

describe('gRPC response classifiers', () => {
  // Columns: default, neverRetryable, alwaysRetryable, retryableStatusCodes [4, 8].
  const TABLE: [GrpcOutcome, ResponseClass, ResponseClass, ResponseClass, ResponseClass][] = [
    [GrpcStatus.OK, S, S, S, S],
    [GrpcStatus.CANCELLED, F, F, R, F],
    [GrpcStatus.UNKNOWN, F, F, R, F],
    [GrpcStatus.DEADLINE_EXCEEDED, F, F, R, R],
    [GrpcStatus.RESOURCE_EXHAUSTED, F, F, R, R],
    [GrpcStatus.INTERNAL, F, F, R, F],
    [GrpcStatus.UNAVAILABLE, R, F, R, F],
    [GrpcStatus.UNAUTHENTICATED, F, F, R, F],
    ...noStatus.map((o): [GrpcOutcome, ResponseClass, ResponseClass, ResponseClass, ResponseClass] => [o, F, F, F, F]),
  ];

  it.each(TABLE)(
    '%s → default %s, neverRetryable %s, alwaysRetryable %s, retryableStatusCodes [4, 8] %s',
    (outcome, ...expected) => {
      const got = GRPC_CLASSIFIERS.map((k) => classify(k, outcome, [4, 8]));
      expect(got).toEqual(expected);
    },
  );

  it('OK is a success under every kind, whatever codes are listed (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GRPC_CLASSIFIERS), fc.array(code, { maxLength: 17 }), (kind, codes) => {
        expect(classify(kind, GrpcStatus.OK, codes)).toBe(S);
      }),
    );
  });

  it('every other code is a failure; only the kind decides whether it is retried (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(code, { maxLength: 17 }), (c, codes) => {
        expect(classify('io.l5d.h2.grpc.default', c)).toBe(c === GrpcStatus.UNAVAILABLE ? R : F);
        expect(classify('io.l5d.h2.grpc.neverRetryable', c)).toBe(F);
        expect(classify('io.l5d.h2.grpc.alwaysRetryable', c)).toBe(R);
        expect(classify('io.l5d.h2.grpc.retryableStatusCodes', c, codes)).toBe(codes.includes(c) ? R : F);
      }),
    );
  });

  it('a call that ended without a status (reset, no grpc-status, no response) is a failure never retried', () => {
    for (const kind of GRPC_CLASSIFIERS)
      for (const o of noStatus) expect([kind, o, classify(kind, o, [0, 14])]).toEqual([kind, o, F]);
  });

  it('a non-gRPC answer is classified as the code a gRPC client reads from it', () => {
    const c = DEFAULT_GRPC_CLASSIFIER;
    expect(c.classify(grpcStatusOfHead(503, undefined)!)).toBe(R);
    expect(c.classify(grpcStatusOfHead(502, undefined)!)).toBe(R);
    expect(c.classify(grpcStatusOfHead(500, undefined)!)).toBe(F);
    expect(c.classify(grpcStatusOfHead(404, undefined)!)).toBe(F);
    // Trailers-only: the status in the head decides, HTTP 200 or not.
    expect(c.classify(grpcStatusOfHead(200, '14')!)).toBe(R);
    expect(c.classify(grpcStatusOfHead(200, '0')!)).toBe(S);
  });

  it('knows exactly the four linkerd kinds; the default is io.l5d.h2.grpc.default', () => {
    expect(DEFAULT_GRPC_CLASSIFIER.kind).toBe('io.l5d.h2.grpc.default');
    for (const k of GRPC_CLASSIFIERS) expect(isGrpcClassifierKind(k)).toBe(true);
    for (const k of ['io.l5d.h2.grpc.bogus', 'toString', 'io.l5d.http.nonRetryable5XX', 'io.l5d.h2.grpc.'])
      expect([k, grpcClassifier(k)]).toEqual([k, undefined]);
  });

  it('under a gRPC kind, plain HTTP responses of the router keep the default HTTP classification', () => {
    for (const k of GRPC_CLASSIFIERS) expect(responseClassifier(k)?.kind).toBe('io.l5d.http.nonRetryable5XX');
    expect(responseClassifier('io.l5d.h2.grpc.bogus')).toBeUndefined();
  });
});
