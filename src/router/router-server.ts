/**
 * The router's listening socket and its drain (k8s.md §5). Draining means: not ready any more,
 * but keep serving every request, old connections and new, for the grace period, answering
 * with `Connection: close` so keep-alive clients move away politely; then stop accepting, close
 * idle connections, let in-flight requests finish (bounded), and report done. A pod that drains
 * like this loses no request during a rollout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface RouterServerOptions {
  /** Largest request head (linkerd: maxHeadersKB 8). */
  readonly maxHeaderBytes: number;
  /** Idle keep-alive connections are closed after this long. */
  readonly keepAliveMs: number;
}

export class RouterServer {
  readonly server: Server;
  #draining = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  /** Upgraded (WebSocket) sockets: node's closeAllConnections no longer sees them. */
  readonly #upgraded = new Set<Socket>();

  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    upgrade: ((req: IncomingMessage, socket: Socket, head: Buffer) => void) | null,
    options: RouterServerOptions,
  ) {
    this.server = createServer(
      { maxHeaderSize: options.maxHeaderBytes, keepAliveTimeout: options.keepAliveMs, noDelay: true },
      (req, res) => {
        this.#inFlight++;
        res.once('close', () => {
          if (--this.#inFlight === 0) this.#wakeIdle();
        });
        handler(req, res);
      },
    );
    if (upgrade) {
      this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        this.#upgraded.add(socket);
        socket.once('close', () => this.#upgraded.delete(socket));
        upgrade(req, socket, head);
      });
    }
    // A client that sends garbage gets 400 and a closed socket, never a crash.
    this.server.on('clientError', (err, socket) => {
      if (socket.writable && !(err as { code?: string }).code?.startsWith('ECONN')) {
        const tooLarge = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
        socket.end(
          tooLarge
            ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n'
            : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
        );
      } else socket.destroy();
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a === null || typeof a === 'string') return resolve(String(a));
        resolve(a.family === 'IPv6' ? `http://[${a.address}]:${a.port}` : `http://${a.address}:${a.port}`);
      });
    });
  }

  /** Begins the drain: from now on every response says `Connection: close`. */
  markDraining(): void {
    this.#draining = true;
  }

  /** Stops accepting, closes idle connections, and waits (at most `maxWaitMs`) for requests in flight. */
  async stop(maxWaitMs: number): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.#inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, maxWaitMs).unref()),
      ]);
    }
    this.server.closeAllConnections();
    for (const socket of this.#upgraded) socket.destroy();
    await closed;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
