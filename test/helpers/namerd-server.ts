/**
 * Starts namerd's HTTP app on a real socket (127.0.0.1, port 0) over a given store, and a small
 * client for chunked watch streams, for integration tests.
 */
import { request } from 'node:http';
import { buildNamerdApp, type NamerdAppOptions } from '../../src/namerd/app.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { MemoryDtabStore } from '../../src/store/memory-store.js';

export interface RunningNamerd {
  readonly url: string;
  /** How many watch streams are open right now. */
  openStreams(): number;
  close(): Promise<void>;
}

export async function startNamerd(options: Partial<NamerdAppOptions> = {}): Promise<RunningNamerd> {
  const { app, context } = buildNamerdApp({
    store: options.store ?? new MemoryDtabStore(),
    interpreter: options.interpreter ?? defaultInterpreter(),
    ...options,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: address, openStreams: () => context.streams.size, close: () => app.close() };
}

/** A chunked response read line by line; `next()` waits (bounded) for the next line. */
export interface LineStream {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  next(timeoutMs?: number): Promise<string>;
  /** True once the server ended the response. */
  readonly ended: boolean;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<LineStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.setEncoding('utf8');
      const lines: string[] = [];
      const waiters: ((line: string) => void)[] = [];
      let buffer = '';
      let ended = false;
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          const waiter = waiters.shift();
          if (waiter) waiter(line);
          else lines.push(line);
        }
      });
      res.on('end', () => {
        ended = true;
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        get ended() {
          return ended;
        },
        next(timeoutMs = 2000) {
          const ready = lines.shift();
          if (ready !== undefined) return Promise.resolve(ready);
          return new Promise((ok, fail) => {
            const waiter = (line: string) => {
              clearTimeout(timer);
              ok(line);
            };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              fail(new Error(`no line within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request with the path sent exactly as given (fetch would normalise `..` and `%2e%2e` away). */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
