/**
 * "Rapid reset" (CVE-2023-44487) through a router process: a client opens streams and resets
 * them at once, in a tight loop, 20,000 times on one connection. Each opened stream costs the
 * router work (routing, an upstream request) while costing the client nothing, and a reset
 * stream no longer counts against SETTINGS_MAX_CONCURRENT_STREAMS. The router must not forward
 * anything like 20,000 requests upstream nor grow without bound: the connection is ended with
 * GOAWAY (ENHANCE_YOUR_CALM) once resets come faster than a client has reason to send them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startH2Upstream, until } from '../helpers/h2-upstream-harness.js';
import { connectH2, h2Frame, h2Request } from '../helpers/h2c-echo.js';
import { startRouterProcess } from '../helpers/router-harness.js';
import { metrics, testScope } from '../helpers/test-scope.js';

const scope = testScope();
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** GET / with :authority `hold`, HPACK-encoded from the static table (no dynamic state to keep). */
const HOLD_BLOCK = Buffer.concat([
  Buffer.from([0x82, 0x86, 0x84]), // :method GET, :scheme http, :path /
  Buffer.from([0x01, 0x04]), // :authority, literal value of 4 bytes, not indexed
  Buffer.from('hold', 'latin1'),
]);

/** Opens and resets `count` streams as fast as the socket takes them; what the router sent back. */
async function rapidReset(port: number, count: number): Promise<{ goaway: number | null; sentStreams: number }> {
  const socket: Socket = netConnect(port, '127.0.0.1');
  scope.cleanups.push(() => void socket.destroy());
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let received = Buffer.alloc(0);
  let goaway: number | null = null;
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    // Frames: 9-byte header, then the payload; only GOAWAY's error code matters here.
    while (received.length >= 9) {
      const length = received.readUIntBE(0, 3);
      if (received.length < 9 + length) break;
      // The first GOAWAY says why; node's final one on destroy may differ.
      if (received[3] === GOAWAY) goaway ??= received.readUInt32BE(9 + 4);
      received = received.subarray(9 + length);
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(Buffer.concat([PREFACE, h2Frame(SETTINGS, 0, 0)]));
  const code = Buffer.alloc(4);
  code.writeUInt32BE(CANCEL);
  let sentStreams = 0;
  const BATCH = 200;
  for (let i = 0; i < count && !socket.destroyed && goaway === null; i += BATCH) {
    const frames: Buffer[] = [];
    for (let j = 0; j < BATCH && i + j < count; j++) {
      const id = 1 + 2 * (i + j);
      frames.push(h2Frame(HEADERS, END_HEADERS | END_STREAM, id, HOLD_BLOCK), h2Frame(RST_STREAM, 0, id, code));
      sentStreams++;
    }
    if (!socket.write(Buffer.concat(frames))) {
      await new Promise<void>((r) => {
        socket.once('drain', r);
        socket.once('close', r);
      });
    }
  }
  // The router reads the flood at its own pace; it ends the connection (nghttp2 itself does past
  // 1,000 resets, with INTERNAL_ERROR). Bounded, in case it never does.
  await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
  return { goaway, sentStreams };
}

describe('rapid reset', () => {
  it('20,000 open+reset streams on one connection: few upstream requests, GOAWAY, RSS bounded', async () => {
    // Holds every stream (an upstream that takes its time), except /ok, answered at once.
    const up = await startH2Upstream((stream, headers) => {
      if (headers[':path'] !== '/ok') return;
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    scope.cleanups.push(() => up.close());
    const dir = mkdtempSync(join(tmpdir(), 'router-rapid-reset-'));
    scope.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'router.yaml'), `dtab: /svc/hold => /$/inet/127.0.0.1/${up.port}\n`);
    const router = await startRouterProcess(['--config', join(dir, 'router.yaml')]);
    scope.cleanups.push(async () => {
      router.child.kill('SIGKILL');
      await router.exited;
    });
    const pid = router.child.pid as number;
    const port = Number(new URL(router.url).port);
    // Warm: the route is bound, so each opened stream goes straight to an upstream request.
    const warm = connectH2(port);
    scope.cleanups.push(() => void warm.destroy());
    expect((await h2Request(warm, { ':path': '/ok', ':authority': 'hold' })).headers[':status']).toBe(200);
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    const started = Date.now();
    const { goaway, sentStreams } = await rapidReset(port, 20_000);
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    // Whatever reached the upstream is cancelled (its caller reset it): wait until the count settles.
    let last = -1;
    let stableSince = Date.now();
    await until(
      () => {
        if (up.streams.length !== last) [last, stableSince] = [up.streams.length, Date.now()];
        return Date.now() - stableSince > 1_000 && up.streams.every((s) => s.rstCode !== undefined);
      },
      'the upstream streams to settle',
      20_000,
    );
    const upstreamStreams = up.streams.length;
    console.log(
      `rapid reset: sent ${sentStreams} streams in ${Date.now() - started} ms; upstream saw ${upstreamStreams}; ` +
        `GOAWAY ${goaway}; router RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MB`,
    );
    expect(goaway).toBe(ENHANCE_YOUR_CALM);
    expect(upstreamStreams).toBeLessThan(1_000);
    expect(peak - before).toBeLessThan(100);
    expect((await metrics(router.adminUrl))['rt/http/server/h2_reset_floods']).toBe(1);
    // The router still serves a well-behaved client.
    const s = connectH2(port);
    scope.cleanups.push(() => void s.destroy());
    const answer = await h2Request(s, { ':path': '/ok', ':authority': 'hold' });
    expect(answer.headers[':status']).toBe(200);
  }, 60_000);

  it('a client cancelling 150 in-flight streams at once keeps its session', async () => {
    const up = await startH2Upstream((stream, headers) => {
      if (headers[':path'] !== '/ok') return;
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    scope.cleanups.push(() => up.close());
    const router = await scope.router(
      `h2:\n  maxConcurrentStreams: 200\ndtab: /svc/hold => /$/inet/127.0.0.1/${up.port}`,
    );
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const streams = Array.from({ length: 150 }, () => {
      const req = s.request({ ':path': '/', ':authority': 'hold' });
      req.on('error', () => {});
      return req;
    });
    await until(() => up.streams.length === 150, 'the upstream to hold 150 streams', 20_000);
    for (const req of streams) req.close(0x8);
    const answer = await h2Request(s, { ':path': '/ok', ':authority': 'hold' });
    expect(answer.headers[':status']).toBe(200);
    expect(s.destroyed).toBe(false);
  }, 30_000);
});
