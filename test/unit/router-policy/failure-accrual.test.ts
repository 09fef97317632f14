/**
 * Failure accrual: the equalJittered backoff sequence and its jitter bounds, the consecutive-
 * failure threshold, one probe after the backoff, revival and re-kill, and the counters.
 */
import { describe, expect, it } from 'vitest';
import {
  EndpointAccrual,
  equalJitteredBackoffMs,
  FailureAccrualPolicy,
} from '../../../src/router/policy/failure-accrual.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const MIN = 5_000;
const MAX = 300_000;

describe('equalJitteredBackoffMs (Finagle Backoff.equalJittered(5 s, 300 s))', () => {
  it('starts at the minimum and doubles the un-jittered half each removal, capped', () => {
    const low = Array.from({ length: 9 }, (_, k) => equalJitteredBackoffMs(k, MIN, MAX, () => 0));
    expect(low).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    const high = Array.from({ length: 8 }, (_, k) => equalJitteredBackoffMs(k, MIN, MAX, () => 0.999_999_9));
    expect(high).toEqual([5_000, 19_999, 39_999, 79_999, 159_999, 300_000, 300_000, 300_000]);
  });

  it('keeps every jittered value within [min·2^k, min·2^(k+1)) and ≤ max, and spreads it', () => {
    const random = seededRandom(42);
    for (let k = 1; k <= 6; k++) {
      const values = Array.from({ length: 2_000 }, () => equalJitteredBackoffMs(k, MIN, MAX, random));
      const lo = MIN * 2 ** k;
      expect(Math.min(...values)).toBeGreaterThanOrEqual(Math.min(lo, MAX));
      expect(Math.max(...values)).toBeLessThanOrEqual(Math.min(2 * lo, MAX));
      expect(values.every(Number.isInteger)).toBe(true);
      if (2 * lo <= MAX) {
        // Jitter covers the whole half: the sample reaches both ends of the interval.
        expect(Math.min(...values)).toBeLessThan(lo + lo * 0.01);
        expect(Math.max(...values)).toBeGreaterThan(2 * lo - lo * 0.01);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        expect(mean / lo).toBeGreaterThan(1.45);
        expect(mean / lo).toBeLessThan(1.55);
      }
    }
    // At k = 5 the interval [160 s, 320 s) straddles the cap: values above 300 s are clamped.
    const k5 = Array.from({ length: 1_000 }, () => equalJitteredBackoffMs(5, MIN, MAX, random));
    expect(k5.filter((v) => v === MAX).length).toBeGreaterThan(50);
  });
});

describe('EndpointAccrual', () => {
  const make = (random: () => number = () => 0.5, failures?: number) => {
    const policy = new FailureAccrualPolicy({ random, ...(failures === undefined ? {} : { failures }) });
    return { policy, accrual: new EndpointAccrual(policy) };
  };

  it('marks dead after 5 consecutive failures; a success in between resets the streak', () => {
    const { policy, accrual } = make();
    for (let i = 0; i < 4; i++) accrual.onFailure(0);
    accrual.onSuccess();
    for (let i = 0; i < 4; i++) accrual.onFailure(0);
    expect(accrual.stateAt(0)).toBe('alive');
    accrual.onFailure(100);
    expect(accrual.stateAt(100)).toBe('dead');
    expect(accrual.isAvailable(100)).toBe(false);
    expect(accrual.deadUntil).toBe(5_100);
    expect(policy.counters).toMatchObject({ removals: 1, revivals: 0, probes: 0 });
  });

  it('lets exactly one probe through after the backoff; its success revives and resets the backoff', () => {
    const { policy, accrual } = make();
    for (let i = 0; i < 5; i++) accrual.onFailure(0);
    expect(accrual.isAvailable(4_999)).toBe(false);
    expect(accrual.stateAt(5_000)).toBe('probe-open');
    expect(accrual.isAvailable(5_000)).toBe(true);
    accrual.onDispatch(5_000);
    expect(accrual.stateAt(5_001)).toBe('probe-closed');
    expect(accrual.isAvailable(5_001)).toBe(false);
    expect(policy.counters.probes).toBe(1);
    accrual.onSuccess();
    expect(accrual.stateAt(5_002)).toBe('alive');
    expect(policy.counters).toMatchObject({ removals: 1, revivals: 1, probes: 1 });
    // Backoff restarts from the minimum after a revival.
    for (let i = 0; i < 5; i++) accrual.onFailure(10_000);
    expect(accrual.deadUntil).toBe(15_000);
  });

  it('re-kills on a failed probe with the next, longer backoff, without counting a removal', () => {
    const { policy, accrual } = make(() => 0.5);
    for (let i = 0; i < 5; i++) accrual.onFailure(0);
    const expected = [5_000, 15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000];
    let t = 0;
    let deadUntil = accrual.deadUntil;
    expect(deadUntil - t).toBe(expected[0]);
    for (let k = 1; k < expected.length; k++) {
      t = deadUntil;
      accrual.onDispatch(t);
      accrual.onFailure(t + 1);
      deadUntil = accrual.deadUntil;
      expect(deadUntil - (t + 1)).toBe(expected[k]);
      expect(accrual.stateAt(t + 1)).toBe('dead');
    }
    expect(policy.counters).toMatchObject({ removals: 1, revivals: 0, probes: expected.length - 1 });
  });

  it('ignores failures reported while dead (late answers do not stretch the backoff)', () => {
    const { accrual } = make();
    for (let i = 0; i < 5; i++) accrual.onFailure(0);
    for (let i = 0; i < 20; i++) accrual.onFailure(1_000);
    expect(accrual.deadUntil).toBe(5_000);
    // Requests sent while dead (fail-open) are not probes.
    accrual.onDispatch(1_000);
    expect(accrual.stateAt(1_000)).toBe('dead');
  });

  it('probes again when a fail-open success reset the streak before a failed probe (Finagle)', () => {
    const { accrual } = make();
    for (let i = 0; i < 5; i++) accrual.onFailure(0);
    accrual.onSuccess(); // a fail-open request succeeded: streak 0, still dead
    expect(accrual.stateAt(1_000)).toBe('dead');
    accrual.onDispatch(5_000);
    accrual.onFailure(5_010);
    expect(accrual.stateAt(5_010)).toBe('probe-open');
  });

  it('honours a custom threshold and rejects nonsense options', () => {
    const { accrual } = make(undefined, 2);
    accrual.onFailure(0);
    accrual.onFailure(0);
    expect(accrual.stateAt(0)).toBe('dead');
    expect(() => new FailureAccrualPolicy({ failures: 0 })).toThrow(RangeError);
    expect(() => new FailureAccrualPolicy({ minBackoffMs: 10, maxBackoffMs: 5 })).toThrow(RangeError);
  });
});
