/**
 * Toxiproxy's HTTP API, so its clients (toxiproxy-cli, the Go, Ruby and Node clients) drive this
 * server unchanged: the same paths, JSON shapes, status codes and `{"error", "status"}` bodies.
 * Like Toxiproxy it refuses browsers (a page could otherwise POST to 127.0.0.1:8474), and it
 * bounds what a request may carry. `/metrics` is added, in Prometheus' conventions.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { renderNativePrometheus } from '../telemetry/native-prometheus.js';
import { ApiError, badBody } from './api-error.js';
import type { ProxyCollection } from './collection.js';
import { toxicJson } from './toxics.js';

/** The version /version reports: the Toxiproxy API this server speaks. */
export const TOXIPROXY_API_VERSION = '2.12.0';
const BODY_LIMIT = 256 * 1024;

type Params = { proxy: string; toxic: string };

function send(reply: FastifyReply, status: number, body?: unknown): FastifyReply {
  if (body === undefined) return reply.code(status).send();
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

export function toxiproxyApi(collection: ProxyCollection): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: 200 },
    // Toxiproxy reads a request within 15 s; a client trickling one byte at a time is cut off too.
    requestTimeout: 15_000,
  });
  app.removeAllContentTypeParsers();
  // Clients send JSON with or without a content type (toxiproxy-cli sends none): parse it here.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(badBody((e as Error).message) as unknown as FastifyError);
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    if ((request.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      return reply.code(403).type('text/plain').send('User agent not allowed\n');
    }
  });
  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return send(reply, error.status, error);
    const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 413 ? `bad request body: larger than ${BODY_LIMIT} bytes` : error.message;
    return send(reply, status, { error: message, status });
  });
  app.setNotFoundHandler((_request, reply) => send(reply, 404, { error: 'not found', status: 404 }));

  const proxies = () => Object.fromEntries(collection.list().map((p) => [p.name, p.toJSON()]));

  app.get('/proxies', async (_request, reply) => send(reply, 200, proxies()));
  app.post('/proxies', async (request, reply) => send(reply, 201, (await collection.create(request.body)).toJSON()));
  app.post('/populate', async (request, reply) => {
    const { proxies: done, error } = await collection.populate(request.body);
    const list = done.map((p) => p.toJSON());
    if (error !== undefined) return send(reply, error.status, { ...error.toJSON(), proxies: list });
    return send(reply, 201, { proxies: list });
  });
  app.get<{ Params: Params }>('/proxies/:proxy', async (request, reply) =>
    send(reply, 200, collection.get(request.params.proxy).toJSON()),
  );
  const updateProxy = async (request: { params: Params; body: unknown }, reply: FastifyReply) =>
    send(reply, 200, (await collection.update(request.params.proxy, request.body)).toJSON());
  app.post<{ Params: Params }>('/proxies/:proxy', updateProxy);
  app.patch<{ Params: Params }>('/proxies/:proxy', updateProxy);
  app.delete<{ Params: Params }>('/proxies/:proxy', async (request, reply) => {
    await collection.remove(request.params.proxy);
    return send(reply, 204);
  });
  app.get<{ Params: Params }>('/proxies/:proxy/toxics', async (request, reply) => {
    const proxy = collection.get(request.params.proxy);
    return send(reply, 200, [...proxy.toxics('upstream'), ...proxy.toxics('downstream')].map(toxicJson));
  });
  app.post<{ Params: Params }>('/proxies/:proxy/toxics', async (request, reply) =>
    send(reply, 200, toxicJson(collection.addToxic(request.params.proxy, request.body))),
  );
  app.get<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request, reply) =>
    send(reply, 200, toxicJson(collection.get(request.params.proxy).toxic(request.params.toxic))),
  );
  const updateToxic = async (request: { params: Params; body: unknown }, reply: FastifyReply) =>
    send(reply, 200, toxicJson(collection.updateToxic(request.params.proxy, request.params.toxic, request.body)));
  app.post<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', updateToxic);
  app.patch<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', updateToxic);
  app.delete<{ Params: Params }>('/proxies/:proxy/toxics/:toxic', async (request, reply) => {
    collection.removeToxic(request.params.proxy, request.params.toxic);
    return send(reply, 204);
  });
  app.post('/reset', async (_request, reply) => {
    await collection.reset();
    return send(reply, 204);
  });
  app.get('/version', async (_request, reply) =>
    reply.code(200).type('application/json;charset=utf-8').send(`{"version": "${TOXIPROXY_API_VERSION}"}\n`),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderNativePrometheus(collection.metrics)),
  );
  return app;
}
