/**
 * The registry's fault routes (docs/registry-and-traffic.md#faults-by-label), mounted by
 * registerRegistryRoutes with its own helpers so errors, bodies and push answers look like the
 * targets' routes: `{label: {address: "ok" | "error: …"}}`, 424 when a pod did not take it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FAULT_LIMITS } from './fault-config.js';
import type { FanoutAnswers } from './peer-caller.js';
import type { Registry } from './registry.js';

type Request = FastifyRequest<{ Params: Record<string, string> }>;
type Run = (request: Request, reply: FastifyReply) => unknown;

/** What registry-routes.ts already has; passed in so the two modules do not import each other. */
export interface RouteHelpers {
  readonly handle: (run: Run) => (request: Request, reply: FastifyReply) => Promise<unknown>;
  readonly body: (raw: unknown, text: 'reject' | 'keep') => unknown;
  readonly pushed: (reply: FastifyReply, answers: FanoutAnswers) => FanoutAnswers;
}

/**
 * Once the pod's registration (or the reminder that brings it back) has been answered, the
 * registry pushes the label's faults to it: the pod needs nothing fault-specific of its own.
 */
export function pushFaultsAfterAnswer(reply: FastifyReply, registry: Registry, label: string, address: string): void {
  reply.raw.once('finish', () => {
    registry.faults.pushToPod(label, address).catch(() => undefined);
  });
}

export function registerFaultRoutes(app: FastifyInstance, registry: Registry, helpers: RouteHelpers): void {
  const { handle, body, pushed } = helpers;
  const faults = registry.faults;
  const post = (path: string, run: Run) => app.post(path, handle(run));
  app.get(
    '/registry/peers/faults',
    handle(() => faults.view()),
  );
  app.get(
    '/registry/peers/:label/faults',
    handle((req) => faults.view(req.params.label)),
  );
  // A config is a few KiB; the ceiling keeps a hostile body from being parsed at all (413).
  app.post(
    '/registry/peers/:label/faults/add',
    { bodyLimit: FAULT_LIMITS.bodyBytes },
    handle(async (req, reply) => pushed(reply, await faults.add(req.params.label!, body(req.body, 'reject')))),
  );
  post('/registry/peers/:label/faults/:names/remove', async (req, reply) =>
    pushed(reply, await faults.remove(req.params.label!, req.params.names!.split(',').filter(Boolean))),
  );
  post('/registry/peers/:label/faults/clear', async (req, reply) =>
    pushed(reply, await faults.clear(req.params.label)),
  );
  post('/registry/peers/faults/clear', async (_req, reply) => pushed(reply, await faults.clear()));
}
