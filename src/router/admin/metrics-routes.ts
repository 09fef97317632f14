/**
 * Metrics on the admin port, in linkerd's two shapes: `/admin/metrics.json` (flat keys; `?q=` for
 * a subtree, 404 when nothing is there, as linkerd does, so a typo is not mistaken for silence;
 * `?pretty=1`) and the Prometheus text at `/admin/metrics/prometheus`, linkerd's path, with
 * `/admin/metrics` as the short name linkerd's scrapers are pointed at; and `/metrics` in
 * Prometheus' own conventions (native-prometheus.ts), for new dashboards and alerts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MetricsRegistry } from '../../telemetry/metrics.js';
import { renderNativePrometheus } from '../../telemetry/native-prometheus.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../telemetry/prometheus.js';

type Query = Record<string, string | undefined>;

const truthy = (value: string | undefined): boolean =>
  value !== undefined && value !== '0' && value.toLowerCase() !== 'false';

export function metricsRoutes(app: FastifyInstance, metrics: MetricsRegistry): void {
  app.get('/admin/metrics.json', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const { q, pretty, window } = request.query;
    // `?window=current`: histograms over the interval still open (the dashboard's live view).
    const json = metrics.toJSON({ ...(q === undefined ? {} : { q }), current: window === 'current' });
    if (q !== undefined && q.replace(/\//g, '') !== '' && Object.keys(json).length === 0) {
      return reply.code(404).type('text/plain').send(`No metrics under ${q}\n`);
    }
    const body = truthy(pretty) ? JSON.stringify(json, null, 2) : JSON.stringify(json);
    return reply.type('application/json; charset=utf-8').send(`${body}\n`);
  });

  const prometheus = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.toPrometheus());
  app.get('/admin/metrics', prometheus);
  app.get('/admin/metrics/prometheus', prometheus);
  app.get('/metrics', async (_request, reply) =>
    reply.type(PROMETHEUS_CONTENT_TYPE).send(renderNativePrometheus(metrics)),
  );
}
