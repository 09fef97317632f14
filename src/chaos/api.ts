/**
 * Toxiproxy's HTTP API, so its clients (toxiproxy-cli, the Go, Ruby and Node clients) drive this
 * server unchanged: the same paths, JSON shapes, status codes and `{"error", "status"}` bodies.
 * One implementation serves two backends: `switchyard toxiproxy`'s TCP proxies (collection.ts,
 * on its own port) and the router's fault rules (src/router/faults/, under `/toxiproxy/` on the
 * router's admin port). Like Toxiproxy it refuses browsers (a page could otherwise POST to
 * 127.0.0.1:8474), and it bounds what a request may carry. `/metrics` is added, in Prometheus'
 * conventions, where the backend has metrics of its own.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { renderNativePrometheus } from '../telemetry/native-prometheus.js';
import { ApiError, badBody } from './api-error.js';
import { type Stream, type Toxic, toxicJson } from './toxics.js';

/** The version /version reports: the Toxiproxy API this server speaks. */
export const TOXIPROXY_API_VERSION = '2.12.0';
/** The largest request body (413 beyond). */
export const TOXIPROXY_BODY_LIMIT = 256 * 1024;

/** One proxy as the API sees it: a TCP proxy, or a fault rule of the router. */
export interface ToxiproxyProxy {
  readonly name: string;
  toJSON(): Record<string, unknown>;
  toxics(stream: Stream): readonly Toxic[];
  /** Throws toxicNotFound(). */
  toxic(name: string): Toxic;
}

/**
 * What the API drives. Every change is checked whole before it is applied; errors are ApiErrors
 * (Toxiproxy's messages and statuses).
 */
export interface ToxiproxyBackend {
  list(): ToxiproxyProxy[];
  /** Throws proxyNotFound(). */
  get(name: string): ToxiproxyProxy;
  create(raw: unknown): Promise<ToxiproxyProxy>;
  update(name: string, raw: unknown): Promise<ToxiproxyProxy>;
  remove(name: string): Promise<void>;
  /** The proxies done, and the error that stopped it part way (TCP listeners only). */
  populate(raw: unknown): Promise<{ proxies: ToxiproxyProxy[]; error?: ApiError }>;
  addToxic(name: string, raw: unknown): Toxic;
  updateToxic(name: string, toxicName: string, raw: unknown): Toxic;
  removeToxic(name: string, toxicName: string): void;
  reset(): Promise<void>;
  /** Served at /metrics when set. */
  readonly metrics?: MetricsRegistry;
}

type Params = { proxy: string; toxic: string };

function send(reply: FastifyReply, status: number, body?: unknown): FastifyReply {
  if (body === undefined) return reply.code(status).send();
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Bodies arrive as text (with or without a content type: toxiproxy-cli sends none) and are parsed here. */
function json(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (e) {
    throw badBody((e as Error).message);
  }
}

/**
 * Toxiproxy's routes on `app`, which must be an app or plugin scope of their own (they set its
 * error and not-found handlers) whose content type parser hands bodies over as text.
 */
export function toxiproxyRoutes(app: FastifyInstance, backend: ToxiproxyBackend): void {
  const opts = { bodyLimit: TOXIPROXY_BODY_LIMIT };
  app.addHook('onRequest', async (request, reply) => {
    if ((request.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      return reply.code(403).type('text/plain').send('User agent not allowed\n');
    }
  });
  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return send(reply, error.status, error);
    const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 413 ? `bad request body: larger than ${TOXIPROXY_BODY_LIMIT} bytes` : error.message;
    return send(reply, status, { error: message, status });
  });
  app.setNotFoundHandler((_request, reply) => send(reply, 404, { error: 'not found', status: 404 }));

  const proxies = () => Object.fromEntries(backend.list().map((p) => [p.name, p.toJSON()]));

  app.get('/proxies', async (_request, reply) => send(reply, 200, proxies()));
  app.post('/proxies', opts, async (request, reply) =>
    send(reply, 201, (await backend.create(json(request.body))).toJSON()),
  );
  app.post('/populate', opts, async (request, reply) => {
    const { proxies: done, error } = await backend.populate(json(request.body));
    const list = done.map((p) => p.toJSON());
    if (error !== undefined) return send(reply, error.status, { ...error.toJSON(), proxies: list });
    return send(reply, 201, { proxies: list });
  });
  app.get<{ Params: Params }>('/proxies/:proxy', async (request, reply) =>
    send(reply, 200, backend.get(request.params.proxy).toJSON()),
  );
  const updateProxy = async (request: { params: Params; body: unknown }, reply: FastifyReply) =>
    send(reply, 200, (await backend.update(request.params.proxy, json(request.body))).toJSON());
  app.post<{ Params: Params }>('/proxies/:proxy', opts, updateProxy);
  app.patch<{ Params: Params }>('/proxies/:proxy', opts, updateProxy);
  app.delete<{ Params: Params }>('/proxies/:proxy', async (request, reply) => {
    await backend.remove(request.params.proxy);
    return send(reply, 204);
  });
  app.get<{ Params: Params }>('/proxies/:proxy/toxics', async (request, reply) => {
    const proxy = backend.get(request.params.proxy);
    return send(reply, 200, [...proxy.toxics('upstream'), ...proxy.toxics('downstream')].map(toxicJson));
  });
  app.post<{ Params: Params }>('/proxies/:proxy/toxics', opts, async (request, reply) =>
    send(reply, 200, toxicJson(backend.addToxic(request.params.proxy, json(request.body)))),
  );
  app.get<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request, reply) =>
    send(reply, 200, toxicJson(backend.get(request.params.proxy).toxic(request.params.toxic))),
  );
  const updateToxic = async (request: { params: Params; body: unknown }, reply: FastifyReply) =>
    send(reply, 200, toxicJson(backend.updateToxic(request.params.proxy, request.params.toxic, json(request.body))));
  app.post<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', opts, updateToxic);
  app.patch<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', opts, updateToxic);
  app.delete<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request, reply) => {
    backend.removeToxic(request.params.proxy, request.params.toxic);
    return send(reply, 204);
  });
  app.post('/reset', async (_request, reply) => {
    await backend.reset();
    return send(reply, 204);
  });
  app.get('/version', async (_request, reply) =>
    reply.code(200).type('application/json;charset=utf-8').send(`{"version": "${TOXIPROXY_API_VERSION}"}\n`),
  );
  const metrics = backend.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) =>
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderNativePrometheus(metrics)),
    );
  }
}

/** `switchyard toxiproxy`'s API server: Toxiproxy's routes at the root of their own port. */
export function toxiproxyApi(backend: ToxiproxyBackend): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: TOXIPROXY_BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
    // Toxiproxy reads a request within 15 s; a client trickling one byte at a time is cut off too.
    requestTimeout: 15_000,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  toxiproxyRoutes(app, backend);
  return app;
}
