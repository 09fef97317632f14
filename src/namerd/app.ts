/**
 * namerd's HTTP application: the `/api/1` routes on fastify, with every request body read as text
 * (codecs.ts decides what is valid), and the one place where errors become responses: registry
 * errors get their status and message as text (namerd answers in plain text), anything else is
 * logged and answered 500.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { SwitchyardError } from '../errors.js';
import type { NameInterpreter } from '../naming/interpreter.js';
import type { DtabStore } from '../store/dtab-store.js';
import { WriteAuth } from './auth.js';
import type { NamerdContext } from './context.js';
import { dtabRoutes } from './dtab-routes.js';
import { nameRoutes } from './name-routes.js';
import { OpenStreams } from './watch-stream.js';

export interface NamerdAppOptions {
  readonly store: DtabStore;
  readonly interpreter: NameInterpreter;
  /** Bearer token for writes; null leaves writes open. */
  readonly token?: string | null;
  readonly heartbeatMs?: number;
  readonly requestTimeoutMs?: number;
  readonly logger?: FastifyBaseLogger;
  /** Largest request body accepted (dtabs are small; 1 MiB leaves room for 10,000 dentries). */
  readonly bodyLimit?: number;
}

export interface NamerdApp {
  readonly app: FastifyInstance;
  readonly context: NamerdContext;
}

export function buildNamerdApp(options: NamerdAppOptions): NamerdApp {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Watches and benchmarks would flood the log; writes are logged by their handlers instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Long namespace names must reach the validator, which answers 400 with the reason, not 414.
    routerOptions: { maxParamLength: 1024 },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
  });
  const context: NamerdContext = {
    store: options.store,
    interpreter: options.interpreter,
    auth: new WriteAuth(options.token ?? null),
    streams: new OpenStreams(),
    heartbeatMs: options.heartbeatMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SwitchyardError) {
      return reply.code(error.status).type('text/plain').send(`${error.message}\n`);
    }
    if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      return reply.code(error.statusCode).type('text/plain').send(`${error.message}\n`);
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).type('text/plain').send(`${error.message}\n`);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('Not Found\n'));

  // Long-lived watches would keep close() waiting for ever; end them first.
  app.addHook('preClose', async () => context.streams.endAll());

  dtabRoutes(app, context);
  nameRoutes(app, context);
  return { app, context };
}
