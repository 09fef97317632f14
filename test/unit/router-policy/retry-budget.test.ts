/**
 * The retry budget's numbers (Finagle RetryBudget with linkerd's defaults): a reserve of
 * 10 retries/s × 10 s, plus 20% of the requests of the last 10 s, with withdrawals expiring
 * with the window.
 */
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../../src/router/policy/retry-budget.js';
import { manualClock } from '../../helpers/seeded-random.js';

/** Drains every retry the budget allows right now. */
function drain(budget: RetryBudget): number {
  let n = 0;
  while (budget.tryWithdraw()) n++;
  return n;
}

describe('RetryBudget', () => {
  it('starts with the reserve: minRetriesPerSec × ttl = 100 retries', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now });
    expect(budget.balance).toBe(100);
    expect(drain(budget)).toBe(100);
    expect(budget.balance).toBe(0);
  });

  it('allows 20% of requests + 10/s: 300 retries over the first 10 s at 100 requests/s', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now });
    let retries = 0;
    // One request every 10 ms, each followed by as many retries as the budget allows.
    for (let t = 0; t < 10_000; t += 10) {
      clock.set(t);
      budget.deposit();
      retries += drain(budget);
    }
    expect(retries).toBe(100 + 0.2 * 1_000);
  });

  it('holds 30 retries/s (20 + 10) in the steady state as the window slides', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now });
    const perSecond: number[] = [];
    for (let s = 0; s < 60; s++) {
      let n = 0;
      for (let ms = 0; ms < 1_000; ms += 10) {
        clock.set(s * 1_000 + ms);
        budget.deposit();
        n += drain(budget);
      }
      perSecond.push(n);
    }
    const steady = perSecond.slice(20);
    const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
    expect(mean).toBeGreaterThanOrEqual(29);
    expect(mean).toBeLessThanOrEqual(31);
    // No 10 s window ever allows more than the first one did.
    for (let s = 0; s + 10 <= perSecond.length; s++) {
      expect(perSecond.slice(s, s + 10).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(300);
    }
  });

  it('forgets deposits after the ttl, and refills from expired withdrawals', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now });
    for (let i = 0; i < 1_000; i++) budget.deposit();
    expect(budget.balance).toBe(300);
    clock.set(9_999);
    expect(budget.balance).toBe(300);
    clock.set(10_000);
    expect(budget.balance).toBe(100);
    expect(drain(budget)).toBe(100);
    clock.set(19_999);
    expect(budget.balance).toBe(0);
    clock.set(20_000);
    expect(budget.balance).toBe(100);
  });

  it('with percentCanRetry 0 only the reserve is available, whatever the traffic', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now, percentCanRetry: 0, minRetriesPerSec: 3 });
    for (let i = 0; i < 10_000; i++) budget.deposit();
    expect(drain(budget)).toBe(30);
    const none = new RetryBudget({ now: clock.now, percentCanRetry: 0, minRetriesPerSec: 0 });
    none.deposit();
    expect(none.tryWithdraw()).toBe(false);
  });

  it('follows other settings: ttl 1 s, 50%, no reserve', () => {
    const clock = manualClock();
    const budget = new RetryBudget({ now: clock.now, ttlMs: 1_000, percentCanRetry: 0.5, minRetriesPerSec: 0 });
    for (let i = 0; i < 10; i++) budget.deposit();
    expect(drain(budget)).toBe(5);
    clock.set(1_000);
    expect(budget.balance).toBe(0);
  });

  it('rejects settings Finagle rejects', () => {
    expect(() => new RetryBudget({ ttlMs: 500 })).toThrow(RangeError);
    expect(() => new RetryBudget({ ttlMs: 61_000 })).toThrow(RangeError);
    expect(() => new RetryBudget({ percentCanRetry: -0.1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ minRetriesPerSec: -1 })).toThrow(RangeError);
  });
});
