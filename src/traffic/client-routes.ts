/**
 * The traffic generator's HTTP API, goto's `/client/...` (the registry pushes targets and
 * commands to peers through it): targets add/list/invoke/stop/remove/clear, tracked headers,
 * results, and goto's gRPC proto uploads (`/grpc/protos/...`, also under `/client/grpc/protos/...`:
 * the .proto text as the body). It mounts on any fastify instance — the router's admin port or the standalone peer —
 * and answers its own errors as `{error, message}` with the registry status, so it does not
 * depend on the host's error handler. Bodies may arrive parsed (JSON) or as text.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, SwitchyardError } from '../errors.js';
import type { TrafficClient } from './traffic-client.js';

export interface ClientRoutesDeps {
  readonly client: TrafficClient;
}

type Params = Record<string, string>;
type Handler = (request: FastifyRequest<{ Params: Params }>) => unknown;

/** Turns thrown registry errors into responses here, at the edge, whatever the host app does. */
function handle(run: Handler) {
  return async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    try {
      return await run(request);
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      return reply.code(error.status).send({ error: error.code, message: error.message });
    }
  };
}

/** The body as JSON whether the host parsed it already or handed over text. */
export function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  const text = body.toString();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw createError('SY_ERR_INVALID_TARGET', [`body: not JSON (${(e as Error).message})`]);
  }
}

/** A proto upload's body: text, whichever parser the host ran (a JSON body is not a .proto). */
function protoText(body: unknown): unknown {
  return Buffer.isBuffer(body) ? body.toString('utf8') : body;
}

// fastify has decoded the path parameters already.
const names = (list: string) => list.split(',').filter(Boolean);

const BOOT_TIME = new Date(Date.now() - process.uptime() * 1000).toISOString();

export function registerClientRoutes(app: FastifyInstance, deps: ClientRoutesDeps): void {
  const { client } = deps;

  // What registry peers call on each other (docs/connectivity.md): small, fixed, no work behind it.
  app.get('/ping', async (_req, reply) => reply.header('cache-control', 'no-store').send({ boot_time: BOOT_TIME }));

  app.post(
    '/client/targets/add',
    handle(async (req) => ({ added: await client.addCheckedTarget(jsonBody(req.body)) })),
  );
  app.get(
    '/client/targets',
    handle(() => client.targets()),
  );
  app.get(
    '/client/targets/active',
    handle(() => client.active()),
  );
  app.get(
    '/client/targets/:name',
    handle((req) => client.target(req.params.name!)),
  );
  app.post(
    '/client/targets/invoke/all',
    handle(() => ({ invoked: client.invoke('all') })),
  );
  app.post(
    '/client/targets/:names/invoke',
    handle((req) => ({ invoked: client.invoke(names(req.params.names!)) })),
  );
  app.post(
    '/client/targets/stop/all',
    handle(async () => ({ stopped: await client.stop('all') })),
  );
  app.post(
    '/client/targets/:names/stop',
    handle(async (req) => ({ stopped: await client.stop(names(req.params.names!)) })),
  );
  app.post(
    '/client/targets/:names/remove',
    handle((req) => {
      const removed = names(req.params.names!);
      client.remove(removed);
      return { removed };
    }),
  );
  app.post(
    '/client/targets/clear',
    handle(() => {
      client.clear();
      return { cleared: true };
    }),
  );
  app.get(
    '/client/track/headers',
    handle(() => ({ trackHeaders: client.trackHeaders() })),
  );
  app.post(
    '/client/track/headers/clear',
    handle(() => ({ trackHeaders: client.setTrackHeaders([]) })),
  );
  app.post(
    '/client/track/headers/:headers',
    handle((req) => ({ trackHeaders: client.setTrackHeaders(req.params.headers!) })),
  );
  // goto's paths, and the same under /client beside the rest of the generator's API.
  for (const prefix of ['/grpc/protos', '/client/grpc/protos']) {
    app.get(
      prefix,
      handle(() => ({ protos: client.protos.list() })),
    );
    for (const method of ['POST', 'PUT'] as const) {
      app.route({
        method,
        url: `${prefix}/add/:name`,
        handler: handle((req) => ({ added: client.protos.add(req.params.name!, protoText(req.body)) })),
      });
    }
    app.post(
      `${prefix}/remove/:name`,
      handle((req) => ({ removed: client.protos.remove(req.params.name!) ? [req.params.name] : [] })),
    );
    app.post(
      `${prefix}/clear`,
      handle(() => {
        client.protos.clear();
        return { cleared: true };
      }),
    );
  }
  app.get(
    '/client/results',
    handle(() => client.results()),
  );
  app.get(
    '/client/results/:name',
    handle((req) => {
      const name = req.params.name!;
      // Results outlive a removed target; an unknown name with no results is a 404.
      return client.resultsOf(name) ?? (client.target(name) && {});
    }),
  );
  app.post(
    '/client/results/clear',
    handle(() => {
      client.clearResults();
      return { cleared: true };
    }),
  );
}
