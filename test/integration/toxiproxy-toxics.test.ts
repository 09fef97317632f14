/**
 * switchyard toxiproxy driven by Toxiproxy's own Node client (toxiproxy-node-client) in front of
 * a real TCP echo server: each toxic's effect is measured on real sockets.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { type Proxy as ClientProxy, Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/chaos/server.js';

let echo: Server;
const echoSockets = new Set<Socket>();
let echoAddress: string;
let server: ToxiproxyServer;
let client: Toxiproxy;

beforeAll(async () => {
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on('close', () => echoSockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoAddress = `127.0.0.1:${(echo.address() as { port: number }).port}`;
  server = await startToxiproxyServer({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
  client = new Toxiproxy(server.url);
});

afterAll(async () => {
  await server?.close();
  for (const s of echoSockets) s.destroy();
  await new Promise((resolve) => echo?.close(resolve));
});

function listenPort(proxy: ClientProxy): number {
  return Number(proxy.listen.split(':').pop());
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `message` and resolves when the same number of bytes came back; the round trip in ms. */
function roundTrip(socket: Socket, message: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const start = performance.now();
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= message.length) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve(performance.now() - start);
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(message);
  });
}

/** Everything the socket receives until it closes, with the time the close came and how. */
function drain(socket: Socket): Promise<{ bytes: number; ms: number; error?: string }> {
  const start = performance.now();
  let bytes = 0;
  return new Promise((resolve) => {
    let error: string | undefined;
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    socket.on('close', () => resolve({ bytes, ms: performance.now() - start, ...(error ? { error } : {}) }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function medianRoundTrip(port: number, connections: number, rounds: number): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(port)));
  const times: number[] = [];
  await Promise.all(
    sockets.map(async (s) => {
      for (let i = 0; i < rounds; i++) times.push(await roundTrip(s, Buffer.from(`ping ${i}\n`)));
    }),
  );
  for (const s of sockets) s.destroy();
  return median(times);
}

describe('toxiproxy: toxics through the real client', () => {
  it('reports its version and creates, lists and shows a proxy', async () => {
    expect(JSON.parse(await client.getVersion())).toEqual({ version: expect.any(String) });
    const proxy = await client.createProxy({ name: 'echo_show', listen: '127.0.0.1:0', upstream: echoAddress });
    expect(proxy.enabled).toBe(true);
    expect(listenPort(proxy)).toBeGreaterThan(0);
    const all = await client.getAll();
    expect(all.echo_show?.upstream).toBe(echoAddress);
    expect((await client.get('echo_show')).listen).toBe(proxy.listen);
    await proxy.remove();
    expect(Object.keys(await client.getAll())).not.toContain('echo_show');
  });

  it('latency: the median round trip grows by the toxic’s latency (±30%) under 4 concurrent connections', async () => {
    const proxy = await client.createProxy({ name: 'echo_latency', listen: '127.0.0.1:0', upstream: echoAddress });
    const port = listenPort(proxy);
    const base = await medianRoundTrip(port, 4, 10);
    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 100, jitter: 0 },
    });
    const slowed = await medianRoundTrip(port, 4, 10);
    const added = slowed - base;
    expect(added).toBeGreaterThan(70);
    expect(added).toBeLessThan(130);
    await toxic.remove();
    expect(await medianRoundTrip(port, 1, 5)).toBeLessThan(50);
    await proxy.remove();
  });

  it('down: a disabled proxy refuses connections and cuts open ones; enabled again it serves', async () => {
    const proxy = await client.createProxy({ name: 'echo_down', listen: '127.0.0.1:0', upstream: echoAddress });
    const port = listenPort(proxy);
    const open1 = await open(port);
    const closed = drain(open1);
    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: echoAddress });
    expect(down.enabled).toBe(false);
    await closed;
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.update({ enabled: true, listen: proxy.listen, upstream: echoAddress });
    const s = await open(port);
    expect(await roundTrip(s, Buffer.from('back\n'))).toBeLessThan(1000);
    s.destroy();
    await proxy.remove();
  });

  it('timeout: data is held and the connection closes after the timeout', async () => {
    const proxy = await client.createProxy({ name: 'echo_timeout', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'hold',
      type: 'timeout',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: 300 },
    });
    const s = await open(listenPort(proxy));
    const result = drain(s);
    s.write('never echoed\n');
    const { bytes, ms } = await result;
    expect(bytes).toBe(0);
    expect(ms).toBeGreaterThan(200);
    expect(ms).toBeLessThan(2000);
    await proxy.remove();
  });

  it('limit_data: exactly the limit gets through, then the connection closes', async () => {
    const proxy = await client.createProxy({ name: 'echo_limit', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'cap',
      type: 'limit_data',
      stream: 'downstream',
      toxicity: 1,
      attributes: { bytes: 1000 },
    });
    const s = await open(listenPort(proxy));
    const result = drain(s);
    s.write(Buffer.alloc(5000, 'x'));
    expect((await result).bytes).toBe(1000);
    await proxy.remove();
  });

  it('bandwidth: 50 KB at 100 KB/s takes about half a second', async () => {
    const proxy = await client.createProxy({ name: 'echo_bw', listen: '127.0.0.1:0', upstream: echoAddress });
    const s = await open(listenPort(proxy));
    const fast = await roundTrip(s, Buffer.alloc(50_000, 'y'));
    await proxy.addToxic({
      name: 'thin',
      type: 'bandwidth',
      stream: 'downstream',
      toxicity: 1,
      attributes: { rate: 100 },
    });
    const slow = await roundTrip(s, Buffer.alloc(50_000, 'z'));
    expect(fast).toBeLessThan(300);
    expect(slow).toBeGreaterThan(400);
    expect(slow).toBeLessThan(3000);
    s.destroy();
    await proxy.remove();
  });

  it('reset_peer: the client sees a connection reset', async () => {
    const proxy = await client.createProxy({ name: 'echo_reset', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'rst',
      type: 'reset_peer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { timeout: 100 },
    });
    const s = await open(listenPort(proxy));
    expect((await drain(s)).error).toBe('ECONNRESET');
    await proxy.remove();
  });

  it('slow_close: the close reaches the client after the delay', async () => {
    const proxy = await client.createProxy({ name: 'echo_sc', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'sc',
      type: 'slow_close',
      stream: 'downstream',
      toxicity: 1,
      attributes: { delay: 300 },
    });
    const s = await open(listenPort(proxy));
    const result = drain(s);
    s.end();
    const { ms } = await result;
    expect(ms).toBeGreaterThan(250);
    await proxy.remove();
  });

  it('backpressure: an upstream that does not read stops the proxy reading; nothing piles up in memory', async () => {
    const stalled: Socket[] = [];
    const sink = createServer((s) => {
      s.pause();
      stalled.push(s);
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as { port: number }).port;
    const proxy = await client.createProxy({ name: 'stall', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
    await proxy.addToxic({
      name: 'l',
      type: 'latency',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 1, jitter: 0 },
    });
    const s = await open(listenPort(proxy));
    const chunk = Buffer.alloc(256 * 1024, 'b');
    let offered = 0;
    const deadline = performance.now() + 1500;
    // Write until the socket stays full for 300 ms (everything between is full) or 64 MiB went.
    while (offered < 64 * 1024 * 1024 && performance.now() < deadline) {
      offered += chunk.length;
      if (!s.write(chunk)) {
        const drained = await Promise.race([
          new Promise<boolean>((resolve) => s.once('drain', () => resolve(true))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
        ]);
        if (!drained) break;
      }
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const m = /^switchyard_toxiproxy_bytes_total\{direction="upstream",proxy="stall"\} (\d+)$/m.exec(metrics);
    const forwarded = Number(m?.[1]);
    // Loopback socket buffers hold a few MiB each way; without backpressure all 64 MiB would pass.
    expect(forwarded).toBeLessThan(24 * 1024 * 1024);
    expect(offered).toBeLessThan(64 * 1024 * 1024);
    s.destroy();
    await proxy.remove();
    for (const t of stalled) t.destroy();
    await new Promise((resolve) => sink.close(resolve));
  });

  it('closing connections clears every timer they held (latency waits, reset and timeout timers)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const proxy = await client.createProxy({ name: 'echo_timers', listen: '127.0.0.1:0', upstream: echoAddress });
    for (const [name, type, attributes] of [
      ['l', 'latency', { latency: 600_000, jitter: 0 }],
      ['r', 'reset_peer', { timeout: 600_000 }],
      ['t', 'timeout', { timeout: 600_000 }],
    ] as const) {
      await proxy.addToxic({ name, type, stream: 'upstream', toxicity: 1, attributes });
    }
    await proxy.getToxic('t').then((t) => t.remove());
    const sockets = await Promise.all(Array.from({ length: 5 }, () => open(listenPort(proxy))));
    const closed = sockets.map((s) => drain(s));
    for (const s of sockets) s.write('waits ten minutes\n');
    await vi.waitFor(() => expect(timers()).toBeGreaterThanOrEqual(before + 5));
    await proxy.remove();
    await Promise.all(closed);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('slicer: 2000 bytes arrive in pieces of about 100 bytes, 2 ms apart', async () => {
    const proxy = await client.createProxy({ name: 'echo_slicer', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'cut',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { average_size: 100, size_variation: 20, delay: 2000 },
    });
    const s = await open(listenPort(proxy));
    let pieces = 0;
    s.on('data', () => pieces++);
    const ms = await roundTrip(s, Buffer.alloc(2000, 's'));
    expect(pieces).toBeGreaterThanOrEqual(10);
    expect(ms).toBeGreaterThan(20);
    s.destroy();
    await proxy.remove();
  });

  it('half-close: a client that sends 4 MiB and ends still gets all 4 MiB back before the close', async () => {
    const proxy = await client.createProxy({ name: 'echo_half', listen: '127.0.0.1:0', upstream: echoAddress });
    const s = await open(listenPort(proxy));
    const result = drain(s);
    s.end(Buffer.alloc(4 * 1024 * 1024, 'h'));
    expect((await result).bytes).toBe(4 * 1024 * 1024);
    await proxy.remove();
  });

  it('toxicity 0 leaves every connection alone', async () => {
    const proxy = await client.createProxy({ name: 'echo_tox0', listen: '127.0.0.1:0', upstream: echoAddress });
    await proxy.addToxic({
      name: 'never',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0,
      attributes: { latency: 1000, jitter: 0 },
    });
    expect(await medianRoundTrip(listenPort(proxy), 2, 3)).toBeLessThan(500);
    await proxy.remove();
  });
});
