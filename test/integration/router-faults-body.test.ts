/**
 * The router's toxics that act on bodies, HTTP/1.1 through a real router: bandwidth paces a
 * response, slow_close holds its end, limit_data cuts a response (the caller gets it truncated)
 * or a request body (the upstream gets it truncated), a downstream timeout holds the answer and
 * then fails.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { setFaults, startFaultRouter, webUnderFaults } from '../helpers/router-faults.js';
import { client } from '../helpers/router-harness.js';

const SIZE = 50 * 1024;
/** Body bytes the upstream received per request, in order. */
const received: number[] = [];

const mesh = webUnderFaults((req, res) => {
  let bytes = 0;
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('close', () => received.push(bytes));
  req.on('end', () => {
    res.setHeader('content-length', String(SIZE));
    res.end(Buffer.alloc(SIZE, 'x'));
  });
});

const web = (toxics: unknown[]) => ({ name: 'web', listen: '/svc/web', upstream: '*', toxics });

async function get() {
  const started = performance.now();
  const res = await request(`${mesh.router.url}/`, { headers: { host: 'web' }, dispatcher: client });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, bytes: body.length, ms: performance.now() - started };
}

/** A raw GET: every byte the router sends until it closes the connection (bounded at 5 s). */
function rawGet(): Promise<{ head: string; bodyBytes: number }> {
  const url = new URL(mesh.router.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write('GET / HTTP/1.1\r\nhost: web\r\nconnection: close\r\n\r\n'),
    );
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no head: ${all.toString('latin1')}`));
      resolve({ head: all.subarray(0, split).toString('latin1'), bodyBytes: all.length - split - 4 });
    });
  });
}

describe('router faults on bodies (HTTP/1.1)', () => {
  it('bandwidth 100 KB/s: a 50 KB answer takes about half a second, whole', async () => {
    await setFaults(mesh.router, web([{ type: 'bandwidth', attributes: { rate: 100 } }]));
    const answer = await get();
    expect(answer.bytes).toBe(SIZE);
    expect(answer.ms).toBeGreaterThan(400);
    expect(answer.ms).toBeLessThan(3000);
  });

  it('slow_close 300 ms: the answer ends about 300 ms late, whole', async () => {
    await setFaults(mesh.router, web([{ type: 'slow_close', attributes: { delay: 300 } }]));
    const answer = await get();
    expect(answer.bytes).toBe(SIZE);
    expect(answer.ms).toBeGreaterThan(280);
    expect(answer.ms).toBeLessThan(3000);
  });

  it('downstream limit_data 1000: the caller gets the head and 1000 body bytes, then the connection closes', async () => {
    await setFaults(mesh.router, web([{ type: 'limit_data', attributes: { bytes: 1000 } }]));
    const answer = await rawGet();
    expect(answer.head).toMatch(/^HTTP\/1\.1 200/);
    expect(answer.head.toLowerCase()).toContain(`content-length: ${SIZE}`);
    expect(answer.bodyBytes).toBe(1000);
  });

  it('upstream limit_data 100: the upstream gets 100 bytes of a 4000-byte body; the caller a failure', async () => {
    await setFaults(mesh.router, web([{ type: 'limit_data', stream: 'upstream', attributes: { bytes: 100 } }]));
    received.length = 0;
    const res = await request(`${mesh.router.url}/`, {
      method: 'POST',
      headers: { host: 'web', 'content-length': '4000' },
      body: Buffer.alloc(4000, 'y'),
      dispatcher: client,
    });
    await res.body.text();
    expect(res.statusCode).toBe(502);
    await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(received[0]).toBeLessThanOrEqual(100);
  });

  it('downstream timeout 300 ms: the answer is dropped and the request fails after 300 ms', async () => {
    await setFaults(mesh.router, web([{ type: 'timeout', attributes: { timeout: 300 } }]));
    const answer = await get();
    expect(answer.status).toBe(502);
    expect(answer.ms).toBeGreaterThan(280);
    expect(answer.ms).toBeLessThan(3000);
  });

  it('a caller that stops reading under latency holds the upstream back: no 64 MB piles up in the router', async () => {
    const TOTAL = 64 * 1024 * 1024;
    let written = 0;
    const big = createServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 'z');
      res.setHeader('content-length', String(TOTAL));
      const pump = () => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    const bigPort = (big.address() as AddressInfo).port;
    const own = await startFaultRouter(`dtab: /svc/big => /$/inet/127.0.0.1/${bigPort}`);
    await setFaults(own, { name: 'big', upstream: '*', toxics: [{ type: 'latency', attributes: { latency: 5 } }] });
    const url = new URL(own.url);
    const socket = connect(Number(url.port), url.hostname);
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write('GET / HTTP/1.1\r\nhost: big\r\n\r\n');
      socket.pause();
      // Wait until the upstream has stopped writing (backpressure reached it), bounded at 5 s.
      let last = -1;
      for (const until = Date.now() + 5000; Date.now() < until && written !== last; ) {
        last = written;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(TOTAL / 2);
    } finally {
      socket.destroy();
      await own.close();
      big.closeAllConnections();
      await new Promise((r) => big.close(r));
    }
  });

  it('upstream latency 200 ms with jitter 50: the request leaves 150 to 250 ms late', async () => {
    await setFaults(
      mesh.router,
      web([{ type: 'latency', stream: 'upstream', attributes: { latency: 200, jitter: 50 } }]),
    );
    const answer = await get();
    expect(answer.bytes).toBe(SIZE);
    expect(answer.ms).toBeGreaterThan(145);
    expect(answer.ms).toBeLessThan(2000);
  });
});
