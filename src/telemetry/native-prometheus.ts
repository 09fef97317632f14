/**
 * The metrics in Prometheus' own conventions, at `/metrics`, beside linkerd's names (kept at
 * `/admin/metrics.json` and `/admin/metrics/prometheus` for dashboards written for linkerd):
 * `switchyard_` names without `:`, counters ending in `_total`, durations in seconds, latencies
 * as histograms with fixed buckets (so `histogram_quantile()` aggregates p99 across pods, which
 * a summary cannot), and the process and Node.js runtime metrics under the names Prometheus'
 * client libraries use. The names are derived, not listed: one rule, applied to every metric a
 * component registers, so a new metric needs no second name written by hand.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EXPORTED_BOUNDS_MS } from './histogram.js';
import { escapeLabelValue } from './metric-name.js';
import type { Counter, Gauge, Histogram, MetricsRegistry } from './metrics.js';
import { formatValue, type PrometheusFamily, type PrometheusSample, renderPrometheus } from './prometheus.js';

const LE = [...EXPORTED_BOUNDS_MS.map((ms) => String(ms / 1000)), '+Inf'];

/** A component's name prefix: `rt:` (linkerd's router scope) becomes `router_`. */
function baseName(family: string): string {
  return `switchyard_${family.replace(/^rt:/, 'router:').replaceAll(':', '_')}`;
}

/** linkerd's `rt` label is the router's name: `router` here, as the names say. */
function labelText(labels: readonly (readonly [string, string])[], extra?: readonly [string, string]): string {
  const pairs = labels.map(([k, v]) => `${k === 'rt' ? 'router' : k}="${escapeLabelValue(v)}"`);
  if (extra) pairs.push(`${extra[0]}="${extra[1]}"`);
  return pairs.join(',');
}

/** The native name of a family, and the factor its values are scaled by (ms → s). */
export function nativeName(family: string, kind: 'counter' | 'gauge' | 'histogram'): { name: string; scale: number } {
  let name = baseName(family);
  let scale = 1;
  if (kind === 'histogram') {
    name = name.replace(/_latency_ms$/, '_duration_seconds').replace(/_ms$/, '_seconds');
    scale = 1 / 1000;
  } else if (name.endsWith('_ms')) {
    name = `${name.slice(0, -3)}_seconds`;
    scale = 1 / 1000;
  }
  if (kind === 'counter' && !name.endsWith('_total')) name += '_total';
  return { name, scale };
}

/** Families the registry holds under linkerd-style names that the runtime section replaces. */
const REPLACED = /^process:/;

export function renderNativePrometheus(registry: MetricsRegistry): string {
  const families: PrometheusFamily[] = [];
  let family = '';
  let samples: PrometheusSample[] = [];
  let scale = 1;
  for (const s of registry.series()) {
    if (REPLACED.test(s.family)) continue;
    if (s.family !== family) {
      family = s.family;
      const native = nativeName(s.family, s.kind);
      scale = native.scale;
      samples = [];
      families.push({ name: native.name, type: s.kind, help: s.help, samples });
    }
    if (s.kind !== 'histogram') {
      samples.push({ suffix: '', labelText: labelText(s.labels), value: (s.metric as Counter | Gauge).value * scale });
      continue;
    }
    const h = s.metric as Histogram;
    const buckets = h.exportedBuckets();
    for (let i = 0; i < LE.length; i++) {
      samples.push({ suffix: '_bucket', labelText: labelText(s.labels, ['le', LE[i]!]), value: buckets[i]! });
    }
    const text = labelText(s.labels);
    samples.push({ suffix: '_sum', labelText: text, value: h.totalSum * scale });
    samples.push({ suffix: '_count', labelText: text, value: h.totalCount });
  }
  return renderPrometheus(families) + runtimeMetrics();
}

const STARTED_S = Date.now() / 1000 - process.uptime();

/** Process and Node.js metrics under prom-client's names, read at scrape time. */
function runtimeMetrics(): string {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const gauge = (name: string, help: string, value: number, type = 'gauge', labels = '') =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${labels} ${formatValue(value)}\n`;
  return (
    gauge('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', cpu.user / 1e6, 'counter') +
    gauge('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', cpu.system / 1e6, 'counter') +
    gauge(
      'process_cpu_seconds_total',
      'Total user and system CPU time spent in seconds.',
      (cpu.user + cpu.system) / 1e6,
      'counter',
    ) +
    gauge(
      'process_start_time_seconds',
      'Start time of the process since unix epoch in seconds.',
      Math.round(STARTED_S),
    ) +
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss) +
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', mem.heapTotal) +
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', mem.heapUsed) +
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', mem.external) +
    gauge(
      'nodejs_eventloop_lag_seconds',
      'Lag of event loop in seconds (largest over the last interval).',
      eventLoopLag(),
    ) +
    gauge('nodejs_version_info', 'Node.js version info.', 1, 'gauge', `{version="${process.version}"}`)
  );
}

/** One monitor for the process, started on first use; the max since the last scrape. */
let monitor: ReturnType<typeof monitorEventLoopDelay> | null = null;
function eventLoopLag(): number {
  if (monitor === null) {
    monitor = monitorEventLoopDelay({ resolution: 10 });
    monitor.enable();
    return 0;
  }
  const lag = monitor.count === 0 ? 0 : monitor.max / 1e9;
  monitor.reset();
  return lag;
}
