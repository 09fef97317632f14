/**
 * A drain loses no request: keep-alive clients firing requests back to back across the drain see
 * every request answered until the listener is gone, and then a refused connection, never a
 * reset or a connection closed under a request.
 */

import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(name: string): Promise<NamedUpstream> {
  const u = await startNamedUpstream(name);
  cleanups.push(() => u.close());
  return u;
}

function codeOf(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  return err.cause?.code ?? err.code ?? err.message ?? String(e);
}

describe('drain', () => {
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
