/**
 * `/admin/faults.json`: the router's fault rules as the admin page shows them (src/router/faults/
 * fault-report.ts), read-only. The page cannot read `/toxiproxy/proxies` itself (that API
 * refuses browsers, as Toxiproxy does, so that no web page can drive it), and it needs more than
 * Toxiproxy's shape anyway: applied counts and which services and clients each rule selects.
 */
import type { FastifyInstance } from 'fastify';
import type { RouterAdminDeps } from './admin-app.js';

export function faultRoutes(app: FastifyInstance, deps: RouterAdminDeps): void {
  app.get('/admin/faults.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(`${JSON.stringify(deps.faultReport?.() ?? { rules: [] })}\n`),
  );
}
