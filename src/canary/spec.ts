/**
 * A canary run, as a person writes it (flags or a YAML spec) and as the controller keeps it in
 * namerd's history. Validation reads untrusted text: every field is checked, every problem is
 * reported with the field's name in one go, and values are bounded so that no spec can make the
 * controller wait for years, write a thousand versions, or ask namerd to keep a message it refuses.
 */

import { isObject, Problems, type Raw } from '../config/validation.js';
import { Path } from '../dtab/path.js';
import { formatDuration, parseDuration } from '../traffic/duration.js';

export interface Gates {
  /** Fewer requests than this on either side in a window is no evidence yet. */
  readonly minRequests: number;
  /** The one-sided test's significance: the canary fails when p < alpha. */
  readonly alpha: number;
  /** An absolute ceiling on the canary's error rate (0–1), or null. */
  readonly maxErrorRate: number | null;
  /** An absolute ceiling on the canary's p99 in milliseconds, or null. */
  readonly maxP99Ms: number | null;
  /** The canary's p99 may be at most the primary's times this, or null. */
  readonly p99Factor: number | null;
}

export interface CanarySpec {
  readonly namespace: string;
  readonly service: string;
  readonly primary: string;
  readonly canary: string;
  /** Percentages sent to the canary, increasing, ending at 100. */
  readonly steps: readonly number[];
  readonly intervalMs: number;
  /** The last step writes `CANARY | PRIMARY` instead of the canary alone. */
  readonly fallback: boolean;
  /** How many more intervals a step waits for enough requests before it counts as failed. */
  readonly maxExtensions: number;
  readonly gates: Gates;
  /** Router admin URLs to read metrics from. */
  readonly routers: readonly string[];
  /** A registry whose peers under `routerLabel` are routers (their admin addresses). */
  readonly registry: string | null;
  readonly routerLabel: string;
}

export const LIMITS = {
  maxSteps: 20,
  minIntervalMs: 100,
  maxIntervalMs: 86_400_000,
  maxRouters: 16,
  maxUrlLength: 200,
  maxPathLength: 200,
  maxMinRequests: 1_000_000_000,
  maxExtensions: 100,
  maxP99Ms: 3_600_000,
  maxP99Factor: 1000,
} as const;

export const DEFAULTS = {
  intervalMs: 60_000,
  fallback: false,
  maxExtensions: 3,
  minRequests: 20,
  alpha: 0.05,
  routerLabel: 'http',
  routers: ['http://127.0.0.1:9990'],
} as const;

/** The spec's keys as written in YAML; flags use the kebab-case forms. */
export const SPEC_KEYS = [
  'namespace',
  'service',
  'primary',
  'canary',
  'steps',
  'interval',
  'fallback',
  'maxExtensions',
  'minRequests',
  'significance',
  'maxErrorRate',
  'maxP99',
  'p99Factor',
  'routers',
  'registry',
  'routerLabel',
] as const;

const NAMESPACE = /^[A-Za-z0-9_.-]{1,100}$/;

/** Validates a raw spec (from YAML or flags); either a frozen spec or every problem, by field. */
export function validateSpec(raw: unknown): { spec: CanarySpec; problems: null } | { spec: null; problems: string[] } {
  const p = new Problems();
  if (!isObject(raw)) return { spec: null, problems: ['spec: must be a mapping of keys to values'] };
  for (const key of Object.keys(raw)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) p.add(key, `unknown key (known: ${SPEC_KEYS.join(', ')})`);
  }
  const namespace = text(raw, 'namespace', p);
  if (namespace !== undefined && !NAMESPACE.test(namespace)) {
    p.add('namespace', 'must be 1-100 letters, digits, ".", "_" or "-"');
  }
  const service = path(raw, 'service', p);
  const primary = path(raw, 'primary', p);
  const canary = path(raw, 'canary', p);
  if (primary !== undefined && primary === canary) p.add('canary', 'must differ from primary');
  if (service !== undefined && (service === canary || service === primary)) {
    p.add('service', 'must differ from primary and canary (it would delegate to itself)');
  }
  const steps = stepsOf(raw.steps, p);
  const intervalMs = duration(raw.interval, 'interval', DEFAULTS.intervalMs, p);
  const fallback = bool(raw.fallback, 'fallback', DEFAULTS.fallback, p);
  const maxExtensions = int(raw.maxExtensions, 'maxExtensions', 0, LIMITS.maxExtensions, DEFAULTS.maxExtensions, p);
  const minRequests = int(raw.minRequests, 'minRequests', 1, LIMITS.maxMinRequests, DEFAULTS.minRequests, p);
  const alpha = num(raw.significance, 'significance', 1e-9, 0.5, p) ?? DEFAULTS.alpha;
  const maxErrorRate = num(raw.maxErrorRate, 'maxErrorRate', 0, 1, p) ?? null;
  const maxP99Ms = raw.maxP99 === undefined ? null : duration(raw.maxP99, 'maxP99', 0, p, 0.001, LIMITS.maxP99Ms);
  const p99Factor = num(raw.p99Factor, 'p99Factor', 1, LIMITS.maxP99Factor, p) ?? null;
  const routers = urls(raw.routers, 'routers', p);
  const registry = raw.registry === undefined ? null : (urls([raw.registry], 'registry', p)?.[0] ?? null);
  const routerLabel = raw.routerLabel === undefined ? DEFAULTS.routerLabel : text(raw, 'routerLabel', p);
  if (routerLabel !== undefined && !/^[A-Za-z0-9_.-]{1,63}$/.test(routerLabel)) {
    p.add('routerLabel', 'must be 1-63 letters, digits, ".", "_" or "-"');
  }
  if (!p.ok) return { spec: null, problems: p.list };
  const spec: CanarySpec = {
    namespace: namespace!,
    service: service!,
    primary: primary!,
    canary: canary!,
    steps: steps!,
    intervalMs,
    fallback,
    maxExtensions,
    gates: { minRequests, alpha, maxErrorRate, maxP99Ms, p99Factor },
    routers: routers ?? (registry === null ? [...DEFAULTS.routers] : []),
    registry,
    routerLabel: routerLabel!,
  };
  return { spec: Object.freeze(spec), problems: null };
}

/** The spec written back in its YAML/JSON keys (what the history keeps and `status` shows). */
export function specToRaw(spec: CanarySpec): Raw {
  const g = spec.gates;
  return {
    namespace: spec.namespace,
    service: spec.service,
    primary: spec.primary,
    canary: spec.canary,
    steps: [...spec.steps],
    interval: formatDuration(spec.intervalMs),
    fallback: spec.fallback,
    maxExtensions: spec.maxExtensions,
    minRequests: g.minRequests,
    significance: g.alpha,
    ...(g.maxErrorRate === null ? {} : { maxErrorRate: g.maxErrorRate }),
    ...(g.maxP99Ms === null ? {} : { maxP99: formatDuration(g.maxP99Ms) }),
    ...(g.p99Factor === null ? {} : { p99Factor: g.p99Factor }),
    routers: [...spec.routers],
    ...(spec.registry === null ? {} : { registry: spec.registry }),
    routerLabel: spec.routerLabel,
  };
}

/** The canary's short name for messages: the last label of its path (`gen-growthhack`). */
export function canaryName(spec: Pick<CanarySpec, 'canary'>): string {
  const labels = spec.canary.split('/').filter((l) => l !== '');
  return labels[labels.length - 1] ?? spec.canary;
}

function text(raw: Raw, key: string, p: Problems): string | undefined {
  const v = raw[key];
  if (v === undefined) {
    p.add(key, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '') {
    p.add(key, `must be a non-empty string, got ${show(v)}`);
    return undefined;
  }
  return v.trim();
}

function path(raw: Raw, key: string, p: Problems): string | undefined {
  const v = text(raw, key, p);
  if (v === undefined) return undefined;
  if (v.length > LIMITS.maxPathLength) {
    p.add(key, `is ${v.length} characters long; the limit is ${LIMITS.maxPathLength}`);
    return undefined;
  }
  try {
    const read = Path.read(v);
    if (read.isEmpty) throw new Error('the empty path names nothing');
    return read.show();
  } catch (e) {
    p.add(key, `must be a path like /srv/gen: ${(e as Error).message}`);
    return undefined;
  }
}

function stepsOf(v: unknown, p: Problems): number[] | undefined {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (v === undefined) {
    p.add('steps', 'is required (e.g. 5,20,50,100)');
    return undefined;
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.maxSteps) {
    p.add('steps', `must be a list of 1 to ${LIMITS.maxSteps} percentages, got ${show(v)}`);
    return undefined;
  }
  const steps: number[] = [];
  for (const [i, item] of list.entries()) {
    const n = typeof item === 'string' && /^\d{1,3}$/.test(item) ? Number(item) : item;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100) {
      p.add(`steps[${i}]`, `must be an integer percentage from 1 to 100, got ${show(item)}`);
      return undefined;
    }
    if (steps.length > 0 && n <= steps[steps.length - 1]!) {
      p.add(`steps[${i}]`, `must be greater than the step before it (${steps[steps.length - 1]})`);
      return undefined;
    }
    steps.push(n);
  }
  if (steps[steps.length - 1] !== 100) p.add('steps', 'must end at 100 (the step that promotes the canary)');
  return steps;
}

function duration(
  v: unknown,
  key: string,
  fallback: number,
  p: Problems,
  min: number = LIMITS.minIntervalMs,
  max: number = LIMITS.maxIntervalMs,
): number {
  if (v === undefined) return fallback;
  const ms = typeof v === 'number' ? v : typeof v === 'string' && v.length <= 32 ? parseDuration(v) : null;
  if (ms === null || !Number.isFinite(ms) || ms < min || ms > max) {
    p.add(
      key,
      `must be a duration from ${formatDuration(min)} to ${formatDuration(max)} (e.g. 1m, 30s), got ${show(v)}`,
    );
    return fallback;
  }
  return ms;
}

function bool(v: unknown, key: string, fallback: boolean, p: Problems): boolean {
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  p.add(key, `must be true or false, got ${show(v)}`);
  return fallback;
}

function int(v: unknown, key: string, min: number, max: number, fallback: number, p: Problems): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    p.add(key, `must be an integer from ${min} to ${max}, got ${show(v)}`);
    return fallback;
  }
  return n;
}

function num(v: unknown, key: string, min: number, max: number, p: Problems): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d{1,12}(\.\d{1,12})?$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    p.add(key, `must be a number from ${min} to ${max}, got ${show(v)}`);
    return undefined;
  }
  return n;
}

function urls(v: unknown, key: string, p: Problems): string[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.maxRouters) {
    p.add(key, `must be a list of 1 to ${LIMITS.maxRouters} URLs, got ${show(v)}`);
    return undefined;
  }
  const out: string[] = [];
  for (const [i, item] of list.entries()) {
    const where = list.length === 1 && key === 'registry' ? key : `${key}[${i}]`;
    let url: URL | null = null;
    if (typeof item === 'string' && item.length <= LIMITS.maxUrlLength) {
      try {
        url = new URL(item);
      } catch {
        url = null;
      }
    }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
      p.add(
        where,
        `must be an http:// or https:// URL of at most ${LIMITS.maxUrlLength} characters, got ${show(item)}`,
      );
      continue;
    }
    out.push(url.href.replace(/\/+$/, ''));
  }
  return out;
}

/** A value as a problem quotes it: short, one line, whatever it was. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
