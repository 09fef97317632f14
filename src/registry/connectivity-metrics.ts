/**
 * The connectivity matrix as Goldpinger's Prometheus metrics (docs/connectivity.md#metrics), so
 * Goldpinger's alerts and Grafana dashboards work on a registry: the same names, types, label
 * names and buckets, one `goldpinger_instance` per reporting pod. Goldpinger's own label set is
 * kept and one label is added, `label` (the registry label), because one registry serves many.
 * `pod_ip` carries the destination's registered address (host:port: pods on one host share an
 * IP) and `host_ip` its host. Series exist only for registered pods: they go when the pod goes.
 */
import { escapeLabelValue } from '../telemetry/metric-name.js';
import type { PrometheusFamily, PrometheusSample } from '../telemetry/prometheus.js';
import { renderPrometheus } from '../telemetry/prometheus.js';
import { BUCKETS_S, type ConnectivityMatrix } from './connectivity-matrix.js';

const text = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');

const host = (address: string) => address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');

/** What a pod name must look like to name series (a Kubernetes pod name does); else the address. */
const POD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** Pod names name instances, unless two pods of the label share one (or it is no name): then addresses do. */
function instances(matrix: ConnectivityMatrix, label: string): Map<string, string> {
  const members = matrix.members(label);
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.pod, (counts.get(m.pod) ?? 0) + 1);
  const named = (m: { pod: string }) => counts.get(m.pod) === 1 && POD_NAME.test(m.pod);
  return new Map(members.map((m) => [m.address, named(m) ? m.pod : m.address]));
}

export function renderGoldpingerMetrics(matrix: ConnectivityMatrix): string {
  const histogram: PrometheusSample[] = [];
  const health: PrometheusSample[] = [];
  const stats: PrometheusSample[] = [];
  const errors: PrometheusSample[] = [];
  for (const label of matrix.labels()) {
    const names = instances(matrix, label);
    const name = (address: string) => names.get(address) ?? address;
    for (const [source, row] of matrix.rows(label)) {
      const instance = { goldpinger_instance: name(source), label };
      for (const [destination, pair] of row.pairs) {
        const labels = { ...instance, call_type: 'ping', host_ip: host(destination), pod_ip: destination };
        let cumulative = 0;
        BUCKETS_S.forEach((le, i) => {
          cumulative += pair.buckets[i]!;
          histogram.push({ suffix: '_bucket', labelText: text({ ...labels, le: String(le) }), value: cumulative });
        });
        histogram.push({ suffix: '_bucket', labelText: text({ ...labels, le: '+Inf' }), value: pair.count });
        histogram.push({ suffix: '_sum', labelText: text(labels), value: pair.sum });
        histogram.push({ suffix: '_count', labelText: text(labels), value: pair.count });
      }
      // A source that stopped reporting says nothing about now; Goldpinger's gauge goes with its pod.
      if (!matrix.stale(row)) {
        let healthy = 0;
        let unhealthy = 0;
        for (const pair of row.pairs.values()) {
          if (pair.history[pair.history.length - 1]?.healthy === true) healthy++;
          else unhealthy++;
        }
        health.push({ suffix: '', labelText: text({ ...instance, status: 'healthy' }), value: healthy });
        health.push({ suffix: '', labelText: text({ ...instance, status: 'unhealthy' }), value: unhealthy });
      }
      stats.push({ suffix: '', labelText: text({ ...instance, group: 'made', action: 'ping' }), value: row.made });
      errors.push({ suffix: '', labelText: text({ ...instance, type: 'ping' }), value: row.errors });
    }
    for (const [address] of names) {
      const received = matrix.received(label, address);
      if (received === 0) continue;
      const labels = { goldpinger_instance: name(address), label, group: 'received', action: 'ping' };
      stats.push({ suffix: '', labelText: text(labels), value: received });
    }
  }
  const families: PrometheusFamily[] = [
    {
      name: 'goldpinger_peers_response_time_s',
      type: 'histogram',
      help: 'Histogram of response times from other hosts, when making peer calls',
      samples: histogram,
    },
    {
      name: 'goldpinger_nodes_health_total',
      type: 'gauge',
      help: "Number of nodes seen as healthy/unhealthy from this instance's POV",
      samples: health,
    },
    {
      name: 'goldpinger_stats_total',
      type: 'counter',
      help: 'Statistics of calls made in goldpinger instances',
      samples: stats,
    },
    { name: 'goldpinger_errors_total', type: 'counter', help: 'Statistics of errors per instance', samples: errors },
  ];
  return renderPrometheus(families);
}
