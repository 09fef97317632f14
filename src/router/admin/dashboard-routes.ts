/**
 * What the admin page (docs/dashboards.md) needs beyond metrics and the dtab: the page itself at
 * `/`, each client's endpoints as the balancer sees them (`/admin/clients.json`: in flight, EWMA,
 * p2c cost, failure accrual state) and the last answers the router gave itself
 * (`/admin/errors.json`, a bounded ring kept by router-log.ts). Both are snapshots taken per
 * request; nothing is computed on the data path for them.
 */
import type { FastifyInstance } from 'fastify';
import { serveDashboard } from '../../ui/serve-ui.js';
import type { RouterAdminDeps } from './admin-app.js';

export function dashboardRoutes(app: FastifyInstance, deps: RouterAdminDeps): void {
  serveDashboard(app, 'router');
  app.get('/admin/clients.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(`${JSON.stringify(deps.clients?.() ?? [])}\n`),
  );
  app.get('/admin/errors.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(`${JSON.stringify(deps.recentAnswers?.() ?? [])}\n`),
  );
}
