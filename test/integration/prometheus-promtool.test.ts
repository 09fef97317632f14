/**
 * The registry's Prometheus output checked by Prometheus' own tool: it must parse (no exit 1),
 * carry HELP and TYPE for every family, and lint clean apart from the findings linkerd's names
 * imply (`:` separators, `_ms`, counters without `_total`). The label values are the nasty ones:
 * quotes, backslashes, line feeds, non-ASCII, and client ids full of `/` and `$`.
 */
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { nativeName, renderNativePrometheus } from '../../src/telemetry/native-prometheus.js';
import { registerProcessMetrics } from '../../src/telemetry/process-metrics.js';
import { LINKERD_NAMING_LINTS, promtoolCheckMetrics } from '../helpers/promtool.js';

function routerLikeRegistry(): MetricsRegistry {
  const r = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
  for (const service of ['svc/foo', 'svc/say "hi"', 'svc/back\\slash', 'svc/new\nline', 'svc/ünï']) {
    const labels = { rt: 'http', service };
    r.counter('rt:service:requests', labels).inc(10);
    r.counter('rt:service:success', labels).inc(9);
    r.counter('rt:service:failures', labels).inc();
    r.counter('rt:service:failures', { ...labels, exception: 'ConnectException' }).inc();
    r.gauge('rt:service:pending', labels, () => 2);
    const h = r.histogram('rt:service:request_latency_ms', labels);
    for (let i = 0; i < 100; i++) h.record(i / 3);
  }
  for (const client of ['$/inet/127.1/9030', '#/io.l5d.fs/web']) {
    const labels = { rt: 'http', client };
    r.counter('rt:client:requests', labels).inc(3);
    for (const status of ['200', '503']) r.counter('rt:client:status', { ...labels, status }).inc();
    r.histogram('rt:client:request_latency_ms', labels).record(1.5);
    r.gauge('rt:client:loadbalancer:size', labels).set(3);
  }
  r.histogram('rt:service:request_latency_ms', { rt: 'http', service: 'svc/empty' });
  r.gauge('rt:client:weird', { rt: 'http', client: 'x' }, () => Number.POSITIVE_INFINITY);
  registerProcessMetrics(r);
  return r;
}

describe('promtool check metrics', () => {
  it('accepts the registry output as valid exposition', () => {
    const registry = routerLikeRegistry();
    const text = registry.toPrometheus();
    registry.close();
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).not.toBe(1);
    const unexpected = result.problems.filter((p) => !LINKERD_NAMING_LINTS.some((re) => re.test(p)));
    expect(unexpected, result.output).toEqual([]);
    expect(result.output).not.toMatch(/no help text/);
  });

  it('is lint-clean for names that follow Prometheus conventions', () => {
    const r = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
    r.counter('requests_total', { route: 'a"b\\c\nd' }).inc();
    r.gauge('queue_depth', { route: 'x' }).set(1);
    r.histogram('request_latency', { route: 'x' }).record(3);
    const result = promtoolCheckMetrics(r.toPrometheus());
    expect(result.status, result.output).toBe(0);
  });

  it('is lint-clean at /metrics: Prometheus names, _total counters, seconds, histograms with buckets', () => {
    const registry = routerLikeRegistry();
    const text = renderNativePrometheus(registry);
    registry.close();
    const result = promtoolCheckMetrics(text);
    expect(result.status, result.output).toBe(0);
    expect(text).toContain('# TYPE switchyard_router_service_request_duration_seconds histogram');
    // 100 records of i/3 ms (0 … 33 ms): 2 at or under 0.5 ms, all under 50 ms.
    expect(text).toContain(
      'switchyard_router_service_request_duration_seconds_bucket{router="http",service="svc/foo",le="0.0005"} 2',
    );
    expect(text).toContain(
      'switchyard_router_service_request_duration_seconds_bucket{router="http",service="svc/foo",le="0.05"} 100',
    );
    expect(text).toContain(
      'switchyard_router_service_request_duration_seconds_bucket{router="http",service="svc/foo",le="+Inf"} 100',
    );
    expect(text).toMatch(/^switchyard_router_service_requests_total\{router="http",service="svc\/foo"\} 10$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
    // linkerd's process gauges are replaced by the standard runtime names here.
    expect(text).not.toContain('switchyard_process_');
  });

  it('derives one native name per family by rule', () => {
    expect(nativeName('rt:client:request_latency_ms', 'histogram')).toEqual({
      name: 'switchyard_router_client_request_duration_seconds',
      scale: 0.001,
    });
    expect(nativeName('rt:server:h2_sessions_refused', 'counter').name).toBe(
      'switchyard_router_server_h2_sessions_refused_total',
    );
    expect(nativeName('namerd:watch_lag_ms', 'gauge')).toEqual({
      name: 'switchyard_namerd_watch_lag_seconds',
      scale: 0.001,
    });
  });

  it('catches invalid exposition, so the checks above can fail', () => {
    const result = promtoolCheckMetrics('# TYPE a counter\na{x="1} 3\n');
    expect(result.status).toBe(1);
  });
});
