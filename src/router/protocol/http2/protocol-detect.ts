/**
 * One listening port for HTTP/1.1 and h2c with prior knowledge. Every h2 connection opens with
 * the same 24-byte preface, and no HTTP/1.1 request line can start with it, so the first bytes
 * decide: the detector reads at most 24 bytes' worth of decision (a byte that differs from the
 * preface settles it at once), puts them back (`unshift`) and hands the socket to the HTTP/1.1 or
 * the h2 server by emitting 'connection' on it, as if that server had accepted it.
 *
 * Modes:
 *  - `auto`: the preface goes to h2, anything else to HTTP/1.1. A client that sends nothing
 *    within `peekTimeoutMs` goes to HTTP/1.1 too, whose head timeout then answers it 408.
 *  - `h2`: h2c only. Anything that is not the preface gets a plain-text 400 naming the
 *    listener's protocol (readable by an HTTP/1.1 client or curl) and the connection is closed;
 *    a client silent past `peekTimeoutMs` is closed without an answer.
 */
import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { createServer, type Server, type Socket } from 'node:net';
import { createError } from '../../../errors.js';
import { rescue } from '../../core/rescue.js';
import { rawErrorResponse } from '../http1/raw-error.js';

export type ListenerProtocols = 'auto' | 'h2';

export interface ProtocolDetectOptions {
  readonly mode: ListenerProtocols;
  /** How long a new connection may stay silent before it is decided anyway. */
  readonly peekTimeoutMs: number;
}

/**
 * h2c clients send the preface as soon as they connect, so the peek can be short; a silent
 * connection then waits for HTTP/1.1's head timeout on top of it.
 */
export const DETECT_DEFAULTS: ProtocolDetectOptions = { mode: 'auto', peekTimeoutMs: 5_000 };

/** The h2 client connection preface. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Bytes a refused socket may still send while its answer goes out. */
const REFUSED_LINGER_MS = 2_000;

export type Verdict = 'h2' | 'http1' | 'undecided';

/** What the first bytes say: the whole preface, something else, or a prefix of the preface so far. */
export function verdictOf(bytes: Uint8Array): Verdict {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return 'http1';
  return n === H2_PREFACE.length ? 'h2' : 'undecided';
}

export interface DetectingListener {
  readonly server: Server;
  /** Connections whose first bytes have not decided their protocol yet. */
  readonly undecided: number;
}

export function createDetectingListener(
  servers: { readonly http1: HttpServer | null; readonly h2: Http2Server },
  options: Partial<ProtocolDetectOptions> & {
    /** Whether the port holds all the connections it may: the next one is HTTP/1.1's to refuse (503). */
    readonly atCapacity?: () => boolean;
  } = {},
): DetectingListener {
  const { mode, peekTimeoutMs } = { ...DETECT_DEFAULTS, ...options };
  if (mode === 'auto' && !servers.http1) throw new Error("protocol detection in 'auto' mode needs an HTTP/1.1 server");
  let undecided = 0;

  const handOver = (socket: Socket, seen: Buffer, verdict: Verdict) => {
    if (seen.length > 0) socket.unshift(seen);
    if (verdict === 'h2') return void servers.h2.emit('connection', socket);
    if (mode === 'auto' && servers.http1) {
      servers.http1.emit('connection', socket);
      // The HTTP/1.1 server reads in flowing mode; the detector left the socket paused.
      socket.resume();
      return;
    }
    if (verdict === 'undecided') return void socket.destroy();
    const answer = rawErrorResponse(
      rescue(createError('SY_ERR_BAD_REQUEST', ['this listener speaks only HTTP/2 (h2c with prior knowledge)'])),
    );
    socket.on('error', () => socket.destroy());
    socket.resume(); // read and drop what the client still sends, so closing does not reset the answer
    socket.end(answer);
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  };

  const server = createServer((socket) => {
    // Past the cap nothing is worth peeking at: HTTP/1.1 answers 503 at once (an h2 client reads
    // that as a failed connection and tries elsewhere, which is what it should do).
    if (mode === 'auto' && options.atCapacity?.()) return void handOver(socket, Buffer.alloc(0), 'http1');
    undecided++;
    let seen: Buffer = Buffer.alloc(0);
    let decided = false;
    const decide = (verdict: Verdict) => {
      if (decided) return;
      decided = true;
      undecided--;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      handOver(socket, seen, verdict);
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const verdict = verdictOf(seen);
      if (verdict !== 'undecided') decide(verdict);
    };
    const onError = () => socket.destroy();
    const onClose = () => {
      if (decided) return;
      decided = true;
      undecided--;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      // A silent (or stalled mid-preface) client: HTTP/1.1's own head timeout answers it in auto mode.
      decide(seen.length === 0 && mode === 'auto' ? 'http1' : 'undecided');
    }, peekTimeoutMs);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });

  // node's HTTP/1.1 server starts its head and request timers ("connections checking") on its
  // own 'listening'; it never listens itself here, so it hears ours.
  server.on('listening', () => {
    if (servers.http1 && !servers.http1.listening) servers.http1.emit('listening');
  });

  return {
    server,
    get undecided() {
      return undecided;
    },
  };
}
