/**
 * Timeout arithmetic (docs/router.md#timeouts-and-deadlines): a request has one total budget, the
 * strictest of the service's `totalTimeoutMs` (which covers every retry) and the caller's
 * `l5d-ctx-deadline`; each attempt is bounded by the client's `requestAttemptTimeoutMs` and by what
 * is left of that total. Everything is an absolute clock time or a duration in ms, with `Infinity`
 * for "no limit", so the hot path compares numbers instead of testing for absent options. The
 * router owns the timers; these functions only say how long to set them.
 */
import { combineDeadlines, type Deadline } from './deadline.js';

export interface TimeoutOptions {
  /** Service-level budget for the whole request including retries; none by default. */
  readonly totalTimeoutMs?: number;
  /** Client-level budget of one attempt; none by default. */
  readonly requestAttemptTimeoutMs?: number;
}

/**
 * The time by which the whole request must be answered, on the wall clock `nowMs` (the clock the
 * deadline header uses): start + total timeout, or the incoming deadline if that is sooner.
 * Infinity when neither applies.
 */
export function requestDeadlineMs(nowMs: number, totalTimeoutMs: number, incoming: Deadline | null): number {
  const own = nowMs + totalTimeoutMs;
  return incoming === null || own < incoming.deadlineMs ? own : incoming.deadlineMs;
}

/**
 * How long the next attempt may take: the per-attempt timeout, cut to what is left of the
 * request's deadline. ≤ 0 means the request is out of time and must not be attempted (504);
 * Infinity means no timer is needed.
 */
export function attemptTimeoutMs(nowMs: number, requestDeadline: number, perAttemptMs: number): number {
  const left = requestDeadline - nowMs;
  return perAttemptMs < left ? perAttemptMs : left;
}

/**
 * Whether an attempt timeout came from the request's overall deadline rather than the
 * per-attempt limit: then the failure is final (504, not retried), because a retry could only
 * start with no time left.
 */
export function isTotalTimeout(nowMs: number, requestDeadline: number): boolean {
  return requestDeadline - nowMs <= 0;
}

/** Options normalised to numbers, once per service/client config (not per request). */
export function normaliseTimeouts(options: TimeoutOptions): { totalMs: number; perAttemptMs: number } {
  return {
    totalMs: positiveOrInfinity(options.totalTimeoutMs),
    perAttemptMs: positiveOrInfinity(options.requestAttemptTimeoutMs),
  };
}

function positiveOrInfinity(ms: number | undefined): number {
  return ms !== undefined && ms > 0 ? ms : Number.POSITIVE_INFINITY;
}

/**
 * The caller's deadline from both of the hints it may send: its `l5d-ctx-deadline` (already read)
 * and a relative timeout such as gRPC's `grpc-timeout` (ms from `nowMs`, null for none). The
 * strictest wins, so a gRPC caller and a linkerd hop before it agree on one deadline.
 */
export function incomingDeadline(l5d: Deadline | null, relativeMs: number | null, nowMs: number): Deadline | null {
  if (relativeMs === null) return l5d;
  return combineDeadlines(l5d, { timestampMs: nowMs, deadlineMs: nowMs + relativeMs });
}
