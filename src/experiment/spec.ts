/**
 * A chaos experiment as a person writes it (docs/experiments.md): a title, a steady-state
 * hypothesis (probes, each with a tolerance), and a method (actions and waits). The file is
 * untrusted text: it is validated once, every problem is reported with its path
 * (`method[2].labelSelector`), and every count, size and duration is bounded, so no file can make
 * a run wait for days, kill a hundred pods or read a thousand routers.
 */
import { deepFreeze, isObject, Problems, type Raw } from '../config/validation.js';
import { parseDuration } from '../traffic/duration.js';

export interface Tolerance {
  /** Successes / requests over the window, 0-1, or null when not judged. */
  readonly minSuccessRate: number | null;
  /** The window's p99 ceiling in milliseconds, or null. */
  readonly maxP99Ms: number | null;
  /** Fewer requests than this in the window is no evidence: the probe fails. */
  readonly minRequests: number;
}

/** Requests through routers, read from their admin ports' metrics, per client (bound id) or per service. */
export interface RouterSource {
  readonly kind: 'router';
  readonly admins: readonly string[];
  /** A registry whose peers under `routerLabel` are routers' admin ports (as the canary reads them). */
  readonly registry: string | null;
  readonly routerLabel: string;
  readonly scope: 'client' | 'service';
  /** `/$/inet/127.0.0.1/7002` or `/svc/web`, as the router's metrics name it. */
  readonly name: string;
}

/** Traffic generators' results merged by the registry's locker, for one label (and one target, or all). */
export interface TrafficSource {
  readonly kind: 'traffic';
  readonly registry: string;
  readonly label: string;
  readonly target: string | null;
}

export interface Probe {
  readonly name: string;
  readonly windowMs: number;
  readonly source: RouterSource | TrafficSource;
  readonly tolerance: Tolerance;
}

export interface ToxicBody {
  readonly name: string;
  readonly type: string;
  readonly stream: 'upstream' | 'downstream';
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number | string>>;
}

export type Action =
  | { readonly action: 'add-toxic'; readonly api: string; readonly proxy: string; readonly toxic: ToxicBody }
  | { readonly action: 'kill-pod'; readonly namespace: string; readonly labelSelector: string }
  | {
      readonly action: 'kill-local-peer';
      readonly registry: string;
      readonly label: string;
      readonly signal: 'SIGKILL' | 'SIGTERM';
    }
  | { readonly action: 'wait'; readonly ms: number };

export interface Experiment {
  readonly title: string;
  readonly hypothesis: { readonly title: string; readonly probes: readonly Probe[] };
  readonly method: readonly Action[];
}

export const LIMITS = {
  maxBytes: 64 * 1024,
  maxTitle: 200,
  maxProbes: 16,
  maxActions: 32,
  maxAdmins: 16,
  maxUrl: 200,
  minWindowMs: 100,
  maxWindowMs: 600_000,
  maxWaitMs: 600_000,
  /** Everything the file asks to wait for in one run: windows twice (before and after) plus waits. */
  maxTotalWaitMs: 3_600_000,
  maxMinRequests: 1_000_000_000,
  maxP99Ms: 3_600_000,
  maxAttributes: 8,
} as const;

const NAME = /^[A-Za-z0-9_.-]{1,63}$/;
const LABEL_SELECTOR = /^[A-Za-z0-9_./!=,() -]{1,250}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ACTIONS = ['add-toxic', 'kill-pod', 'kill-local-peer', 'wait'] as const;

const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : (JSON.stringify(v) ?? 'nothing');

/** Reads fields of one mapping, recording each problem under its full path. */
class Fields {
  constructor(
    readonly raw: Raw,
    readonly at: string,
    readonly p: Problems,
  ) {}
  path = (key: string) => (this.at === '' ? key : `${this.at}.${key}`);
  known(keys: readonly string[]): void {
    for (const key of Object.keys(this.raw))
      if (!keys.includes(key)) this.p.add(this.path(key), `unknown key (known: ${keys.join(', ')})`);
  }
  text(key: string, pattern: RegExp | null, what: string, fallback?: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined) {
      if (fallback === undefined) this.p.add(this.path(key), 'is required');
      return fallback;
    }
    if (typeof v !== 'string' || v.trim() === '')
      return void this.p.add(this.path(key), `must be ${what}, got ${show(v)}`);
    if (pattern !== null && !pattern.test(v)) return void this.p.add(this.path(key), `must be ${what}, got ${show(v)}`);
    return v;
  }
  url(key: string, required: boolean): string | undefined {
    if (this.raw[key] === undefined) {
      if (required) this.p.add(this.path(key), 'is required');
      return undefined;
    }
    return urlOf(this.raw[key], this.path(key), this.p);
  }
  duration(key: string, min: number, max: number, fallback?: number): number | undefined {
    const v = this.raw[key];
    if (v === undefined) {
      if (fallback === undefined) this.p.add(this.path(key), 'is required');
      return fallback;
    }
    const ms = typeof v === 'number' ? v : typeof v === 'string' && v.length <= 30 ? parseDuration(v) : null;
    if (ms === null || !Number.isFinite(ms) || ms < min || ms > max)
      return void this.p.add(
        this.path(key),
        `must be a duration from ${min} ms to ${max / 1000} s (e.g. 5s), got ${show(v)}`,
      );
    return ms;
  }
  number(key: string, min: number, max: number, integer: boolean): number | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      return void this.p.add(
        this.path(key),
        `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${show(v)}`,
      );
    return v;
  }
  object(key: string): Fields | undefined {
    const v = this.raw[key];
    if (!isObject(v)) return void this.p.add(this.path(key), v === undefined ? 'is required' : 'must be a mapping');
    return new Fields(v, this.path(key), this.p);
  }
}

function urlOf(v: unknown, at: string, p: Problems): string | undefined {
  if (typeof v !== 'string' || v.length > LIMITS.maxUrl || !/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(v))
    return void p.add(at, `must be an http(s) URL of at most ${LIMITS.maxUrl} characters, got ${show(v)}`);
  try {
    return new URL(v).href.replace(/\/+$/, '');
  } catch {
    return void p.add(at, `must be an http(s) URL, got ${show(v)}`);
  }
}

/** The experiment, or every problem with its path. */
export function validateExperiment(
  raw: unknown,
): { experiment: Experiment; problems: null } | { experiment: null; problems: string[] } {
  const p = new Problems();
  if (!isObject(raw)) return { experiment: null, problems: ['(file): an experiment is a mapping of keys to values'] };
  const top = new Fields(raw, '', p);
  top.known(['title', 'description', 'steadyStateHypothesis', 'method']);
  const title = top.text(
    'title',
    new RegExp(`^[^\\x00-\\x1f]{1,${LIMITS.maxTitle}}$`),
    `1-${LIMITS.maxTitle} printable characters`,
  );
  if (raw.description !== undefined && (typeof raw.description !== 'string' || raw.description.length > 2000))
    p.add('description', 'must be text of at most 2000 characters');
  const h = top.object('steadyStateHypothesis');
  let probes: Probe[] = [];
  let hTitle: string | undefined;
  if (h !== undefined) {
    h.known(['title', 'probes']);
    hTitle = h.text('title', /^[^\x00-\x1f]{1,200}$/, '1-200 printable characters', 'steady state');
    const list = h.raw.probes;
    if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.maxProbes)
      p.add(h.path('probes'), `must be a list of 1-${LIMITS.maxProbes} probes`);
    else probes = list.flatMap((x, i) => probeOf(x, `${h.path('probes')}[${i}]`, p) ?? []);
    const names = probes.map((x) => x.name);
    for (const [i, n] of names.entries())
      if (names.indexOf(n) !== i) p.add(`${h.path('probes')}[${i}].name`, `${n} is used twice`);
  }
  const list = raw.method;
  let method: Action[] = [];
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.maxActions)
    p.add('method', `must be a list of 1-${LIMITS.maxActions} actions`);
  else method = list.flatMap((x, i) => actionOf(x, `method[${i}]`, p) ?? []);
  const total =
    2 * probes.reduce((s, x) => s + x.windowMs, 0) + method.reduce((s, a) => s + (a.action === 'wait' ? a.ms : 0), 0);
  if (total > LIMITS.maxTotalWaitMs)
    p.add(
      'method',
      `the probes' windows (twice) and the waits come to ${Math.round(total / 1000)} s; the limit is ${LIMITS.maxTotalWaitMs / 1000} s`,
    );
  const names = method.flatMap((a) => (a.action === 'add-toxic' ? [`${a.api} ${a.proxy} ${a.toxic.name}`] : []));
  for (const [i, n] of names.entries())
    if (names.indexOf(n) !== i) p.add('method', `the toxic ${n.split(' ').slice(1).join('/')} is added twice`);
  if (!p.ok) return { experiment: null, problems: p.list };
  const experiment: Experiment = { title: title!, hypothesis: { title: hTitle!, probes }, method };
  return { experiment: deepFreeze(experiment), problems: null };
}

function probeOf(raw: unknown, at: string, p: Problems): Probe | undefined {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping');
  const f = new Fields(raw, at, p);
  f.known(['name', 'window', 'router', 'traffic', 'tolerance']);
  const name = f.text('name', NAME, '1-63 letters, digits, ".", "_" or "-"');
  const windowMs = f.duration('window', LIMITS.minWindowMs, LIMITS.maxWindowMs, 5_000);
  let source: RouterSource | TrafficSource | undefined;
  if ((raw.router === undefined) === (raw.traffic === undefined)) p.add(at, 'needs exactly one of router or traffic');
  else if (raw.router !== undefined) source = routerSource(f.object('router'), p);
  else source = trafficSource(f.object('traffic'));
  const t = f.object('tolerance');
  let tolerance: Tolerance | undefined;
  if (t !== undefined) {
    t.known(['minSuccessRate', 'maxP99', 'minRequests']);
    const minSuccessRate = t.number('minSuccessRate', 0, 1, false) ?? null;
    const maxP99Ms = t.raw.maxP99 === undefined ? null : (t.duration('maxP99', 0.001, LIMITS.maxP99Ms) ?? null);
    const minRequests = t.number('minRequests', 1, LIMITS.maxMinRequests, true) ?? 20;
    if (
      minSuccessRate === null &&
      maxP99Ms === null &&
      t.raw.minSuccessRate === undefined &&
      t.raw.maxP99 === undefined
    )
      p.add(t.at, 'needs minSuccessRate, maxP99 or both');
    tolerance = { minSuccessRate, maxP99Ms, minRequests };
  }
  if (name === undefined || windowMs === undefined || source === undefined || tolerance === undefined) return undefined;
  return { name, windowMs, source, tolerance };
}

function routerSource(f: Fields | undefined, p: Problems): RouterSource | undefined {
  if (f === undefined) return undefined;
  f.known(['admins', 'registry', 'routerLabel', 'client', 'service']);
  let admins: string[] = [];
  const list = f.raw.admins;
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.maxAdmins)
      p.add(f.path('admins'), `must be a list of 1-${LIMITS.maxAdmins} admin URLs`);
    else admins = list.map((u, i) => urlOf(u, `${f.path('admins')}[${i}]`, p) ?? '');
  }
  const registry = f.url('registry', false) ?? null;
  if (list === undefined && f.raw.registry === undefined) p.add(f.at, 'needs admins, registry or both');
  const routerLabel = f.text('routerLabel', NAME, '1-63 letters, digits, ".", "_" or "-"', 'http');
  if ((f.raw.client === undefined) === (f.raw.service === undefined)) {
    p.add(f.at, 'needs exactly one of client (a bound id) or service (a logical name)');
    return undefined;
  }
  const scope = f.raw.client !== undefined ? 'client' : 'service';
  const name = f.text(scope, /^\/[^\s"\\]{1,199}$/, 'a path such as /$/inet/127.0.0.1/7002 or /svc/web');
  if (name === undefined || routerLabel === undefined) return undefined;
  return { kind: 'router', admins, registry, routerLabel, scope, name };
}

function trafficSource(f: Fields | undefined): TrafficSource | undefined {
  if (f === undefined) return undefined;
  f.known(['registry', 'label', 'target']);
  const registry = f.url('registry', true);
  const label = f.text('label', NAME, '1-63 letters, digits, ".", "_" or "-"');
  const target = f.raw.target === undefined ? null : f.text('target', NAME, '1-63 letters, digits, ".", "_" or "-"');
  if (registry === undefined || label === undefined || target === undefined) return undefined;
  return { kind: 'traffic', registry, label, target };
}

function actionOf(raw: unknown, at: string, p: Problems): Action | undefined {
  if (!isObject(raw)) return void p.add(at, 'must be a mapping');
  const f = new Fields(raw, at, p);
  const kind = raw.action;
  if (!(ACTIONS as readonly unknown[]).includes(kind))
    return void p.add(f.path('action'), `must be one of ${ACTIONS.join(', ')}, got ${show(kind)}`);
  switch (kind as (typeof ACTIONS)[number]) {
    case 'wait': {
      f.known(['action', 'duration']);
      const ms = f.duration('duration', 0, LIMITS.maxWaitMs);
      return ms === undefined ? undefined : { action: 'wait', ms };
    }
    case 'kill-pod': {
      f.known(['action', 'namespace', 'labelSelector']);
      const namespace = f.text('namespace', DNS_LABEL, 'a namespace name (a DNS label)', 'default');
      const labelSelector = f.text('labelSelector', LABEL_SELECTOR, 'a label selector such as app=gen');
      if (namespace === undefined || labelSelector === undefined) return undefined;
      return { action: 'kill-pod', namespace, labelSelector };
    }
    case 'kill-local-peer': {
      f.known(['action', 'registry', 'label', 'signal']);
      const registry = f.url('registry', true);
      const label = f.text('label', NAME, '1-63 letters, digits, ".", "_" or "-"');
      const signal = f.text('signal', /^SIG(KILL|TERM)$/, 'SIGKILL or SIGTERM', 'SIGKILL') as
        | 'SIGKILL'
        | 'SIGTERM'
        | undefined;
      if (registry === undefined || label === undefined || signal === undefined) return undefined;
      return { action: 'kill-local-peer', registry, label, signal };
    }
    case 'add-toxic': {
      f.known(['action', 'api', 'proxy', 'toxic']);
      const api = f.url('api', true);
      const proxy = f.text('proxy', /^[A-Za-z0-9_.:-]{1,100}$/, "a proxy's name");
      const toxic = toxicOf(f.object('toxic'), p);
      if (api === undefined || proxy === undefined || toxic === undefined) return undefined;
      return { action: 'add-toxic', api, proxy, toxic };
    }
  }
}

function toxicOf(f: Fields | undefined, p: Problems): ToxicBody | undefined {
  if (f === undefined) return undefined;
  f.known(['name', 'type', 'stream', 'toxicity', 'attributes']);
  const name = f.text('name', /^[A-Za-z0-9_.-]{1,100}$/, '1-100 letters, digits, ".", "_" or "-"');
  const type = f.text('type', /^[a-z_]{1,30}$/, 'a toxic type such as latency or timeout');
  const stream = f.text('stream', /^(upstream|downstream)$/, 'upstream or downstream', 'downstream');
  const toxicity = f.number('toxicity', 0, 1, false) ?? 1;
  const attributes: Record<string, number | string> = {};
  const a = f.raw.attributes;
  if (a !== undefined) {
    if (!isObject(a) || Object.keys(a).length > LIMITS.maxAttributes)
      p.add(f.path('attributes'), `must be a mapping of at most ${LIMITS.maxAttributes} names to numbers`);
    else
      for (const [k, v] of Object.entries(a)) {
        if (
          !/^[a-z_]{1,30}$/.test(k) ||
          !((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 100))
        )
          p.add(`${f.path('attributes')}.${k}`, `must be a number (or a short string), got ${show(v)}`);
        else attributes[k] = v;
      }
  }
  if (name === undefined || type === undefined || stream === undefined) return undefined;
  return { name, type, stream: stream as 'upstream' | 'downstream', toxicity, attributes };
}
