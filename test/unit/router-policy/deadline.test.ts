/**
 * `l5d-ctx-deadline`: parse and format, malformed values ignored, the strictest of several, the
 * remaining time, and the total/per-attempt timeout arithmetic built on it.
 */
import { describe, expect, it } from 'vitest';
import {
  combineDeadlines,
  type Deadline,
  formatDeadline,
  outgoingDeadline,
  parseDeadline,
  readDeadlineHeader,
  remainingMs,
} from '../../../src/router/policy/deadline.js';
import {
  attemptTimeoutMs,
  isTotalTimeout,
  normaliseTimeouts,
  requestDeadlineMs,
} from '../../../src/router/policy/timeouts.js';

const NOW = 1_700_000_000_000; // ms since the epoch
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const header = (setMs: number, expiresMs: number) => `${ns(setMs)} ${ns(expiresMs)}`;

describe('l5d-ctx-deadline', () => {
  it('parses "<timestamp_ns> <deadline_ns>" into milliseconds', () => {
    expect(parseDeadline(header(NOW, NOW + 1_500))).toEqual({ timestampMs: NOW, deadlineMs: NOW + 1_500 });
    expect(parseDeadline(' 1000000 2000000 ')).toEqual({ timestampMs: 1, deadlineMs: 2 });
    // Sub-millisecond parts survive (to well under a microsecond).
    const d = parseDeadline('1700000000123456789 1700000001123456789')!;
    expect(d.deadlineMs - d.timestampMs).toBeCloseTo(1_000, 3);
  });

  it('ignores malformed values', () => {
    for (const bad of ['', ' ', 'abc', '123', '1 2 3', '-1 5', '1 -5', '1.5 2', '1,2', '0x10 20', '1 2x', 'NaN NaN']) {
      expect(parseDeadline(bad), bad).toBeNull();
    }
    expect(readDeadlineHeader(undefined)).toBeNull();
    expect(readDeadlineHeader('garbage')).toBeNull();
    expect(readDeadlineHeader(['garbage', ''])).toBeNull();
  });

  it('combines several values to the strictest: latest timestamp, earliest deadline', () => {
    const a = header(NOW, NOW + 5_000);
    const b = header(NOW + 100, NOW + 3_000);
    const c = header(NOW + 200, NOW + 4_000);
    const want = { timestampMs: NOW + 200, deadlineMs: NOW + 3_000 };
    expect(readDeadlineHeader([a, b, c])).toEqual(want);
    expect(readDeadlineHeader(`${a}, ${b},${c}`)).toEqual(want);
    expect(readDeadlineHeader([a, 'junk', `${b}, also junk`, c])).toEqual(want);
    // One value that is itself the strictest is returned as is.
    const only = parseDeadline(b)!;
    expect(combineDeadlines(only, parseDeadline(a))).toBe(only);
    expect(combineDeadlines(null, only)).toBe(only);
    expect(combineDeadlines(null, null)).toBeNull();
  });

  it('formats integer nanoseconds that parse back to the same deadline', () => {
    const d: Deadline = { timestampMs: NOW + 0.25, deadlineMs: NOW + 2_000.5 };
    const text = formatDeadline(d);
    expect(text).toMatch(/^\d{19} \d{19}$/);
    expect(text.startsWith('1700000000000250')).toBe(true);
    const back = parseDeadline(text)!;
    expect(Math.abs(back.timestampMs - d.timestampMs)).toBeLessThan(0.001);
    expect(Math.abs(back.deadlineMs - d.deadlineMs)).toBeLessThan(0.001);
    expect(formatDeadline({ timestampMs: 1, deadlineMs: 2 })).toBe('1000000 2000000');
  });

  it('computes the remaining time and tightens the forwarded deadline with the total timeout', () => {
    const incoming = parseDeadline(header(NOW - 100, NOW + 900))!;
    expect(remainingMs(incoming, NOW)).toBe(900);
    expect(remainingMs(incoming, NOW + 1_000)).toBe(-100);
    expect(outgoingDeadline(incoming, 500, NOW)).toEqual({ timestampMs: NOW, deadlineMs: NOW + 500 });
    expect(outgoingDeadline(incoming, 5_000, NOW)).toEqual({ timestampMs: NOW, deadlineMs: NOW + 900 });
    expect(outgoingDeadline(incoming, Number.POSITIVE_INFINITY, NOW)).toBe(incoming);
    expect(outgoingDeadline(null, Number.POSITIVE_INFINITY, NOW)).toBeNull();
    expect(outgoingDeadline(null, 250, NOW)).toEqual({ timestampMs: NOW, deadlineMs: NOW + 250 });
  });
});

describe('timeouts', () => {
  const incoming = parseDeadline(header(NOW, NOW + 800))!;

  it('normalises absent or non-positive timeouts to Infinity', () => {
    expect(normaliseTimeouts({})).toEqual({ totalMs: Infinity, perAttemptMs: Infinity });
    expect(normaliseTimeouts({ totalTimeoutMs: 0, requestAttemptTimeoutMs: 300 })).toEqual({
      totalMs: Infinity,
      perAttemptMs: 300,
    });
  });

  it('takes the sooner of the total timeout and the caller deadline for the whole request', () => {
    expect(requestDeadlineMs(NOW, Infinity, null)).toBe(Infinity);
    expect(requestDeadlineMs(NOW, 1_000, null)).toBe(NOW + 1_000);
    expect(requestDeadlineMs(NOW, 1_000, incoming)).toBe(NOW + 800);
    expect(requestDeadlineMs(NOW, 500, incoming)).toBe(NOW + 500);
    expect(requestDeadlineMs(NOW, Infinity, incoming)).toBe(NOW + 800);
  });

  it('cuts each attempt to what is left of the request deadline', () => {
    const deadline = requestDeadlineMs(NOW, 1_000, null);
    expect(attemptTimeoutMs(NOW, deadline, 300)).toBe(300);
    expect(attemptTimeoutMs(NOW + 900, deadline, 300)).toBe(100);
    expect(attemptTimeoutMs(NOW + 1_200, deadline, 300)).toBe(-200);
    expect(attemptTimeoutMs(NOW, Infinity, Infinity)).toBe(Infinity);
    expect(attemptTimeoutMs(NOW, Infinity, 300)).toBe(300);
    expect(isTotalTimeout(NOW + 999, deadline)).toBe(false);
    expect(isTotalTimeout(NOW + 1_000, deadline)).toBe(true);
  });
});
