/**
 * The clock of the watch discipline (docs/k8s-namer.md#list-then-watch), in one place so tests can
 * shrink it: how long a watch asks the server to run (random over 5–10 min, as client-go's
 * Reflector does, so a fleet's watches do not expire together), how long silence means a dead
 * connection (about two bookmark periods: the watch cache sends one a minute), and how reconnects
 * back off.
 */

export interface WatchTiming {
  /** `timeoutSeconds` of each watch is drawn from [min, max]. Default 300–600. */
  readonly watchTimeoutSeconds: readonly [number, number];
  /** No byte for this long aborts the watch: a half-open connection shows no error. Default 130 s. */
  readonly inactivityMs: number;
  /** A stream still open this long after its timeoutSeconds is aborted. Default 30 s. */
  readonly deadlineSlackMs: number;
  /** Reconnect delays double from min to max, jittered down by up to half. Default 250 ms → 30 s. */
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** A `Retry-After` longer than this is capped. Default 10 min. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = Object.freeze({
  watchTimeoutSeconds: Object.freeze([300, 600]) as readonly [number, number],
  inactivityMs: 130_000,
  deadlineSlackMs: 30_000,
  backoffMinMs: 250,
  backoffMaxMs: 30_000,
  maxRetryAfterMs: 600_000,
});

export function watchTimeoutSeconds(t: WatchTiming, random: () => number = Math.random): number {
  const [min, max] = t.watchTimeoutSeconds;
  return Math.round(min + random() * (max - min));
}

/** Exponential, capped, with "equal jitter" so routers that lost the API together do not return in step. */
export function backoffMs(t: WatchTiming, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(t.backoffMaxMs, t.backoffMinMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
