/**
 * One Toxiproxy proxy: a loopback listener, a loopback upstream, its toxics and its live links.
 * Disabling it (`enabled: false`, Toxiproxy's "down") closes the listener and every connection,
 * so clients see refused connects; enabling it listens again on the same address.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Counter } from '../telemetry/counter.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { ApiError } from './api-error.js';
import { Link, type LinkHost } from './link.js';
import type { HostPort } from './loopback.js';
import { ToxicList } from './toxic-list.js';
import { type Stream, type Toxic, toxicJson, updateToxic } from './toxics.js';

/** At most this many connections at once per proxy (and MAX_TOXICS toxics). */
export const MAX_LINKS = 1000;

export class ToxicProxy implements LinkHost {
  readonly #links = new Set<Link>();
  readonly #toxics = new ToxicList();
  #server: Server | null = null;
  /** The address bound, `127.0.0.1:41235` once a port 0 is chosen. */
  #listenText: string;
  readonly bytes: Readonly<Record<Stream, Counter>>;
  readonly #connections: Counter;

  constructor(
    readonly name: string,
    public listen: HostPort,
    public upstream: HostPort,
    readonly metrics: MetricsRegistry,
  ) {
    this.#listenText = listen.text;
    const labels = (direction: Stream) => ({ proxy: name, direction });
    this.bytes = {
      upstream: metrics.counter('toxiproxy:bytes', labels('upstream')),
      downstream: metrics.counter('toxiproxy:bytes', labels('downstream')),
    };
    this.#connections = metrics.counter('toxiproxy:connections', { proxy: name });
    metrics.gauge('toxiproxy:open_connections', { proxy: name }, () => this.#links.size);
    metrics.gauge('toxiproxy:toxics', { proxy: name }, () => this.#toxics.all.length);
  }

  get enabled(): boolean {
    return this.#server !== null;
  }

  async start(): Promise<void> {
    if (this.#server !== null) return;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (client) => this.#accept(client));
    server.maxConnections = MAX_LINKS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.listen.ip, port: this.listen.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      throw new ApiError(`listen ${this.listen.text}: ${e.code ?? e.message}`, 409);
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') {
      // Keep the chosen port: re-enabling listens where clients were told to connect.
      // Its text too: an update that names no listen address starts from this one, not from port 0.
      this.#listenText =
        address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
      this.listen = { ...this.listen, port: address.port, text: this.#listenText };
    }
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    for (const link of [...this.#links]) link.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.#connections.inc();
    const upstream = createConnection({ host: this.upstream.ip, port: this.upstream.port, allowHalfOpen: true });
    this.#links.add(new Link(client, upstream, this));
  }

  closed(link: Link): void {
    this.#links.delete(link);
  }

  toxics(stream: Stream): readonly Toxic[] {
    return this.#toxics.of(stream);
  }

  toxic(name: string): Toxic {
    return this.#toxics.get(name);
  }

  addToxic(toxic: Toxic): void {
    this.#toxics.add(toxic);
    for (const link of this.#links) link.refresh();
  }

  /** New attributes and toxicity, both checked before either is applied. */
  updateToxic(name: string, body: unknown): Toxic {
    const toxic = this.toxic(name);
    updateToxic(toxic, body);
    for (const link of this.#links) link.refresh(toxic);
    return toxic;
  }

  removeToxic(name: string): Toxic {
    const toxic = this.#toxics.remove(name);
    for (const link of this.#links) link.refresh();
    return toxic;
  }

  resetToxics(): void {
    this.#toxics.clear();
    for (const link of this.#links) link.refresh();
  }

  /** Forgets the proxy's series: a deleted proxy leaves no metrics behind. */
  forgetMetrics(): void {
    this.metrics.removeMatching({ proxy: this.name });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      listen: this.#listenText,
      upstream: this.upstream.text,
      enabled: this.enabled,
      toxics: this.#toxics.all.map(toxicJson),
    };
  }
}
