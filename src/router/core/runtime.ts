/**
 * What core needs from the router that assembles it (router.ts): the identifier, the base dtab,
 * the caches, metrics, settings and policies. One object per router, shared by every request.
 */
import type { Dtab } from '../../dtab/dtab.js';
import type { Deadline } from '../policy/deadline.js';
import type { GrpcClassifier } from '../policy/grpc-classifier.js';
import type { ResponseClassifier } from '../policy/response-classifier.js';
import type { RetryBudget } from '../policy/retry-budget.js';
import type { HeaderList, Protocol, RequestHead, Upstream } from './exchange.js';
import type { Identifier } from './identifier.js';
import type { LocalDtabReader } from './local-dtab-reader.js';
import type { RouteCache } from './route-cache.js';
import type { RouterEvents } from './router-events.js';
import type { RouterStats } from './stats.js';

export interface BaseDtab {
  readonly dtab: Dtab;
  /** Changes whenever the dtab does (routes are keyed by it). */
  readonly key: string;
  /**
   * When set, routes without a request dtab are keyed by this instead: namerd binds them and
   * follows dtab changes itself, so a new dtab must not open new bind streams.
   */
  readonly routeKey?: string;
  readonly shown: string;
}

export interface RequestSettings {
  readonly bindingTimeoutMs: number;
  /** Whole request including retries; Infinity for none. */
  readonly totalTimeoutMs: number;
  /** One attempt; Infinity for none. */
  readonly attemptTimeoutMs: number;
  readonly maxCallDepth: number;
  /** Edge routers: drop every l5d-* header both ways without applying it. */
  readonly clearContext: boolean;
  /** Attempts on other endpoints after a connection failure. */
  readonly maxRequeues: number;
  /** Retries of a retryable response (within the budget as well). */
  readonly maxRetries: number;
  /**
   * Request body bytes kept so a retry (or a requeue) of a gRPC call can send the body again
   * (`retryBufferSize.requestBytes`); a longer body is streamed once and the call is not retried.
   * Absent: 8192.
   */
  readonly retryBufferBytes?: number;
  /** Until the upstream's response head, from the end of the request body; Infinity for none. */
  readonly responseTimeoutMs: number;
  /** Longest pause in a request body before 408; Infinity for none. */
  readonly bodyIdleTimeoutMs: number;
  /** The protocol spoken to upstreams; null for the caller's own. */
  readonly upstreamProtocol?: Protocol | null;
}

/**
 * What core needs to know of gRPC, filled in by router.ts from protocol/grpc (core never imports a
 * protocol). Consulted only for requests whose head says `grpc`, so HTTP requests pay nothing.
 */
export interface GrpcSemantics {
  /** Judges a gRPC call by its status (or `reset`, `no-status`, an error kind). */
  readonly classifier: GrpcClassifier;
  /** The caller's deadline: the strictest of its `grpc-timeout` and `l5d-ctx-deadline` (malformed ones ignored). */
  callerDeadline(head: RequestHead, nowMs: number): Deadline | null;
  /**
   * The upstream header list of one attempt: the caller's `grpc-timeout` and `l5d-ctx-deadline`
   * left out (a malformed one is not forwarded), what is left of `deadline` put in their place.
   */
  withDeadline(headers: readonly string[], deadline: Deadline | null, nowMs: number): string[];
  /** The status a response head settles (trailers-only, or a non-gRPC HTTP answer); undefined: wait for trailers. */
  statusOfHead(httpStatus: number, headers: HeaderList): number | undefined;
  /** The status of a complete response: trailers, else the head, else `no-status`. */
  statusOfResponse(httpStatus: number, headers: HeaderList, trailers: HeaderList | null): number | 'no-status';
}

/**
 * The router's fault rules as an attempt sees them (src/router/faults/): core asks only whether
 * any rule is live, then lets the rules wrap the attempt's Upstream, so a fault is an upstream's
 * behaviour and retries, requeues, failure accrual and per-client metrics judge it as one.
 */
export interface FaultInjector {
  /** False while no rule can change a request: the one check an attempt pays then. */
  readonly active: boolean;
  /** `upstream` itself, or one applying the toxics rolled for this attempt of this request. */
  wrap(upstream: Upstream, service: string, client: string, head: RequestHead): Upstream;
}

export interface RouterRuntime {
  readonly identify: Identifier;
  base(): BaseDtab | null;
  readonly localDtabs: LocalDtabReader;
  readonly routes: RouteCache;
  readonly stats: RouterStats;
  readonly settings: RequestSettings;
  readonly classifier: ResponseClassifier;
  readonly grpc: GrpcSemantics;
  retryBudget(service: string): RetryBudget;
  readonly requeueBudget: RetryBudget;
  /** Log lines and the access log; absent in tests that assemble a runtime by hand. */
  readonly events?: RouterEvents;
  /** Fault rules set through the admin port's `/toxiproxy/` API; absent in hand-made runtimes. */
  readonly faults?: FaultInjector;
}
