/**
 * Watchers that stop reading. A namerd watch stream writes every change to every watcher; a
 * watcher that never reads must not make namerd keep (or copy) what it cannot send. 100 raw
 * sockets ask for a watch and then never read; one 1 MB dtab is written; namerd's RSS must stay
 * bounded, a watcher that reads (the router's own namerd watcher) must still get the update, and
 * the stalled ones are cut off at the high-water mark and get the current state when they come back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import type { BaseDtabState } from '../../src/router/dtab-source/base-dtab.js';
import { NamerdDtabSource } from '../../src/router/dtab-source/namerd-dtab-source.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { freePort, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';

const STALLED = 100;
const HIGH_WATER = 64 * 1024;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** About 1 MB of dtab text in ~1,200 long dentries (cheap to parse, as big as namerd accepts). */
function bigDtab(variant: number): string {
  const parts: string[] = [];
  for (let n = 0, len = 0; len < 1_000_000; n++) {
    const s = `/svc/n${n}/${'x'.repeat(400)}/${'y'.repeat(400)}=>/$/inet/127.0.0.1/${variant * 1000 + (n % 1000)};`;
    parts.push(s);
    len += s.length;
  }
  return parts.join('');
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

interface RawWatcher {
  readonly socket: net.Socket;
  /** Resumes reading and resolves with everything received once namerd closes the connection. */
  drain(): Promise<string>;
  /** Resumes reading and resolves with everything received once it includes `text`. */
  readUntil(text: string): Promise<string>;
}

/** A watch request on a raw socket that reads the response headers and then stops reading. */
function stalledWatcher(url: string, ns: string): Promise<RawWatcher> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('error', () => {});
    socket.once('connect', () =>
      socket.write(
        `GET /api/1/dtabs/${ns}?watch=true HTTP/1.1\r\nHost: ${hostname}\r\nAccept: application/x-ndjson\r\n\r\n`,
      ),
    );
    socket.once('data', (first) => {
      socket.pause();
      received.push(first);
      resolve({
        socket,
        readUntil: (text) =>
          new Promise((done) => {
            const check = () => {
              const all = Buffer.concat(received).toString();
              if (all.includes(text)) done(all);
            };
            socket.on('data', (d) => {
              received.push(d);
              check();
            });
            check();
            socket.resume();
          }),
        drain: () =>
          new Promise((done) => {
            socket.on('data', (d) => received.push(d));
            socket.once('close', () => done(Buffer.concat(received).toString()));
            socket.resume();
          }),
      });
    });
    socket.once('close', () => reject(new Error('closed before the response started')));
  });
}

function router(url: string, namespace: string): NamerdDtabSource {
  const source = new NamerdDtabSource({ url, namespace, logger: createLogger({ level: 'silent' }) });
  source.start();
  cleanups.push(() => source.close());
  return source;
}

const routedOn = (dtab: string) => (s: BaseDtabState) => s.status === 'ok' && s.snapshot.dtab.show() === dtab;

async function namerdWithHighWater(highWater: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'backpressure-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'namerd.yaml');
  writeFileSync(config, `watchHighWaterBytes: ${highWater}\n`);
  const namerd = await startNamerdProcess(await freePort(), 'memory', ['--config', config]);
  cleanups.push(() => namerd.kill());
  return namerd;
}

async function stalledWatchers(url: string, ns: string, count: number): Promise<RawWatcher[]> {
  const stalled: RawWatcher[] = [];
  cleanups.push(() => {
    for (const w of stalled) w.socket.destroy();
  });
  for (let i = 0; i < count; i++) stalled.push(await stalledWatcher(url, ns));
  return stalled;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('namerd watch streams and watchers that stop reading', () => {
  it(`${STALLED} stalled watchers and a 1 MB write: namerd's RSS stays bounded and a reader gets it`, {
    timeout: 60_000,
  }, async () => {
    const namerd = await namerdWithHighWater(1024 * 1024);
    await putDtab(namerd.url, 'big', '/svc=>/$/inet/127.0.0.1/8000');
    const reader = router(namerd.url, 'big');
    await reader.state.first(routedOn('/svc=>/$/inet/127.0.0.1/8000'));
    await stalledWatchers(namerd.url, 'big', STALLED);
    const before = rssBytes(namerd.child.pid!);

    const big = bigDtab(0);
    await putDtab(namerd.url, 'big', big);
    const got = await within(
      reader.state.first((s) => s.status === 'ok' && s.snapshot.dtab.size > 1000),
      20_000,
      'the reader getting the 1 MB dtab',
    );
    expect(got.status === 'ok' && got.snapshot.dtab.show().length).toBeGreaterThan(1_000_000);
    // Sample for a while: the writes to the stalled sockets happen now.
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, rssBytes(namerd.child.pid!));
      await new Promise((r) => setTimeout(r, 50));
    }
    const growth = peak - before;
    console.log(
      `[watch backpressure] ${STALLED} stalled watchers + one ${big.length}-byte dtab: namerd RSS ${mb(before)} → peak ${mb(peak)} (+${mb(growth)})`,
    );
    expect(growth).toBeLessThan(60 * 2 ** 20);
  });

  it('cuts stalled watchers off at the high-water mark; readers keep up; a watcher that comes back resyncs', {
    timeout: 90_000,
  }, async () => {
    const namerd = await namerdWithHighWater(HIGH_WATER);
    await putDtab(namerd.url, 'big', '/svc=>/$/inet/127.0.0.1/8000');
    const reader = router(namerd.url, 'big');
    await reader.state.first(routedOn('/svc=>/$/inet/127.0.0.1/8000'));
    const stalled = await stalledWatchers(namerd.url, 'big', 3);
    // The kernel takes a few MB per loopback connection before namerd holds any: write past that.
    for (let i = 1; i <= 6; i++) {
      const text = bigDtab(i);
      await putDtab(namerd.url, 'big', text);
      await within(reader.state.first(routedOn(Dtab.read(text).show())), 20_000, `the reader getting big dtab ${i}`);
    }
    await putDtab(namerd.url, 'big', '/svc=>/$/inet/127.0.0.1/8001');
    await reader.state.first(routedOn('/svc=>/$/inet/127.0.0.1/8001'));
    const received = await within(
      Promise.all(stalled.map((w) => w.drain())),
      30_000,
      'namerd closing the stalled watches',
    );
    for (const text of received) expect(text).not.toContain('127.0.0.1/8001');
    console.log(
      `[watch backpressure] ${stalled.length} stalled watchers cut off at ${HIGH_WATER} unsent bytes after ${received.map((t) => mb(t.length)).join(', ')} taken`,
    );
    // Coming back, a cut-off watcher starts over from the current state.
    const again = await stalledWatcher(namerd.url, 'big');
    const text = await within(again.readUntil('8001'), 10_000, 'the current state after reconnecting');
    again.socket.destroy();
    expect(text).toContain('"dtab":"/svc=>/$/inet/127.0.0.1/8001"');
  });
});

interface Relay {
  readonly url: string;
  connections(): number;
  /** The stalled connection reads again: what namerd sent before it cut it off, then its close. */
  unstall(): void;
}

/**
 * A TCP relay in front of namerd whose first connection stops reading from namerd once the
 * response has started: a router whose watch stalls (a stuck event loop, a frozen container).
 * When namerd's side closes the relay closes the router's side too.
 */
async function stallingRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  let connections = 0;
  let unstall = () => {};
  const server = net.createServer((client) => {
    const stall = connections++ === 0;
    const upstream = net.connect(Number(port), hostname);
    client.pipe(upstream);
    if (!stall) upstream.pipe(client);
    else {
      // Forward until the router has its first state, then stop reading.
      let seen = '';
      const forward = (chunk: Buffer) => {
        client.write(chunk);
        seen += chunk.toString('latin1');
        if (!seen.includes('"type":"dtab"')) return;
        upstream.off('data', forward);
        upstream.pause();
        unstall = () => {
          upstream.pipe(client);
          upstream.resume();
        };
      };
      upstream.on('data', forward);
    }
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
    unstall: () => unstall(),
  };
}

describe("the router's namerd watcher, stalled and cut off", () => {
  it('once it reads again, finds itself cut off, reconnects and routes on the current dtab', {
    timeout: 90_000,
  }, async () => {
    const namerd = await namerdWithHighWater(HIGH_WATER);
    await putDtab(namerd.url, 'big', '/svc=>/$/inet/127.0.0.1/8000');
    const relay = await stallingRelay(namerd.url);
    const stalledRouter = router(relay.url, 'big');
    await within(stalledRouter.state.first(routedOn('/svc=>/$/inet/127.0.0.1/8000')), 10_000, 'the first state');
    for (let i = 1; i <= 6; i++) await putDtab(namerd.url, 'big', bigDtab(i));
    await putDtab(namerd.url, 'big', '/svc=>/$/inet/127.0.0.1/8001');
    expect(relay.connections()).toBe(1);
    relay.unstall();
    // Well before its 30 s heartbeat timeout: the cut is a closed connection, seen at once.
    await within(
      stalledRouter.state.first(routedOn('/svc=>/$/inet/127.0.0.1/8001')),
      15_000,
      'the router resyncing after the cut-off',
    );
    expect(relay.connections()).toBe(2);
  });
});

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
