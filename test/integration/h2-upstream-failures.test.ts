/**
 * How the h2c upstream fails, against real node:http2 servers on port 0: every failure is
 * classed `not-sent` (safe to requeue), `sent` or `rejected`, and each dispatch hears exactly one
 * terminal callback however the events race.
 */

import { constants, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { H2Upstream, type H2UpstreamOptions } from '../../src/router/protocol/upstream/h2-upstream.js';
import {
  upstreamRequest as get,
  holding,
  type Recording,
  recordingHandler,
  type StreamHandler,
  send,
  startH2Upstream,
  until,
} from '../helpers/h2-upstream-harness.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { testScope } from '../helpers/test-scope.js';

const { cleanups } = testScope();

async function setup(onStream?: StreamHandler, options: Partial<H2UpstreamOptions> = {}) {
  const server = await startH2Upstream(onStream);
  const upstream = new H2Upstream(server.host, server.port, options);
  cleanups.push(
    () => server.close(),
    () => upstream.destroy(),
  );
  return { server, upstream };
}

const failureOf = async (r: Recording) => {
  const end = await r.done;
  return end.kind === 'error' ? end.failure : 'ended';
};

describe('h2 upstream: failures before the request left', () => {
  it('connection refused → not-sent', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const upstream = new H2Upstream('127.0.0.1', port);
    cleanups.push(() => upstream.destroy());
    const r = send(upstream, get());
    expect(await failureOf(r)).toBe('not-sent');
    expect(r.terminals()).toBe(1);
  });

  it('a peer that accepts but never sends its SETTINGS → not-sent after connectTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((s) => sockets.push(s.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const upstream = new H2Upstream('127.0.0.1', (silent.address() as AddressInfo).port, { connectTimeoutMs: 200 });
    cleanups.push(() => upstream.destroy());
    const started = performance.now();
    const rs = [send(upstream, get()), send(upstream, get())];
    expect(await Promise.all(rs.map(failureOf))).toEqual(['not-sent', 'not-sent']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    const end = await rs[0]?.done;
    expect(end?.kind === 'error' && end.error.message).toMatch(/no h2 SETTINGS within 200 ms/);
  });

  it('REFUSED_STREAM → not-sent', async () => {
    const { upstream } = await setup((stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM));
    expect(await failureOf(send(upstream, get()))).toBe('not-sent');
  });

  it('a header value with a newline → rejected, and nothing is sent', async () => {
    const { server, upstream } = await setup();
    const r = send(upstream, get('/', ['x-evil', 'a\r\nx-injected: 1']));
    expect(await failureOf(r)).toBe('rejected');
    expect(await failureOf(send(upstream, get('/', ['connection', 'close'])))).toBe('rejected');
    expect(await failureOf(send(upstream, get('/', ['bad name', 'x'])))).toBe('rejected');
    expect(server.sessions).toHaveLength(0);
  });

  it('an attempt aborted while queued → not-sent and never reaches the server', async () => {
    const hold = holding();
    const { server, upstream } = await setup(hold.handler, { maxSessions: 1, maxStreamsPerSession: 1 });
    const first = send(upstream, get('/first'));
    await until(() => hold.held.length === 1, 'the first stream');
    const queued = send(upstream, get('/queued'));
    queued.controller?.abort(new Error('deadline'));
    expect(await failureOf(queued)).toBe('not-sent');
    hold.release();
    expect(await failureOf(first)).toBe('ended');
    expect(server.streams.map((s) => s.headers[':path'])).toEqual(['/first']);
  });
});

describe('h2 upstream: failures after the request left', () => {
  it('a reset other than REFUSED_STREAM → sent', async () => {
    const { upstream } = await setup((stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    expect(await failureOf(send(upstream, get()))).toBe('sent');
  });

  it('server destroyed mid-response → one onError after the head', async () => {
    const { upstream } = await setup((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('partial', () => setTimeout(() => stream.session?.destroy(), 20));
    });
    const r = send(upstream, get());
    expect(await failureOf(r)).toBe('sent');
    expect(r.events.map((e) => e.kind)).toEqual(['start', 'head', 'data', 'error']);
  });

  it('abort() reaches the server as RST_STREAM CANCEL', async () => {
    const { server, upstream } = await setup((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('first');
    });
    const r = recordingHandler({ onData: (rec) => rec.controller?.abort(new Error('caller left')) });
    send(upstream, get(), r);
    expect(await failureOf(r)).toBe('sent');
    await until(() => server.streams.length === 1, 'the stream');
    expect(await server.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it('GOAWAY: streams up to lastStreamID finish, later ones are not-sent, new ones use a new session', async () => {
    const held: ServerHttp2Stream[] = [];
    const { server, upstream } = await setup((stream) => {
      held.push(stream);
      if (held.length === 1 && server.sessions.length > 1) {
        stream.respond({ ':status': 200 });
        stream.end('fresh');
      }
      if (held.length !== 3 || server.sessions.length > 1) return;
      const [a, b] = held;
      stream.session?.goaway(constants.NGHTTP2_NO_ERROR, b?.id);
      for (const s of [a, b]) {
        s?.respond({ ':status': 200 });
        s?.end('ok');
      }
      held.length = 0;
    });
    const rs = [send(upstream, get('/1')), send(upstream, get('/2')), send(upstream, get('/3'))];
    expect(await Promise.all(rs.map(failureOf))).toEqual(['ended', 'ended', 'not-sent']);
    const again = send(upstream, get('/3-again'));
    expect(await failureOf(again)).toBe('ended');
    expect(server.sessions).toHaveLength(2);
    expect(again.bytes).toBe(5);
  });
});

describe('h2 upstream: connection loss and early answers', () => {
  it('GOAWAY with requests queued: they go to a new session', async () => {
    const seen: ServerHttp2Stream[] = [];
    const { server, upstream } = await setup(
      (stream) => {
        seen.push(stream);
        if (seen.length > 1) {
          stream.respond({ ':status': 200 });
          stream.end('later');
        }
      },
      { maxSessions: 1, maxStreamsPerSession: 1 },
    );
    const first = send(upstream, get('/first'));
    await until(() => seen.length === 1, 'the first stream');
    const queued = [send(upstream, get('/q1')), send(upstream, get('/q2'))];
    expect(upstream.pending).toBe(2);
    const [stream] = seen;
    stream?.session?.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
    stream?.respond({ ':status': 200 });
    stream?.end('first');
    expect(await Promise.all([first, ...queued].map(failureOf))).toEqual(['ended', 'ended', 'ended']);
    expect(server.sessions).toHaveLength(2);
    expect(new Set(server.streams.slice(1).map((s) => s.id)).size).toBe(2);
  });

  it('connection lost with streams in flight → sent for each, and the next dispatch reconnects', async () => {
    const hold = holding();
    const { server, upstream } = await setup(hold.handler);
    const rs = [send(upstream, get('/1')), send(upstream, get('/2'))];
    await until(() => hold.held.length === 2, 'two streams');
    server.sessions[0]?.destroy();
    expect(await Promise.all(rs.map(failureOf))).toEqual(['sent', 'sent']);
    for (const r of rs) expect(r.terminals()).toBe(1);
    hold.held.length = 0;
    const next = send(upstream, get('/3'));
    await until(() => hold.held.length === 1, 'the stream on a new connection');
    hold.release();
    expect(await failureOf(next)).toBe('ended');
    expect(server.sessions).toHaveLength(2);
  });

  it('a request body that fails midway → sent, and the stream is cancelled', async () => {
    const { server, upstream } = await setup((stream) => stream.resume());
    let reads = 0;
    const body = new Readable({
      read() {
        reads++;
        if (reads < 3) this.push(Buffer.alloc(1024));
        else this.destroy(new Error('caller went away'));
      },
    });
    const r = send(upstream, get('/', [], body));
    expect(await failureOf(r)).toBe('sent');
    await until(() => server.streams.length === 1, 'the stream');
    expect(await server.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it('a request body that fails while the attempt waits for a stream → not-sent, no crash', async () => {
    const hold = holding();
    const { upstream } = await setup(hold.handler, { maxSessions: 1, maxStreamsPerSession: 1 });
    const first = send(upstream, get('/first'));
    await until(() => hold.held.length === 1, 'the first stream');
    const body = new Readable({ read() {} });
    const queued = send(upstream, get('/queued', [], body));
    body.destroy(new Error('caller went away'));
    expect(await failureOf(queued)).toBe('not-sent');
    expect(upstream.pending).toBe(0);
    hold.release();
    expect(await failureOf(first)).toBe('ended');
  });

  it('an answer before the request body is done ends the attempt and stops the upload', async () => {
    const { server, upstream } = await setup((stream) => {
      stream.respond({ ':status': 413 });
      stream.end('too big');
    });
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(16_384));
      },
    });
    const r = send(upstream, get('/', [], endless));
    expect(await failureOf(r)).toBe('ended');
    await until(() => server.streams.length === 1, 'the stream');
    await server.streams[0]?.closed;
    expect(endless.readableFlowing).not.toBe(true);
  });
});

describe('h2 upstream: exactly one terminal callback', () => {
  it('holds for 150 dispatches where server resets, destroys and client aborts race', async () => {
    const random = seededRandom(20261206);
    const plans = Array.from({ length: 150 }, () => ({
      server: Math.floor(random() * 5),
      client: Math.floor(random() * 4),
      delay: Math.floor(random() * 4),
    }));
    const { server, upstream } = await setup((stream, headers) => {
      const plan = plans[Number(headers['x-n'])];
      const act = () => {
        if (stream.closed) return;
        switch (plan?.server) {
          case 0:
            stream.respond({ ':status': 200 });
            stream.end('done');
            break;
          case 1:
            stream.close(constants.NGHTTP2_REFUSED_STREAM);
            break;
          case 2:
            stream.respond({ ':status': 200 });
            stream.write('some', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
            break;
          case 3:
            stream.respond({ ':status': 503 }, { waitForTrailers: true });
            stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14' }));
            stream.end();
            break;
          default:
            stream.close(constants.NGHTTP2_CANCEL);
        }
      };
      if (plan?.delay === 0) act();
      else setTimeout(act, plan?.delay);
    });
    const recordings = plans.map((plan, n) => {
      const abort = (r: Recording) => r.controller?.abort(new Error('race'));
      const r = recordingHandler({
        onHead: plan.client === 1 ? abort : undefined,
        onData: plan.client === 2 ? abort : undefined,
      });
      send(upstream, get(`/${n}`, ['x-n', String(n)]), r);
      if (plan.client === 3) setTimeout(() => abort(r), plan.delay);
      return r;
    });
    await Promise.all(recordings.map((r) => r.done));
    // Every stream gone on both sides, so any late callback would already have come.
    await upstream.close();
    await Promise.all(server.streams.map((s) => s.closed));
    for (const [n, r] of recordings.entries()) {
      const kinds = r.events.map((e) => e.kind);
      expect({ n, terminals: r.terminals(), last: kinds.at(-1) === 'end' || kinds.at(-1) === 'error' }).toEqual({
        n,
        terminals: 1,
        last: true,
      });
    }
  });
});
