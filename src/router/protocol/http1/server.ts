/**
 * The router's listening socket, its limits and its drain. Limits: a request head must arrive
 * within `headersTimeoutMs` (408), idle keep-alive connections close after `keepAliveMs`, and at
 * most `maxConnections` client connections are held: one more is answered 503 with
 * `Connection: close`, never dropped silently. CONNECT is answered 405; the parser's refusals
 * are 400/414/431 (client-error.ts). `Expect: 100-continue` is left to the handler, which sends
 * the 100 only once the request has a route.
 *
 * Draining means: not ready any more, but keep serving every request, old connections and new,
 * for the grace period, answering with `Connection: close` so keep-alive clients move away
 * politely. Then `stop` closes without resetting a request:
 *  1. Keep-alive again, until no connection has arrived for a quiet moment (bounded): clients
 *     stay on the connections they have instead of reconnecting, so no handshake is left in the
 *     kernel's accept queue when the listener closes (closing a listener resets those).
 *  2. Stop accepting. Each connection's next response says `Connection: close`; a connection
 *     idle for a moment is half-closed (FIN, never a reset); one whose first request has not
 *     arrived gets it answered (the head timeout bounds the wait); in-flight requests finish.
 *  3. After `maxWaitMs`, whatever is left is cut.
 */
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import { type Socket, Server as TcpServer } from 'node:net';
import { createError } from '../../../errors.js';
import { rescue } from '../../core/rescue.js';
import { clientErrorAnswer } from './client-error.js';
import { rawErrorResponse } from './raw-error.js';

export interface RouterServerOptions {
  /** Largest request head (linkerd: maxHeadersKB 8). */
  readonly maxHeaderBytes: number;
  /** Idle keep-alive connections are closed after this long. */
  readonly keepAliveMs: number;
  /** The whole request head must arrive within this long. */
  readonly headersTimeoutMs: number;
  /** Client connections held at most; the next one is answered 503. */
  readonly maxConnections: number;
  /**
   * Connections held on the same port by someone else (a protocol detector's undecided sockets,
   * h2 sessions), counted against `maxConnections` too.
   */
  readonly heldElsewhere?: () => number;
}

/** The methods the router forwards, for CONNECT's 405. */
const ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE';

/** Bytes a refused socket may still send us while its 503 is on the way. */
const REFUSED_LINGER_MS = 2_000;
/** Stop step 1: no new connection for this long means clients have settled on theirs. */
const QUIET_MS = 100;
const QUIET_WAIT_MAX_MS = 2_000;
/** Stop step 2: a connection idle this long is closed; a busy client's next request is sooner. */
const IDLE_CLOSE_MS = 250;
const STOP_POLL_MS = 25;

interface Connection {
  /** Requests seen on it; 0 means its first request has not arrived. */
  requests: number;
  /** Requests whose response has not finished. */
  active: number;
  /** When its last response finished. */
  idleSince: number;
}

export class RouterServer {
  readonly server: Server;
  /** The socket that accepts: this server's own, or the protocol detector's. */
  #listener: TcpServer;
  #draining = false;
  /** Stop step 1: draining, but responses keep connections open. */
  #settling = false;
  #lastAccept = 0;
  #inFlight = 0;
  #refused = 0;
  readonly #connections = new Map<Socket, Connection>();
  readonly #refusedSockets = new WeakSet<Socket>();
  /** Upgraded (WebSocket) sockets: node's closeAllConnections no longer sees them. */
  readonly #upgraded = new Set<Socket>();

  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    upgrade: ((req: IncomingMessage, socket: Socket, head: Buffer) => void) | null,
    private readonly options: RouterServerOptions,
  ) {
    const serve = (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      if (this.#refusedSockets.has(socket)) return void res.destroy();
      const conn = this.#connections.get(socket);
      if (conn) {
        conn.requests++;
        conn.active++;
      }
      this.#inFlight++;
      res.once('close', () => {
        if (conn && --conn.active === 0) conn.idleSince = performance.now();
        this.#inFlight--;
      });
      handler(req, res);
    };
    this.server = createServer(
      {
        maxHeaderSize: options.maxHeaderBytes,
        keepAliveTimeout: options.keepAliveMs,
        headersTimeout: options.headersTimeoutMs,
        // Bodies are bounded by the handler's idle timer, not by a whole-upload deadline.
        requestTimeout: 0,
        // How often node looks for heads that are late; the default (30 s) would let a
        // dribbling client overstay its timeout by that much.
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(options.headersTimeoutMs / 4))),
        noDelay: true,
      },
      serve,
    );
    this.#listener = this.server;
    // Registered after node's own listener: node has set up its parser by the time we look.
    this.server.on('connection', (socket: Socket) => this.#accept(socket));
    // With a listener, node leaves `Expect: 100-continue` to us: the handler answers it after routing.
    this.server.on('checkContinue', serve);
    this.server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(rawErrorResponse(rescue(createError('SY_ERR_METHOD_NOT_ALLOWED', ['CONNECT'])), [`allow: ${ALLOW}`]));
    });
    if (upgrade) {
      this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        // Only WebSocket is spliced; any other Upgrade (curl --http2's `h2c`, say) is declined by
        // answering the request as plain HTTP/1.1, as RFC 9110 lets a server do.
        if (!isWebSocket(req)) return serveDeclinedUpgrade(req, socket, head, serve);
        this.#upgraded.add(socket);
        this.#connections.delete(socket);
        socket.once('close', () => this.#upgraded.delete(socket));
        upgrade(req, socket, head);
      });
    }
    // A client that sends garbage or is too slow gets its status and a closed socket, never a crash.
    this.server.on('clientError', (err: Error, socket: Socket) => {
      const answer = clientErrorAnswer(err, options);
      const busy = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (answer !== null && socket.writable && !busy?.headersSent) socket.end(rawErrorResponse(rescue(answer)));
      else socket.destroy();
    });
  }

  /** Not ready: the drain has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Whether responses now say `Connection: close`. */
  get closing(): boolean {
    return this.#draining && !this.#settling;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Client connections held now (upgraded ones excluded). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Connections answered 503 because the cap was reached. */
  get refusedConnections(): number {
    return this.#refused;
  }

  /**
   * Accept through another listening socket that hands this server its HTTP/1.1 connections
   * (the protocol detector, which shares the port with h2c): listen and stop then act on it.
   */
  listenThrough(listener: TcpServer): void {
    this.#listener = listener;
  }

  listen(host: string, port: number): Promise<string> {
    const listener = this.#listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        const a = listener.address();
        if (a === null || typeof a === 'string') return resolve(String(a));
        resolve(a.family === 'IPv6' ? `http://[${a.address}]:${a.port}` : `http://${a.address}:${a.port}`);
      });
    });
  }

  /** Begins the drain: from now on every response says `Connection: close`. */
  markDraining(): void {
    this.#draining = true;
  }

  /** Stops accepting and closes every connection without resetting a request (see the top). */
  async stop(maxWaitMs: number): Promise<void> {
    this.#draining = true;
    const deadline = performance.now() + maxWaitMs;
    if (maxWaitMs > 0) {
      this.#settling = true;
      const settleBy = Math.min(deadline, performance.now() + QUIET_WAIT_MAX_MS);
      while (performance.now() < settleBy && performance.now() - this.#lastAccept < QUIET_MS) await pause(STOP_POLL_MS);
      this.#settling = false;
    }
    // net's close, not http's: http's also destroys "idle" connections, which resets one whose
    // request is already in the kernel's buffer.
    const closed = new Promise<void>((resolve) => TcpServer.prototype.close.call(this.#listener, () => resolve()));
    while ((this.#connections.size > 0 || this.#inFlight > 0) && performance.now() < deadline) {
      const now = performance.now();
      for (const [socket, conn] of this.#connections) {
        if (conn.active === 0 && conn.requests > 0 && now - conn.idleSince >= IDLE_CLOSE_MS) socket.end();
      }
      await pause(STOP_POLL_MS);
    }
    this.server.closeAllConnections();
    for (const socket of this.#connections.keys()) socket.destroy();
    for (const socket of this.#upgraded) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    if (
      this.#connections.size + this.#upgraded.size + (this.options.heldElsewhere?.() ?? 0) >=
      this.options.maxConnections
    ) {
      this.#refused++;
      this.#refusedSockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.end(rawErrorResponse(rescue(createError('SY_ERR_TOO_MANY_CONNECTIONS', [this.options.maxConnections]))));
      setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
      return;
    }
    this.#lastAccept = performance.now();
    this.#connections.set(socket, { requests: 0, active: 0, idleSince: this.#lastAccept });
    socket.once('close', () => this.#connections.delete(socket));
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').split(',').some((t) => t.trim().toLowerCase() === 'websocket');
}

/**
 * Answers an upgrade request the router declines as an ordinary request on the same socket.
 * node has already handed the socket over, so the connection ends after this one response.
 * A request with a body is refused (its bytes went to the upgrade, not the parser).
 */
function serveDeclinedUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  serve: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  socket.on('error', () => socket.destroy());
  const length = req.headers['content-length'];
  if (head.length > 0 || req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    socket.end(
      rawErrorResponse(rescue(createError('SY_ERR_BAD_REQUEST', ['an Upgrade other than websocket with a body']))),
    );
    return;
  }
  stripUpgrade(req);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => {
    res.detachSocket(socket);
    socket.end();
  });
  serve(req, res);
}

/** Drops `Upgrade` and `HTTP2-Settings`; `Connection` stays, and its nominations are hop-by-hop as ever. */
function stripUpgrade(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'upgrade' || name === 'http2-settings') continue;
    kept.push(raw[i]!, raw[i + 1]!);
  }
  raw.splice(0, raw.length, ...kept);
  delete req.headers.upgrade;
  delete req.headers['http2-settings'];
}
