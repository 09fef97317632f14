/**
 * The verdict on one window: the canary against the primary, on the same routers over the same
 * time. Gates, in order:
 *
 * 1. evidence: each side served at least `minRequests` requests, else the window is extended
 *    (or, out of extensions, fails: a canary nobody calls is not known to be good);
 * 2. errors, relative: one-sided Fisher's exact test (fisher.ts); the canary fails when its rate
 *    is above the primary's and p < alpha;
 * 3. errors, absolute: the canary's rate may not exceed `maxErrorRate`;
 * 4. latency: the canary's p99 may not exceed `maxP99Ms`, nor the primary's p99 × `p99Factor`.
 *    The p99s are the window's, from the routers' histogram buckets (client-metrics.ts); without
 *    latency data, the latency gates are reported as not judged rather than failed.
 */
import type { SideWindow } from './client-metrics.js';
import { fisherGreater } from './fisher.js';
import type { Gates } from './spec.js';

export type Verdict = 'pass' | 'fail' | 'wait';

export interface Judgement {
  readonly verdict: Verdict;
  /** Why, in words, one reason per failed gate (or why it waits). */
  readonly reasons: readonly string[];
  readonly canary: SideWindow & { readonly errorRate: number };
  readonly primary: SideWindow & { readonly errorRate: number };
  /** The one-sided p-value, null when not computed (not enough requests). */
  readonly pValue: number | null;
  /** Latency gates that could not be judged, and why. */
  readonly notes: readonly string[];
}

const rate = (s: SideWindow) => (s.requests === 0 ? 0 : s.failures / s.requests);
const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

export function judge(canary: SideWindow, primary: SideWindow, gates: Gates): Judgement {
  const c = { ...canary, errorRate: rate(canary) };
  const p = { ...primary, errorRate: rate(primary) };
  const reasons: string[] = [];
  const notes: string[] = [];
  const short = [
    c.requests < gates.minRequests ? `canary ${c.requests}` : '',
    p.requests < gates.minRequests ? `primary ${p.requests}` : '',
  ].filter((s) => s !== '');
  if (short.length > 0) {
    return {
      verdict: 'wait',
      reasons: [`not enough requests (${short.join(', ')}; at least ${gates.minRequests} each)`],
      canary: c,
      primary: p,
      pValue: null,
      notes,
    };
  }
  const pValue = fisherGreater(c, p);
  if (c.errorRate > p.errorRate && pValue < gates.alpha) {
    reasons.push(
      `error rate ${pct(c.errorRate)} is above the primary's ${pct(p.errorRate)} (one-sided Fisher p = ${pValue.toPrecision(3)} < ${gates.alpha})`,
    );
  }
  if (gates.maxErrorRate !== null && c.errorRate > gates.maxErrorRate) {
    reasons.push(`error rate ${pct(c.errorRate)} is above the ceiling ${pct(gates.maxErrorRate)}`);
  }
  if (gates.maxP99Ms !== null) {
    if (c.p99 === null) notes.push('p99 ceiling not judged: no latency data for the canary yet');
    else if (c.p99 > gates.maxP99Ms) reasons.push(`p99 ${c.p99} ms is above the ceiling ${gates.maxP99Ms} ms`);
  }
  if (gates.p99Factor !== null) {
    if (c.p99 === null || p.p99 === null) notes.push('p99 factor not judged: no latency data for both sides yet');
    else if (c.p99 > p.p99 * gates.p99Factor) {
      reasons.push(`p99 ${c.p99} ms is above the primary's ${p.p99} ms × ${gates.p99Factor}`);
    }
  }
  return { verdict: reasons.length === 0 ? 'pass' : 'fail', reasons, canary: c, primary: p, pValue, notes };
}
