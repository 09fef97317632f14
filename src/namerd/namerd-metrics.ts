/**
 * What namerd counts: its API's requests by route, method and status with their latency, the
 * watch streams open (each a router or an operator following a namespace), and writes. Routes
 * are fastify's patterns (`/api/1/dtabs/:namespace`), never the path a caller sent, so callers
 * cannot mint series.
 */
import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { OpenStreams } from './watch-stream.js';

export function instrumentNamerd(app: FastifyInstance, metrics: MetricsRegistry, streams: OpenStreams): void {
  metrics
    .describe('namerd:http:requests', 'API requests by route pattern, method and status')
    .describe('namerd:http:request_latency_ms', 'API request latency by route pattern (a watch counts until it ends)')
    .describe('namerd:watch_streams', 'watch streams open now (routers and operators following a namespace)')
    .describe('namerd:dtab_writes', 'dtab writes that namerd accepted, by method');
  metrics.gauge('namerd:watch_streams', {}, () => streams.size);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    metrics.counter('namerd:http:requests', { route, method: request.method, status }).inc();
    metrics.histogram('namerd:http:request_latency_ms', { route }).record(reply.elapsedTime);
    if (
      route.startsWith('/api/1/dtabs/') &&
      reply.statusCode < 300 &&
      request.method !== 'GET' &&
      request.method !== 'HEAD'
    ) {
      metrics.counter('namerd:dtab_writes', { method: request.method }).inc();
    }
  });
}
