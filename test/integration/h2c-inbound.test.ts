/**
 * The h2c inbound edge on its own: node:http2 streams become Exchanges for a test handler
 * (test/helpers/h2c-echo.ts); real clients (node:http2, curl, raw frames over node:net) on port 0.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeGrpcMessage as decodeGrpcMessageForTest } from '../../src/router/protocol/grpc/status.js';
import { H2cServer, type H2cServerOptions } from '../../src/router/protocol/http2/h2c-server.js';
import { H2_PREFACE } from '../../src/router/protocol/http2/protocol-detect.js';
import { headFromH2 } from '../../src/router/protocol/http2/request-head.js';
import { connectH2, EchoHandler, FAILURE, h2Frame, h2Request } from '../helpers/h2c-echo.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves on 'close', whatever 'error' came first (events.once would reject on it). */
function closed(emitter: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

async function start(options: Partial<H2cServerOptions> = {}) {
  const handler = new EchoHandler();
  const h2 = new H2cServer(handler.handle, options);
  h2.server.listen(0, '127.0.0.1');
  await once(h2.server, 'listening');
  const port = (h2.server.address() as AddressInfo).port;
  cleanups.push(() => h2.stop(0));
  const client = () => {
    const s = connectH2(port);
    cleanups.push(() => s.destroy());
    return s;
  };
  return { h2, port, handler, client };
}

describe('h2c inbound: requests as Exchanges', () => {
  it('builds the RequestHead from the h2 headers in one pass (node:http2 client)', async () => {
    const { client } = await start();
    const answer = await h2Request(client(), {
      ':path': '/echo?x=1',
      'l5d-dtab': '/svc=>/#/io.l5d.fs',
      'l5d-ctx-dtab': '/a=>/b',
      'l5d-ctx-deadline': '1 2',
      via: '2 r1',
      'grpc-timeout': '5S',
      'x-multi': ['one', 'two'],
    });
    expect(answer.headers[':status']).toBe(200);
    const seen = JSON.parse(answer.body);
    expect(seen).toMatchObject({
      method: 'GET',
      path: '/echo?x=1',
      protocol: 'h2',
      hasBody: false,
      received: 0,
      complete: null,
      grpc: false,
      userDtab: ['/svc=>/#/io.l5d.fs'],
      ctxDtab: ['/a=>/b'],
      deadline: ['1 2'],
      via: '2 r1',
      grpcTimeout: '5S',
      duplicateHost: false,
      remoteAddress: '127.0.0.1',
    });
    expect(seen.authority).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers).toEqual(expect.arrayContaining(['x-multi', 'one', 'x-multi', 'two']));
    expect(seen.headers.some((h: string) => h.startsWith(':'))).toBe(false);
  });

  it('streams a request body and counts the bytes received', async () => {
    const { client } = await start();
    const body = 'x'.repeat(200_000);
    const answer = await h2Request(
      client(),
      {
        ':method': 'POST',
        ':path': '/echo',
        'content-length': String(body.length),
        'content-type': 'application/grpc+proto',
      },
      body,
    );
    const seen = JSON.parse(answer.body);
    expect(seen).toMatchObject({
      method: 'POST',
      hasBody: true,
      contentLength: 200_000,
      received: 200_000,
      complete: true,
      grpc: true,
    });
    expect(seen.body.length).toBe(200_000);
  });

  it('sends 100 Continue on continue() to a caller that waits for it before its body', async () => {
    const { client } = await start();
    const req = client().request({ ':method': 'POST', ':path': '/echo', expect: '100-continue' });
    req.on('continue', () => req.end('after continue'));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    await closed(req);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({
      expectContinue: true,
      body: 'after continue',
    });
  });

  it('falls back to Host when :authority is missing, and calls a disagreeing Host ambiguous', () => {
    const noAuthority = headFromH2([':method', 'GET', ':path', '/', ':scheme', 'http', 'host', 'web'], true, undefined);
    expect(noAuthority.authority).toBe('web');
    expect(noAuthority.duplicateHost).toBe(false);
    const both = headFromH2([':method', 'GET', ':path', '/', ':authority', 'web', 'host', 'evil'], true, undefined);
    expect(both.authority).toBe('web');
    expect(both.duplicateHost).toBe(true);
    const grpcWeb = headFromH2(
      [':method', 'POST', ':path', '/', 'content-type', 'application/grpc-web'],
      false,
      undefined,
    );
    expect(grpcWeb.grpc).toBe(false);
  });

  it('sends trailers as a trailing HEADERS frame', async () => {
    const { client } = await start();
    const answer = await h2Request(client(), { ':path': '/trailers' });
    expect(answer.body).toBe('ok');
    expect(answer.trailers).toMatchObject({ 'x-trailer': 'yes', 'grpc-status': '0' });
  });

  it('drops a body written to a HEAD or 204 response instead of failing the stream', async () => {
    const { client, handler } = await start();
    const session = client();
    const head = await h2Request(session, { ':method': 'HEAD', ':path': '/echo' });
    expect(head.headers[':status']).toBe(200);
    expect(head.body).toBe('');
    const noContent = await h2Request(session, { ':path': '/no-content' });
    expect(noContent.headers[':status']).toBe(204);
    expect(noContent.body).toBe('');
    expect(handler.abandoned).toBe(0);
  });

  it('serves curl --http2-prior-knowledge', async () => {
    const { port } = await start();
    const { stdout } = await run(
      'curl',
      [
        '-sS',
        '--http2-prior-knowledge',
        '-H',
        'l5d-dtab: /svc=>/x',
        '-w',
        '\\n%{http_version}',
        `http://127.0.0.1:${port}/echo/curl`,
      ],
      { timeout: 15_000 },
    );
    const [json, version] = stdout.split('\n');
    expect(version).toBe('2');
    expect(JSON.parse(json as string)).toMatchObject({ path: '/echo/curl', userDtab: ['/svc=>/x'] });
  });

  it('multiplexes 100 concurrent streams on one session', async () => {
    const { client, handler, h2 } = await start();
    const session = client();
    const answers = Array.from({ length: 100 }, () => h2Request(session, { ':path': '/stall' }));
    await handler.untilStalled(100);
    expect(h2.sessionCount).toBe(1);
    expect(h2.streamCount).toBe(100);
    handler.release();
    const done = await Promise.all(answers);
    expect(done.filter((a) => Number(a.headers[':status']) === 200 && a.body === 'released')).toHaveLength(100);
  });
});

describe('h2c inbound: flow control', () => {
  it('a 50 MB response to a slow reader keeps RSS flat and honours write() === false', async () => {
    const { client, handler } = await start();
    const session = client();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    cleanups.push(() => clearInterval(sampler));
    const req = session.request({ ':path': '/big?mb=50' });
    req.pause();
    await once(req, 'response');
    // The reader sits still: the server may only produce what the window and one buffer allow.
    // A server that ignored write() === false would have allocated all 50 MB by now.
    await new Promise((r) => setTimeout(r, 500));
    const producedWhilePaused = handler.bigBytes;
    const pausedDeltaMB = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(producedWhilePaused).toBeLessThan(4 * 1024 * 1024);
    expect(handler.falseWrites).toBeGreaterThan(0);
    expect(pausedDeltaMB).toBeLessThan(20);
    // Then read slowly: a short pause after every MB.
    let received = 0;
    let nextPause = 1024 * 1024;
    req.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= nextPause) {
        nextPause += 1024 * 1024;
        req.pause();
        setTimeout(() => req.resume(), 5);
      }
    });
    req.resume();
    await once(req, 'end');
    clearInterval(sampler);
    const deltaMB = (peak - rssBefore) / 1024 / 1024;
    console.log(
      `50 MB to a slow h2 reader: produced ${(producedWhilePaused / 1024).toFixed(0)} KiB while paused, ` +
        `RSS delta ${pausedDeltaMB.toFixed(1)} MB while paused, ${handler.falseWrites} writes returned false, ` +
        `${handler.drains} drains, peak RSS delta while reading ${deltaMB.toFixed(1)} MB (freed chunks awaiting GC)`,
    );
    expect(received).toBe(50 * 1024 * 1024);
    expect(handler.drains).toBe(handler.falseWrites);
    // Reading churns through 800 fresh 64 KiB chunks that GC frees late; still well bounded.
    expect(deltaMB).toBeLessThan(100);
  }, 60_000);
});

describe('h2c inbound: limits', () => {
  it('answers a header list over maxHeaderListBytes sent before the SETTINGS ACK with 431', async () => {
    const { client } = await start();
    // Sent in the client's first flight, before it has seen (and acknowledged) the server's SETTINGS.
    const answer = await h2Request(client(), { ':path': '/echo', 'x-big': 'b'.repeat(16 * 1024) });
    expect(answer.headers[':status']).toBe(431);
    expect(answer.body).toBe('The request headers are larger than 8192 bytes\n');
  });

  it('resets a header list over maxHeaderListBytes once SETTINGS are acknowledged, and keeps serving', async () => {
    const { client, h2 } = await start();
    const session = client();
    await once(session, 'remoteSettings');
    const refused = await h2Request(session, { ':path': '/echo', 'x-big': 'b'.repeat(16 * 1024) }).then(
      (a) => `answered ${a.headers[':status']}`,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(h2.sessionCount).toBe(1);
    const fine = await h2Request(session, { ':path': '/echo', 'x-small': 's'.repeat(1024) });
    expect(fine.headers[':status']).toBe(200);
  });

  it('resets a request with more than 128 header fields, and keeps serving', async () => {
    const { client } = await start();
    const session = client();
    const many: http2.OutgoingHttpHeaders = { ':path': '/echo' };
    for (let i = 0; i < 200; i++) many[`x-h${i}`] = 'v';
    const refused = await h2Request(session, many).then(
      (a) => `answered ${a.headers[':status']}`,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe('ERR_HTTP2_STREAM_ERROR');
    expect((await h2Request(session, { ':path': '/echo' })).headers[':status']).toBe(200);
  });

  it('sends a session past maxSessions away with a GOAWAY, nothing processed', async () => {
    const { client, h2 } = await start({ maxSessions: 1 });
    const first = client();
    expect((await h2Request(first, { ':path': '/echo' })).headers[':status']).toBe(200);
    const second = client();
    const goaway = once(second, 'goaway');
    const outcome = await h2Request(second, { ':path': '/echo' }).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    const [code, lastStreamId] = await goaway;
    expect(outcome).not.toBe('answered');
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(lastStreamId).toBe(0);
    expect(h2.refusedSessions).toBe(1);
    expect(h2.sessionCount).toBe(1);
  });

  it('closes a session idle past sessionIdleMs', async () => {
    const { client, h2 } = await start({ sessionIdleMs: 300 });
    const session = client();
    await h2Request(session, { ':path': '/echo' });
    await once(session, 'close');
    expect(h2.sessionCount).toBe(0);
  });
});

describe('h2c inbound: resets, rescue and drain', () => {
  it('a client RST_STREAM (CANCEL) fires onAbandon', async () => {
    const { client, handler, h2 } = await start();
    const req = client().request({ ':path': '/stall' });
    req.on('error', () => {});
    await handler.untilStalled(1);
    const abandoned = once(handler, 'abandoned');
    req.close(http2.constants.NGHTTP2_CANCEL);
    await abandoned;
    expect(handler.abandoned).toBe(1);
    expect(handler.stalled[0]?.sink.finished).toBe(true);
    expect(h2.streamCount).toBe(0);
  });

  it("the router's own abort resets the stream with INTERNAL_ERROR", async () => {
    const { client } = await start();
    const req = client().request({ ':path': '/abort' });
    req.on('error', () => {});
    req.resume();
    await closed(req);
    expect(req.rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
  });

  it('an abort the router cancels on purpose (AbortError) resets the stream with CANCEL', async () => {
    const { client } = await start();
    const req = client().request({ ':path': '/abort-cancel' });
    req.on('error', () => {});
    req.resume();
    await closed(req);
    expect(req.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('rescue answers a gRPC caller trailers-only: :status 200, grpc-status, grpc-message', async () => {
    const { client } = await start();
    const answer = await h2Request(
      client(),
      {
        ':method': 'POST',
        ':path': '/rescue-grpc',
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      Buffer.alloc(5),
    );
    expect(answer.headers[':status']).toBe(200);
    expect(answer.headers['content-type']).toBe('application/grpc');
    expect(answer.headers['grpc-status']).toBe('14');
    expect(decodeGrpcMessageForTest(String(answer.headers['grpc-message']))).toBe(FAILURE.message);
    expect(decodeURIComponent(String(answer.headers['l5d-err']))).toBe(FAILURE.message);
    expect(answer.body).toBe('');
    expect(answer.trailers).toBeUndefined();
  });

  it('rescue answers a plain caller with the status, l5d-err, l5d-retryable and a text body', async () => {
    const { client } = await start();
    const answer = await h2Request(client(), { ':path': '/rescue' });
    expect(answer.headers[':status']).toBe(502);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['l5d-retryable']).toBe('true');
    expect(decodeURIComponent(String(answer.headers['l5d-err']))).toBe(FAILURE.message);
    expect(answer.body).toBe(`${FAILURE.message}\n`);
  });

  it('drain: GOAWAY, in-flight streams finish (0 failed), new streams are refused', async () => {
    const { client, handler, h2, port } = await start();
    const session = client();
    const inFlight = Array.from({ length: 5 }, () =>
      h2Request(session, { ':path': '/stall' }).then(
        (a) => (Number(a.headers[':status']) === 200 && a.body === 'released' ? 'ok' : 'bad'),
        () => 'failed',
      ),
    );
    await handler.untilStalled(5);
    const goaway = once(session, 'goaway');
    h2.markDraining();
    const [code] = await goaway;
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
    const late = await h2Request(session, { ':path': '/echo' }).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(late).not.toBe('answered');
    const stopped = h2.stop(10_000);
    // The listener is closed: a new connection is refused.
    const fresh = http2.connect(`http://127.0.0.1:${port}`);
    const freshError = await once(fresh, 'error').then(([e]) => (e as NodeJS.ErrnoException).code);
    expect(freshError).toBe('ECONNREFUSED');
    handler.release();
    const outcomes = await Promise.all(inFlight);
    await stopped;
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(h2.sessionCount).toBe(0);
  });
});

describe('h2c inbound: stop', () => {
  it('cuts the streams still open when the grace runs out, and holds no session after', async () => {
    const { client, handler, h2 } = await start();
    const session = client();
    const outcome = h2Request(session, { ':path': '/stall' }).then(
      () => 'answered',
      () => 'cut',
    );
    await handler.untilStalled(1);
    const started = performance.now();
    await h2.stop(300);
    const ms = performance.now() - started;
    expect(await outcome).toBe('cut');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(5_000);
    expect(h2.sessionCount).toBe(0);
    expect(handler.abandoned).toBe(1);
  });
});

describe('h2c inbound: hostile input', () => {
  /**
   * Writes raw bytes on a new connection and waits (bounded) for the server to end that session;
   * `read` says whether the client reads what the server sends (a flooder does not).
   */
  async function rawSession(
    h2: H2cServer,
    port: number,
    bytes: Buffer[],
    read: boolean,
    untilMs = 10_000,
  ): Promise<{ ended: boolean; ms: number }> {
    const started = performance.now();
    const ended = once(h2.server, 'session').then(([s]) => closed(s as http2.Http2Session));
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    if (read) socket.resume();
    await once(socket, 'connect');
    for (const b of bytes) socket.write(b);
    const done = await Promise.race([
      ended.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), untilMs).unref()),
    ]);
    return { ended: done, ms: performance.now() - started };
  }

  const settings = () => h2Frame(4, 0, 0);
  const IDLE = { sessionIdleMs: 500 };

  it('garbage after the preface ends the session within sessionIdleMs, and the server keeps serving', async () => {
    const { port, client, h2 } = await start(IDLE);
    const garbage = Buffer.from('\xff\xfe this is not an h2 frame at all '.repeat(20), 'latin1');
    const { ended, ms } = await rawSession(h2, port, [H2_PREFACE, garbage], true);
    console.log(`garbage after the preface: session ended=${ended} after ${ms.toFixed(0)} ms`);
    expect(ended).toBe(true);
    expect((await h2Request(client(), { ':path': '/echo' })).headers[':status']).toBe(200);
  });

  it('a PING flood from a client that never reads is cut', async () => {
    const { port, client, h2 } = await start(IDLE);
    const ping = h2Frame(6, 0, 0, Buffer.alloc(8));
    const flood = Buffer.concat(Array.from({ length: 200_000 }, () => ping));
    const { ended, ms } = await rawSession(h2, port, [H2_PREFACE, settings(), flood], false);
    console.log(`PING flood (200000 frames, never read): session ended=${ended} after ${ms.toFixed(0)} ms`);
    expect(ended).toBe(true);
    expect(h2.sessionCount).toBe(0);
    expect((await h2Request(client(), { ':path': '/echo' })).headers[':status']).toBe(200);
  });

  it('a SETTINGS flood from a client that never reads is cut', async () => {
    const { port, client, h2 } = await start(IDLE);
    const entry = Buffer.from([0x00, 0x03, 0x00, 0x00, 0x00, 0x64]); // MAX_CONCURRENT_STREAMS = 100
    const one = h2Frame(4, 0, 0, entry);
    const flood = Buffer.concat(Array.from({ length: 200_000 }, () => one));
    const { ended, ms } = await rawSession(h2, port, [H2_PREFACE, settings(), flood], false);
    console.log(`SETTINGS flood (200000 frames, never read): session ended=${ended} after ${ms.toFixed(0)} ms`);
    expect(ended).toBe(true);
    expect((await h2Request(client(), { ':path': '/echo' })).headers[':status']).toBe(200);
  });

  it('a SETTINGS frame with more entries than maxSettings ends the session', async () => {
    const { port, h2 } = await start(IDLE);
    const entries = Buffer.concat(Array.from({ length: 64 }, () => Buffer.from([0x00, 0x03, 0x00, 0x00, 0x00, 0x64])));
    const { ended } = await rawSession(h2, port, [H2_PREFACE, h2Frame(4, 0, 0, entries)], true);
    expect(ended).toBe(true);
  });
});
