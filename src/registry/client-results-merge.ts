/**
 * Merges the traffic results that a label's pods left in the locker (`client,<target>`) into one
 * view per target and one for all targets, as goto's `/registry/peers/client/results` does: the
 * canary split of a whole fleet of generators. Counts add up; first/last times take the
 * earliest/latest; latency percentiles are recomputed from the merged histograms, because
 * percentiles themselves cannot be combined. Maps merge key by key whatever they are, so gRPC
 * targets' countsByGrpcStatus and their headers' countsByValuesGrpcStatus add up like the HTTP
 * ones (test/unit/traffic-grpc-results.test.ts). Per-interval series are left out: each pod's
 * intervals have their own boundaries. The results are a wire format from other processes, so
 * the merge walks them structurally rather than trusting a type.
 */
import { LatencyHistogram } from '../telemetry/latency-histogram.js';
import type { InstanceLocker, LockerNode } from './locker.js';

export interface MergedClientResults {
  /** Pods whose locker held client results. */
  readonly instances: number;
  readonly byTargets: Record<string, Record<string, unknown>>;
  /** All targets together. */
  readonly summary: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys come from other processes' JSON: the merged maps have no prototype a `__proto__` key could set. */
const dict = (from: Json = {}): Json => Object.assign(Object.create(null) as Json, from);

function latest(a: unknown, b: unknown): unknown {
  if (typeof a !== 'string') return b;
  if (typeof b !== 'string') return a;
  return a > b ? a : b;
}

function earliest(a: unknown, b: unknown): unknown {
  if (typeof a !== 'string') return b;
  if (typeof b !== 'string') return a;
  return a < b ? a : b;
}

function mergeLatency(a: unknown, b: unknown): unknown {
  const histogram = new LatencyHistogram();
  for (const side of [a, b]) {
    const h = isObject(side) ? side.histogram : undefined;
    if (LatencyHistogram.isJson(h)) histogram.merge(h);
  }
  return { ...histogram.summary(), histogram: histogram.toJSON() };
}

/** Adds `b` into a copy of `a`, field by field. */
function merge(a: unknown, b: unknown): unknown {
  if (a === undefined) return isObject(b) ? merge(dict(), b) : b;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (!isObject(a) || !isObject(b)) return a;
  const out = dict(a);
  for (const [key, value] of Object.entries(b)) {
    switch (key) {
      case 'intervals':
        break;
      case 'firstResultAt':
        out[key] = earliest(a[key], value);
        break;
      case 'lastResultAt':
      case 'finishedAt':
        out[key] = latest(a[key], value);
        break;
      case 'running':
        out[key] = a[key] === true || value === true;
        break;
      case 'latency':
        out[key] = mergeLatency(a[key], value);
        break;
      default:
        out[key] = merge(a[key], value);
    }
  }
  return out;
}

export function mergeClientResults(instances: readonly InstanceLocker[]): MergedClientResults {
  const byTargets = Object.create(null) as Record<string, Json>;
  let summary = dict();
  let count = 0;
  for (const instance of instances) {
    const targets: Record<string, LockerNode> = instance.locker.subKeys?.client?.subKeys ?? Object.create(null);
    let any = false;
    for (const [target, node] of Object.entries(targets)) {
      if (!isObject(node.data)) continue;
      any = true;
      // A single pod's snapshot goes through the same path, so every view has the same shape.
      byTargets[target] = merge(byTargets[target] ?? dict(), node.data) as Json;
      summary = merge(summary, { ...node.data, target: '' }) as Json;
    }
    if (any) count++;
  }
  for (const merged of [...Object.values(byTargets), summary]) {
    delete merged.intervals;
    if (merged.running === true) merged.finishedAt = null;
  }
  return { instances: count, byTargets, summary };
}
