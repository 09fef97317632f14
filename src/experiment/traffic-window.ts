/**
 * A probe's window read from the registry's locker: the traffic generators of a label send their
 * cumulative results there (`--locker`, every few seconds) and the registry merges them per target
 * (`GET /registry/peers/{label}/client/results`). Counts are cumulative, so a window is the
 * difference of two reads; the latency of the window comes from the difference of the merged
 * histograms (each bucket's count), since percentiles themselves cannot be subtracted. The answer
 * is another process's JSON: anything that is not a whole, non-negative number counts as zero.
 */
import { type FetchLimits, getJson } from '../canary/bounded-fetch.js';
import { type HistogramJson, LatencyHistogram } from '../telemetry/latency-histogram.js';
import type { Figures } from './router-window.js';
import type { TrafficSource } from './spec.js';

export interface TrafficSnapshot {
  readonly requests: number;
  readonly failures: number;
  readonly histogram: HistogramJson | null;
  /** Pods whose locker held results. */
  readonly instances: number;
}

const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export async function snapshotTraffic(source: TrafficSource, limits: FetchLimits): Promise<TrafficSnapshot> {
  const all = await getJson(
    `${source.registry}/registry/peers/${encodeURIComponent(source.label)}/client/results`,
    limits,
  );
  const merged = isObject(all) ? all[source.label] : undefined;
  if (!isObject(merged)) throw new Error(`the registry has no results for label ${source.label}`);
  const results =
    source.target === null
      ? merged.summary
      : isObject(merged.byTargets)
        ? Object.hasOwn(merged.byTargets, source.target)
          ? merged.byTargets[source.target]
          : undefined
        : undefined;
  if (!isObject(results)) return { requests: 0, failures: 0, histogram: null, instances: count(merged.instances) };
  const h = isObject(results.latency) ? results.latency.histogram : undefined;
  return {
    requests: count(results.requests),
    // bad: 5xx answers (or non-OK gRPC statuses); failed: no answer at all.
    failures: count(results.bad) + count(results.failed),
    histogram: LatencyHistogram.isJson(h) ? h : null,
    instances: count(merged.instances),
  };
}

/** The buckets added between two histograms, as a histogram of its own. */
function histogramDelta(a: HistogramJson | null, b: HistogramJson | null): LatencyHistogram | null {
  if (b === null) return null;
  const before = new Map<number, number>();
  if (a !== null) for (let i = 0; i + 1 < a.buckets.length; i += 2) before.set(a.buckets[i]!, a.buckets[i + 1]!);
  const buckets: number[] = [];
  let total = 0;
  for (let i = 0; i + 1 < b.buckets.length; i += 2) {
    const n = b.buckets[i + 1]! - (before.get(b.buckets[i]!) ?? 0);
    if (Number.isFinite(n) && n > 0) {
      buckets.push(b.buckets[i]!, n);
      total += n;
    }
  }
  if (total === 0) return null;
  return LatencyHistogram.fromJSON({ count: total, sumUs: 0, minUs: 0, maxUs: b.maxUs, buckets });
}

export function trafficFigures(start: TrafficSnapshot, end: TrafficSnapshot): Figures {
  // A generator that restarted counts from zero again: its counters went down.
  const restarted = end.requests < start.requests;
  const requests = restarted ? end.requests : end.requests - start.requests;
  const failures = Math.min(requests, restarted ? end.failures : Math.max(0, end.failures - start.failures));
  const delta = histogramDelta(restarted ? null : start.histogram, end.histogram);
  const p99Ms = delta === null ? null : Math.round(delta.quantile(0.99) / 10) / 100;
  return { requests, failures, p99Ms, p99Source: delta === null ? null : 'window' };
}
