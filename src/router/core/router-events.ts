/**
 * What the router tells its operator about requests, beside the metrics: the answers it gives
 * itself (no route, no endpoint, a refused override, a timeout), upstream connections that fail,
 * and, when one is kept, the access log. Core reports; router.ts decides where it goes (pino
 * lines, throttled, and an access log file) so core stays free of I/O.
 */
import type { RequestHead, Synthetic } from './exchange.js';

export interface RouterEvents {
  /** The router answered `head` itself with `failure` (nothing from an upstream reached the caller). */
  answered(head: RequestHead, failure: Synthetic): void;
  /**
   * An attempt on `endpoint` of `client` failed without a response: `sent` says whether the
   * request had left; `requeued` whether another endpoint gets it.
   */
  upstreamFailed(client: string, endpoint: string, sent: boolean, reason: string, requeued: boolean): void;
  /** Null when no access log is kept, so a request pays one null check. */
  readonly access: AccessLog | null;
}

export interface AccessLog {
  /** One request, once its status is known (0: the caller went away). */
  write(head: RequestHead, service: string | undefined, status: number, latencyMs: number): void;
}
