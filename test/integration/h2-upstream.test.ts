/**
 * The h2c upstream against real node:http2 servers on port 0: bodies, trailers, multiplexing,
 * extra sessions at the peer's stream limit, flow control under a paused consumer.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { H2Upstream, type H2UpstreamOptions } from '../../src/router/protocol/upstream/h2-upstream.js';
import {
  bigBody,
  upstreamRequest as get,
  type H2UpstreamHarness,
  headerOf,
  holding,
  recordingHandler,
  type StreamHandler,
  send,
  startH2Upstream,
  until,
} from '../helpers/h2-upstream-harness.js';
import { testScope } from '../helpers/test-scope.js';

const { cleanups } = testScope();

async function setup(onStream?: StreamHandler, settings = {}, options: Partial<H2UpstreamOptions> = {}) {
  const server = await startH2Upstream(onStream, settings);
  const upstream = new H2Upstream(server.host, server.port, options);
  cleanups.push(
    () => server.close(),
    () => upstream.destroy(),
  );
  return { server, upstream };
}

const sessionsSeen = (server: H2UpstreamHarness) => server.sessions.length;

describe('h2 upstream: requests and responses', () => {
  it('unary: one request, one response, headers flat and lower-case without pseudo-headers', async () => {
    const { server, upstream } = await setup((stream, headers) => {
      stream.respond({ ':status': 201, 'x-seen-authority': headers[':authority'], 'set-cookie': ['a=1', 'b=2'] });
      stream.end('hello');
    });
    const r = send(upstream, get('/hi?x=1', ['x-trace', 'abc', 'x-trace', 'def']));
    const end = await r.done;
    expect(end.kind).toBe('end');
    const head = r.events.find((e) => e.kind === 'head');
    expect(head?.kind === 'head' && head.status).toBe(201);
    const headers = head?.kind === 'head' ? head.headers : [];
    expect(headers.some((h) => h.startsWith(':'))).toBe(false);
    expect(headerOf(headers, 'x-seen-authority')).toBe('web');
    expect(headers.filter((h) => h === 'set-cookie')).toHaveLength(2);
    expect(r.bytes).toBe(5);
    expect(server.streams[0]?.headers[':path']).toBe('/hi?x=1');
    expect(server.streams[0]?.headers[':scheme']).toBe('http');
    expect(server.streams[0]?.headers['x-trace']).toBe('abc, def');
    expect(r.terminals()).toBe(1);
  });

  it('carries 20 MB request and response bodies intact (sha256 both ways)', async () => {
    const size = 20 * 1024 * 1024;
    const { upstream } = await setup();
    const body = bigBody(size);
    const r = send(upstream, get('/echo', ['content-type', 'application/octet-stream'], body.stream));
    expect((await r.done).kind).toBe('end');
    expect(r.bytes).toBe(size);
    expect(r.digest()).toBe(body.digest);
  });

  it('passes trailers (grpc-status) to onEnd', async () => {
    const { upstream } = await setup();
    const r = send(upstream, get('/pkg.Svc/Call', ['te', 'trailers', 'content-type', 'application/grpc']));
    const end = await r.done;
    expect(end.kind === 'end' && end.trailers).toEqual(['grpc-status', '0', 'grpc-message', 'OK']);
  });

  it('skips 1xx heads and passes the final one', async () => {
    const { upstream } = await setup((stream) => {
      stream.additionalHeaders({ ':status': 103, link: '</a.css>' });
      stream.respond({ ':status': 200 });
      stream.end();
    });
    const r = send(upstream, get());
    await r.done;
    expect(r.events.filter((e) => e.kind === 'head').map((e) => e.kind === 'head' && e.status)).toEqual([200]);
  });

  it('multiplexes 200 concurrent dispatches over one session', async () => {
    const { server, upstream } = await setup();
    const all = Array.from({ length: 200 }, (_, i) => send(upstream, get(`/r${i}`)));
    const ends = await Promise.all(all.map((r) => r.done));
    expect(ends.every((e) => e.kind === 'end')).toBe(true);
    expect(sessionsSeen(server)).toBe(1);
    expect(upstream.sessionCount).toBe(1);
  });

  it('reuses one session for 2,000 sequential dispatches', async () => {
    const { server, upstream } = await setup();
    for (let i = 0; i < 2_000; i++) {
      const end = await send(upstream, get()).done;
      if (end.kind !== 'end') throw new Error(`dispatch ${i} ended with ${end.kind}`);
    }
    expect(sessionsSeen(server)).toBe(1);
  });
});

describe('h2 upstream: sessions', () => {
  it("opens a second session only when the first is at the peer's maxConcurrentStreams", async () => {
    const hold = holding();
    const { server, upstream } = await setup(hold.handler, { maxConcurrentStreams: 2 });
    const first = [send(upstream, get('/1')), send(upstream, get('/2'))];
    await until(() => hold.held.length === 2, 'two streams');
    expect(sessionsSeen(server)).toBe(1);
    const more = [send(upstream, get('/3')), send(upstream, get('/4'))];
    await until(() => hold.held.length === 4, 'four streams');
    expect(sessionsSeen(server)).toBe(2);
    hold.release();
    const ends = await Promise.all([...first, ...more].map((r) => r.done));
    expect(ends.every((e) => e.kind === 'end')).toBe(true);
  });

  it('queues beyond maxSessions × streams and fails not-sent past maxPending', async () => {
    const hold = holding();
    const { server, upstream } = await setup(
      hold.handler,
      { maxConcurrentStreams: 1 },
      { maxSessions: 1, maxPending: 2 },
    );
    const inFlight = send(upstream, get('/1'));
    await until(() => hold.held.length === 1, 'first stream');
    const queued = [send(upstream, get('/2')), send(upstream, get('/3'))];
    const refused = send(upstream, get('/4'));
    const end = await refused.done;
    expect(end.kind === 'error' && end.failure).toBe('not-sent');
    expect(upstream.pending).toBe(2);
    for (let i = 0; i < 3; i++) {
      await until(() => hold.held.length === 1, `stream ${i + 1}`);
      hold.release();
    }
    const ends = await Promise.all([inFlight, ...queued].map((r) => r.done));
    expect(ends.every((e) => e.kind === 'end')).toBe(true);
    expect(sessionsSeen(server)).toBe(1);
  });

  it('closes an idle session after idleMs and reconnects on the next dispatch', async () => {
    const { server, upstream } = await setup(undefined, {}, { idleMs: 100 });
    expect((await send(upstream, get()).done).kind).toBe('end');
    await until(() => upstream.sessionCount === 0, 'the idle session to close');
    expect((await send(upstream, get()).done).kind).toBe('end');
    expect(sessionsSeen(server)).toBe(2);
  });

  it('close() lets in-flight streams finish; destroy() cuts them', async () => {
    const hold = holding();
    const { upstream } = await setup(hold.handler);
    const r = send(upstream, get());
    await until(() => hold.held.length === 1, 'the stream');
    const closed = upstream.close();
    const late = await send(upstream, get()).done;
    expect(late.kind === 'error' && late.failure).toBe('not-sent');
    hold.release();
    expect((await r.done).kind).toBe('end');
    await closed;
    expect(upstream.sessionCount).toBe(0);

    const hold2 = holding();
    const second = await setup(hold2.handler);
    const cut = send(second.upstream, get());
    await until(() => hold2.held.length === 1, 'the stream');
    await second.upstream.destroy();
    const end = await cut.done;
    expect(end.kind === 'error' && end.failure).toBe('sent');
    expect(cut.terminals()).toBe(1);
  });
});

describe('h2 upstream: flow control', () => {
  it('a paused consumer holds the upstream to about one stream window, and other streams go on', async () => {
    const size = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(16_384, 7);
    const expected = createHash('sha256');
    for (let at = 0; at < size; at += chunk.length) expected.update(chunk);
    const sockets: Socket[] = [];
    const { server, upstream } = await setup((stream, headers) => {
      stream.respond({ ':status': 200 });
      if (headers[':path'] !== '/big') return void stream.end('small');
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!stream.write(chunk)) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
    });
    server.server.on('connection', (socket: Socket) => sockets.push(socket));
    const sentByServer = () => sockets.reduce((n, s) => n + s.bytesWritten, 0);
    const big = recordingHandler({
      onData: (r) => {
        if (paused) return;
        paused = true;
        bytesAtPause = r.bytes;
        r.controller?.pause();
      },
    });
    let paused = false;
    let bytesAtPause = 0;
    send(upstream, get('/big'), big);
    await until(() => paused, 'the first chunk');
    // Wait for the server to stop making progress (flow control holding it), bounded in time.
    let last = -1;
    let stableFor = 0;
    const deadline = Date.now() + 10_000;
    while (stableFor < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      const now = sentByServer();
      stableFor = now === last ? stableFor + 1 : 0;
      last = now;
    }
    const delivered = big.bytes;
    const inRouter = last - delivered;
    console.log(`paused: server sent ${last} bytes, handler got ${delivered}, ${inRouter} bytes held in the upstream`);
    expect(stableFor).toBe(10);
    // Nothing reached the handler while it was paused, and the upstream was held back.
    expect(delivered).toBe(bytesAtPause);
    expect(last).toBeLessThan(size / 100);
    // Stream window 65,535 plus node's readable buffer and frame overhead.
    expect(inRouter).toBeLessThan(4 * 65_535);
    // Only the stream's window is held: a second stream on the same session completes.
    const small = send(upstream, get('/small'));
    expect((await small.done).kind).toBe('end');
    expect(server.sessions).toHaveLength(1);
    big.controller?.resume();
    expect((await big.done).kind).toBe('end');
    expect(big.bytes).toBe(size);
    expect(big.digest()).toBe(expected.digest('hex'));
  });

  it('a request body is read no faster than the upstream takes it', async () => {
    const { server, upstream } = await setup((stream) => stream.pause());
    let read = 0;
    const body = new Readable({
      read() {
        read += 16_384;
        this.push(Buffer.alloc(16_384));
      },
    });
    const r = send(upstream, get('/upload', [], body));
    await until(() => server.streams.length === 1, 'the stream');
    let last = -1;
    let stableFor = 0;
    const deadline = Date.now() + 10_000;
    while (stableFor < 10 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      stableFor = read === last ? stableFor + 1 : 0;
      last = read;
    }
    console.log(`upload held: ${read} bytes read from the request body while the upstream read nothing`);
    expect(stableFor).toBe(10);
    expect(read).toBeLessThan(1024 * 1024);
    r.controller?.abort(new Error('done'));
    expect((await r.done).kind).toBe('error');
  });
});
