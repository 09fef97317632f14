/**
 * The dtab the router is routing with, and explanations made with it: `/admin/dtab` (which base
 * dtab, from where, which namerd version, so operators can tell whether two routers agree) and
 * linkerd's `/delegator.json` (docs/router.md#admin-port), GET with `?path=&dtab=` or POST with JSON
 * `{path, dtab}`. The explanation itself is the router's business (`deps.delegate`); this module
 * only reads requests and writes answers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../../errors.js';
import type { RouterAdminDeps } from './admin-app.js';

type Query = Record<string, string | undefined>;

const JSON_TYPE = 'application/json';

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === JSON_TYPE;
}

export function dtabRoutes(app: FastifyInstance, deps: RouterAdminDeps): void {
  // `namespace` (linkerd's router label) is accepted and ignored: this router has one dtab.
  const explain = async (path: string | undefined, dtab: string | undefined) => {
    if (path === undefined || path === '') throw createError('SY_ERR_INVALID_PATH', ['the path parameter is missing']);
    const json = await deps.delegate(path, dtab === '' ? undefined : dtab);
    return `${JSON.stringify(json)}\n`;
  };

  app.get('/delegator.json', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const body = await explain(request.query.path, request.query.dtab);
    return reply.type(JSON_TYPE).send(body);
  });

  app.post('/delegator.json', async (request, reply) => {
    if (!isJson(request.headers['content-type'])) {
      return reply.code(415).type('text/plain').send('Unsupported Media Type: send application/json\n');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(request.body ?? ''));
    } catch {
      parsed = undefined;
    }
    const fields = (parsed ?? {}) as { path?: unknown; dtab?: unknown };
    const dtabOk = fields.dtab === undefined || fields.dtab === null || typeof fields.dtab === 'string';
    if (typeof parsed !== 'object' || parsed === null || typeof fields.path !== 'string' || !dtabOk) {
      return reply
        .code(400)
        .type('text/plain')
        .send(`Malformed delegation request: ${String(request.body ?? '')}\n`);
    }
    const body = await explain(fields.path, typeof fields.dtab === 'string' ? fields.dtab : undefined);
    return reply.type(JSON_TYPE).send(body);
  });

  app.get('/admin/dtab', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const info = deps.currentDtab();
    if (request.query.format !== 'text') return reply.type(JSON_TYPE).send(`${JSON.stringify(info)}\n`);
    if (info.dtab === null) {
      return reply.code(503).type('text/plain').send(`No base dtab yet (source: ${info.source})\n`);
    }
    return reply.type('text/plain').send(info.dtab.endsWith('\n') ? info.dtab : `${info.dtab}\n`);
  });
}
