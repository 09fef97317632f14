/**
 * A Toxiproxy server: the proxies, their API on one port, and the metrics registry both share.
 * The API listens on loopback only, as the proxies do: whoever reaches it can cut connections.
 */
import type { Logger } from 'pino';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { toxiproxyApi } from './api.js';
import { ApiError } from './api-error.js';
import { ProxyCollection } from './collection.js';
import { loopbackAddress } from './loopback.js';

export interface ToxiproxyServer {
  /** `http://127.0.0.1:8474` */
  readonly url: string;
  readonly collection: ProxyCollection;
  close(): Promise<void>;
}

export interface ToxiproxyOptions {
  /** `host:port` of the API, loopback (default 127.0.0.1:8474, Toxiproxy's). */
  readonly listen?: string;
  readonly logger: Logger;
  /** Proxies to create first, Toxiproxy's `-config` list. */
  readonly proxies?: unknown;
}

export async function startToxiproxyServer(options: ToxiproxyOptions): Promise<ToxiproxyServer> {
  const listen = await loopbackAddress('--listen', options.listen ?? '127.0.0.1:8474', true);
  const metrics = new MetricsRegistry({ histograms: { mode: 'cumulative' } });
  metrics
    .describe('toxiproxy:bytes', 'Bytes proxied, per proxy and direction (upstream: client to server).')
    .describe('toxiproxy:connections', 'Connections accepted, per proxy.')
    .describe('toxiproxy:open_connections', 'Connections open now, per proxy.')
    .describe('toxiproxy:toxics', 'Toxics set now, per proxy.');
  const collection = new ProxyCollection(metrics, options.logger);
  if (options.proxies !== undefined) {
    const { error } = await collection.populate(options.proxies);
    if (error !== undefined) {
      await collection.close();
      throw error;
    }
  }
  const app = toxiproxyApi(collection);
  try {
    await app.listen({ host: listen.ip, port: listen.port });
  } catch (e) {
    await collection.close();
    throw new ApiError(`listen ${listen.text}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 500);
  }
  const address = app.server.address();
  const port = address !== null && typeof address === 'object' ? address.port : listen.port;
  const host = listen.ip.includes(':') ? `[${listen.ip}]` : listen.ip;
  return {
    url: `http://${host}:${port}`,
    collection,
    close: async () => {
      await app.close();
      await collection.close();
      metrics.close();
    },
  };
}
