/**
 * Requests of a control-plane API (namerd's, the registry's) counted by route, method and status,
 * with their latency. Routes are fastify's patterns (`/api/1/dtabs/:ns`), never the path a
 * caller sent, so callers cannot mint series.
 */
import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from '../telemetry/metrics.js';

/** `component` names the series: `namerd` gives `namerd:http:requests` (`switchyard_namerd_http_requests_total`). */
export function countRequests(app: FastifyInstance, metrics: MetricsRegistry, component: string): void {
  const requests = `${component}:http:requests`;
  const latency = `${component}:http:request_latency_ms`;
  metrics
    .describe(requests, `${component} API requests by route pattern, method and status`)
    .describe(latency, `${component} API request latency by route pattern (a stream counts until it ends)`);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.counter(requests, { route, method: request.method, status: String(reply.statusCode) }).inc();
    metrics.histogram(latency, { route }).record(reply.elapsedTime);
  });
}
