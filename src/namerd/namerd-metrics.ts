/**
 * What namerd counts: its API's requests (http/request-metrics.ts), the watch streams open (each
 * a router or an operator following a namespace), and the writes it accepted.
 */
import type { FastifyInstance } from 'fastify';
import { countRequests } from '../http/request-metrics.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { OpenStreams } from './watch-stream.js';

export function instrumentNamerd(app: FastifyInstance, metrics: MetricsRegistry, streams: OpenStreams): void {
  countRequests(app, metrics, 'namerd');
  metrics
    .describe('namerd:watch_streams', 'watch streams open now (routers and operators following a namespace)')
    .describe('namerd:dtab_writes', 'dtab writes that namerd accepted, by method');
  metrics.gauge('namerd:watch_streams', {}, () => streams.size);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    const write = request.method !== 'GET' && request.method !== 'HEAD';
    if (write && route.startsWith('/api/1/dtabs/') && reply.statusCode < 300) {
      metrics.counter('namerd:dtab_writes', { method: request.method }).inc();
    }
  });
}
