/**
 * Raw HTTP/1.1 over node:net, for what real clients refuse to send: malformed and ambiguous
 * heads, dribbled bytes, CONNECT, idle connections. Loopback only; every wait is bounded.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Everything the server sent, as latin1 text. */
  readonly text: string;
  /** The status code of the first response, or 0 when none came. */
  readonly status: number;
  /** How the exchange ended: the server closed, the socket failed, or our time limit passed. */
  readonly ended: 'closed' | 'error' | 'timeout';
  readonly error?: string;
  readonly elapsedMs: number;
}

export function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

export function openSocket(url: string): Promise<Socket> {
  const { host, port } = hostPortOf(url);
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Sends `chunks` (a string, or pieces written `gapMs` apart), then reads until the server closes
 * the connection, or `untilMs` passes, or `stopWhen` holds for what was received.
 */
export async function rawExchange(
  url: string,
  chunks: string | readonly string[],
  options: { gapMs?: number; untilMs?: number; stopWhen?: (text: string) => boolean } = {},
): Promise<RawAnswer> {
  const started = performance.now();
  const socket = await openSocket(url);
  let text = '';
  const done = new Promise<Omit<RawAnswer, 'status' | 'elapsedMs' | 'text'>>((resolve) => {
    const timer = setTimeout(() => resolve({ ended: 'timeout' }), options.untilMs ?? 10_000);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (options.stopWhen?.(text)) {
        clearTimeout(timer);
        resolve({ ended: 'timeout' });
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ended: 'closed' });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ended: 'error', error: (e as NodeJS.ErrnoException).code ?? e.message });
    });
  });
  const pieces = typeof chunks === 'string' ? [chunks] : chunks;
  void (async () => {
    for (const [i, piece] of pieces.entries()) {
      if (socket.destroyed) return;
      if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      if (!socket.destroyed) socket.write(piece, 'latin1');
    }
  })();
  const end = await done;
  socket.destroy();
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return { ...end, text, status: m ? Number(m[1]) : 0, elapsedMs: performance.now() - started };
}

/** One header's value from a raw response head (first occurrence, case-insensitive). */
export function rawHeader(text: string, name: string): string | undefined {
  const head = text.split('\r\n\r\n')[0] ?? '';
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name.toLowerCase()) return line.slice(i + 1).trim();
  }
  return undefined;
}
