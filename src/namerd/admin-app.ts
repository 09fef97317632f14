/**
 * namerd's admin port (namerd's own listens on 9991): metrics in both shapes, readiness that
 * asks the store (so a namerd whose Redis is gone leaves the Service instead of answering 503
 * to every router), liveness, and namerd's `/admin/ping`.
 *
 * With the API app at hand it also serves the namerd dashboard (docs/dashboards.md): the page at
 * `/`, the dtab watches open now (`/admin/watchers.json`), a dtab check with the real parser
 * (`POST /admin/dtab/validate`), and the API's `/api/1/…` relayed in-process (fastify inject) under
 * `/admin/api/1/…` (the admin port never answers at the API's own paths), so
 * the page needs no CORS and the API's own rules (bearer token, If-Match) apply unchanged. A relayed
 * write must carry `X-Switchyard-UI: 1`: a custom header forces a cross-site page into a CORS
 * preflight that this port never grants, so no other site can write through a person's browser.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Dtab } from '../dtab/dtab.js';
import { DtabSyntaxError, SwitchyardError } from '../errors.js';
import type { DtabStore } from '../store/dtab-store.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { renderNativePrometheus } from '../telemetry/native-prometheus.js';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.js';
import { serveDashboard } from '../ui/serve-ui.js';
import type { Watchers } from './watch-stream.js';

/** How long readiness waits for the store. */
const READY_TIMEOUT_MS = 2000;
/** Request headers the relay passes to the API; everything else stays behind. */
const RELAYED_REQUEST = ['accept', 'authorization', 'content-type', 'if-match', 'x-dtab-message'];
/** Response headers the relay passes back. */
const RELAYED_RESPONSE = ['content-type', 'etag', 'www-authenticate'];
const JSON_TYPE = 'application/json; charset=utf-8';

export interface NamerdDashboard {
  /** namerd's API app, reached in-process. */
  readonly api: FastifyInstance;
  readonly watchers: Watchers;
}

export function buildNamerdAdmin(
  metrics: MetricsRegistry,
  store: DtabStore,
  dashboard?: NamerdDashboard,
): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(renderNativePrometheus(metrics)));
  app.get('/admin/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(metrics.toPrometheus()));
  app.get('/admin/metrics.json', async (_req, reply) =>
    reply.type(JSON_TYPE).send(`${JSON.stringify(metrics.toJSON())}\n`),
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
  if (dashboard !== undefined) dashboardRoutes(app, dashboard);
  return app;
}

function dashboardRoutes(app: FastifyInstance, { api, watchers }: NamerdDashboard): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  serveDashboard(app, 'namerd');

  app.get('/admin/watchers.json', async (_req, reply) =>
    reply.type(JSON_TYPE).send(`${JSON.stringify(watchers.list())}\n`),
  );

  // The real parser decides; the page only shows where it stopped.
  app.post('/admin/dtab/validate', async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body : '';
    let answer: Record<string, unknown>;
    try {
      answer = { ok: true, dentries: Dtab.read(text).size };
    } catch (e) {
      const cause = e instanceof DtabSyntaxError ? e : (e as { cause?: unknown }).cause;
      answer =
        cause instanceof DtabSyntaxError
          ? { ok: false, line: cause.line, column: cause.column, message: cause.message, excerpt: cause.excerpt }
          : { ok: false, message: e instanceof SwitchyardError ? e.message : String(e) };
    }
    return reply.type(JSON_TYPE).send(`${JSON.stringify(answer)}\n`);
  });

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/admin/api/1/*',
    handler: async (request, reply) => {
      const url = new URL(request.url.slice('/admin'.length), 'http://admin');
      // A watch never ends: the page polls instead.
      if (url.searchParams.has('watch')) {
        return reply.code(400).type('text/plain').send('Watches are not relayed: use the API port\n');
      }
      if (request.method !== 'GET' && request.headers['x-switchyard-ui'] !== '1') {
        return reply.code(403).type('text/plain').send('Writes through the admin port need X-Switchyard-UI: 1\n');
      }
      const headers: Record<string, string> = {};
      for (const name of RELAYED_REQUEST) {
        const v = request.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const res = await api.inject({
        method: request.method as 'GET',
        url: `${url.pathname}${url.search}`,
        headers,
        ...(typeof request.body === 'string' ? { payload: request.body } : {}),
      });
      reply.code(res.statusCode);
      for (const name of RELAYED_RESPONSE) {
        const v = res.headers[name];
        if (typeof v === 'string') reply.header(name, v);
      }
      return reply.send(res.rawPayload);
    },
  });
}
