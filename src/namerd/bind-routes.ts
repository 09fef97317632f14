/**
 * namerd as a name interpreter over HTTP (docs/namerd-api.md#binding-names): `/api/1/bind/<ns>`
 * (the bound tree of a path), `/api/1/addr/<ns>` (the addresses of a bound id), `/api/1/resolve/<ns>`
 * (bind, pick one leaf, its addresses) and `/api/1/bound-names`. Each answers once, or with
 * `watch=true` streams namerd's chunk format: one JSON document and a newline per change,
 * identical documents suppressed. This is what linkerd's `io.l5d.namerd.http` interpreter and
 * switchyard's router read (src/router/interpreter/).
 *
 * A one-shot answer waits until nothing in it is pending (every union member bound, every
 * address known) for at most the request timeout, then 503 `Request timed out.`; a stream's
 * chunk waits the same way, then shows what is still pending as `{"type":"pending"}`. Streams
 * send a bare newline every heartbeat period (whitespace between documents, which JSON stream
 * readers skip) so a client can tell a quiet stream from a dead one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Dentry } from '../dtab/dentry.js';
import { Dtab } from '../dtab/dtab.js';
import type { NameTree } from '../dtab/name-tree.js';
import { Path } from '../dtab/path.js';
import { checkDentryCount } from '../dtab/request-dtab.js';
import { createError } from '../errors.js';
import { Activity } from '../naming/activity.js';
import { Addr } from '../naming/addr.js';
import type { Bound } from '../naming/bound.js';
import { addrToJson, delegateTreeToJson } from '../naming/delegate-json.js';
import { type DelegateTree, fromNameTree } from '../naming/delegate-tree.js';
import type { BoundTree } from '../naming/interpreter.js';
import { firstWithin, Var } from '../naming/var.js';
import { assertNamespace } from '../store/namespace.js';
import { JSON_TYPE } from './codecs.js';
import type { NamerdContext } from './context.js';
import { readOr } from './name-routes.js';
import { streamActivity } from './watch-stream.js';

type Query = Record<string, string | undefined>;
type NsRequest = FastifyRequest<{ Params: { ns: string }; Querystring: Query }>;

/** namerd routes these on any method; HEAD comes with GET. */
const ANY = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const isWatch = (q: Query) => q.watch === 'true' || q.watch === '1';

function readPath(text: string | undefined): Path {
  if (text === undefined) throw createError('SY_ERR_INVALID_PATH', ['the path parameter is missing']);
  return readOr('SY_ERR_INVALID_PATH', () => Path.read(text));
}

/** Flattens a bound tree to one id as namerd's resolve does: a weighted draw in a union, the first Alt member that has one. */
export function pickLeaf(tree: NameTree<Bound>, random: () => number = Math.random): Path | null {
  switch (tree.type) {
    case 'leaf':
      return tree.value.id;
    case 'alt':
      for (const t of tree.trees) {
        const id = pickLeaf(t, random);
        if (id !== null) return id;
      }
      return null;
    case 'union': {
      const weights = tree.trees.map((w) => Math.max(0, w.weight));
      const total = weights.reduce((a, b) => a + b, 0);
      // All-zero weights are uniform, as Finagle's Drv.fromWeights.
      let x = random() * (total > 0 ? total : weights.length);
      for (let i = 0; i < tree.trees.length; i++) {
        x -= total > 0 ? weights[i]! : 1;
        if (x < 0) return pickLeaf(tree.trees[i]!.tree, random);
      }
      return tree.trees.length > 0 ? pickLeaf(tree.trees.at(-1)!.tree, random) : null;
    }
    default:
      return null;
  }
}

function collectAddrs(tree: BoundTree, into: Var<Addr>[]): void {
  if (tree.type === 'leaf') into.push(tree.value.addr);
  else if (tree.type === 'alt') for (const t of tree.trees) collectAddrs(t, into);
  else if (tree.type === 'union') for (const w of tree.trees) collectAddrs(w.tree, into);
}

export function bindRoutes(app: FastifyInstance, ctx: NamerdContext): void {
  const names = ctx.names;

  const extraDtab = (text: string | undefined): Dtab | null =>
    text === undefined || text === ''
      ? null
      : readOr('SY_ERR_INVALID_DTAB', () => Dtab.read(checkDentryCount(text, ctx.maxDentries)));

  /** The tree's JSON once every leaf's addresses are known; after the timeout, 503 (`whole`) or as they are. */
  const treeJson = async (path: Path, tree: BoundTree, whole: boolean, waitMs = ctx.requestTimeoutMs) => {
    const addrs: Var<Addr>[] = [];
    collectAddrs(tree, addrs);
    const all = Var.collect(addrs);
    // Held while rendering: an address Var nobody observes forgets its value.
    const hold = all.observe(() => {});
    try {
      const known = await firstWithin(all, (as) => as.every((a) => a.type !== 'pending'), waitMs);
      if (known === undefined && whole) throw createError('SY_ERR_TIMEOUT');
      return await delegateTreeToJson(fromNameTree<Bound>(path, Dentry.nop, tree) as DelegateTree<Bound>, false);
    } finally {
      hold.close();
    }
  };

  /** A stream's chunk: addresses waited for up to the request timeout, then shown as they are. */
  const treeChunk = (path: Path) => async (tree: BoundTree) => `${JSON.stringify(await treeJson(path, tree, false))}\n`;

  /** One answer: the first state that is not pending, within the request timeout (else 503). */
  const settled = async <T>(activity: Activity<T>): Promise<T> => {
    const state = await firstWithin(activity.run, (s) => s.status !== 'pending', ctx.requestTimeoutMs);
    if (state === undefined) throw createError('SY_ERR_TIMEOUT');
    if (state.status === 'failed') throw state.error;
    return (state as { value: T }).value;
  };

  const stream = <T>(reply: FastifyReply, activity: Activity<T>, render: (value: T) => string | Promise<string>) =>
    streamActivity(
      reply,
      activity,
      {
        contentType: JSON_TYPE,
        render,
        dedup: true,
        renderFailure: (e) => `${e.message}\n`,
        heartbeat: { everyMs: ctx.heartbeatMs, line: () => '\n' },
        highWaterBytes: ctx.watchHighWaterBytes,
      },
      ctx.streams,
    );

  const addrLine = (addr: Addr) => `${JSON.stringify(addrToJson(addr))}\n`;

  const bind = async (request: NsRequest, reply: FastifyReply) => {
    const { ns } = request.params;
    assertNamespace(ns);
    const path = readPath(request.query.path);
    const activity = names.bind(ns, path, extraDtab(request.query.dtab));
    if (isWatch(request.query)) return stream(reply, activity, treeChunk(path));
    const started = Date.now();
    const tree = await settled(activity);
    // One timeout for the whole answer: binding and addresses together.
    const json = await treeJson(path, tree, true, Math.max(0, ctx.requestTimeoutMs - (Date.now() - started)));
    return reply.type(JSON_TYPE).send(`${JSON.stringify(json)}\n`);
  };

  const addr = async (request: NsRequest, reply: FastifyReply) => {
    assertNamespace(request.params.ns);
    const activity = names.addr(readPath(request.query.path));
    if (isWatch(request.query)) return stream(reply, activity, addrLine);
    return reply.type(JSON_TYPE).send(addrLine(await settled(activity)));
  };

  const resolve = async (request: NsRequest, reply: FastifyReply) => {
    const { ns } = request.params;
    assertNamespace(ns);
    const path = readPath(request.query.path);
    const activity = names.bind(ns, path, extraDtab(request.query.dtab)).flatMap((tree) => {
      const id = pickLeaf(tree);
      return id === null ? Activity.value(Addr.Neg) : names.addr(id);
    });
    if (isWatch(request.query)) return stream(reply, activity, addrLine);
    return reply.type(JSON_TYPE).send(addrLine(await settled(activity)));
  };

  for (const [route, handler] of [
    ['bind', bind],
    ['addr', addr],
    ['resolve', resolve],
  ] as const) {
    app.route({ method: [...ANY], url: `/api/1/${route}/:ns`, handler });
  }

  app.get('/api/1/bound-names', async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const render = (list: readonly string[]) => `${JSON.stringify(list)}\n`;
    if (isWatch(request.query))
      return stream(reply, new Activity(names.boundNames.map((v) => ({ status: 'ok' as const, value: v }))), render);
    return reply.type(JSON_TYPE).send(render(names.boundNames.sample()));
  });
}
