/**
 * A drain loses no request: keep-alive clients firing requests back to back across the drain see
 * every request answered until the listener is gone, and then a refused connection, never a
 * reset or a connection closed under a request.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startRouterProcess, startTestRouter } from '../helpers/router-harness.js';
import { testScope } from '../helpers/test-scope.js';

const { cleanups, upstream } = testScope();

function codeOf(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  return err.cause?.code ?? err.code ?? err.message ?? String(e);
}

interface Firing {
  ok: number;
  refused: number;
  failures: Map<string, number>;
  /** Stops the loops this long from now (they stop by themselves once refused enough). */
  stopIn(ms: number): void;
  done: Promise<void>;
}

/** `n` keep-alive loops firing requests back to back, bounded in time (20 s) and refusals. */
function fire(url: string, n: number): Firing {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: n });
  cleanups.push(() => agent.close());
  let stopAt = performance.now() + 20_000;
  const f: Firing = {
    ok: 0,
    refused: 0,
    failures: new Map(),
    stopIn: (ms) => {
      stopAt = Math.min(stopAt, performance.now() + ms);
    },
    done: Promise.resolve(),
  };
  const loop = async () => {
    let refused = 0;
    while (performance.now() < stopAt) {
      try {
        const res = await request(url, { headers: { host: 'web' }, dispatcher: agent });
        await res.body.text();
        if (res.statusCode === 200) f.ok++;
        else f.failures.set(`status ${res.statusCode}`, (f.failures.get(`status ${res.statusCode}`) ?? 0) + 1);
      } catch (e) {
        const code = codeOf(e);
        if (code === 'ECONNREFUSED') {
          f.refused++;
          if (++refused > 5) return;
          continue;
        }
        f.failures.set(code, (f.failures.get(code) ?? 0) + 1);
      }
    }
  };
  f.done = Promise.all(Array.from({ length: n }, loop)).then(() => undefined);
  return f;
}

describe('drain', () => {
  it('answers every request of keep-alive clients firing across a SIGTERM, with 0 resets, and exits 0', async () => {
    const web = await upstream('web');
    const dir = mkdtempSync(join(tmpdir(), 'drain-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'dtab'), `/svc/web => /$/inet/127.0.0.1/${web.port}`);
    const router = await startRouterProcess(['--dtab', join(dir, 'dtab'), '--drain-grace-ms', '500']);
    cleanups.push(() => void router.child.kill('SIGKILL'));
    const f = fire(router.url, 8);
    while (f.ok < 100 && f.failures.size === 0) await new Promise((r) => setTimeout(r, 20));
    const atTerm = f.ok;
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);
    f.stopIn(500);
    await f.done;
    expect(Object.fromEntries(f.failures)).toEqual({});
    expect(f.ok).toBeGreaterThan(atTerm);
    expect(f.refused).toBeGreaterThan(0);
  }, 30_000);

  it('answers every request of keep-alive clients firing across a drain, with 0 resets', async () => {
    const web = await upstream('web');
    const r = await startTestRouter(`drainGraceMs: 400\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    cleanups.push(() => r.close());
    const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
    cleanups.push(() => agent.close());
    let ok = 0;
    let refused = 0;
    const failures = new Map<string, number>();
    let stopAt = Number.POSITIVE_INFINITY;
    const deadline = performance.now() + 20_000;
    const loop = async () => {
      while (performance.now() < Math.min(stopAt, deadline)) {
        try {
          const res = await request(r.url, { headers: { host: 'web' }, dispatcher: agent });
          await res.body.text();
          if (res.statusCode === 200) ok++;
          else failures.set(`status ${res.statusCode}`, (failures.get(`status ${res.statusCode}`) ?? 0) + 1);
        } catch (e) {
          const code = codeOf(e);
          if (code === 'ECONNREFUSED') {
            refused++;
            // Bounded: once the listener is gone, there is nothing left to measure.
            if (refused > 20) return;
            continue;
          }
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await new Promise((res) => setTimeout(res, 300));
    const atDrain = ok;
    await r.drain('test');
    stopAt = performance.now() + 500;
    await Promise.all(loops);
    expect(Object.fromEntries(failures)).toEqual({});
    // Served during the grace period and the close that follows, not only before the drain.
    expect(ok).toBeGreaterThan(atDrain + 8);
    expect(refused).toBeGreaterThan(0);
  });
});
