/**
 * `/api/1/dtabs`: namerd's dtab CRUD with its codecs, ETags and compare-and-set
 * (docs/namerd-api.md#routes), plus switchyard's additions: history (`/versions`, `?version=`),
 * write messages (`X-Dtab-Message`), bearer-token writes, and a line-delimited JSON watch with
 * heartbeats and deletion events (`Accept: application/x-ndjson`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../errors.js';
import { ifMatchVersion, parseVersionRef, versionToEtag } from '../namerd-protocol/etag.js';
import { assertNamespace } from '../store/namespace.js';
import type { VersionedDtab } from '../store/versioned-dtab.js';
import { messageProblem } from '../store/write-message.js';
import {
  DTAB_TYPE,
  decodeDtab,
  encodeDtab,
  encodeWatchEvent,
  JSON_TYPE,
  NDJSON_TYPE,
  negotiate,
  TEXT_TYPE,
  wantsNdjson,
} from './codecs.js';
import type { NamerdContext } from './context.js';
import { renderOnce, streamActivity, type WatcherInfo } from './watch-stream.js';

type NsRequest = FastifyRequest<{ Params: { ns: string }; Querystring: Record<string, string | undefined> }>;
type ListRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;

const isWatch = (q: Record<string, string | undefined>) => q.watch === 'true' || q.watch === '1';

/**
 * The write's message: `X-Dtab-Message` (percent-encoded when it is not ASCII) or `?message=`,
 * checked before anything is stored (src/store/write-message.ts): too long or holding control
 * characters → 400 SY_ERR_INVALID_MESSAGE.
 */
function writeMessage(request: FastifyRequest, maxBytes: number): { message?: string } {
  const header = request.headers['x-dtab-message'];
  const raw = Array.isArray(header) ? header[0] : header;
  const message = raw === undefined ? queryText(request.query, 'message') : percentDecoded(raw);
  if (message === undefined || message === '') return {};
  const problem = messageProblem(message, maxBytes);
  if (problem !== null) throw createError('SY_ERR_INVALID_MESSAGE', [problem]);
  return { message };
}

/** One query parameter as text; a repeated one (`?message=a&message=b`) counts as its first. */
function queryText(query: unknown, key: string): string | undefined {
  const value = Object.hasOwn(query as object, key) ? (query as Record<string, unknown>)[key] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A version given as a number (`7`) or as its ETag (`AAAAAAAAAAc=`). */
function parseVersion(text: string): number {
  const ref = parseVersionRef(text);
  if (ref === null) {
    throw createError('SY_ERR_INVALID_ARGUMENT', [`invalid version "${text}": give a number or an ETag`]);
  }
  return ref.number;
}

function ndjsonEvent(ns: string, v: VersionedDtab | null): string | Buffer {
  if (v === null) return encodeWatchEvent({ type: 'deleted', namespace: ns });
  return ndjsonDtab(v);
}

/** One rendering per version, shared by every watcher of it (see renderOnce). */
const ndjsonDtab = renderOnce((v: VersionedDtab) =>
  encodeWatchEvent({
    type: 'dtab',
    namespace: v.namespace,
    version: versionToEtag(v.version),
    number: v.version,
    time: new Date(v.time).toISOString(),
    ...(v.message === undefined ? {} : { message: v.message }),
    dtab: v.dtab.show(),
  }),
);

/** namerd's own watch format, one rendering per (version, media type). */
const documents = new Map(
  ([JSON_TYPE, DTAB_TYPE, TEXT_TYPE] as const).map((type) => [
    type,
    renderOnce((v: VersionedDtab) => encodeDtab(v.dtab, type)),
  ]),
);

export function dtabRoutes(app: FastifyInstance, ctx: NamerdContext): void {
  const { store, auth } = ctx;

  const list = async (request: ListRequest, reply: FastifyReply) => {
    if (isWatch(request.query)) {
      return streamActivity(
        reply,
        store.watchList(),
        {
          contentType: JSON_TYPE,
          render: (names) => `${JSON.stringify(names)}\n`,
          renderFailure: (e) => `${e.message}\n`,
          highWaterBytes: ctx.watchHighWaterBytes,
        },
        ctx.streams,
      );
    }
    return reply.type(JSON_TYPE).send(`${JSON.stringify(await store.list())}\n`);
  };
  // namerd lists on any method (its router does not look at the method for the list).
  for (const url of ['/api/1/dtabs', '/api/1/dtabs/']) {
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url, handler: list });
  }

  app.get('/api/1/dtabs/:ns', async (request: NsRequest, reply) => {
    const { ns } = request.params;
    assertNamespace(ns);
    const accept = request.headers.accept;
    if (isWatch(request.query)) return watchNamespace(ns, accept, reply, watcher(request, reply, ns));
    const { version } = request.query;
    const found = version === undefined ? await store.get(ns) : await store.getVersion(ns, parseVersion(version));
    if (found === null) {
      if (version !== undefined && (await store.history(ns)).length > 0) {
        throw createError('SY_ERR_VERSION_NOT_FOUND', [ns, version]);
      }
      throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
    }
    const type = negotiate(accept);
    return reply.header('etag', versionToEtag(found.version)).type(type).send(encodeDtab(found.dtab, type));
  });

  /** Who watches: listed on the admin page until the stream closes (the version is set as it is sent). */
  const watcher = (request: FastifyRequest, reply: FastifyReply, ns: string): WatcherInfo => {
    const info: WatcherInfo = {
      namespace: ns,
      remote: request.socket.remoteAddress ?? '',
      userAgent: (request.headers['user-agent'] ?? '').slice(0, 256),
      since: new Date().toISOString(),
      version: null,
      number: null,
    };
    reply.raw.once('close', ctx.streams.watchers.add(info));
    return info;
  };
  const sent = (w: WatcherInfo, v: VersionedDtab | null) => {
    w.version = v === null ? null : versionToEtag(v.version);
    w.number = v === null ? null : v.version;
  };

  const watchNamespace = (ns: string, accept: string | undefined, reply: FastifyReply, w: WatcherInfo) => {
    if (wantsNdjson(accept)) {
      return streamActivity(
        reply,
        store.watch(ns),
        {
          contentType: NDJSON_TYPE,
          render: (v) => {
            sent(w, v);
            return ndjsonEvent(ns, v);
          },
          renderFailure: (e) => encodeWatchEvent({ type: 'error', namespace: ns, message: e.message }),
          heartbeat: {
            everyMs: ctx.heartbeatMs,
            line: () => encodeWatchEvent({ type: 'heartbeat', time: new Date().toISOString() }),
          },
          highWaterBytes: ctx.watchHighWaterBytes,
        },
        ctx.streams,
      );
    }
    // namerd's own format: a whole document per change, nothing for a deletion, a raw message on failure.
    const type = negotiate(accept);
    const document = documents.get(type)!;
    return streamActivity(
      reply,
      store.watch(ns),
      {
        contentType: type,
        render: (v) => {
          sent(w, v);
          return v === null ? null : document(v);
        },
        renderFailure: (e) => `${e.message}\n`,
        highWaterBytes: ctx.watchHighWaterBytes,
      },
      ctx.streams,
    );
  };

  app.get('/api/1/dtabs/:ns/versions', async (request: NsRequest, reply) => {
    const { ns } = request.params;
    assertNamespace(ns);
    const history = await store.history(ns);
    if (history.length === 0) throw createError('SY_ERR_NAMESPACE_NOT_FOUND', [ns]);
    const body = history.map((h) => ({
      version: versionToEtag(h.version),
      number: h.version,
      time: new Date(h.time).toISOString(),
      ...(h.message === undefined ? {} : { message: h.message }),
      ...(h.dtab === null ? { deleted: true } : { dentries: h.dtab.size }),
    }));
    return reply.type(JSON_TYPE).send(`${JSON.stringify(body)}\n`);
  });

  const written = (request: FastifyRequest, reply: FastifyReply, op: string, v: VersionedDtab) => {
    request.log.info({ op, namespace: v.namespace, version: v.version, message: v.message }, 'dtab written');
    return reply.code(204).header('etag', versionToEtag(v.version)).send();
  };

  app.post('/api/1/dtabs/:ns', async (request: NsRequest, reply) => {
    auth.check(request.headers.authorization);
    const { ns } = request.params;
    assertNamespace(ns);
    const message = writeMessage(request, ctx.maxMessageBytes);
    const dtab = decodeDtab(bodyText(request), request.headers['content-type']);
    return written(request, reply, 'create', await store.create(ns, dtab, message));
  });

  app.put('/api/1/dtabs/:ns', async (request: NsRequest, reply) => {
    auth.check(request.headers.authorization);
    const { ns } = request.params;
    assertNamespace(ns);
    const message = writeMessage(request, ctx.maxMessageBytes);
    const dtab = decodeDtab(bodyText(request), request.headers['content-type']);
    const ifMatch = request.headers['if-match'];
    const v =
      ifMatch === undefined
        ? await store.put(ns, dtab, message)
        : await store.update(ns, dtab, ifMatchVersion(ifMatch), message);
    return written(request, reply, ifMatch === undefined ? 'put' : 'update', v);
  });

  app.delete('/api/1/dtabs/:ns', async (request: NsRequest, reply) => {
    auth.check(request.headers.authorization);
    const { ns } = request.params;
    assertNamespace(ns);
    await store.delete(ns, writeMessage(request, ctx.maxMessageBytes));
    request.log.info({ op: 'delete', namespace: ns }, 'dtab deleted');
    return reply.code(204).send();
  });
}

/** Bodies arrive as strings (app.ts registers string parsers for every accepted type). */
function bodyText(request: FastifyRequest): string {
  const body = request.body;
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return '';
  throw createError('SY_ERR_INVALID_CONTENT_TYPE', [request.headers['content-type'] ?? '']);
}
