/**
 * A standalone registry's HTTP app (`switchyard registry`): the /registry API on fastify, with a
 * `GET /health` of its own and its metrics at `/metrics` (Prometheus conventions) and
 * `/admin/metrics.json`. The router's admin port mounts the same routes through
 * registerRegistryRoutes instead, beside the router's own metrics.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { installAdminGuard } from '../http/admin-guard.js';
import { countRequests } from '../http/request-metrics.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { renderNativePrometheus } from '../telemetry/native-prometheus.js';
import { registerProcessMetrics } from '../telemetry/process-metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';
import { serveDashboard } from '../ui/serve-ui.js';
import { registerFaultMetrics } from './fault-metrics.js';
import type { Registry } from './registry.js';
import { registerRegistryRoutes } from './registry-routes.js';

export interface RegistryAppOptions {
  readonly registry: Registry;
  readonly logger?: FastifyBaseLogger;
  /** Largest request body (default 1 MiB; a locker snapshot of one target is a few KiB). */
  readonly bodyLimit?: number;
  /** The admin token every write (registration, target, locker) needs; null: none. */
  readonly token?: string | null;
}

export function buildRegistryApp(options: RegistryAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Every pod reminds every 5 s and streams snapshots; the registry logs changes, not calls.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1024 },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
  });
  // Anything that is not JSON reaches the routes as text; they decide what is valid.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  installAdminGuard(app, { token: options.token ?? null });
  app.get('/health', async () => ({ status: 'ok' }));
  // The registry's page (docs/dashboards.md): peers, targets, lockers and the merged traffic results.
  serveDashboard(app, 'registry');
  registerRegistryRoutes(app, { registry: options.registry });
  registryMetrics(app, options.registry);
  return app;
}

/**
 * Totals only: labels and pod addresses are chosen by callers, so they never become series —
 * except the faults per label, whose labels are few by construction (fault-metrics.ts).
 */
function registryMetrics(app: FastifyInstance, registry: Registry): void {
  const metrics = new MetricsRegistry();
  const stopProcess = registerProcessMetrics(metrics);
  countRequests(app, metrics, 'registry');
  const peers = () => Object.values(registry.peers()).reduce((n, p) => n + Object.keys(p.pods).length, 0);
  const count = (o: Record<string, Record<string, unknown>>) =>
    Object.values(o).reduce((n, inner) => n + Object.keys(inner).length, 0);
  metrics
    .describe('registry:labels', 'labels with at least one registered pod')
    .describe('registry:peers', 'pods registered, over all labels')
    .describe('registry:targets', 'traffic targets, over all labels')
    .describe('registry:lockers', 'pod and label lockers, over all labels');
  metrics.gauge('registry:labels', {}, () => Object.keys(registry.peers()).length);
  metrics.gauge('registry:peers', {}, peers);
  metrics.gauge('registry:targets', {}, () => count(registry.targets()));
  metrics.gauge('registry:lockers', {}, () => count(registry.lockers()));
  const stopFaults = registerFaultMetrics(metrics, registry.faults);
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(renderNativePrometheus(metrics)));
  app.get('/admin/metrics.json', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send(`${JSON.stringify(metrics.toJSON())}\n`),
  );
  app.addHook('onClose', async () => {
    stopProcess();
    stopFaults();
    metrics.close();
  });
}
