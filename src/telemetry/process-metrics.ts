/**
 * Process metrics, the router's stand-in for linkerd's `jvm/*`: uptime, memory and CPU, and the
 * event-loop delay, which is the number that explains a latency spike no upstream caused (a
 * blocked loop delays every request in flight). They are gauges read at scrape time, except the
 * event-loop delay: in snapshot mode its percentiles cover the last snapshot interval, like the
 * request histograms beside it; in cumulative mode they cover everything since registration.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics.js';

export interface ProcessMetricsOptions {
  /** Sampling resolution of the event-loop delay monitor (Node's default is 10 ms). */
  readonly resolutionMs?: number;
}

export const PROCESS_METRIC_NAMES = [
  'process:uptime_ms',
  'process:rss_bytes',
  'process:heap_used_bytes',
  'process:heap_total_bytes',
  'process:cpu_ms',
  'process:event_loop_lag_p50_ms',
  'process:event_loop_lag_p99_ms',
  'process:event_loop_lag_max_ms',
] as const;

const nsToMs = (ns: number): number => Math.round(ns / 1000) / 1000;

/** Registers the process gauges; the returned function stops the monitor and removes them. */
export function registerProcessMetrics(registry: MetricsRegistry, options: ProcessMetricsOptions = {}): () => void {
  const monitor = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 10 });
  monitor.enable();

  // The histogram is empty until the monitor's first tick; report 0 rather than its NaN/huge sentinels.
  const read = () =>
    monitor.count === 0
      ? { p50: 0, p99: 0, max: 0 }
      : { p50: nsToMs(monitor.percentile(50)), p99: nsToMs(monitor.percentile(99)), max: nsToMs(monitor.max) };
  let lag = { p50: 0, p99: 0, max: 0 };
  const cumulative = registry.snapshotIntervalMs === null;
  const unsubscribe = registry.onSnapshot(() => {
    lag = read();
    monitor.reset();
  });
  const current = () => (cumulative ? read() : lag);

  registry
    .describe('process:uptime_ms', 'milliseconds since the process started (process/uptime_ms)')
    .describe('process:rss_bytes', 'resident set size (process/rss_bytes)')
    .describe('process:heap_used_bytes', 'V8 heap in use (process/heap_used_bytes)')
    .describe('process:heap_total_bytes', 'V8 heap reserved (process/heap_total_bytes)')
    .describe('process:cpu_ms', 'user plus system CPU time since start (process/cpu_ms)')
    .describe('process:event_loop_lag_p50_ms', 'median event-loop delay over the last snapshot interval')
    .describe('process:event_loop_lag_p99_ms', '99th percentile event-loop delay over the last snapshot interval')
    .describe('process:event_loop_lag_max_ms', 'largest event-loop delay over the last snapshot interval');
  registry.gauge('process:uptime_ms', {}, () => Math.round(process.uptime() * 1000));
  registry.gauge('process:rss_bytes', {}, () => process.memoryUsage.rss());
  registry.gauge('process:heap_used_bytes', {}, () => process.memoryUsage().heapUsed);
  registry.gauge('process:heap_total_bytes', {}, () => process.memoryUsage().heapTotal);
  registry.gauge('process:cpu_ms', {}, () => {
    const cpu = process.cpuUsage();
    return Math.round((cpu.user + cpu.system) / 1000);
  });
  registry.gauge('process:event_loop_lag_p50_ms', {}, () => current().p50);
  registry.gauge('process:event_loop_lag_p99_ms', {}, () => current().p99);
  registry.gauge('process:event_loop_lag_max_ms', {}, () => current().max);

  return () => {
    unsubscribe();
    monitor.disable();
    for (const name of PROCESS_METRIC_NAMES) registry.remove(name);
  };
}
