/**
 * One-sided Fisher's exact test: is the canary's error rate higher than the primary's by more
 * than chance explains? Fisher rather than the two-proportion z-test because canary windows are
 * small by design (5% of a minute's traffic, often a handful of errors or none), where the normal
 * approximation misjudges; the exact test needs no minimum cell count. Conditioning on the
 * errors seen in both groups, the canary's share of them is hypergeometric, and the p-value is
 * the chance of the canary getting at least as many as it did.
 *
 * The cost is bounded whatever the counts: the tail is summed away from the distribution's mode,
 * where terms only shrink, and stops once they no longer change the sum, or after MAX_TERMS.
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

const MAX_TERMS = 10_000_000;

export interface Counts {
  readonly requests: number;
  readonly failures: number;
}

/**
 * P(canary failures ≥ observed | both groups' totals), i.e. the one-sided p-value for "the
 * canary fails more often". 1 when there is nothing to compare (no failures, or one group empty).
 */
export function fisherGreater(canary: Counts, primary: Counts): number {
  for (const c of [canary, primary]) {
    const ok = Number.isSafeInteger(c.requests) && Number.isSafeInteger(c.failures);
    if (!ok || c.requests < 0 || c.failures < 0 || c.failures > c.requests) {
      throw new RangeError(`invalid counts: ${c.failures} failures of ${c.requests} requests`);
    }
  }
  const n1 = canary.requests;
  const a = canary.failures;
  const N = n1 + primary.requests;
  const K = a + primary.failures;
  if (K === 0 || n1 === 0 || n1 === N || K === N) return 1;
  const lo = Math.max(0, n1 - (N - K));
  const hi = Math.min(n1, K);
  if (a <= lo) return 1;
  const logDenominator = logChoose(N, n1);
  const pmf = (x: number) => Math.exp(logChoose(K, x) + logChoose(N - K, n1 - x) - logDenominator);
  // pmf(x+1)/pmf(x), to walk the tail without recomputing log-gammas.
  const up = (x: number) => ((K - x) * (n1 - x)) / ((x + 1) * (N - K - n1 + x + 1));
  const mean = (n1 * K) / N;
  if (a > mean)
    return Math.min(
      1,
      sumTail(pmf(a), a, hi, (x, t) => t * up(x), 1),
    );
  // The upper tail holds the mode: sum the lower tail (x < a) instead and take its complement.
  return Math.max(0, Math.min(1, 1 - sumTail(pmf(a - 1), a - 1, lo, (x, t) => t / up(x - 1), -1)));
}

/** Sums terms from `start` towards `end` (one step `dir` at a time) until they stop mattering. */
function sumTail(
  first: number,
  start: number,
  end: number,
  next: (x: number, t: number) => number,
  dir: 1 | -1,
): number {
  let sum = 0;
  let term = first;
  for (let x = start, i = 0; i < MAX_TERMS; x += dir, i++) {
    sum += term;
    if (x === end || term <= sum * 1e-17) break;
    term = next(x, term);
  }
  return sum;
}
