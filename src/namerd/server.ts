/**
 * Runs namerd from a validated configuration: reads the token, mounts the namers, opens the
 * store, and only then binds the port. `close()` ends the watch streams, stops listening and
 * closes the store (which releases the file store's lock), in that order.
 */
import { readFile } from 'node:fs/promises';
import { closeNamers, mountNamers } from '../config/mount-namers.js';
import type { NamerdConfig } from '../config/namerd-config.js';
import { createError } from '../errors.js';
import { defaultInterpreter } from '../namers/default-interpreter.js';
import { openStore } from '../store/open-store.js';
import type { Logger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { registerProcessMetrics } from '../telemetry/process-metrics.js';
import { buildNamerdAdmin } from './admin-app.js';
import { buildNamerdApp } from './app.js';
import { instrumentNamerd } from './namerd-metrics.js';

/** How long close() lets requests in flight finish before it cuts the remaining connections. */
const CLOSE_GRACE_MS = 2000;

export interface RunningNamerd {
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  readonly url: string;
  /** The admin port's `http://host:port`. */
  readonly adminUrl: string;
  close(): Promise<void>;
}

async function readToken(file: string | null): Promise<string | null> {
  if (file === null) return null;
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw createError('SY_ERR_CONFIG_INVALID', [`\n  - tokenFile: cannot read ${file}: ${(e as Error).message}`]);
  }
  if (token === '') throw createError('SY_ERR_CONFIG_INVALID', [`\n  - tokenFile: ${file} is empty`]);
  return token;
}

export async function runNamerd(config: NamerdConfig, logger: Logger): Promise<RunningNamerd> {
  const token = await readToken(config.tokenFile);
  const namers = mountNamers(config.namers, logger);
  const interpreter = defaultInterpreter({ namers, maxLookups: config.maxBindLookups });
  const store = await openStore(config.store, { historyLimit: config.historyLimit });
  const { app, context } = buildNamerdApp({
    store,
    interpreter,
    token,
    heartbeatMs: config.heartbeatMs,
    requestTimeoutMs: config.requestTimeoutMs,
    watchHighWaterBytes: config.watchHighWaterBytes,
    maxMessageBytes: config.maxMessageBytes,
    maxDentries: config.maxDentries,
    logger,
  });
  const metrics = new MetricsRegistry();
  const stopProcessMetrics = registerProcessMetrics(metrics);
  instrumentNamerd(app, metrics, context.streams);
  const admin = buildNamerdAdmin(metrics, store, { api: app, watchers: context.streams.watchers });
  let url: string;
  let adminUrl: string;
  try {
    url = await app.listen({ host: config.listen.host, port: config.listen.port });
    adminUrl = await admin.listen({ host: config.admin.host, port: config.admin.port });
  } catch (e) {
    await app.close();
    await admin.close();
    stopProcessMetrics();
    metrics.close();
    await store.close();
    throw e;
  }
  logger.info(
    {
      url,
      adminUrl,
      store: config.store,
      writes: token === null ? 'open' : 'bearer token',
      namers: config.namers.map((n) => n.prefix),
    },
    'namerd listening',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    close() {
      closing ??= (async () => {
        await admin.close();
        // Short requests finish within the grace; a connection a watch client left half-open
        // would otherwise hold the close for fastify's 72 s keep-alive.
        const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS).unref();
        await app.close();
        clearTimeout(force);
        stopProcessMetrics();
        metrics.close();
        await store.close();
        await closeNamers(namers);
        logger.info('namerd stopped');
      })();
      return closing;
    },
  };
}
