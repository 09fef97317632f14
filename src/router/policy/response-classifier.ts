/**
 * linkerd's HTTP response classifiers (docs/router.md#response-classifiers; linkerd's
 * `ResponseClassifiers.scala`): each response or error is a success, a failure, or a failure that
 * may be retried. Failures feed metrics and failure accrual; only retryable failures are retried
 * (within the retry budget).
 *
 * - `io.l5d.http.nonRetryable5XX` (default): 5XX and every error are failures, never retried.
 * - `retryableRead5XX`: 5XX, timeouts and broken connections of GET, HEAD, OPTIONS and TRACE are
 *   retryable; `retryableIdempotent5XX` adds PUT and DELETE; `retryableAll5XX` adds POST and PATCH.
 * - `allSuccessful`: every response is a success (errors are still failures: no response came).
 *
 * A request whose body streams with no known length (chunked) is never retryable: the body is
 * gone once sent (linkerd's `NonRetryableChunked`). Which errors count as retryable follows
 * Finagle's `TimeoutAndWriteExceptionsOnly` and `ChannelClosedExceptionsOnly`.
 *
 * Requeues are a different thing: a connection that failed before any byte of the request was
 * written can be sent again to another endpoint whatever the method (see `isRequeueable`).
 */
import { isGrpcClassifierKind } from './grpc-classifier.js';

export type ResponseClass = 'success' | 'failure' | 'retryable-failure';

/**
 * How an attempt failed without a response, as the dispatcher maps undici's errors:
 * - `connect`: no connection (refused, unreachable, connect timeout); nothing was written.
 * - `write`: the connection broke while the request was being written.
 * - `timeout`: the per-attempt timeout fired.
 * - `closed`: the connection was closed or reset after the request was written.
 * - `other`: anything else (protocol errors, a bad upstream response, the total timeout).
 */
export type ErrorKind = 'connect' | 'write' | 'timeout' | 'closed' | 'other';

export type ClassifierKind =
  | 'io.l5d.http.nonRetryable5XX'
  | 'io.l5d.http.retryableRead5XX'
  | 'io.l5d.http.retryableIdempotent5XX'
  | 'io.l5d.http.retryableAll5XX'
  | 'io.l5d.http.allSuccessful';

export const DEFAULT_CLASSIFIER: ClassifierKind = 'io.l5d.http.nonRetryable5XX';

export interface ResponseClassifier {
  readonly kind: ClassifierKind;
  /**
   * Classifies one attempt: `outcome` is the response status, or the error kind when there was
   * no response. Positional arguments so the hot path allocates nothing.
   */
  classify(method: string, outcome: number | ErrorKind, requestBodyChunked: boolean): ResponseClass;
}

const READ = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];
const IDEMPOTENT = [...READ, 'PUT', 'DELETE'];
const ALL = [...IDEMPOTENT, 'POST', 'PATCH'];

class RetryableMethods5XX implements ResponseClassifier {
  readonly #methods: ReadonlySet<string>;

  constructor(
    readonly kind: ClassifierKind,
    methods: readonly string[],
  ) {
    this.#methods = new Set(methods);
  }

  classify(method: string, outcome: number | ErrorKind, requestBodyChunked: boolean): ResponseClass {
    if (typeof outcome === 'number') {
      if (outcome < 500 || outcome > 599) return 'success';
    } else if (outcome === 'other') {
      return 'failure';
    }
    // Method tokens are case-sensitive (RFC 9110 §9.1): `get` is not GET and is not retried.
    return !requestBodyChunked && this.#methods.has(method) ? 'retryable-failure' : 'failure';
  }
}

const ALL_SUCCESSFUL: ResponseClassifier = {
  kind: 'io.l5d.http.allSuccessful',
  classify: (_method, outcome) => (typeof outcome === 'number' ? 'success' : 'failure'),
};

const CLASSIFIERS: Readonly<Record<ClassifierKind, ResponseClassifier>> = {
  'io.l5d.http.nonRetryable5XX': new RetryableMethods5XX('io.l5d.http.nonRetryable5XX', []),
  'io.l5d.http.retryableRead5XX': new RetryableMethods5XX('io.l5d.http.retryableRead5XX', READ),
  'io.l5d.http.retryableIdempotent5XX': new RetryableMethods5XX('io.l5d.http.retryableIdempotent5XX', IDEMPOTENT),
  'io.l5d.http.retryableAll5XX': new RetryableMethods5XX('io.l5d.http.retryableAll5XX', ALL),
  'io.l5d.http.allSuccessful': ALL_SUCCESSFUL,
};

/** linkerd also reads the pre-1.1 names without the `http.` segment (`io.l5d.retryableRead5XX`). */
export const CLASSIFIER_KINDS: readonly string[] = Object.keys(CLASSIFIERS).flatMap((k) => [
  k,
  k.replace('io.l5d.http.', 'io.l5d.'),
]);

/**
 * The classifier for a config `kind` (either spelling), or undefined for an unknown kind. A gRPC
 * kind (`io.l5d.h2.grpc.*`, policy/grpc-classifier.ts) classifies gRPC calls by `grpc-status`; the
 * plain HTTP responses of such a router are classified by the default.
 */
export function responseClassifier(kind: string = DEFAULT_CLASSIFIER): ResponseClassifier | undefined {
  if (kind.startsWith('io.l5d.h2.grpc.'))
    return isGrpcClassifierKind(kind) ? CLASSIFIERS[DEFAULT_CLASSIFIER] : undefined;
  const canonical = kind.startsWith('io.l5d.http.') ? kind : kind.replace(/^io\.l5d\./, 'io.l5d.http.');
  return Object.hasOwn(CLASSIFIERS, canonical) ? CLASSIFIERS[canonical as ClassifierKind] : undefined;
}

/**
 * Whether a failed attempt may be requeued (sent again, to a freshly picked endpoint, without
 * counting as a retry): only when nothing of the request reached the upstream, whatever the method
 * and whatever the classifier. Finagle's RequeueFilter draws these from its own budget (same
 * defaults as the retry budget, docs/router.md#retry-budget).
 */
export function isRequeueable(error: ErrorKind): boolean {
  return error === 'connect';
}
