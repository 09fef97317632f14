/**
 * A standalone registry's HTTP app (`switchyard registry`): the /registry API on fastify, with a
 * `GET /health` of its own. The router's admin port mounts the same routes through
 * registerRegistryRoutes instead.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { installAdminGuard } from '../http/admin-guard.js';
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
  registerRegistryRoutes(app, { registry: options.registry });
  return app;
}
