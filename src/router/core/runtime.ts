/**
 * What core needs from the router that assembles it (router.ts): the identifier, the base dtab,
 * the caches, metrics, settings and policies. One object per router, shared by every request.
 */
import type { Dtab } from '../../dtab/dtab.js';
import type { ResponseClassifier } from '../policy/response-classifier.js';
import type { RetryBudget } from '../policy/retry-budget.js';
import type { Protocol } from './exchange.js';
import type { Identifier } from './identifier.js';
import type { LocalDtabReader } from './local-dtab-reader.js';
import type { RouteCache } from './route-cache.js';
import type { RouterStats } from './stats.js';

export interface BaseDtab {
  readonly dtab: Dtab;
  /** Changes whenever the dtab does (routes are keyed by it). */
  readonly key: string;
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
  /** Until the upstream's response head, from the end of the request body; Infinity for none. */
  readonly responseTimeoutMs: number;
  /** Longest pause in a request body before 408; Infinity for none. */
  readonly bodyIdleTimeoutMs: number;
  /** The protocol spoken to upstreams; null for the caller's own. */
  readonly upstreamProtocol?: Protocol | null;
}

export interface RouterRuntime {
  readonly identify: Identifier;
  base(): BaseDtab | null;
  readonly localDtabs: LocalDtabReader;
  readonly routes: RouteCache;
  readonly stats: RouterStats;
  readonly settings: RequestSettings;
  readonly classifier: ResponseClassifier;
  retryBudget(service: string): RetryBudget;
  readonly requeueBudget: RetryBudget;
}
