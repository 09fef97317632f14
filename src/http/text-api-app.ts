/**
 * The fastify app every control-plane API starts from (namerd's /api/1, the router's admin
 * port): request bodies arrive as text and each route decides what is valid (so a bad dtab gets
 * switchyard's error with its line and column, not a JSON parser's), and the one edge where
 * errors become responses: registry errors keep their status and message, in plain text as
 * namerd answers; anything unexpected is logged and answered 500.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { SwitchyardError } from '../errors.js';

export interface TextApiOptions {
  readonly logger?: FastifyBaseLogger;
  readonly bodyLimit: number;
  /** Longest path parameter (fastify's default of 100 would answer long names with 414). */
  readonly maxParamLength?: number;
  /** Names the app in the log line of an unexpected failure. */
  readonly what: string;
}

export function textApiApp(options: TextApiOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Probes, scrapes and watches would drown the log; handlers log what matters (writes).
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.maxParamLength ? { routerOptions: { maxParamLength: options.maxParamLength } } : {}),
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SwitchyardError) {
      return reply.code(error.status).type('text/plain').send(`${error.message}\n`);
    }
    if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      return reply.code(error.statusCode).type('text/plain').send(`${error.message}\n`);
    }
    request.log.error({ err: error }, `${options.what} request failed`);
    return reply.code(500).type('text/plain').send(`${error.message}\n`);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('Not Found\n'));
  return app;
}
