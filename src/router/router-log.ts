/**
 * Where the router's events go (core/router-events.ts): pino lines for the answers the router
 * gives itself, upstream failures and failure accrual, throttled per subject so that no caller
 * can flood the log, and the access log when one is configured.
 */

import type { Logger } from '../telemetry/logger.js';
import { ThrottledLog } from '../telemetry/throttled-log.js';
import type { RequestHead, Synthetic } from './core/exchange.js';
import type { AccessLog, RouterEvents } from './core/router-events.js';

/** What a log line may carry of a caller's text. */
const MAX_TEXT = 256;
const cut = (v: string | undefined) =>
  v === undefined ? undefined : v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v;

export class RouterLog implements RouterEvents {
  readonly #log: ThrottledLog;

  constructor(
    logger: Logger,
    readonly access: AccessLog | null,
  ) {
    this.#log = new ThrottledLog(logger);
  }

  answered(head: RequestHead, failure: Synthetic): void {
    // Keyed by what it is and who asked for it: one line a second per (code, host) at most.
    this.#log.log(
      failure.status >= 500 ? 'warn' : 'info',
      `answer ${failure.code} ${head.authority ?? ''}`,
      () => ({
        code: failure.code,
        status: failure.status,
        method: head.method,
        authority: cut(head.authority),
        path: cut(head.path),
        remote: head.remoteAddress,
        reason: failure.message,
      }),
      failure.code === 'SY_ERR_NO_BROKERS' ? 'no hosts are available' : 'the router answered the request itself',
    );
  }

  upstreamFailed(client: string, endpoint: string, sent: boolean, reason: string, requeued: boolean): void {
    this.#log.log(
      'warn',
      `upstream ${client} ${endpoint}`,
      () => ({ client, endpoint, sent, reason, requeued }),
      sent ? 'upstream failed after the request was sent' : 'upstream connection failed',
    );
  }

  /** Failure accrual of one client's endpoints: never throttled away, it changes at most once per backoff. */
  accrual(client: string, endpoint: string, change: 'removed' | 'revived', backoffMs: number): void {
    this.#log.log(
      change === 'removed' ? 'warn' : 'info',
      `accrual ${change} ${client} ${endpoint}`,
      () => (change === 'removed' ? { client, endpoint, backoffMs } : { client, endpoint }),
      change === 'removed'
        ? 'failure accrual: endpoint marked dead'
        : 'failure accrual: endpoint revived by a successful probe',
    );
  }
}
