/**
 * An h2c upstream on 127.0.0.1, port 0, for tests of the h2 upstream and the router's h2 paths:
 * by default it echoes the request body with status 200 and, when the request carries
 * `te: trailers`, ends with `grpc-status: 0` trailers. A test may answer streams itself. It
 * counts sessions and remembers how each stream closed (the RST_STREAM code the client sent).
 * Also: `recordingHandler`, an UpstreamHandler that records every callback in order.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type {
  HeaderList,
  Upstream,
  UpstreamController,
  UpstreamFailure,
  UpstreamHandler,
  UpstreamRequest,
} from '../../src/router/core/exchange.js';

export type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, session: Http2Session) => void;

export interface H2UpstreamHarness {
  readonly host: string;
  readonly port: number;
  readonly server: Http2Server;
  /** Sessions the server accepted so far. */
  readonly sessions: Http2Session[];
  /** Per stream, in arrival order: its headers, and its close code once closed. */
  readonly streams: { headers: IncomingHttpHeaders; id: number; rstCode?: number; closed: Promise<number> }[];
  close(): Promise<void>;
}

/** Echoes the request body; `te: trailers` gets `grpc-status: 0` trailers. */
export const echo: StreamHandler = (stream, headers) => {
  const trailers = headers.te === 'trailers';
  stream.respond(
    {
      ':status': 200,
      'content-type': headers['content-type'] ?? 'application/octet-stream',
      'x-echo-path': headers[':path'],
    },
    { waitForTrailers: trailers },
  );
  if (trailers) stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
  stream.pipe(stream);
};

export async function startH2Upstream(
  onStream: StreamHandler = echo,
  settings: Settings = {},
): Promise<H2UpstreamHarness> {
  const server = createServer({ settings });
  const sessions: Http2Session[] = [];
  const streams: H2UpstreamHarness['streams'] = [];
  server.on('session', (session) => {
    sessions.push(session);
    // A client going away is normal here; the test reads what happened from `streams`.
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const entry: H2UpstreamHarness['streams'][number] = {
      headers,
      id: stream.id ?? 0,
      closed: new Promise((resolve) =>
        stream.once('close', () => {
          entry.rstCode = stream.rstCode;
          resolve(stream.rstCode ?? constants.NGHTTP2_NO_ERROR);
        }),
      ),
    };
    streams.push(entry);
    onStream(stream, headers, stream.session as Http2Session);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    server,
    sessions,
    streams,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type Recorded =
  | { readonly kind: 'start' }
  | { readonly kind: 'head'; readonly status: number; readonly headers: HeaderList }
  | { readonly kind: 'data'; readonly bytes: number }
  | { readonly kind: 'end'; readonly trailers: HeaderList | null }
  | { readonly kind: 'error'; readonly error: Error; readonly failure: UpstreamFailure };

export interface Recording {
  readonly handler: UpstreamHandler;
  readonly events: Recorded[];
  controller: UpstreamController | undefined;
  /** Bytes of response body so far, and their sha256 once ended. */
  bytes: number;
  digest(): string;
  /** Settles with the terminal event (end or error). */
  readonly done: Promise<Recorded>;
  /** Terminal callbacks seen (must be exactly 1). */
  terminals(): number;
}

/** Records every callback; `onData` can hook in (e.g. to pause on the first chunk). */
export function recordingHandler(
  hooks: { onData?: (r: Recording, chunk: Buffer) => void; onHead?: (r: Recording) => void } = {},
): Recording {
  const events: Recorded[] = [];
  const hash = createHash('sha256');
  let finish: (event: Recorded) => void = () => {};
  const done = new Promise<Recorded>((resolve) => {
    finish = resolve;
  });
  const recording: Recording = {
    events,
    controller: undefined,
    bytes: 0,
    digest: () => hash.copy().digest('hex'),
    done,
    terminals: () => events.filter((e) => e.kind === 'end' || e.kind === 'error').length,
    handler: {
      onStart(controller) {
        recording.controller = controller;
        events.push({ kind: 'start' });
      },
      onHead(status, headers) {
        events.push({ kind: 'head', status, headers });
        hooks.onHead?.(recording);
      },
      onData(chunk) {
        recording.bytes += chunk.length;
        hash.update(chunk);
        events.push({ kind: 'data', bytes: chunk.length });
        hooks.onData?.(recording, chunk);
      },
      onEnd(trailers) {
        const event: Recorded = { kind: 'end', trailers };
        events.push(event);
        finish(event);
      },
      onError(error, failure) {
        const event: Recorded = { kind: 'error', error, failure };
        events.push(event);
        finish(event);
      },
    },
  };
  return recording;
}

/** A header value from a flat list (the first one). */
export function headerOf(headers: HeaderList, name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/** An upstream request for authority `web`; a body makes it a POST. */
export function upstreamRequest(path = '/', headers: string[] = [], body: Readable | null = null): UpstreamRequest {
  return { method: body ? 'POST' : 'GET', path, authority: 'web', headers, body };
}

/** Dispatches `request` with a recording handler. */
export function send(upstream: Upstream, request: UpstreamRequest, recording = recordingHandler()): Recording {
  upstream.dispatch(request, recording.handler);
  return recording;
}

/** A body of `size` bytes in 64 KiB chunks, made as it is read, and its sha256. */
export function bigBody(size: number): { stream: Readable; digest: string } {
  const chunk = randomBytes(65_536);
  const hash = createHash('sha256');
  for (let at = 0; at < size; at += chunk.length) hash.update(chunk.subarray(0, Math.min(chunk.length, size - at)));
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk.length, size - sent);
      sent += n;
      this.push(chunk.subarray(0, n));
    },
  });
  return { stream, digest: hash.digest('hex') };
}

/** Waits for a condition that some event makes true (polled; bounded by `ms`). */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A stream handler that holds every stream until `release()` answers them 200 `ok`. */
export function holding(): { handler: StreamHandler; held: (() => void)[]; release(): void } {
  const held: (() => void)[] = [];
  const handler: StreamHandler = (stream) => {
    held.push(() => {
      if (stream.closed) return;
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
  };
  return {
    handler,
    held,
    release: () => {
      for (const f of held.splice(0)) f();
    },
  };
}
