/**
 * One port for HTTP/1.1 and h2c with prior knowledge: the detector reads the first bytes, puts
 * them back and hands the socket over. Real clients (node:http, node:http2, curl) and raw bytes
 * over node:net for split prefaces, silent clients and the h2-only mode's refusal.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http, { type Server as HttpServer } from 'node:http';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { H2cServer } from '../../src/router/protocol/http2/h2c-server.js';
import {
  createDetectingListener,
  H2_PREFACE,
  type ProtocolDetectOptions,
  verdictOf,
} from '../../src/router/protocol/http2/protocol-detect.js';
import { connectH2, EchoHandler, h2Frame, h2Request } from '../helpers/h2c-echo.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: Partial<ProtocolDetectOptions> = {}) {
  const handler = new EchoHandler();
  const h2 = new H2cServer(handler.handle);
  let http1Requests = 0;
  const http1: HttpServer = http.createServer(
    { headersTimeout: 500, requestTimeout: 1_000, connectionsCheckingInterval: 100 },
    (req, res) => {
      http1Requests++;
      req.resume();
      req.on('end', () => res.end(`http1 ${req.method} ${req.url}`));
    },
  );
  const listener = createDetectingListener({ http1, h2: h2.server }, options);
  listener.server.listen(0, '127.0.0.1');
  await once(listener.server, 'listening');
  const port = (listener.server.address() as AddressInfo).port;
  cleanups.push(async () => {
    listener.server.close();
    http1.closeAllConnections();
    await h2.stop(0);
  });
  return { port, listener, handler, h2, http1Requests: () => http1Requests };
}

/** A raw connection that collects everything the server sends. */
async function rawConnection(port: number): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = netConnect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/** Writes one byte at a time, each after the previous one has left (separate TCP segments). */
async function dribble(socket: Socket, bytes: Buffer): Promise<void> {
  for (const byte of bytes) {
    await new Promise<void>((resolve) => socket.write(Buffer.from([byte]), () => resolve()));
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The frames in a byte stream: [type, flags, stream id, payload]. */
function frames(bytes: Buffer): { type: number; flags: number; stream: number; payload: Buffer }[] {
  const out = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    out.push({
      type: bytes[at + 3] as number,
      flags: bytes[at + 4] as number,
      stream: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return out;
}

/**
 * HEADERS for `GET /` without an HPACK encoder: :method GET, :scheme http, :path / from the static
 * table, and `:authority: x` as a literal with an indexed name; the frame ends the stream.
 */
const GET_SLASH = h2Frame(1, 0x5, 1, Buffer.from([0x82, 0x86, 0x84, 0x01, 0x01, 0x78]));

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('protocol detection: auto', () => {
  it('serves HTTP/1.1 and h2c on one port (node clients and curl)', async () => {
    const { port, http1Requests } = await start();
    const viaHttp1 = await new Promise<string>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${port}/one`, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(viaHttp1).toBe('http1 GET /one');
    const session = connectH2(port);
    cleanups.push(() => session.destroy());
    const viaH2 = await h2Request(session, { ':path': '/echo/two' });
    expect(JSON.parse(viaH2.body)).toMatchObject({ protocol: 'h2', path: '/echo/two' });
    const curl = async (flag: string, path: string) =>
      (
        await run('curl', ['-sS', flag, '-w', '\n%{http_version}', `http://127.0.0.1:${port}${path}`], {
          timeout: 15_000,
        })
      ).stdout;
    const curlH2 = (await curl('--http2-prior-knowledge', '/echo/three')).split('\n');
    expect(curlH2[1]).toBe('2');
    expect(JSON.parse(curlH2[0] as string)).toMatchObject({ path: '/echo/three' });
    expect(await curl('--http1.1', '/four')).toBe('http1 GET /four\n1.1');
    expect(http1Requests()).toBe(2);
  });

  it('decides on the preface sent one byte per TCP segment, then serves h2', async () => {
    const { port, listener } = await start();
    const { socket, received } = await rawConnection(port);
    await dribble(socket, H2_PREFACE);
    socket.write(Buffer.concat([h2Frame(4, 0, 0), GET_SLASH]));
    // The server's HEADERS on stream 1 start with :status 200 (static table index 8).
    await until(() => frames(received()).some((f) => f.type === 1 && f.stream === 1), 'the response HEADERS');
    const response = frames(received()).find((f) => f.type === 1 && f.stream === 1);
    expect(response?.payload[0]).toBe(0x88);
    const data = frames(received()).filter((f) => f.type === 0 && f.stream === 1);
    expect(JSON.parse(Buffer.concat(data.map((f) => f.payload)).toString())).toMatchObject({
      method: 'GET',
      path: '/',
    });
    expect(listener.undecided).toBe(0);
  });

  it('hands an HTTP/1.1 request sent one byte per segment to HTTP/1.1', async () => {
    const { port, http1Requests } = await start();
    const { socket, received } = await rawConnection(port);
    await dribble(socket, Buffer.from('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'));
    await until(() => received().toString('latin1').includes('http1 GET /slow'), 'the HTTP/1.1 answer');
    expect(received().toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(http1Requests()).toBe(1);
  });

  it('hands a client that sends nothing to HTTP/1.1 after peekTimeoutMs, whose head timeout answers 408', async () => {
    const { port, listener } = await start({ peekTimeoutMs: 200 });
    const started = performance.now();
    const { received, closed } = await rawConnection(port);
    await until(() => listener.undecided === 1, 'the connection to be held undecided');
    await closed;
    const ms = performance.now() - started;
    console.log(`silent client (auto): ${received().toString('latin1').split('\r\n')[0]} after ${ms.toFixed(0)} ms`);
    expect(received().toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(8_000);
    expect(listener.undecided).toBe(0);
  });

  it('hands garbage that is not the preface to HTTP/1.1, which refuses it with 400', async () => {
    const { port } = await start();
    const { socket, received, closed } = await rawConnection(port);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0xff, 0xfe]));
    await closed;
    expect(received().toString('latin1')).toMatch(/^HTTP\/1\.1 400/);
  });

  it('a stalled half preface in auto mode goes to HTTP/1.1 after peekTimeoutMs and is answered', async () => {
    const { port, listener } = await start({ peekTimeoutMs: 200 });
    const { socket, received, closed } = await rawConnection(port);
    socket.write(H2_PREFACE.subarray(0, 10));
    await closed;
    expect(received().toString('latin1')).toMatch(/^HTTP\/1\.1 (400|408)/);
    expect(listener.undecided).toBe(0);
  });
});

describe("protocol detection: 'h2' (h2c only)", () => {
  it('serves h2c with prior knowledge', async () => {
    const { port } = await start({ mode: 'h2' });
    const session = connectH2(port);
    cleanups.push(() => session.destroy());
    const answer = await h2Request(session, { ':path': '/echo/h2only' });
    expect(JSON.parse(answer.body)).toMatchObject({ path: '/echo/h2only' });
  });

  it('answers HTTP/1.1 with a plain-text 400 naming the protocol, then closes', async () => {
    const { port, http1Requests } = await start({ mode: 'h2' });
    const { socket, received, closed } = await rawConnection(port);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    const text = received().toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('this listener speaks only HTTP/2 (h2c with prior knowledge)');
    expect(text).toMatch(/\r\nl5d-err: /);
    expect(http1Requests()).toBe(0);
    const { stdout } = await run('curl', ['-sS', '--http1.1', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/`], {
      timeout: 15_000,
    });
    expect(stdout.endsWith('\n400')).toBe(true);
  });

  it('closes a client that sends nothing after peekTimeoutMs, without an answer', async () => {
    const { port, listener } = await start({ mode: 'h2', peekTimeoutMs: 200 });
    const started = performance.now();
    const { received, closed } = await rawConnection(port);
    await closed;
    const ms = performance.now() - started;
    expect(received().length).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(5_000);
    expect(listener.undecided).toBe(0);
  });

  it('closes a half preface that stalls', async () => {
    const { port } = await start({ mode: 'h2', peekTimeoutMs: 200 });
    const { socket, received, closed } = await rawConnection(port);
    socket.write(H2_PREFACE.subarray(0, 23));
    await closed;
    expect(received().length).toBe(0);
  });
});

describe('protocol detection: the verdict', () => {
  it('is h2 exactly for the preface, undecided exactly for its strict prefixes, else http1', () => {
    const bytes = fc.uint8Array({ maxLength: 40 });
    const prefaceThen = fc
      .tuple(fc.integer({ min: 0, max: H2_PREFACE.length }), fc.uint8Array({ maxLength: 16 }))
      .map(([n, tail]) => Buffer.concat([H2_PREFACE.subarray(0, n), tail]));
    fc.assert(
      fc.property(fc.oneof(bytes, prefaceThen), (input) => {
        const buf = Buffer.from(input);
        const expected =
          buf.length >= H2_PREFACE.length && buf.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)
            ? 'h2'
            : H2_PREFACE.subarray(0, buf.length).equals(buf)
              ? 'undecided'
              : 'http1';
        expect(verdictOf(buf)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
