/**
 * The registry's Prometheus output checked by Prometheus' own tool: it must parse (no exit 1),
 * carry HELP and TYPE for every family, and lint clean apart from the findings linkerd's names
 * imply (`:` separators, `_ms`, counters without `_total`). The label values are the nasty ones:
 * quotes, backslashes, line feeds, non-ASCII, and client ids full of `/` and `$`.
 */
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
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

  it('catches invalid exposition, so the checks above can fail', () => {
    const result = promtoolCheckMetrics('# TYPE a counter\na{x="1} 3\n');
    expect(result.status).toBe(1);
  });
});
