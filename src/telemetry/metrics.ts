/**
 * The metrics registry behind the router's admin port: counters, gauges and latency histograms,
 * each registered once by name and labels and then updated through a cached handle, so the hot
 * path pays for a property increment (`inc`) or a bucket increment (`record`) and never for a
 * lookup, a string or an allocation. Reading is the slow side: `toJSON` writes linkerd's flat
 * metrics.json keys and `toPrometheus` the text exposition, both derived from the same names
 * (metric-name.ts).
 *
 * Histograms follow linkerd: in `snapshot` mode (the default, every 60 s) percentiles describe the
 * last completed interval and counters and gauges are live; `cumulative` mode reports everything
 * since creation, for tests and one-shot tools.
 */
import { Counter } from './counter.js';
import { Gauge } from './gauge.js';
import { Histogram, type HistogramSummary, QUANTILES } from './histogram.js';
import { type Labels, type MetricName, metricName, prometheusName } from './metric-name.js';
import { type PrometheusFamily, type PrometheusSample, renderPrometheus, withLabel } from './prometheus.js';

export type { HistogramSummary, Labels, MetricName };
export { Counter, Gauge, Histogram };

export type MetricKind = 'counter' | 'gauge' | 'histogram';

type MetricOf<K extends MetricKind> = K extends 'counter' ? Counter : K extends 'gauge' ? Gauge : Histogram;

interface Entry {
  readonly kind: MetricKind;
  readonly id: MetricName;
  readonly metric: Counter | Gauge | Histogram;
  /** A histogram's metrics.json keys and quantile label sets, built at its first scrape. */
  jsonKeys?: readonly string[];
  quantileLabels?: readonly string[];
}

interface Family {
  readonly kind: MetricKind;
  readonly pattern: string;
  /** By Prometheus label text, which is unique within a family. */
  readonly entries: Map<string, Entry>;
}

export type HistogramMode =
  | { readonly mode: 'snapshot'; readonly intervalMs?: number }
  | { readonly mode: 'cumulative' };

export interface MetricsRegistryOptions {
  /** Default: snapshot every 60 s, linkerd's `histogramSnapshotInterval`. */
  readonly histograms?: HistogramMode;
}

export interface MetricsJsonOptions {
  /** A subtree of keys, like linkerd's `?q=`: `rt/http/service` keeps `rt/http/service/…`. */
  readonly q?: string;
  /**
   * Histograms over the interval still open (since the last snapshot) instead of the last closed
   * one: what a live view wants, since the closed one reads 0 for the first minute.
   */
  readonly current?: boolean;
}

export interface PrometheusOptions {
  /** Prepended to every metric name, like the `prefix` of linkerd's io.l5d.prometheus telemeter. */
  readonly prefix?: string;
}

const HISTOGRAM_SUFFIXES = ['_sum', '_count', '_avg'];
/** A histogram's metrics.json stats, in linkerd's order. */
const STATS = ['count', 'max', 'min', ...QUANTILES.map((q) => q.key), 'sum', 'avg'];
/** Prometheus quantile labels: linkerd's, with min as 0 and max as 1. */
const PROMETHEUS_QUANTILES = ['0', ...QUANTILES.map((q) => String(q.q)), '1'];
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Printed values keep microseconds; finer digits are float noise. */
const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

export class MetricsRegistry {
  /** Null in cumulative mode. */
  readonly snapshotIntervalMs: number | null;
  readonly #families = new Map<string, Family>();
  readonly #byFlatKey = new Map<string, Entry>();
  readonly #help = new Map<string, string>();
  /** Names a histogram family writes besides its own (`f_sum`, `f_count`, `f_avg`) → that family. */
  readonly #reserved = new Map<string, string>();
  readonly #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  /** Scrape orders, rebuilt after a registration or removal rather than sorted on every scrape. */
  #jsonOrder: Entry[] | null = null;
  #prometheusOrder: Entry[] | null = null;

  constructor(options: MetricsRegistryOptions = {}) {
    const mode = options.histograms ?? { mode: 'snapshot' };
    if (mode.mode === 'cumulative') {
      this.snapshotIntervalMs = null;
      return;
    }
    const interval = mode.intervalMs ?? 60_000;
    if (!(interval > 0)) throw new Error(`histogram snapshot interval must be positive, not ${interval}`);
    this.snapshotIntervalMs = interval;
    // Unref'd: a registry must never be what keeps the process alive after the servers close.
    this.#timer = setInterval(() => this.snapshot(), interval).unref();
  }

  /**
   * The counter with this name and labels, created at zero the first time. Cache the handle.
   * With `sample`, its value is read from the callback at scrape time.
   */
  counter(name: string, labels?: Labels, sample?: () => number): Counter {
    const counter = this.#get('counter', name, labels, () => new Counter(sample));
    if (sample !== undefined) counter.sampleWith(sample);
    return counter;
  }

  /** The gauge with this name and labels; with `sample`, its value is read from the callback at scrape. */
  gauge(name: string, labels?: Labels, sample?: () => number): Gauge {
    const gauge = this.#get('gauge', name, labels, () => new Gauge(sample));
    if (sample !== undefined) gauge.sampleWith(sample);
    return gauge;
  }

  /** The latency histogram (milliseconds) with this name and labels. Cache the handle. */
  histogram(name: string, labels?: Labels): Histogram {
    if (labels !== undefined && 'quantile' in labels) throw new Error(`histogram ${name}: "quantile" is reserved`);
    return this.#get('histogram', name, labels, () => new Histogram());
  }

  /** Sets the Prometheus HELP text of a metric name (default: its metrics.json key pattern). */
  describe(name: string, help: string): this {
    this.#help.set(prometheusName(name), help);
    return this;
  }

  /** Forgets one series (e.g. a client evicted from the bind cache); true when it existed. */
  remove(name: string, labels?: Labels): boolean {
    const id = metricName(name, labels);
    const entry = this.#byFlatKey.get(id.flatKey);
    if (entry === undefined || entry.id.name !== name || entry.id.labelText !== id.labelText) return false;
    this.#delete(entry);
    return true;
  }

  /** Forgets every series whose labels include all of `labels`; returns how many. */
  removeMatching(labels: Labels): number {
    const pairs = Object.entries(labels);
    let removed = 0;
    for (const entry of [...this.#byFlatKey.values()]) {
      const has = (k: string, v: string) => entry.id.labels.some(([ek, ev]) => ek === k && ev === v);
      if (pairs.every(([k, v]) => has(k, v))) {
        this.#delete(entry);
        removed++;
      }
    }
    return removed;
  }

  /** Closes the current histogram interval now (the timer calls this every interval). */
  snapshot(): void {
    for (const family of this.#families.values()) {
      if (family.kind !== 'histogram') continue;
      for (const entry of family.entries.values()) (entry.metric as Histogram).snapshot();
    }
    for (const listener of this.#listeners) listener();
  }

  /** Runs `listener` after each snapshot (process metrics roll their event-loop window with it). */
  onSnapshot(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the snapshot timer; the registry stays readable. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** How many series are registered. */
  get size(): number {
    return this.#byFlatKey.size;
  }

  /** linkerd's flat metrics.json object, by metric key; empty when `q` names no subtree. */
  toJSON(options: MetricsJsonOptions = {}): Record<string, number> {
    const q = (options.q ?? '').replace(/^\/+|\/+$/g, '');
    const wanted = (key: string) => q === '' || key === q || key.startsWith(`${q}/`) || key.startsWith(`${q}.`);
    const out: Record<string, number> = {};
    this.#jsonOrder ??= [...this.#byFlatKey.values()].sort((a, b) => byKey(a.id.flatKey, b.id.flatKey));
    for (const entry of this.#jsonOrder) {
      const key = entry.id.flatKey;
      if (entry.kind !== 'histogram') {
        if (wanted(key)) out[key] = (entry.metric as Counter | Gauge).value;
        continue;
      }
      const h = entry.metric as Histogram;
      const s = options.current === true ? h.current() : this.#summary(h);
      const keys = (entry.jsonKeys ??= STATS.map((stat) => `${key}.${stat}`));
      const values = [s.count, roundMs(s.max), roundMs(s.min), ...s.quantiles, roundMs(s.sum), roundMs(s.avg)];
      for (let i = 0; i < keys.length; i++) if (wanted(keys[i]!)) out[keys[i]!] = values[i]!;
    }
    return out;
  }

  /** The Prometheus text exposition (version 0.0.4), families sorted by name. */
  toPrometheus(options: PrometheusOptions = {}): string {
    const prefix = options.prefix ?? '';
    const out: PrometheusFamily[] = [];
    this.#prometheusOrder ??= [...this.#byFlatKey.values()].sort(
      (a, b) => byKey(a.id.family, b.id.family) || byKey(a.id.labelText, b.id.labelText),
    );
    const order = this.#prometheusOrder;
    for (let start = 0, end = 0; start < order.length; start = end) {
      const name = order[start]!.id.family;
      while (end < order.length && order[end]!.id.family === name) end++;
      const entries = order.slice(start, end);
      const family = this.#families.get(name)!;
      const full = prometheusName(prefix + name);
      const help = this.#help.get(name) ?? `metrics.json: ${family.pattern}`;
      if (family.kind !== 'histogram') {
        const samples = entries.map((e) => sample('', e.id.labelText, (e.metric as Counter | Gauge).value));
        out.push({ name: full, type: family.kind, help, samples });
        continue;
      }
      const samples: PrometheusSample[] = [];
      const averages: PrometheusSample[] = [];
      for (const e of entries) {
        const h = e.metric as Histogram;
        const s = this.#summary(h);
        const labels = (e.quantileLabels ??= PROMETHEUS_QUANTILES.map((q) => withLabel(e.id.labelText, 'quantile', q)));
        const values = [roundMs(s.min), ...s.quantiles, roundMs(s.max)];
        for (let i = 0; i < labels.length; i++) samples.push(sample('', labels[i]!, values[i]!));
        // Cumulative, not per interval as linkerd wrote them: Prometheus' rate() needs them monotonic.
        samples.push(sample('_sum', e.id.labelText, roundMs(h.totalSum)));
        samples.push(sample('_count', e.id.labelText, h.totalCount));
        averages.push(sample('', e.id.labelText, roundMs(s.avg)));
      }
      out.push({ name: full, type: 'summary', help, samples });
      const window = this.snapshotIntervalMs === null ? 'since start' : 'over the last snapshot interval';
      out.push({ name: `${full}_avg`, type: 'gauge', help: `mean of ${name} ${window}`, samples: averages });
    }
    return renderPrometheus(out);
  }

  /**
   * Every series by family, sorted like the Prometheus output, for other renderers
   * (native-prometheus.ts): the family's name, kind and HELP text, and each series' labels.
   */
  *series(): Generator<{
    readonly family: string;
    readonly kind: MetricKind;
    readonly help: string;
    readonly labels: readonly (readonly [string, string])[];
    readonly metric: Counter | Gauge | Histogram;
  }> {
    this.#prometheusOrder ??= [...this.#byFlatKey.values()].sort(
      (a, b) => byKey(a.id.family, b.id.family) || byKey(a.id.labelText, b.id.labelText),
    );
    for (const e of this.#prometheusOrder) {
      const family = this.#families.get(e.id.family)!;
      const help = this.#help.get(e.id.family) ?? `metrics.json: ${family.pattern}`;
      yield { family: e.id.family, kind: e.kind, help, labels: e.id.labels, metric: e.metric };
    }
  }

  #summary(histogram: Histogram): HistogramSummary {
    return this.snapshotIntervalMs === null ? histogram.current() : histogram.last;
  }

  #get<K extends MetricKind>(
    kind: K,
    name: string,
    labels: Labels | undefined,
    create: () => MetricOf<K>,
  ): MetricOf<K> {
    const id = metricName(name, labels);
    const existing = this.#byFlatKey.get(id.flatKey);
    if (existing !== undefined) {
      if (existing.id.name !== name || existing.id.labelText !== id.labelText) {
        throw new Error(
          `metric ${name}{${id.labelText}} and ${existing.id.name}{${existing.id.labelText}} share the key ${id.flatKey}`,
        );
      }
      if (existing.kind !== kind) throw new Error(`metric ${id.flatKey} is a ${existing.kind}, not a ${kind}`);
      return existing.metric as MetricOf<K>;
    }
    const family = this.#family(kind, id);
    const clash = family.entries.get(id.labelText);
    if (clash !== undefined)
      throw new Error(`metrics ${name} and ${clash.id.name} are both ${id.family}{${id.labelText}}`);
    const entry: Entry = { kind, id, metric: create() };
    family.entries.set(id.labelText, entry);
    this.#byFlatKey.set(id.flatKey, entry);
    this.#jsonOrder = this.#prometheusOrder = null;
    return entry.metric as MetricOf<K>;
  }

  #family(kind: MetricKind, id: MetricName): Family {
    const existing = this.#families.get(id.family);
    if (existing !== undefined) {
      if (existing.kind !== kind) throw new Error(`metric ${id.family} is a ${existing.kind}, not a ${kind}`);
      return existing;
    }
    // One Prometheus name, one type: a histogram's extra names may not be another metric's.
    const owner = this.#reserved.get(id.family);
    if (owner !== undefined) throw new Error(`metric name ${id.family} is taken by histogram ${owner}`);
    if (kind === 'histogram') {
      const taken = HISTOGRAM_SUFFIXES.map((s) => id.family + s).find((n) => this.#families.has(n));
      if (taken !== undefined) throw new Error(`histogram ${id.family} would write ${taken}, already a metric`);
      for (const suffix of HISTOGRAM_SUFFIXES) this.#reserved.set(id.family + suffix, id.family);
    }
    const family: Family = { kind, pattern: id.pattern, entries: new Map() };
    this.#families.set(id.family, family);
    return family;
  }

  #delete(entry: Entry): void {
    this.#byFlatKey.delete(entry.id.flatKey);
    this.#jsonOrder = this.#prometheusOrder = null;
    const family = this.#families.get(entry.id.family);
    if (family === undefined) return;
    family.entries.delete(entry.id.labelText);
    if (family.entries.size > 0) return;
    this.#families.delete(entry.id.family);
    if (family.kind === 'histogram')
      for (const suffix of HISTOGRAM_SUFFIXES) this.#reserved.delete(entry.id.family + suffix);
  }
}

function sample(suffix: string, labelText: string, value: number): PrometheusSample {
  return { suffix, labelText, value };
}
