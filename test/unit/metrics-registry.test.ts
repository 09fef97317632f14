/**
 * The metrics registry: handles are shared per name and labels, metrics.json keys and the
 * Prometheus exposition describe the same series, `?q=` keeps a subtree, histograms roll over
 * per snapshot interval (counters and gauges stay live), and conflicting registrations fail loudly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { PROCESS_METRIC_NAMES, registerProcessMetrics } from '../../src/telemetry/process-metrics.js';

const registries: MetricsRegistry[] = [];
const make = (...args: ConstructorParameters<typeof MetricsRegistry>) => {
  const r = new MetricsRegistry(...args);
  registries.push(r);
  return r;
};
afterEach(() => {
  for (const r of registries.splice(0)) r.close();
});

const svc = { rt: 'http', service: 'svc/foo' };
const client = { rt: 'http', client: '$/inet/127.1/9030' };

describe('MetricsRegistry handles', () => {
  it('returns the same handle for the same name and labels, in any label order', () => {
    const r = make();
    const a = r.counter('rt:service:requests', svc);
    const b = r.counter('rt:service:requests', { service: 'svc/foo', rt: 'http' });
    expect(a).toBe(b);
    a.inc();
    b.inc(2);
    expect(r.toJSON()).toEqual({ 'rt/http/service/svc/foo/requests': 3 });
    expect(r.size).toBe(1);
  });

  it('fails on a name registered with two kinds, or two names sharing a key or a Prometheus series', () => {
    const r = make();
    r.counter('rt:service:requests', svc);
    expect(() => r.gauge('rt:service:requests', svc)).toThrow(/is a counter, not a gauge/);
    expect(() => r.gauge('rt:service:requests', { ...svc, service: 'svc/bar' })).toThrow(/is a counter/);
    r.counter('a:b', { b: 'c/d' });
    expect(() => r.counter('a:b:c:d')).toThrow(/share the key a\/b\/c\/d/);
    r.counter('x.y');
    expect(() => r.counter('x-y')).toThrow(/both x_y/);
    r.histogram('rt:service:request_latency_ms', svc);
    expect(() => r.gauge('rt:service:request_latency_ms_avg', svc)).toThrow(/taken by histogram/);
    r.counter('lat_count');
    expect(() => r.histogram('lat')).toThrow(/would write lat_count/);
    expect(() => r.histogram('h', { quantile: '1' })).toThrow(/reserved/);
  });

  it('samples callback gauges at read time and survives a throwing callback', () => {
    const r = make();
    let inflight = 4;
    r.gauge('rt:service:pending', svc, () => inflight);
    const set = r.gauge('rt:client:loadbalancer:size', client);
    set.set(3);
    set.add(-1);
    r.gauge('broken', {}, () => {
      throw new Error('boom');
    });
    expect(r.toJSON()['rt/http/service/svc/foo/pending']).toBe(4);
    inflight = 7;
    const json = r.toJSON();
    expect(json['rt/http/service/svc/foo/pending']).toBe(7);
    expect(json['rt/http/client/$/inet/127.1/9030/loadbalancer/size']).toBe(2);
    expect(json['broken']).toBeNaN();
    expect(r.toPrometheus()).toContain('\nbroken NaN\n');
  });

  it('removes one series, or every series of a client, and their Prometheus families with them', () => {
    const r = make();
    r.counter('rt:client:requests', client).inc();
    r.counter('rt:client:status', { ...client, status: '200' }).inc();
    r.histogram('rt:client:request_latency_ms', client).record(1);
    r.counter('rt:client:requests', { ...client, client: '$/inet/127.1/9031' }).inc();
    expect(r.remove('rt:client:requests', { rt: 'http', client: 'nope' })).toBe(false);
    expect(r.removeMatching({ client: '$/inet/127.1/9030' })).toBe(3);
    expect(Object.keys(r.toJSON())).toEqual(['rt/http/client/$/inet/127.1/9031/requests']);
    expect(r.toPrometheus()).not.toMatch(/status|latency/);
    // The histogram's reserved names are free again once it is gone.
    r.gauge('rt:client:request_latency_ms_avg');
  });
});

describe('metrics.json', () => {
  it("writes linkerd's keys, histogram stats included, and filters a subtree with q", () => {
    const r = make({ histograms: { mode: 'cumulative' } });
    r.counter('rt:service:requests', svc).inc(3);
    r.counter('rt:service:success', svc).inc(2);
    r.counter('rt:client:status', { ...client, status: '200' }).inc(2);
    r.counter('rt:client:status', { ...client, status: '503' }).inc();
    const h = r.histogram('rt:service:request_latency_ms', svc);
    for (const v of [1, 2, 3, 4, 100]) h.record(v);
    const json = r.toJSON();
    // Metrics by key, each histogram's stats together in linkerd's order.
    expect(Object.keys(json).slice(2, 14)).toEqual([
      'rt/http/service/svc/foo/request_latency_ms.count',
      'rt/http/service/svc/foo/request_latency_ms.max',
      'rt/http/service/svc/foo/request_latency_ms.min',
      'rt/http/service/svc/foo/request_latency_ms.p50',
      'rt/http/service/svc/foo/request_latency_ms.p90',
      'rt/http/service/svc/foo/request_latency_ms.p95',
      'rt/http/service/svc/foo/request_latency_ms.p99',
      'rt/http/service/svc/foo/request_latency_ms.p9990',
      'rt/http/service/svc/foo/request_latency_ms.p9999',
      'rt/http/service/svc/foo/request_latency_ms.sum',
      'rt/http/service/svc/foo/request_latency_ms.avg',
      'rt/http/service/svc/foo/requests',
    ]);
    expect(json).toMatchObject({
      'rt/http/client/$/inet/127.1/9030/status/200': 2,
      'rt/http/client/$/inet/127.1/9030/status/503': 1,
      'rt/http/service/svc/foo/requests': 3,
      'rt/http/service/svc/foo/request_latency_ms.count': 5,
      'rt/http/service/svc/foo/request_latency_ms.sum': 110,
      'rt/http/service/svc/foo/request_latency_ms.avg': 22,
      'rt/http/service/svc/foo/request_latency_ms.min': 1,
      'rt/http/service/svc/foo/request_latency_ms.max': 100,
      'rt/http/service/svc/foo/request_latency_ms.p50': 3,
      'rt/http/service/svc/foo/request_latency_ms.p9999': 100,
    });
    for (const p of ['p50', 'p90', 'p95', 'p99', 'p9990', 'p9999']) {
      expect(json).toHaveProperty([`rt/http/service/svc/foo/request_latency_ms.${p}`]);
    }
    expect(Object.keys(r.toJSON({ q: 'rt/http/client' }))).toEqual([
      'rt/http/client/$/inet/127.1/9030/status/200',
      'rt/http/client/$/inet/127.1/9030/status/503',
    ]);
    expect(r.toJSON({ q: '/rt/http/service/svc/foo/requests/' })).toEqual({ 'rt/http/service/svc/foo/requests': 3 });
    expect(Object.keys(r.toJSON({ q: 'rt/http/service/svc/foo/request_latency_ms' }))).toHaveLength(11);
    // Subtrees are whole segments: `rt/htt` is not a prefix of anything.
    expect(r.toJSON({ q: 'rt/htt' })).toEqual({});
  });
});

describe('histogram snapshots', () => {
  it('reports the last completed interval in JSON while counters stay live', () => {
    const r = make({ histograms: { mode: 'snapshot', intervalMs: 3_600_000 } });
    const h = r.histogram('rt:service:request_latency_ms', svc);
    const c = r.counter('rt:service:requests', svc);
    const key = 'rt/http/service/svc/foo/request_latency_ms';
    h.record(10);
    c.inc();
    expect(r.toJSON()[`${key}.count`]).toBe(0);
    expect(r.toJSON()['rt/http/service/svc/foo/requests']).toBe(1);
    r.snapshot();
    h.record(500);
    expect(r.toJSON()).toMatchObject({ [`${key}.count`]: 1, [`${key}.max`]: 10, [`${key}.p99`]: 10 });
    r.snapshot();
    expect(r.toJSON()).toMatchObject({ [`${key}.count`]: 1, [`${key}.max`]: 500 });
    // Prometheus' _count and _sum are cumulative so that rate() works; the quantiles are the interval's.
    const text = r.toPrometheus();
    expect(text).toContain('rt:service:request_latency_ms_count{rt="http",service="svc/foo"} 2\n');
    expect(text).toContain('rt:service:request_latency_ms_sum{rt="http",service="svc/foo"} 510\n');
    expect(text).toContain('rt:service:request_latency_ms{rt="http",service="svc/foo",quantile="0.99"} 500\n');
    r.snapshot();
    expect(r.toJSON()[`${key}.count`]).toBe(0);
  });

  it('reports the interval still open with current: true, for live views', () => {
    const r = make({ histograms: { mode: 'snapshot', intervalMs: 3_600_000 } });
    const h = r.histogram('rt:service:request_latency_ms', svc);
    const key = 'rt/http/service/svc/foo/request_latency_ms';
    h.record(10);
    h.record(30);
    // Before the first snapshot the closed interval says nothing; the open one has both records.
    expect(r.toJSON()[`${key}.p99`]).toBe(0);
    expect(r.toJSON({ current: true })).toMatchObject({ [`${key}.count`]: 2, [`${key}.max`]: 30 });
    r.snapshot();
    expect(r.toJSON({ current: true })[`${key}.count`]).toBe(0);
  });

  it('rolls over on its own timer and tells listeners', async () => {
    const r = make({ histograms: { mode: 'snapshot', intervalMs: 40 } });
    let rolled = 0;
    const off = r.onSnapshot(() => rolled++);
    const h = r.histogram('t');
    h.record(7);
    const deadline = Date.now() + 5_000;
    while (r.toJSON()['t.count'] !== 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(r.toJSON()).toMatchObject({ 't.count': 1, 't.p50': 7 });
    expect(rolled).toBeGreaterThan(0);
    off();
    r.close();
    const seen = rolled;
    await new Promise((res) => setTimeout(res, 120));
    expect(rolled).toBe(seen);
    expect(() => make({ histograms: { mode: 'snapshot', intervalMs: 0 } })).toThrow(/positive/);
  });
});

describe('Prometheus text', () => {
  it("writes linkerd's names and labels with HELP and TYPE, one group per family", () => {
    const r = make({ histograms: { mode: 'cumulative' } });
    r.counter('rt:service:requests', svc).inc(5);
    r.counter('rt:service:requests', { ...svc, service: 'svc/bar' }).inc();
    r.counter('rt:client:status', { ...client, status: '200' }).inc();
    r.histogram('rt:service:request_latency_ms', svc).record(2);
    r.describe('rt:service:requests', 'requests per logical service');
    const text = r.toPrometheus();
    expect(text).toContain(
      [
        '# HELP rt:service:requests requests per logical service',
        '# TYPE rt:service:requests counter',
        'rt:service:requests{rt="http",service="svc/bar"} 1',
        'rt:service:requests{rt="http",service="svc/foo"} 5',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '# HELP rt:client:status metrics.json: rt/{rt}/client/{client}/status/{status}',
        '# TYPE rt:client:status counter',
        'rt:client:status{rt="http",client="$/inet/127.1/9030",status="200"} 1',
      ].join('\n'),
    );
    const labels = 'rt="http",service="svc/foo"';
    expect(text).toContain(
      [
        '# TYPE rt:service:request_latency_ms summary',
        ...['0', '0.5', '0.9', '0.95', '0.99', '0.999', '0.9999', '1'].map(
          (q) => `rt:service:request_latency_ms{${labels},quantile="${q}"} 2`,
        ),
        `rt:service:request_latency_ms_sum{${labels}} 2`,
        `rt:service:request_latency_ms_count{${labels}} 1`,
      ].join('\n'),
    );
    expect(text).toContain(
      `# TYPE rt:service:request_latency_ms_avg gauge\nrt:service:request_latency_ms_avg{${labels}} 2\n`,
    );
    expect(r.toPrometheus({ prefix: 'linkerd_' })).toContain('\nlinkerd_rt:service:requests{rt="http"');
  });

  it('registers process metrics under process/ and removes them again', () => {
    const r = make({ histograms: { mode: 'cumulative' } });
    const stop = registerProcessMetrics(r, { resolutionMs: 10 });
    const json = r.toJSON({ q: 'process' });
    expect(Object.keys(json).sort()).toEqual(PROCESS_METRIC_NAMES.map((n) => n.replace(/:/g, '/')).sort());
    expect(json['process/uptime_ms']).toBeGreaterThan(0);
    expect(json['process/rss_bytes']).toBeGreaterThan(10_000_000);
    expect(json['process/heap_used_bytes']).toBeGreaterThan(0);
    expect(json['process/event_loop_lag_p99_ms']).toBeGreaterThanOrEqual(0);
    expect(r.toPrometheus()).toContain('# TYPE process:rss_bytes gauge\nprocess:rss_bytes ');
    stop();
    expect(r.toJSON({ q: 'process' })).toEqual({});
  });
});
