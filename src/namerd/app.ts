/**
 * namerd's HTTP application: the `/api/1` routes on the shared text API app (bodies read as
 * text, codecs.ts decides what is valid; registry errors answered with their status in plain
 * text, as namerd does).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { DEFAULT_MAX_DENTRIES } from '../dtab/request-dtab.js';
import { textApiApp } from '../http/text-api-app.js';
import type { NameInterpreter } from '../naming/interpreter.js';
import type { DtabStore } from '../store/dtab-store.js';
import { WriteAuth } from './auth.js';
import { bindRoutes } from './bind-routes.js';
import type { NamerdContext } from './context.js';
import { dtabRoutes } from './dtab-routes.js';
import { NameCache } from './name-cache.js';
import { nameRoutes } from './name-routes.js';
import { OpenStreams } from './watch-stream.js';

export interface NamerdAppOptions {
  readonly store: DtabStore;
  readonly interpreter: NameInterpreter;
  /** Bearer token for writes; null leaves writes open. */
  readonly token?: string | null;
  readonly heartbeatMs?: number;
  readonly requestTimeoutMs?: number;
  /** Unsent bytes a watch stream may hold for a client that does not read (default 1 MiB). */
  readonly watchHighWaterBytes?: number;
  /** Longest write message, in UTF-8 bytes (default 1024). */
  readonly maxMessageBytes?: number;
  /** Dentries a caller's dtab may hold on /bind and /delegate (default 100). */
  readonly maxDentries?: number;
  readonly logger?: FastifyBaseLogger;
  /** Largest request body accepted (dtabs are small; 1 MiB leaves room for 10,000 dentries). */
  readonly bodyLimit?: number;
}

export interface NamerdApp {
  readonly app: FastifyInstance;
  readonly context: NamerdContext;
}

export function buildNamerdApp(options: NamerdAppOptions): NamerdApp {
  const app = textApiApp({
    ...(options.logger ? { logger: options.logger } : {}),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Long namespace names must reach the validator, which answers 400 with the reason, not 414.
    maxParamLength: 1024,
    what: 'namerd',
  });
  const context: NamerdContext = {
    store: options.store,
    interpreter: options.interpreter,
    names: new NameCache(options.store, options.interpreter),
    auth: new WriteAuth(options.token ?? null),
    streams: new OpenStreams(),
    heartbeatMs: options.heartbeatMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
    watchHighWaterBytes: options.watchHighWaterBytes ?? 1024 * 1024,
    maxMessageBytes: options.maxMessageBytes ?? 1024,
    maxDentries: options.maxDentries ?? DEFAULT_MAX_DENTRIES,
  };

  // Long-lived watches would keep close() waiting for ever; end them first.
  app.addHook('preClose', async () => context.streams.endAll());
  // Cached bindings keep namer watches open; they end with the server.
  app.addHook('onClose', async () => context.names.close());

  dtabRoutes(app, context);
  nameRoutes(app, context);
  bindRoutes(app, context);
  return { app, context };
}
