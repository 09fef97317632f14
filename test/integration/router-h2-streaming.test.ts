/**
 * 500 MB responses through a router process to a caller that reads slowly (paused reads,
 * resumed now and then): h2 upstream → h2 caller, and h2 upstream → HTTP/1.1 caller. The
 * router's own RSS (/proc/<pid>/status) stays flat: flow control holds the upstream back at the
 * caller's pace instead of the router buffering the difference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as h1Request } from 'node:http';
import { constants, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startH2Upstream } from '../helpers/h2-upstream-harness.js';
import { connectH2 } from '../helpers/h2c-echo.js';
import { startRouterProcess } from '../helpers/router-harness.js';
import { testScope } from '../helpers/test-scope.js';

const scope = testScope();
const MB = 1024 * 1024;
const SIZE = 500 * MB;

const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
};

/** Writes `SIZE` bytes as fast as the router takes them (write() false → wait for 'drain'). */
function sendBig(stream: ServerHttp2Stream): void {
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let sent = 0;
  stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' });
  const pump = () => {
    while (sent < SIZE && !stream.destroyed) {
      sent += chunk.length;
      if (!stream.write(chunk)) return void stream.once('drain', pump);
    }
    if (!stream.destroyed) stream.end();
  };
  pump();
}

/** Reads a response slowly: after every 8 MB it pauses for 40 ms. Counts bytes. */
function slowRead(body: Readable, onBytes: (n: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    let sincePause = 0;
    body.on('data', (c: Buffer) => {
      total += c.length;
      sincePause += c.length;
      onBytes(total);
      if (sincePause >= 8 * MB) {
        sincePause = 0;
        body.pause();
        setTimeout(() => body.resume(), 40);
      }
    });
    body.on('end', () => resolve(total));
    body.on('error', reject);
  });
}

/** A router process on a config file; samples its RSS every 100 ms while `during` runs. */
async function routerProcess(config: string) {
  const dir = mkdtempSync(join(tmpdir(), 'router-h2-stream-'));
  scope.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'router.yaml'), config);
  const router = await startRouterProcess(['--config', join(dir, 'router.yaml')]);
  scope.cleanups.push(async () => {
    router.child.kill('SIGKILL');
    await router.exited;
  });
  const pid = router.child.pid as number;
  return {
    url: router.url,
    rss: () => rssMb(pid),
    async measure<T>(during: () => Promise<T>): Promise<{ result: T; peak: number }> {
      let peak = rssMb(pid);
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
      try {
        return { result: await during(), peak };
      } finally {
        clearInterval(sampler);
      }
    },
  };
}

function h2Get(url: string, authority: string, onBytes: (n: number) => void = () => {}): Promise<number> {
  const session = connectH2(Number(new URL(url).port));
  scope.cleanups.push(() => void session.destroy());
  const req = session.request({ ':path': '/', ':authority': authority });
  const done = new Promise<void>((resolve, reject) =>
    req.on('close', () =>
      req.rstCode === constants.NGHTTP2_NO_ERROR ? resolve() : reject(new Error(`reset ${req.rstCode}`)),
    ),
  );
  return Promise.all([slowRead(req, onBytes), done]).then(([n]) => n);
}

function h1Get(url: string, host: string, onBytes: (n: number) => void = () => {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = h1Request(`${url}/`, { headers: { host } }, (res) => {
      slowRead(res, onBytes).then(resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('500 MB through the router to a slow reader', () => {
  it('h2 upstream → h2 caller: every byte arrives, the router’s RSS stays flat', async () => {
    const up = await startH2Upstream(sendBig);
    scope.cleanups.push(() => up.close());
    const router = await routerProcess(`dtab: /svc/big => /$/inet/127.0.0.1/${up.port}\n`);
    const before = router.rss();
    const started = Date.now();
    const { result: bytes, peak } = await router.measure(() => h2Get(router.url, 'big'));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `h2→h2 500 MB: ${seconds.toFixed(1)} s, router RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB`,
    );
    expect(bytes).toBe(SIZE);
    expect(up.sessions).toHaveLength(1);
    expect(peak - before).toBeLessThan(100);
  }, 120_000);

  it('h2 upstream → HTTP/1.1 caller (client.protocol: h2): every byte arrives, RSS flat', async () => {
    const up = await startH2Upstream(sendBig);
    scope.cleanups.push(() => up.close());
    const router = await routerProcess(`client:\n  protocol: h2\ndtab: /svc/big => /$/inet/127.0.0.1/${up.port}\n`);
    const before = router.rss();
    const started = Date.now();
    const { result: bytes, peak } = await router.measure(() => h1Get(router.url, 'big'));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `h2→h1 500 MB: ${seconds.toFixed(1)} s, router RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB`,
    );
    expect(bytes).toBe(SIZE);
    expect(peak - before).toBeLessThan(100);
  }, 120_000);
});
