/**
 * `/api/1/delegate`: explain how a path binds through a namespace's stored dtab, with an optional
 * `dtab=` appended so it wins (docs/namerd-api.md#delegate-and-bind). It answers in linkerd's JSON
 * and gives up after the request timeout with 503 `Request timed out.`, as linkerd does. Binding
 * itself (`/bind`, `/addr`, `/resolve`, `/bound-names`) is in bind-routes.ts.
 * Anyone may call them with a dtab of their own, so the dtab is capped at 100 dentries and the work at the interpreter's bind budget (both 400), which keeps every answer within
 * milliseconds and lets the timeout fire at all.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Dtab } from '../dtab/dtab.js';
import { Path } from '../dtab/path.js';
import { checkDentryCount } from '../dtab/request-dtab.js';
import { createError, type ErrorCode } from '../errors.js';
import { delegateTreeToJson } from '../naming/delegate-json.js';
import { delegate } from '../naming/delegator.js';
import { assertNamespace } from '../store/namespace.js';
import { JSON_TYPE, mediaType } from './codecs.js';
import type { NamerdContext } from './context.js';

type Query = Record<string, string | undefined>;

export function readOr<T>(code: ErrorCode, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw createError(code, [(e as Error).message], e);
  }
}

export function withTimeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(createError('SY_ERR_TIMEOUT')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function nameRoutes(app: FastifyInstance, ctx: NamerdContext): void {
  /** The namespace's stored dtab (empty when it does not exist, as namerd's interpreter sees it) ++ extra. */
  const dtabFor = async (ns: string | undefined, extra: string | undefined): Promise<Dtab> => {
    const local =
      extra === undefined || extra === ''
        ? Dtab.empty
        : readOr('SY_ERR_INVALID_DTAB', () => Dtab.read(checkDentryCount(extra, ctx.maxDentries)));
    if (ns === undefined || ns === '') return local;
    assertNamespace(ns);
    const stored = await ctx.store.get(ns);
    return (stored?.dtab ?? Dtab.empty).concat(local);
  };

  const explain = async (ns: string | undefined, dtabText: string | undefined, pathText: string | undefined) => {
    if (pathText === undefined) throw createError('SY_ERR_INVALID_PATH', ['the path parameter is missing']);
    const path = readOr('SY_ERR_INVALID_PATH', () => Path.read(pathText));
    const dtab = await dtabFor(ns, dtabText);
    return withTimeout(
      ctx.requestTimeoutMs,
      delegate(ctx.interpreter, dtab, path).then((tree) => delegateTreeToJson(tree)),
    );
  };

  app.get(
    '/api/1/delegate/:ns',
    async (request: FastifyRequest<{ Params: { ns: string }; Querystring: Query }>, reply) => {
      const json = await explain(request.params.ns, request.query.dtab, request.query.path);
      return reply.type(JSON_TYPE).send(`${JSON.stringify(json)}\n`);
    },
  );

  app.get('/api/1/delegate', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const q = request.query;
    const json = await explain(q.namespace, q.dtab, q.path);
    return reply.type(JSON_TYPE).send(`${JSON.stringify(json)}\n`);
  });

  app.post('/api/1/delegate', async (request, reply) => {
    if (mediaType(request.headers['content-type']) !== JSON_TYPE) {
      return reply.code(415).type('text/plain').send('Unsupported Media Type\n');
    }
    let body: { namespace?: unknown; dtab?: unknown; path?: unknown };
    try {
      body = JSON.parse(String(request.body ?? ''));
    } catch {
      body = {};
    }
    if (typeof body?.path !== 'string' || typeof body.dtab !== 'string') {
      return reply
        .code(400)
        .type('text/plain')
        .send(`Malformed delegation request: ${String(request.body ?? '')}\n`);
    }
    const ns = typeof body.namespace === 'string' ? body.namespace : undefined;
    const json = await explain(ns, body.dtab, body.path);
    return reply.type(JSON_TYPE).send(`${JSON.stringify(json)}\n`);
  });
}
