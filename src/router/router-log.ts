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

/** How many of the router's own answers `recent()` keeps for the admin page. */
export const RECENT_ANSWERS = 50;

/** One answer the router gave itself, as the admin page's /admin/errors.json shows it. */
export interface AnsweredRecord {
  readonly time: string;
  readonly code: string;
  readonly status: number;
  readonly method: string;
  readonly authority?: string;
  readonly path?: string;
  readonly remote?: string;
  readonly reason: string;
}

export class RouterLog implements RouterEvents {
  readonly #log: ThrottledLog;
  /** A ring of the last RECENT_ANSWERS answers: bounded whatever callers send, unlike the log it is never throttled. */
  readonly #recent: (AnsweredRecord | undefined)[] = new Array(RECENT_ANSWERS);
  #next = 0;

  constructor(
    logger: Logger,
    readonly access: AccessLog | null,
  ) {
    this.#log = new ThrottledLog(logger);
  }

  answered(head: RequestHead, failure: Synthetic): void {
    const authority = cut(head.authority);
    const path = cut(head.path);
    this.#recent[this.#next++ % RECENT_ANSWERS] = {
      time: new Date().toISOString(),
      code: failure.code,
      status: failure.status,
      method: cut(head.method) ?? '',
      ...(authority === undefined ? {} : { authority }),
      ...(path === undefined ? {} : { path }),
      ...(head.remoteAddress === undefined ? {} : { remote: head.remoteAddress }),
      reason: cut(failure.message) ?? '',
    };
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

  /** The last answers the router gave itself, oldest first. */
  recent(): AnsweredRecord[] {
    const out: AnsweredRecord[] = [];
    const start = Math.max(0, this.#next - RECENT_ANSWERS);
    for (let i = start; i < this.#next; i++) out.push(this.#recent[i % RECENT_ANSWERS]!);
    return out;
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
