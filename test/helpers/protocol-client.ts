/**
 * The same request over either of the router's inbound protocols, so one conformance suite runs
 * its bodies over HTTP/1.1 and h2c: a keep-alive undici client for HTTP/1.1, and for h2c one
 * node:http2 session per origin, reopened after a GOAWAY or a lost connection as real h2
 * clients (grpc-js, nghttp2) do. Upstreams that speak the same protocol answer with their name.
 */
import { createServer as createH1Server, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  type ClientHttp2Session,
  connect,
  constants,
  createServer as createH2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { answerWithName, client as h1Agent } from './router-harness.js';

export type WireProtocol = 'http/1.1' | 'h2';
export const WIRE_PROTOCOLS: readonly WireProtocol[] = ['http/1.1', 'h2'];

export interface WireRequest {
  readonly method?: string;
  readonly path?: string;
  /** Host for HTTP/1.1, `:authority` for h2. */
  readonly host?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly trailers: Record<string, string | string[] | undefined>;
}

export interface WireClient {
  readonly protocol: WireProtocol;
  send(url: string, req?: WireRequest): Promise<WireAnswer>;
  close(): Promise<void>;
}

export function wireClient(protocol: WireProtocol): WireClient {
  return protocol === 'h2' ? new H2Client() : new H1Client();
}

class H1Client implements WireClient {
  readonly protocol = 'http/1.1' as const;
  async send(url: string, req: WireRequest = {}): Promise<WireAnswer> {
    const headers = { ...req.headers, ...(req.host === undefined ? {} : { host: req.host }) };
    const res = await request(`${url}${req.path ?? '/'}`, {
      method: (req.method ?? 'GET') as 'GET',
      headers,
      body: req.body,
      dispatcher: h1Agent,
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body, trailers: res.trailers };
  }
  async close(): Promise<void> {}
}

class H2Client implements WireClient {
  readonly protocol = 'h2' as const;
  readonly #sessions = new Map<string, ClientHttp2Session>();

  #session(origin: string): ClientHttp2Session {
    const open = this.#sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(origin);
    session.on('error', () => {});
    // After a GOAWAY the session takes no new streams: the next request opens another.
    const forget = () => {
      if (this.#sessions.get(origin) === session) this.#sessions.delete(origin);
    };
    session.once('goaway', forget);
    session.once('close', forget);
    this.#sessions.set(origin, session);
    return session;
  }

  async send(url: string, req: WireRequest = {}): Promise<WireAnswer> {
    try {
      return await this.#once(url, req);
    } catch (e) {
      // A stream refused before processing (REFUSED_STREAM, or cut by a GOAWAY) is retried once, as h2 clients do.
      if ((e as { code?: string }).code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(String(e))) {
        return this.#once(url, req);
      }
      throw e;
    }
  }

  #once(url: string, req: WireRequest): Promise<WireAnswer> {
    const u = new URL(url);
    const session = this.#session(u.origin);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        ':method': req.method ?? 'GET',
        ':path': req.path ?? '/',
        ':authority': req.host ?? u.host,
        ...req.headers,
      };
      const stream = session.request(headers, { endStream: req.body === undefined });
      let status = 0;
      let responseHeaders: Record<string, string | string[] | undefined> = {};
      let trailers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = { ...h };
        delete responseHeaders[':status'];
      });
      stream.on('trailers', (t) => (trailers = { ...t }));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {});
      stream.on('close', () => {
        if (status === 0 || stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
          const error = Object.assign(new Error(`h2 stream closed with code ${stream.rstCode}`), {
            code: 'ERR_HTTP2_STREAM_ERROR',
            rstCode: stream.rstCode,
          });
          if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) error.message += ' (REFUSED_STREAM)';
          return reject(error);
        }
        resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString(), trailers });
      });
      stream.on('error', () => {});
      if (req.body !== undefined) stream.end(req.body);
    });
  }

  async close(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((s) => new Promise<void>((r) => (s.closed ? r() : s.close(() => r())))));
  }
}

export interface WireUpstream {
  readonly name: string;
  readonly port: number;
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

type Handler = ReturnType<typeof answerWithName>;

/** An upstream speaking `protocol` (h2: cleartext, prior knowledge) that answers `<name>\n`. */
export async function startWireUpstream(name: string, protocol: WireProtocol, handle?: Handler): Promise<WireUpstream> {
  const seen: IncomingHttpHeaders[] = [];
  const handler: Handler = handle ?? answerWithName(name, seen);
  const server: Server | Http2Server =
    protocol === 'h2'
      ? createH2Server((req: Http2ServerRequest, res: Http2ServerResponse) =>
          handler(req, { setHeader: (n, v) => res.setHeader(n, v), end: (b) => res.end(b) }),
        )
      : createH1Server(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sessions = new Set<{ destroy(): void }>();
  if (protocol === 'h2') (server as Http2Server).on('session', (s) => sessions.add(s));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        if (protocol === 'h2') for (const s of sessions) s.destroy();
        else (server as Server).closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Requests back to back from `concurrency` workers until `stop()`, bounded in time; answers counted by body. */
export function loadLoop(client: WireClient, url: string, host: string, concurrency = 8, maxMs = 20_000) {
  const counts = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const deadline = Date.now() + maxMs;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running && Date.now() < deadline) {
      try {
        const r = await client.send(url, { host });
        if (r.status !== 200) failures.push(`${r.status} ${r.headers['l5d-err'] ?? ''}`);
        else counts.set(r.body, (counts.get(r.body) ?? 0) + 1);
      } catch (e) {
        failures.push(String(e));
      }
    }
  });
  return {
    counts,
    failures,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}
