/**
 * Bodies stream through the router in both directions: a 100 MB upload to an upstream that
 * reads slowly leaves the router's memory flat (it holds a few buffers, not the body), and a
 * large response arrives intact.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type NamedUpstream, startNamedUpstream, startRouterProcess } from '../helpers/router-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const rssKb = (pid: number) =>
  Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());

const MB = 1024 * 1024;

/** Reads at most ~40 MB/s, so the router has to hold back the uploader instead of buffering. */
async function slowSink(): Promise<NamedUpstream & { received: () => number; hash: () => string }> {
  let received = 0;
  const hash = createHash('sha256');
  const u = await startNamedUpstream('sink', (req, res) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
      req.pause();
      setTimeout(() => req.resume(), (chunk.length / (40 * MB)) * 1000);
    });
    req.on('end', () => res.end(`${received}`));
  });
  cleanups.push(() => u.close());
  return { ...u, received: () => received, hash: () => hash.digest('hex') };
}

describe('streaming', () => {
  it('uploads 100 MB to a slow upstream with the router’s RSS staying flat', async () => {
    const sink = await slowSink();
    const dir = mkdtempSync(join(tmpdir(), 'router-stream-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'dtab'), `/svc/sink => /$/inet/127.0.0.1/${sink.port}`);
    const router = await startRouterProcess(['--dtab', join(dir, 'dtab')]);
    cleanups.push(() => void router.child.kill('SIGKILL'));
    const pid = router.child.pid!;
    const idle = rssKb(pid);
    let peak = idle;
    // What the uploader has handed to its socket but the sink has not read yet: kernel buffers on
    // both hops plus whatever the router holds. Buffering would let it grow to the whole body.
    let handed = 0;
    let aheadPeak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKb(pid));
      aheadPeak = Math.max(aheadPeak, handed - sink.received());
    }, 100);
    const sent = createHash('sha256');
    const chunk = Buffer.alloc(MB, 7);
    let n = 0;
    const body = new Readable({
      highWaterMark: MB,
      read() {
        if (n++ >= 100) return this.push(null);
        sent.update(chunk);
        handed += chunk.length;
        this.push(chunk);
      },
    });
    const { port } = new URL(router.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/upload',
          headers: { host: 'sink', 'content-length': String(100 * MB) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', reject);
      body.pipe(req);
    });
    clearInterval(sampler);
    expect(answer).toBe(`200 ${100 * MB}`);
    expect(sink.hash()).toBe(sent.digest('hex'));
    console.log(
      `100 MB upload: router RSS +${Math.round((peak - idle) / 1024)} MB, ` +
        `at most ${Math.round(aheadPeak / MB)} MB ahead of the sink`,
    );
    // The router reads only as fast as the sink: what is ahead of it is socket buffers (a few MB
    // per loopback hop), not the body.
    expect(aheadPeak).toBeLessThan(24 * MB);
    // A buffering proxy would grow by the whole 100 MB; a streaming one by socket buffers and GC
    // slack (20-40 MB on Node 20, 60-70 MB on Node 24, whose allocator keeps more freed memory).
    expect(peak - idle).toBeLessThan(85 * 1024);
  }, 60_000);
});
