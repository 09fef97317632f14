/**
 * The steady-state hypothesis, checked once before the method and once after: every probe reads
 * its source at the start and the end of its own window (all probes' windows run side by side)
 * and the difference is judged against the probe's tolerance. A probe is met, deviates (with a
 * reason that names the figure), or could not be measured (its source did not answer) — the last
 * is not evidence either way, and the verdict says so rather than guessing.
 */
import type { FetchLimits } from '../canary/bounded-fetch.js';
import { type Figures, routerFigures, snapshotRouters } from './router-window.js';
import { sleep } from './sleep.js';
import type { Probe, Tolerance } from './spec.js';
import { snapshotTraffic, trafficFigures } from './traffic-window.js';

export interface ProbeResult {
  readonly name: string;
  readonly source: 'router' | 'traffic';
  readonly windowMs: number;
  readonly measured: (Figures & { readonly successRate: number | null }) | null;
  readonly tolerance: Tolerance;
  /** true met, false deviated, null not measured. */
  readonly ok: boolean | null;
  readonly reasons: readonly string[];
  readonly error?: string;
  /** Routers whose metrics could not be read at either end (the others were judged). */
  readonly unreadable?: readonly { router: string; error: string }[];
}

export interface HypothesisResult {
  readonly ok: boolean | null;
  readonly probes: readonly ProbeResult[];
}

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

export function judgeFigures(name: string, f: Figures, t: Tolerance): string[] {
  const reasons: string[] = [];
  if (f.requests < t.minRequests) {
    reasons.push(`${name}: ${f.requests} requests in the window, fewer than the ${t.minRequests} it needs as evidence`);
    return reasons;
  }
  const rate = (f.requests - f.failures) / f.requests;
  if (t.minSuccessRate !== null && rate < t.minSuccessRate)
    reasons.push(
      `${name}: success rate ${pct(rate)} (${f.failures} of ${f.requests} failed) is below ${pct(t.minSuccessRate)}`,
    );
  if (t.maxP99Ms !== null) {
    if (f.p99Ms === null) reasons.push(`${name}: no latency data, so p99 ≤ ${t.maxP99Ms} ms cannot be shown`);
    else if (f.p99Ms > t.maxP99Ms) reasons.push(`${name}: p99 ${f.p99Ms} ms is above ${t.maxP99Ms} ms`);
  }
  return reasons;
}

async function runProbe(probe: Probe, limits: FetchLimits, signal: AbortSignal): Promise<ProbeResult> {
  const base = { name: probe.name, source: probe.source.kind, windowMs: probe.windowMs, tolerance: probe.tolerance };
  let figures: Figures;
  let unreadable: { router: string; error: string }[] | undefined;
  try {
    if (probe.source.kind === 'router') {
      const source = probe.source;
      const start = await snapshotRouters(source, limits);
      if (start.routers.length === 0) throw new Error('no router to read (the registry lists none under its label)');
      // Nothing readable now: waiting out the window could not make a measurement of it.
      if (start.scrapes.size === 0)
        throw new Error(
          `no router could be read: ${start.unreadable.map((u) => `${u.router}: ${u.error}`).join('; ')}`,
        );
      await sleep(probe.windowMs, signal);
      const end = await snapshotRouters(source, limits, start.routers);
      const both = [...end.scrapes.keys()].filter((r) => start.scrapes.has(r));
      unreadable = [...start.unreadable, ...end.unreadable];
      if (both.length === 0)
        throw new Error(
          `no router could be read at both ends of the window: ${unreadable.map((u) => `${u.router}: ${u.error}`).join('; ')}`,
        );
      figures = routerFigures(source, start, end);
    } else {
      const start = await snapshotTraffic(probe.source, limits);
      await sleep(probe.windowMs, signal);
      figures = trafficFigures(start, await snapshotTraffic(probe.source, limits));
    }
  } catch (e) {
    return { ...base, measured: null, ok: null, reasons: [], error: (e as Error).message };
  }
  const successRate = figures.requests === 0 ? null : (figures.requests - figures.failures) / figures.requests;
  const reasons = judgeFigures(probe.name, figures, probe.tolerance);
  return {
    ...base,
    measured: { ...figures, successRate },
    ok: reasons.length === 0,
    reasons,
    ...(unreadable !== undefined && unreadable.length > 0 ? { unreadable } : {}),
  };
}

/** Every probe, side by side; met only when every probe is met. */
export async function checkHypothesis(
  probes: readonly Probe[],
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<HypothesisResult> {
  const results = await Promise.all(probes.map((p) => runProbe(p, limits, signal)));
  const ok = results.some((r) => r.ok === null) ? null : results.every((r) => r.ok === true);
  // A deviation seen is a deviation, even if another probe could not be read.
  return { ok: results.some((r) => r.ok === false) ? false : ok, probes: results };
}
