/**
 * Probes and the drain trigger. `/healthz` is liveness and stays 200 while the drain runs: a
 * failing liveness probe gets the container restarted, which would cut the very requests the
 * drain exists to finish. Once the drain has ended the process exits; a router still answering
 * then is stuck, so `/healthz` turns 503 and the kubelet restarts it instead of leaving a pod
 * that serves nothing and looks alive. `/ready` is readiness: 503 until the first base dtab is in
 * hand and again once draining, so the pod leaves Service endpoints. `/prestop` starts the
 * drain; linkerd's `POST /admin/shutdown` does the same. Who may call them is the admin guard's
 * business (src/http/admin-guard.ts): GET /prestop only on loopback, the POSTs with the token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouterAdminDeps } from './admin-app.js';

type Query = Record<string, string | undefined>;

export function lifecycleRoutes(app: FastifyInstance, deps: RouterAdminDeps): void {
  app.get('/admin/ping', async (_request, reply) => reply.type('text/plain').send('pong'));

  app.get('/healthz', async (_request, reply) => {
    if (deps.drained?.() === true) return reply.code(503).type('text/plain').send('drained, but still running\n');
    return reply.type('text/plain').send('ok\n');
  });

  app.get('/ready', async (_request, reply) => {
    const { ready, reason } = deps.readiness();
    if (ready) return reply.type('text/plain').send('ready\n');
    return reply
      .code(503)
      .type('text/plain')
      .send(`${reason ?? 'not ready'}\n`);
  });

  const drain = (reason: string) => async (_request: FastifyRequest, reply: FastifyReply) => {
    await deps.startDrain(reason);
    return reply.type('text/plain').send('draining\n');
  };
  app.post('/prestop', drain('prestop hook'));
  // A Kubernetes `httpGet` preStop hook can only send GET, so the hook's own verb must work too.
  app.get('/prestop', drain('prestop hook'));

  app.post('/admin/shutdown', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const grace = request.query.grace;
    // linkerd's ?grace= is accepted so its scripts keep working; the router's configured drain
    // grace still applies, and the log says so rather than pretend otherwise.
    if (grace !== undefined) request.log.warn({ grace }, 'admin/shutdown: ?grace= is ignored; the drain grace applies');
    await deps.startDrain(grace === undefined ? 'admin/shutdown' : `admin/shutdown (grace=${grace} ignored)`);
    return reply.type('text/plain').send('draining\n');
  });
}
