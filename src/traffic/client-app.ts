/**
 * A standalone traffic-generator process's HTTP app (`switchyard peer`): the /client API and
 * the `GET /health` that the registry's health check calls, on fastify. The router's admin port
 * mounts the same routes with registerClientRoutes instead.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { installAdminGuard } from '../http/admin-guard.js';
import { registerClientRoutes } from './client-routes.js';
import type { TrafficClient } from './traffic-client.js';

export interface ClientAppOptions {
  readonly client: TrafficClient;
  readonly logger?: FastifyBaseLogger;
  /** The admin token every write (targets, commands) needs; null: none. */
  readonly token?: string | null;
  /** Largest request body (default 1 MiB). */
  readonly bodyLimit?: number;
}

export function buildClientApp(options: ClientAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // The registry calls in every few seconds; a log line per call would drown everything else.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  installAdminGuard(app, { token: options.token ?? null });
  // Anything that is not JSON reaches the routes as text; they decide what is valid.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.get('/health', async () => ({ status: 'ok' }));
  registerClientRoutes(app, { client: options.client });
  return app;
}
