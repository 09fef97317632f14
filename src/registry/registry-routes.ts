/**
 * The registry's HTTP API, goto's `/registry/peers/...`
 * (docs/registry-and-traffic.md#the-registry-api): peers and epochs, health, label-scoped targets
 * and tracked headers pushed to pods, and the lockers. `registerRegistryRoutes` mounts it on any
 * fastify instance (the router's admin port, or `switchyard registry`); it answers its own errors
 * as `{error, message}` with the registry's status, and reads bodies whether the host parsed them
 * as JSON or left them as text. A push answers `{label: {address: "ok" | "error: …"}}`: 200 when
 * every pod took it, 424 (Failed Dependency) when one did not.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, SwitchyardError } from '../errors.js';
import { servePage } from '../ui/serve-ui.js';
import { registerConnectivityRoutes } from './connectivity-routes.js';
import { pushFaultsAfterAnswer, registerFaultRoutes } from './fault-routes.js';
import { LABEL_LOCKER } from './locker.js';
import type { FanoutAnswers } from './peer-caller.js';
import { parseHeaderList, type Registry } from './registry.js';

export interface RegistryRoutesDeps {
  readonly registry: Registry;
}

type Request = FastifyRequest<{ Params: Record<string, string> }>;

function handle(run: (request: Request, reply: FastifyReply) => unknown) {
  return async (request: Request, reply: FastifyReply) => {
    try {
      return await run(request, reply);
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      return reply.code(error.status).send({ error: error.code, message: error.message });
    }
  };
}

/** The body as JSON; `text` decides what a non-JSON body becomes (an error, or the text itself). */
function body(raw: unknown, text: 'reject' | 'keep'): unknown {
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return raw;
  const s = raw.toString();
  try {
    return s.trim() === '' ? undefined : JSON.parse(s);
  } catch (e) {
    if (text === 'keep') return s;
    throw createError('SY_ERR_INVALID_ARGUMENT', [`The body is not JSON: ${(e as Error).message}`]);
  }
}

function pushed(reply: FastifyReply, answers: FanoutAnswers): FanoutAnswers {
  const failed = Object.values(answers).some((byAddress) => Object.values(byAddress).some((a) => a !== 'ok'));
  reply.code(failed ? 424 : 200);
  return answers;
}

// fastify has decoded path parameters already.
const list = (text: string) => text.split(',').filter(Boolean);

export function registerRegistryRoutes(app: FastifyInstance, deps: RegistryRoutesDeps): void {
  const { registry } = deps;
  const post = (path: string, run: (request: Request, reply: FastifyReply) => unknown) => app.post(path, handle(run));
  const get = (path: string, run: (request: Request, reply: FastifyReply) => unknown) => app.get(path, handle(run));
  // The registry's page wherever a registry is mounted: `/` of switchyard registry, `/registry` of
  // a router's admin port too (its bundles are on the host's /ui/; the page reads absolute paths).
  servePage(app, 'registry', '/registry');

  // === peers and epochs
  // The socket's address, not X-Forwarded-For: a registration is believed only about its sender.
  const source = (req: Request) => req.socket.remoteAddress ?? '';
  // A pod that joins, or comes back after pushes missed it, then gets its label's faults.
  post('/registry/peers/add', async (req, reply) => {
    const raw = body(req.body, 'reject');
    const data = await registry.addPeer(raw, source(req));
    const peer = raw as { name: string; address: string };
    pushFaultsAfterAnswer(reply, registry, peer.name, peer.address);
    return data;
  });
  post('/registry/peers/:label/remember', async (req, reply) => {
    const raw = body(req.body, 'reject');
    const address = (raw as { address?: unknown } | null)?.address;
    const back = typeof address === 'string' && !registry.isLive(req.params.label!, address);
    const answer = await registry.rememberPeer(req.params.label!, raw, source(req));
    if (back) pushFaultsAfterAnswer(reply, registry, req.params.label!, address);
    return answer;
  });
  const remove = handle(async (req) => {
    await registry.removePeer(req.params.label!, req.params.address!);
    return { removed: req.params.address };
  });
  app.post('/registry/peers/:label/remove/:address', remove);
  app.put('/registry/peers/:label/remove/:address', remove);
  get('/registry/peers', () => registry.peers());
  post('/registry/peers/clear', async () => {
    await registry.clearPeers();
    return { cleared: true };
  });
  post('/registry/peers/clear/epochs', async () => {
    await registry.clearEpochs();
    return registry.peers();
  });
  get('/registry/peers/health', () => registry.health());
  get('/registry/peers/:label/health', (req) => registry.health(req.params.label));
  post('/registry/peers/health/cleanup', () => registry.cleanup());
  post('/registry/peers/:label/health/cleanup', (req) => registry.cleanup(req.params.label));

  // === targets, pushed to every live pod of the label (or of every label)
  get('/registry/peers/targets', () => registry.targets());
  get('/registry/peers/:label/targets', (req) => registry.targets(req.params.label));
  post('/registry/peers/targets/add', async (req, reply) =>
    pushed(reply, await registry.addTarget(undefined, body(req.body, 'reject'))),
  );
  post('/registry/peers/:label/targets/add', async (req, reply) =>
    pushed(reply, await registry.addTarget(req.params.label, body(req.body, 'reject'))),
  );
  post('/registry/peers/:label/targets/:names/remove', async (req, reply) =>
    pushed(reply, await registry.removeTargets(req.params.label!, list(req.params.names!))),
  );
  post('/registry/peers/targets/clear', async (_req, reply) => pushed(reply, await registry.clearTargets()));
  post('/registry/peers/:label/targets/clear', async (req, reply) =>
    pushed(reply, await registry.clearTargets(req.params.label)),
  );
  for (const verb of ['invoke', 'stop'] as const) {
    post(`/registry/peers/targets/${verb}/all`, async (_req, reply) =>
      pushed(reply, await registry.command(verb, undefined, 'all')),
    );
    post(`/registry/peers/:label/targets/${verb}/all`, async (req, reply) =>
      pushed(reply, await registry.command(verb, req.params.label, 'all')),
    );
    post(`/registry/peers/:label/targets/:names/${verb}`, async (req, reply) =>
      pushed(reply, await registry.command(verb, req.params.label, list(req.params.names!))),
    );
  }
  get('/registry/peers/track/headers', () => ({ trackHeaders: registry.trackHeaders() }));
  post('/registry/peers/track/headers/clear', async (_req, reply) => pushed(reply, await registry.setTrackHeaders([])));
  post('/registry/peers/track/headers/:headers', async (req, reply) =>
    pushed(reply, await registry.setTrackHeaders(parseHeaderList(req.params.headers!))),
  );

  // === lockers: what peers store, and the views of it
  const store = async (req: Request) => {
    const { label, address = LABEL_LOCKER, keys } = req.params;
    await registry.storeLocker(label!, address, list(keys!), body(req.body, 'keep'));
    return { stored: list(keys!) };
  };
  post('/registry/peers/:label/:address/locker/store/:keys', store);
  post('/registry/peers/:label/locker/store/:keys', store);
  post('/registry/peers/:label/:address/locker/remove/:keys', async (req) => {
    const { label, address, keys } = req.params;
    return { removed: await registry.removeLocker(label!, address!, list(keys!)) };
  });
  get('/registry/peers/:label/:address/locker/get/:keys', (req) => {
    const { label, address, keys } = req.params;
    const node = registry.lockerNode(label!, address!, list(keys!));
    if (node === undefined) throw createError('SY_ERR_LOCKER_NOT_FOUND', [`${label}/${address}`, keys]);
    // goto answers the leaf's data, or the sub-tree when the leaf holds none.
    return node.data !== undefined ? node.data : node;
  });
  get('/registry/peers/lockers', () => registry.lockers());
  get('/registry/peers/:label/locker', (req) => registry.lockers(req.params.label));
  get('/registry/peers/:label/lockers', (req) => registry.lockers(req.params.label));
  post('/registry/peers/lockers/clear', async (_req, reply) => pushed(reply, await registry.clearLockers()));
  post('/registry/peers/:label/locker/clear', async (req, reply) =>
    pushed(reply, await registry.clearLockers(req.params.label)),
  );
  post('/registry/peers/:label/lockers/clear', async (req, reply) =>
    pushed(reply, await registry.clearLockers(req.params.label)),
  );
  // goto's README spells these with a singular `peer` (and `locker`); scripts copied from it must work.
  get('/registry/peer/lockers', () => registry.lockers());
  get('/registry/peer/:label/locker', (req) => registry.lockers(req.params.label));
  post('/registry/peer/:label/locker/clear', async (req, reply) =>
    pushed(reply, await registry.clearLockers(req.params.label)),
  );
  // Who reaches whom (docs/connectivity.md), and Goldpinger's metrics on the host's /metrics.
  registerConnectivityRoutes(app, registry);
  // === fault configs, pushed to the /toxiproxy/ API of every live pod of the label
  registerFaultRoutes(app, registry, { handle, body, pushed });

  get('/registry/peers/client/results', () => registry.clientResults());
  get('/registry/peers/:label/client/results', (req) => registry.clientResults(req.params.label));
}
