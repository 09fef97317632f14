/**
 * linkerd's gRPC response classifiers (docs/grpc.md#response-classifiers; linkerd's
 * `GrpcClassifier.scala`). A gRPC call's outcome is its `grpc-status`, which arrives in the
 * trailers (or in the head of a trailers-only response), not in the HTTP status: every gRPC
 * answer is HTTP 200. So a gRPC call is classified once its status is known:
 *
 * - `grpc-status: 0` (OK) is a success, under every kind;
 * - any other code is a failure, retryable or not as the kind says:
 *   `io.l5d.h2.grpc.default` retries UNAVAILABLE only; `neverRetryable` none; `alwaysRetryable`
 *   all; `retryableStatusCodes` those listed in `retryableStatusCodes`;
 * - no status at all (the stream was reset, the connection broke, or the response ended without a
 *   `grpc-status`) is a failure that is never retried, as linkerd classifies a thrown error or a
 *   stream without a status: the router cannot tell what the upstream did with the call.
 *
 * A non-gRPC answer (an HTTP error from a proxy in the way) is read as the code a gRPC client
 * would report (protocol/grpc/status.ts `grpcStatusOfResponse`), then classified like any code.
 * Requeues of calls that never reached an upstream are a separate decision (`isRequeueable`).
 */
import { GRPC_CLASSIFIERS } from '../../config/h2-keys.js';
import type { ErrorKind, ResponseClass } from './response-classifier.js';

// The kinds are the config's (one list for validation, the schema and this module).
export { GRPC_CLASSIFIERS };

export type GrpcClassifierKind = (typeof GRPC_CLASSIFIERS)[number];

/**
 * How a gRPC attempt ended: its status code (0–16), or why there is none:
 * `reset` (RST_STREAM or a cut HTTP/1.1 response), `no-status` (ended without `grpc-status`),
 * or one of the HTTP classifiers' error kinds (no response at all).
 */
export type GrpcOutcome = number | 'reset' | 'no-status' | ErrorKind;

export interface GrpcClassifier {
  readonly kind: GrpcClassifierKind;
  /** The codes this classifier retries (besides OK, which is never a failure). */
  readonly retryableCodes: ReadonlySet<number>;
  classify(outcome: GrpcOutcome): ResponseClass;
}

const UNAVAILABLE = 14;
const ALL_FAILURE_CODES = Array.from({ length: 16 }, (_, i) => i + 1);

class StatusCodeClassifier implements GrpcClassifier {
  readonly retryableCodes: ReadonlySet<number>;

  constructor(
    readonly kind: GrpcClassifierKind,
    codes: readonly number[],
  ) {
    this.retryableCodes = new Set(codes);
  }

  classify(outcome: GrpcOutcome): ResponseClass {
    if (typeof outcome !== 'number') return 'failure';
    if (outcome === 0) return 'success';
    return this.retryableCodes.has(outcome) ? 'retryable-failure' : 'failure';
  }
}

const FIXED: Readonly<Record<Exclude<GrpcClassifierKind, 'io.l5d.h2.grpc.retryableStatusCodes'>, GrpcClassifier>> = {
  'io.l5d.h2.grpc.default': new StatusCodeClassifier('io.l5d.h2.grpc.default', [UNAVAILABLE]),
  'io.l5d.h2.grpc.neverRetryable': new StatusCodeClassifier('io.l5d.h2.grpc.neverRetryable', []),
  'io.l5d.h2.grpc.alwaysRetryable': new StatusCodeClassifier('io.l5d.h2.grpc.alwaysRetryable', ALL_FAILURE_CODES),
};

export const DEFAULT_GRPC_CLASSIFIER: GrpcClassifier = FIXED['io.l5d.h2.grpc.default'];

export function isGrpcClassifierKind(kind: string): kind is GrpcClassifierKind {
  return (GRPC_CLASSIFIERS as readonly string[]).includes(kind);
}

/**
 * The classifier for a config `kind`, or undefined for a kind that is not a gRPC one.
 * `retryableStatusCodes` is read only by `io.l5d.h2.grpc.retryableStatusCodes` (the config
 * validator has checked each is 0–16).
 */
export function grpcClassifier(kind: string, retryableStatusCodes: readonly number[] = []): GrpcClassifier | undefined {
  if (kind === 'io.l5d.h2.grpc.retryableStatusCodes') return new StatusCodeClassifier(kind, retryableStatusCodes);
  return Object.hasOwn(FIXED, kind) ? FIXED[kind as keyof typeof FIXED] : undefined;
}
