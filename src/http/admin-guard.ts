/**
 * The gate in front of every admin-style API (the router's admin port, `switchyard registry`,
 * `switchyard peer`): what changes state — a drain, a shutdown, a traffic target, a registration,
 * a locker write — needs the admin token when one is configured; reads (probes, metrics, views)
 * stay open so kubelet and scrapers need no secret. `GET /prestop` exists for hooks that cannot
 * send a header, so it is answered only to the pod itself (loopback); from anywhere else the
 * drain needs `POST /prestop` with the token. Unauthenticated answers carry
 * `WWW-Authenticate: Bearer` as RFC 6750 asks.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, SwitchyardError } from '../errors.js';
import { WriteAuth } from './bearer-auth.js';

/** Requests that only read although they are POSTs: the delegator explains, it changes nothing. */
const READ_ONLY_POSTS = new Set(['/delegator.json']);

export function isLoopback(ip: string): boolean {
  const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

export interface AdminGuardOptions {
  /** The admin token; null leaves writes open (the default outside Kubernetes, on loopback). */
  readonly token: string | null;
}

/** Installs the gate as an onRequest hook, so it runs before any body is read. */
export function installAdminGuard(app: FastifyInstance, options: AdminGuardOptions): void {
  const auth = new WriteAuth(options.token);
  const refuse = (reply: FastifyReply, error: SwitchyardError) => {
    if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="switchyard-admin"');
    return reply.code(error.status).type('text/plain').send(`${error.message}\n`);
  };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // The route the request reached, not the URL's text: `/%70restop` reaches /prestop too.
    // Unrouted requests (404s) have none and are judged as writes.
    const path = request.routeOptions.url ?? '';
    const method = request.method;
    if (path === '/prestop' && (method === 'GET' || method === 'HEAD')) {
      if (isLoopback(request.socket.remoteAddress ?? '')) return;
      return refuse(
        reply,
        createError('SY_ERR_LOOPBACK_ONLY', ['GET /prestop', 'from elsewhere use POST /prestop with the admin token']),
      );
    }
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
    if (READ_ONLY_POSTS.has(path)) return;
    try {
      auth.check(request.headers.authorization);
    } catch (error) {
      if (error instanceof SwitchyardError) return refuse(reply, error);
      throw error;
    }
  });
}
