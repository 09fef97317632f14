/**
 * `grpc-timeout`: reading (1–8 digits and a unit, every other spelling an error with its
 * position), writing (shortest exact form in 8 digits, else rounded up), and the one-deadline rule
 * joining it with `l5d-ctx-deadline` and the router's total timeout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDeadline, outgoingDeadline, parseDeadline } from '../../../src/router/policy/deadline.js';
import { requestDeadlineMs } from '../../../src/router/policy/timeouts.js';
import {
  callerDeadline,
  deadlineHeaders,
  formatGrpcTimeout,
  parseGrpcTimeout,
} from '../../../src/router/protocol/grpc/timeout.js';

const ms = (v: string) => {
  const r = parseGrpcTimeout(v);
  if (!r.ok) throw new Error(r.error);
  return r.ms;
};

describe('grpc-timeout parse', () => {
  it('reads every unit', () => {
    expect(ms('1H')).toBe(3_600_000);
    expect(ms('2M')).toBe(120_000);
    expect(ms('5S')).toBe(5000);
    expect(ms('250m')).toBe(250);
    expect(ms('1500u')).toBe(1.5);
    expect(ms('2000000n')).toBe(2);
    expect(ms('0m')).toBe(0);
    expect(ms('99999999H')).toBe(99_999_999 * 3_600_000);
  });

  it.each([
    ['', 0, /empty/],
    ['S', 0, /expected a digit, got "S"/],
    [' 5S', 0, /expected a digit/],
    ['-5S', 0, /expected a digit, got "-"/],
    ['5', 1, /no unit/],
    ['5s', 1, /expected a unit.*got "s"/],
    ['5 S', 1, /expected a unit.*got " "/],
    ['5SS', 2, /unexpected "S" after the unit/],
    ['5S ', 2, /unexpected " "/],
    ['123456789S', 8, /more than 8 digits/],
    ['5☃', 1, /got "☃"/],
  ])('refuses %j at character %i', (value, position, message) => {
    const r = parseGrpcTimeout(value);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.position).toBe(position);
    expect(r.error).toMatch(message);
    expect(r.error).toContain(`at character ${position}`);
  });

  it('refuses a 100,000-digit value after reading 9 characters', () => {
    const r = parseGrpcTimeout(`${'1'.repeat(100_000)}S`);
    expect(r).toMatchObject({ ok: false, position: 8 });
  });

  it('accepts exactly the grammar (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (v) => {
        expect(parseGrpcTimeout(v).ok).toBe(/^[0-9]{1,8}[HMSmun]$/.test(v));
      }),
    );
  });
});

describe('grpc-timeout format', () => {
  it('writes the shortest exact form', () => {
    expect(formatGrpcTimeout(5000)).toBe('5S');
    expect(formatGrpcTimeout(120_000)).toBe('2M');
    expect(formatGrpcTimeout(7_200_000)).toBe('2H');
    expect(formatGrpcTimeout(250)).toBe('250m');
    expect(formatGrpcTimeout(1.5)).toBe('1500u');
    expect(formatGrpcTimeout(0.1)).toBe('100u');
    expect(formatGrpcTimeout(0)).toBe('0n');
    expect(formatGrpcTimeout(-3)).toBe('0n');
  });

  it('rounds up when no unit is exact in 8 digits, and caps at 99999999H', () => {
    // 100000.0001 ms is 100000000.1 u, past 8 digits: the finest unit that fits is m, rounded up.
    expect(formatGrpcTimeout(100_000.0001)).toBe('100001m');
    expect(formatGrpcTimeout(Number.MAX_VALUE)).toBe('99999999H');
  });

  it('round-trips: the written value parses, is never shorter, and longer by under 1/1e5 (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (d) => {
        const text = formatGrpcTimeout(d);
        const back = ms(text);
        // Never less than asked, but for float noise and under 0.1 ns.
        expect(back).toBeGreaterThanOrEqual(d - 1e-7 - d * 1e-12);
        // Rounding up adds under one of the unit used; a finer unit would have needed over 8
        // digits, and units are at most 1000 apart, so that is under 1/1e5 of the value.
        expect(back - d).toBeLessThanOrEqual(Math.max(1e-6, d * 1e-5) + 1e-9);
      }),
    );
  });

  it('writes any parsed value back to the same duration (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.constantFrom('H', 'M', 'S', 'm', 'u', 'n'), (v, u) => {
        const d = ms(`${v}${u}`);
        expect(ms(formatGrpcTimeout(d))).toBeCloseTo(d, 6);
      }),
    );
  });
});

describe('one deadline per request', () => {
  const now = 1_700_000_000_000;
  const l5d = (inMs: number) => formatDeadline({ timestampMs: now - 10, deadlineMs: now + inMs });

  it('takes the earliest of grpc-timeout and l5d-ctx-deadline', () => {
    expect(callerDeadline({ deadline: [l5d(5000)], grpcTimeout: '2S' }, now)?.deadlineMs).toBe(now + 2000);
    expect(callerDeadline({ deadline: [l5d(1000)], grpcTimeout: '2S' }, now)?.deadlineMs).toBe(now + 1000);
    expect(callerDeadline({ deadline: undefined, grpcTimeout: '300m' }, now)).toEqual({
      timestampMs: now,
      deadlineMs: now + 300,
    });
    expect(callerDeadline({ deadline: undefined, grpcTimeout: undefined }, now)).toBeNull();
  });

  it('ignores a malformed grpc-timeout, as a malformed l5d-ctx-deadline is ignored', () => {
    expect(callerDeadline({ deadline: [l5d(1000)], grpcTimeout: '2 S' }, now)?.deadlineMs).toBe(now + 1000);
    expect(callerDeadline({ deadline: undefined, grpcTimeout: 'soon' }, now)).toBeNull();
  });

  it("and the router's total timeout tightens it further", () => {
    const caller = callerDeadline({ deadline: undefined, grpcTimeout: '10S' }, now);
    expect(requestDeadlineMs(now, 3000, caller)).toBe(now + 3000);
    expect(requestDeadlineMs(now, Number.POSITIVE_INFINITY, caller)).toBe(now + 10_000);
    expect(outgoingDeadline(caller, 3000, now)?.deadlineMs).toBe(now + 3000);
  });

  it('upstream requests carry what is left in both headers (grpc-timeout for gRPC calls only)', () => {
    const d = outgoingDeadline(callerDeadline({ deadline: undefined, grpcTimeout: '10S' }, now), 3000, now)!;
    const later = now + 500;
    const grpc = deadlineHeaders(d, later, true);
    expect(grpc[0]).toBe('l5d-ctx-deadline');
    expect(parseDeadline(grpc[1]!)?.deadlineMs).toBeCloseTo(now + 3000, 3);
    expect(grpc.slice(2)).toEqual(['grpc-timeout', '2500m']);
    expect(deadlineHeaders(d, later, false)).toHaveLength(2);
    expect(deadlineHeaders(null, later, true)).toEqual([]);
  });
});
