/** The per-session budget of caller resets (rapid reset): a burst, then a steady refill. */
import { describe, expect, it } from 'vitest';
import { ResetBudget } from '../../src/router/protocol/http2/reset-budget.js';

describe('ResetBudget', () => {
  it('allows the burst at once, then refills at the rate, never above the burst', () => {
    let now = 0;
    const budget = new ResetBudget({ burst: 200, perSecond: 20 }, () => now);
    for (let i = 0; i < 200; i++) expect(budget.spend()).toBe(true);
    expect(budget.spend()).toBe(false);
    now += 1_000; // 20 more
    for (let i = 0; i < 20; i++) expect(budget.spend()).toBe(true);
    expect(budget.spend()).toBe(false);
    now += 3_600_000; // an hour idle refills to the burst, not beyond
    let allowed = 0;
    while (budget.spend()) allowed++;
    expect(allowed).toBe(200);
  });

  it('a steady 10 resets a second never runs out', () => {
    let now = 0;
    const budget = new ResetBudget({ burst: 200, perSecond: 20 }, () => now);
    for (let i = 0; i < 10_000; i++) {
      now += 100;
      expect(budget.spend()).toBe(true);
    }
  });
});
