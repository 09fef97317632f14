/**
 * The p2c peak-EWMA balancer: it prefers the faster and the less loaded endpoint (statistically,
 * with a seeded PRNG), probes new endpoints once, keeps stats across update(), skips dead
 * endpoints, probes after the backoff, and fails open when all are dead.
 */
import { describe, expect, it } from 'vitest';
import { type BalancerPick, P2cEwmaBalancer } from '../../../src/router/policy/balancer.js';
import { manualClock, seededRandom } from '../../helpers/seeded-random.js';

interface Ep {
  readonly key: string;
}
const eps = (...keys: string[]): Ep[] => keys.map((key) => ({ key }));

function setup(keys: string[], seed = 7) {
  const clock = manualClock(1_000);
  const lb = new P2cEwmaBalancer<Ep>({ now: clock.now, random: seededRandom(seed) });
  lb.update(eps(...keys));
  return { clock, lb };
}

/** Sends one request through and reports `latency(key)` at once; returns the chosen key. */
function roundTrip(lb: P2cEwmaBalancer<Ep>, latency: (key: string) => number, ok = true): string {
  const p = lb.pick()!;
  p.done(latency(p.endpoint.key), ok);
  return p.endpoint.key;
}

function kill(lb: P2cEwmaBalancer<Ep>, key: string): void {
  const held: BalancerPick<Ep>[] = [];
  // Pick until the endpoint comes up, then fail it five times.
  for (let failures = 0; failures < 5; ) {
    const p = lb.pick()!;
    if (p.endpoint.key === key) {
      p.done(1, false);
      failures++;
    } else held.push(p);
  }
  for (const p of held) p.done(1, true);
}

describe('P2cEwmaBalancer', () => {
  it('returns null with no endpoints and reports size and available', () => {
    const { lb } = setup([]);
    expect(lb.pick()).toBeNull();
    expect(lb.size).toBe(0);
    lb.update(eps('a', 'b', 'b'));
    expect(lb.size).toBe(2);
    expect(lb.available).toBe(2);
  });

  it('sends almost nothing to an endpoint 10× slower than the others', () => {
    const keys = Array.from({ length: 10 }, (_, i) => `e${i}`);
    const { clock, lb } = setup(keys);
    const latency = (k: string) => (k === 'e0' ? 100 : 10);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      clock.advance(1);
      const k = roundTrip(lb, latency);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    // Uniform would be 10%; p2c with peak-EWMA only returns to e0 when its cost has decayed.
    expect(counts.get('e0') ?? 0).toBeLessThan(200);
    for (const k of keys.slice(1)) {
      expect(counts.get(k)!).toBeGreaterThan(1_800);
      expect(counts.get(k)!).toBeLessThan(2_600);
    }
  });

  it('prefers the endpoint with fewer requests in flight at equal latency', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const { clock, lb } = setup(keys);
    for (let i = 0; i < 200; i++) roundTrip(lb, () => 5);
    // 400 requests held open: least-loaded keeps the in-flight counts level, where uniform
    // random choice would spread them over about 19 (range of 8 counts, each with σ = √(400·⅛·⅞) ≈ 6.6).
    const held: BalancerPick<Ep>[] = [];
    for (let i = 0; i < 400; i++) held.push(lb.pick()!);
    const outstanding = lb.stats().map((s) => s.outstanding);
    expect(outstanding.reduce((x, y) => x + y, 0)).toBe(400);
    expect(Math.max(...outstanding) - Math.min(...outstanding)).toBeLessThanOrEqual(5);
    // An endpoint with 10 requests more in flight than the others gets nothing until they finish.
    // (A pick is its endpoint's shared slot, so count rather than compare handles.)
    let keepA = 10;
    const extra: BalancerPick<Ep>[] = [];
    for (const p of held) {
      if (p.endpoint.key === 'a' && keepA-- > 0) extra.push(p);
      else p.done(5, true);
    }
    expect(lb.stats().map((s) => s.outstanding)).toEqual([10, 0, 0, 0, 0, 0, 0, 0]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) {
      clock.advance(1);
      const k = roundTrip(lb, () => 5);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.get('a') ?? 0).toBe(0);
    for (const p of extra) p.done(5, true);
    for (let i = 0; i < 2_000; i++) {
      clock.advance(1);
      const k = roundTrip(lb, () => 5);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.get('a')!).toBeGreaterThan(150);
  });

  it('tries a new endpoint once, then waits for its first answer (Finagle penalty)', () => {
    const { clock, lb } = setup(['old1', 'old2']);
    for (let i = 0; i < 100; i++) roundTrip(lb, () => 20);
    lb.update(eps('old1', 'old2', 'new'));
    const picks: BalancerPick<Ep>[] = [];
    for (let i = 0; i < 200; i++) picks.push(lb.pick()!);
    const toNew = picks.filter((p) => p.endpoint.key === 'new');
    // Cost 0 while idle wins the first comparison it is in; with one request out, it is penalised.
    expect(toNew.length).toBe(1);
    for (const p of picks) p.done(20, true);
    clock.advance(1);
    const stats = lb.stats().find((s) => s.key === 'new')!;
    expect(stats.latencyMs).toBeGreaterThan(0);
    expect(stats.outstanding).toBe(0);
  });

  it('keeps latency, load and accrual state of endpoints that stay across update()', () => {
    const { clock, lb } = setup(['a', 'b', 'c']);
    for (let i = 0; i < 300; i++) roundTrip(lb, (k) => (k === 'a' ? 50 : 5));
    kill(lb, 'c');
    const heldA: BalancerPick<Ep>[] = [];
    while (heldA.length < 1) {
      const p = lb.pick()!;
      if (p.endpoint.key === 'a') heldA.push(p);
      else p.done(5, true);
    }
    const before = lb.stats().find((s) => s.key === 'a')!;
    lb.update(eps('c', 'a', 'd'));
    const after = lb.stats();
    expect(after.map((s) => s.key)).toEqual(['c', 'a', 'd']);
    const a = after.find((s) => s.key === 'a')!;
    expect(a.latencyMs).toBeCloseTo(before.latencyMs, 6);
    expect(a.outstanding).toBe(1);
    expect(after.find((s) => s.key === 'c')!.state).toBe('dead');
    expect(after.find((s) => s.key === 'd')!).toMatchObject({ latencyMs: 0, outstanding: 0, state: 'alive' });
    expect(lb.available).toBe(2);
    // A pick of an endpoint that has since been removed settles without touching the new set.
    lb.update(eps('c', 'd'));
    heldA[0]!.done(5, true);
    expect(lb.stats().map((s) => s.outstanding)).toEqual([0, 0]);
    clock.advance(1);
  });

  it('skips dead endpoints, even when most are dead (past maxEffort)', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `e${i}`);
    const { lb } = setup(keys);
    for (const k of keys.slice(0, 18)) kill(lb, k);
    expect(lb.available).toBe(2);
    expect(lb.counters.removals).toBe(18);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(roundTrip(lb, () => 5));
    expect([...seen].sort()).toEqual(['e18', 'e19']);
  });

  it('sends one probe after the backoff and revives the endpoint on its success', () => {
    const { clock, lb } = setup(['a', 'b']);
    kill(lb, 'a');
    for (let i = 0; i < 100; i++) expect(roundTrip(lb, () => 5)).toBe('b');
    clock.advance(5_000);
    expect(lb.available).toBe(2);
    // The probe goes out and 'a' is unavailable until it answers.
    let probe: BalancerPick<Ep> | undefined;
    for (let i = 0; i < 100 && probe === undefined; i++) {
      const p = lb.pick()!;
      if (p.endpoint.key === 'a') probe = p;
      else p.done(5, true);
    }
    expect(probe).toBeDefined();
    expect(lb.counters.probes).toBe(1);
    for (let i = 0; i < 100; i++) expect(roundTrip(lb, () => 5)).toBe('b');
    probe!.done(5, true);
    expect(lb.counters.revivals).toBe(1);
    expect(lb.stats().find((s) => s.key === 'a')!.state).toBe('alive');
  });

  it('fails open: with every endpoint dead it still picks, among all of them', () => {
    const { lb } = setup(['a', 'b', 'c']);
    for (const k of ['a', 'b', 'c']) kill(lb, k);
    expect(lb.available).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(roundTrip(lb, () => 5, false));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    // A single dead endpoint is still the choice.
    lb.update(eps('a'));
    expect(lb.pick()!.endpoint.key).toBe('a');
  });

  it('never marks an endpoint dead with failure accrual off', () => {
    const clock = manualClock();
    const lb = new P2cEwmaBalancer<Ep>({ now: clock.now, random: seededRandom(1), failureAccrual: false });
    lb.update(eps('a', 'b'));
    for (let i = 0; i < 100; i++) roundTrip(lb, () => 1, false);
    expect(lb.available).toBe(2);
    expect(lb.counters.removals).toBe(0);
  });

  it('forgets a latency peak over decayMs', () => {
    const { clock, lb } = setup(['a']);
    roundTrip(lb, () => 100);
    clock.advance(10_000);
    // One decay time later the peak has fallen to 1/e, Finagle's mean lifetime.
    expect(lb.stats()[0]!.cost).toBeCloseTo(100 / Math.E, 6);
  });
});
