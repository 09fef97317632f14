/**
 * The `l5d-ctx-deadline` header: Finagle's `Deadline` context on the wire, so a deadline set at
 * the edge bounds every hop behind it. The value is `"<timestamp_ns> <deadline_ns>"`, both
 * nanoseconds since the Unix epoch: when the deadline was set and when it expires. Several values
 * (repeated headers, or one comma-joined header as Node presents repeats) combine to the strictest:
 * the latest timestamp and the earliest deadline (Finagle's `Deadline.combined`). A value that does
 * not parse is ignored, as linkerd does, rather than failing the request over a hint.
 *
 * Times here are wall-clock milliseconds (`Date.now()`), because the deadline crosses hosts.
 * Nanosecond values exceed 2^53, so they are read as doubles: the ~256 ns rounding is far below
 * the millisecond resolution anything here acts on, and no BigInt is allocated per request.
 */

export const DEADLINE_HEADER = 'l5d-ctx-deadline';

export interface Deadline {
  /** When the deadline was set, ms since the epoch. */
  readonly timestampMs: number;
  /** When it expires, ms since the epoch. */
  readonly deadlineMs: number;
}

/** Two unsigned decimal integers separated by whitespace; linkerd's `split(' ')` reads the same. */
const VALUE = /^\s*(\d{1,20})\s+(\d{1,20})\s*$/;

/** One header value, or null when malformed. */
export function parseDeadline(value: string): Deadline | null {
  const m = VALUE.exec(value);
  if (m === null) return null;
  return { timestampMs: Number(m[1]) / 1e6, deadlineMs: Number(m[2]) / 1e6 };
}

/** The strictest of two deadlines (either may be absent). */
export function combineDeadlines(a: Deadline | null, b: Deadline | null): Deadline | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.timestampMs >= b.timestampMs && a.deadlineMs <= b.deadlineMs) return a;
  if (b.timestampMs >= a.timestampMs && b.deadlineMs <= a.deadlineMs) return b;
  return { timestampMs: Math.max(a.timestampMs, b.timestampMs), deadlineMs: Math.min(a.deadlineMs, b.deadlineMs) };
}

/**
 * The deadline carried by a request's `l5d-ctx-deadline` header(s), as Node gives them (a string,
 * possibly comma-joined, or an array from `headersDistinct`), or null when absent or all malformed.
 */
export function readDeadlineHeader(value: string | readonly string[] | undefined): Deadline | null {
  if (value === undefined) return null;
  if (typeof value === 'string') return readJoined(value);
  let d: Deadline | null = null;
  for (const v of value) d = combineDeadlines(d, readJoined(v));
  return d;
}

function readJoined(value: string): Deadline | null {
  // The common case, one value, takes no split.
  if (!value.includes(',')) return parseDeadline(value);
  let d: Deadline | null = null;
  for (const part of value.split(',')) d = combineDeadlines(d, parseDeadline(part));
  return d;
}

/** The header value for a deadline, in integer nanoseconds. */
export function formatDeadline(d: Deadline): string {
  return `${nanos(d.timestampMs)} ${nanos(d.deadlineMs)}`;
}

function nanos(ms: number): string {
  // Below 1e21 a double prints as plain integer digits; a negative time would be a bug upstream.
  return Math.max(0, Math.round(ms * 1e6)).toFixed(0);
}

/** Milliseconds left until the deadline at wall-clock `nowMs`; ≤ 0 means expired. */
export function remainingMs(d: Deadline, nowMs: number): number {
  return d.deadlineMs - nowMs;
}

/**
 * The deadline to forward: the incoming one, tightened by the router's own total timeout
 * (linkerd `totalTimeoutMs`) started now. Null when there is neither, so no header is written.
 */
export function outgoingDeadline(incoming: Deadline | null, totalTimeoutMs: number, nowMs: number): Deadline | null {
  if (!Number.isFinite(totalTimeoutMs)) return incoming;
  return combineDeadlines(incoming, { timestampMs: nowMs, deadlineMs: nowMs + totalTimeoutMs });
}
