/**
 * The connectivity matrix's HTTP face (docs/connectivity.md): peers post their rows, anyone
 * reads the matrix, and Goldpinger's metrics are appended to the host's `/metrics` — the
 * standalone registry's and the router admin port's alike, whichever metrics the host renders
 * there, so one mount gives both. Errors answer `{error, message}` with the registry's status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, SwitchyardError } from '../errors.js';
import { renderGoldpingerMetrics } from './connectivity-metrics.js';
import { connectivityView } from './connectivity-view.js';
import type { Registry } from './registry.js';

type Request = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | undefined> }>;

function report(raw: unknown): unknown {
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return raw;
  if (raw.toString().trim() === '') {
    throw createError('SY_ERR_INVALID_CONNECTIVITY_REPORT', [
      'the body is empty; it must be a JSON object with results',
    ]);
  }
  try {
    return JSON.parse(raw.toString());
  } catch (e) {
    throw createError('SY_ERR_INVALID_CONNECTIVITY_REPORT', [`the body is not JSON (${(e as Error).message})`]);
  }
}

export function registerConnectivityRoutes(app: FastifyInstance, registry: Registry): void {
  const handle = (run: (req: Request, reply: FastifyReply) => unknown) => async (req: Request, reply: FastifyReply) => {
    try {
      return await run(req, reply);
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      return reply.code(error.status).send({ error: error.code, message: error.message });
    }
  };
  app.get(
    '/registry/peers/connectivity',
    handle((req) => {
      const label = req.query.label;
      const labels = Object.entries(registry.peers())
        .filter(([, peers]) => Object.keys(peers.pods).length > 0)
        .map(([l]) => l);
      return connectivityView(registry.connectivity, label === undefined ? labels : [label]);
    }),
  );
  // Reports are parsed here, whatever the host does with JSON, so a bad one gets this route's error.
  void app.register(async (reports) => {
    reports.removeAllContentTypeParsers();
    reports.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    reports.post(
      '/registry/peers/:label/:address/connectivity',
      handle((req) =>
        registry.reportConnectivity(
          req.params.label!,
          req.params.address!,
          report(req.body),
          req.socket.remoteAddress ?? '',
        ),
      ),
    );
  });
  // After the host's /metrics handler, whatever it rendered: one exposition, Goldpinger's families last.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' || request.url.split('?')[0] !== '/metrics' || reply.statusCode !== 200) {
      return payload;
    }
    if (typeof payload !== 'string') return payload;
    return payload + renderGoldpingerMetrics(registry.connectivity);
  });
}
