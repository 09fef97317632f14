/**
 * The h2c (HTTP/2 over cleartext) Upstream for one endpoint: multiplexed sessions opened lazily,
 * a second one only when every open session is at the peer's SETTINGS_MAX_CONCURRENT_STREAMS,
 * and a bounded FIFO queue for requests beyond `maxSessions` × streams per session (past it they
 * fail `not-sent` at once). The attempt (h2-attempt.ts) owns one stream's lifecycle; the session
 * (h2-session.ts) one connection's; this file only decides which request goes on which session.
 */
import { createError } from '../../../errors.js';
import type { Upstream, UpstreamHandler, UpstreamRequest } from '../../core/exchange.js';
import { H2Attempt } from './h2-attempt.js';
import { requestHeaders } from './h2-headers.js';
import { H2Session, type H2SessionLimits } from './h2-session.js';

export interface H2UpstreamOptions extends H2SessionLimits {
  /** Sessions kept open to the endpoint at most (retired ones finishing their streams aside). */
  readonly maxSessions: number;
  /** Requests waiting for a stream slot at most; past it a dispatch fails `not-sent`. */
  readonly maxPending: number;
}

export const h2UpstreamDefaults: H2UpstreamOptions = {
  connectTimeoutMs: 3_000,
  idleMs: 60_000,
  maxStreamsPerSession: 1_000,
  streamWindow: 65_535,
  maxSessions: 4,
  maxPending: 1_024,
};

/** node's errors that mean "this session takes no more streams", not "this request is wrong". */
const sessionGone = new Set(['ERR_HTTP2_OUT_OF_STREAMS', 'ERR_HTTP2_INVALID_SESSION', 'ERR_HTTP2_GOAWAY_SESSION']);

export class H2Upstream implements Upstream {
  readonly protocol = 'h2' as const;
  private readonly origin: string;
  private readonly options: H2UpstreamOptions;
  /** Sessions that are connecting or take streams. */
  private readonly usable: H2Session[] = [];
  /** Every session not yet closed, retired ones included (for close and destroy). */
  private readonly open = new Set<H2Session>();
  private readonly queue: H2Attempt[] = [];
  private closing = false;
  private readonly events = {
    onReady: () => this.pump(),
    onRetired: (session: H2Session) => {
      this.forget(session);
      this.pump();
    },
    onStreamClosed: () => this.pump(),
    onClosed: (session: H2Session, error: Error | undefined, wasReady: boolean) => {
      this.forget(session);
      this.open.delete(session);
      if (!wasReady) this.connectFailed(error);
      this.pump();
    },
  };

  constructor(host: string, port: number, options: Partial<H2UpstreamOptions> = {}) {
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.options = { ...h2UpstreamDefaults, ...options };
  }

  /** How many connections are open (retired ones included); for tests and metrics. */
  get sessionCount(): number {
    return this.open.size;
  }

  get pending(): number {
    return this.queue.length;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const attempt = new H2Attempt(this.origin, request, handler, (a) => this.withdraw(a));
    handler.onStart(attempt);
    if (attempt.state === 'done') return;
    const headers = requestHeaders(request);
    if (typeof headers === 'string') {
      attempt.fail(createError('SY_ERR_UPSTREAM_FAILED', [this.origin, headers]), 'rejected');
      return;
    }
    attempt.headers = headers;
    if (this.closing) {
      attempt.fail(createError('SY_ERR_UPSTREAM_CONNECT', [this.origin, 'the upstream is closing']), 'not-sent');
      return;
    }
    if (this.queue.length >= this.options.maxPending) {
      const why = `${this.options.maxPending} requests already wait for an h2 stream`;
      attempt.fail(createError('SY_ERR_UPSTREAM_FAILED', [this.origin, why]), 'not-sent');
      return;
    }
    // The common case, a session with room and nobody waiting, starts at once.
    if (this.queue.length === 0) {
      const session = this.withRoom();
      if (session !== undefined) {
        this.startOn(session, attempt);
        if (this.queue.length > 0) this.pump();
        return;
      }
    }
    this.queue.push(attempt);
    this.pump();
  }

  close(): Promise<void> {
    this.closing = true;
    this.failQueued(createError('SY_ERR_UPSTREAM_CONNECT', [this.origin, 'the upstream is closing']));
    return Promise.all([...this.open].map((s) => s.close())).then(() => undefined);
  }

  destroy(): Promise<void> {
    this.closing = true;
    this.failQueued(createError('SY_ERR_UPSTREAM_CONNECT', [this.origin, 'the upstream was destroyed']));
    return Promise.all([...this.open].map((s) => s.destroy())).then(() => undefined);
  }

  /** Starts queued attempts on sessions with room, opening a session when none has any. */
  private pump(): void {
    while (this.queue.length > 0) {
      const session = this.withRoom();
      if (session === undefined) break;
      this.startOn(session, this.queue.shift() as H2Attempt);
    }
    if (this.queue.length === 0 || this.closing) return;
    // A connecting session may yet have room: wait for its SETTINGS before opening another.
    for (const s of this.usable) if (s.state === 'connecting') return;
    if (this.usable.length >= this.options.maxSessions) return;
    const session = new H2Session(this.origin, this.options, this.events);
    this.usable.push(session);
    this.open.add(session);
  }

  /** The first usable session with a free stream slot (a loop: no closure per request). */
  private withRoom(): H2Session | undefined {
    for (const s of this.usable) if (s.hasRoom) return s;
    return undefined;
  }

  /** Starts `attempt` on `session`; a session that turns out to take no streams sends it back to the queue's head. */
  private startOn(session: H2Session, attempt: H2Attempt): void {
    try {
      attempt.start(session);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== undefined && sessionGone.has(code)) {
        session.retire();
        this.queue.unshift(attempt);
      } else {
        attempt.fail(createError('SY_ERR_UPSTREAM_FAILED', [this.origin, (error as Error).message], error), 'rejected');
      }
    }
  }

  /** A session that never became ready failed: the queue waits only if a ready one remains. */
  private connectFailed(error: Error | undefined): void {
    if (this.usable.some((s) => s.state === 'ready' || s.state === 'connecting')) return;
    const reason = error?.message ?? 'the connection closed before the h2 preface';
    const failure =
      error instanceof Error && 'code' in error && String(error.code).startsWith('SY_ERR_')
        ? error
        : createError('SY_ERR_UPSTREAM_CONNECT', [this.origin, reason], error);
    this.failQueued(failure);
  }

  private failQueued(error: Error): void {
    const waiting = this.queue.splice(0);
    for (const attempt of waiting) attempt.fail(error, 'not-sent');
  }

  private withdraw(attempt: H2Attempt): void {
    const i = this.queue.indexOf(attempt);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private forget(session: H2Session): void {
    const i = this.usable.indexOf(session);
    if (i >= 0) this.usable.splice(i, 1);
  }
}

/** The Upstream for one h2c endpoint. */
export function createH2Upstream(host: string, port: number, options: Partial<H2UpstreamOptions> = {}): Upstream {
  return new H2Upstream(host, port, options);
}
