/**
 * gRPC status counters per scope, read back through the real MetricsRegistry in both of its
 * formats: linkerd's metrics.json keys (`…/grpc/status/<code>`) and Prometheus
 * (`rt:service:grpc:status{…,grpc_status="<code>"}`); bounded to the 17 codes and `unknown`,
 * capped scopes included, and removed with their scope.
 */
import { describe, expect, it } from 'vitest';
import { RouterStats } from '../../src/router/core/stats.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';

const setup = (limits = { maxServices: 2, maxClients: 2, idleTtlMs: 1_000 }) => {
  const registry = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
  return { registry, stats: new RouterStats(registry, 'grpc', limits) };
};

describe('gRPC status metrics', () => {
  it('counts per service, client and server under linkerd’s metrics.json names', () => {
    const { registry, stats } = setup();
    const svc = stats.service('/svc/pkg.Echo');
    svc.grpcStatus(0).inc();
    svc.grpcStatus(0).inc();
    svc.grpcStatus(14).inc();
    stats.client('/$/inet/127.0.0.1/5000').grpcStatus(4).inc();
    stats.server.grpcStatus(16).inc();
    const json = registry.toJSON();
    expect(json['rt/grpc/service/svc/pkg.Echo/grpc/status/0']).toBe(2);
    expect(json['rt/grpc/service/svc/pkg.Echo/grpc/status/14']).toBe(1);
    expect(json['rt/grpc/client/$/inet/127.0.0.1/5000/grpc/status/4']).toBe(1);
    expect(json['rt/grpc/server/grpc/status/16']).toBe(1);
    expect(registry.toJSON({ q: 'rt/grpc/service/svc/pkg.Echo/grpc/status' })).toEqual({
      'rt/grpc/service/svc/pkg.Echo/grpc/status/0': 2,
      'rt/grpc/service/svc/pkg.Echo/grpc/status/14': 1,
    });
  });

  it('shows the same series in Prometheus with a grpc_status label', () => {
    const { registry, stats } = setup();
    stats.service('/svc/pkg.Echo').grpcStatus(14).inc();
    stats.server.grpcStatus(0).inc();
    const text = registry.toPrometheus();
    expect(text).toContain('# TYPE rt:service:grpc:status counter');
    expect(text).toContain(
      '# HELP rt:service:grpc:status metrics.json: rt/{rt}/service/{service}/grpc/status/{grpc_status}',
    );
    expect(text).toContain('rt:service:grpc:status{rt="grpc",service="svc/pkg.Echo",grpc_status="14"} 1');
    expect(text).toContain('rt:server:grpc:status{rt="grpc",grpc_status="0"} 1');
  });

  it('holds at most 18 series per scope: the 17 codes and unknown', () => {
    const { registry, stats } = setup();
    const svc = stats.service('/svc/a');
    for (const code of [...Array(17).keys(), 17, 99, -1, 2.5, Number.NaN, 1e9]) svc.grpcStatus(code).inc();
    const keys = Object.keys(registry.toJSON({ q: 'rt/grpc/service/svc/a/grpc/status' }));
    expect(keys).toHaveLength(18);
    expect(registry.toJSON()['rt/grpc/service/svc/a/grpc/status/unknown']).toBe(6);
    expect(registry.toPrometheus()).toContain('grpc_status="unknown"} 6');
  });

  it('counts a service past the cap under other, and removes the series with an idle scope', () => {
    const { registry, stats } = setup();
    stats.service('/svc/a').grpcStatus(0).inc();
    stats.service('/svc/b').grpcStatus(0).inc();
    stats.service('/svc/c').grpcStatus(14).inc();
    expect(registry.toJSON()['rt/grpc/service/other/grpc/status/14']).toBe(1);
    expect(registry.toJSON()['rt/grpc/service/svc/c/grpc/status/14']).toBeUndefined();
    stats.sweep(0);
    stats.sweep(10_000);
    expect(Object.keys(registry.toJSON()).filter((k) => k.includes('/svc/a/'))).toEqual([]);
    expect(registry.toPrometheus()).not.toContain('service="svc/a"');
  });
});
