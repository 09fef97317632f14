/**
 * namerd's admin port (namerd's own listens on 9991): metrics in both shapes, readiness that
 * asks the store (so a namerd whose Redis is gone leaves the Service instead of answering 503
 * to every router), liveness, and namerd's `/admin/ping`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { DtabStore } from '../store/dtab-store.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { renderNativePrometheus } from '../telemetry/native-prometheus.js';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';

/** How long readiness waits for the store. */
const READY_TIMEOUT_MS = 2000;

export function buildNamerdAdmin(metrics: MetricsRegistry, store: DtabStore): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(renderNativePrometheus(metrics)));
  app.get('/admin/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.toPrometheus()));
  app.get('/admin/metrics.json', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(`${JSON.stringify(metrics.toJSON())}\n`),
  );
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/admin/ping', async (_req, reply) => reply.type('text/plain').send('pong'));
  app.get('/ready', async (_req, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.list(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the store did not answer within ${READY_TIMEOUT_MS} ms`)),
            READY_TIMEOUT_MS,
          );
        }),
      ]);
      return reply.type('text/plain').send('ready\n');
    } catch (e) {
      return reply
        .code(503)
        .type('text/plain')
        .send(`not ready: ${(e as Error).message}\n`);
    } finally {
      clearTimeout(timer);
    }
  });
  return app;
}
