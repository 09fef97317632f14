/**
 * h2 callers through the whole router: many streams multiplexed on one caller connection share
 * few upstream connections; and a drain sends a GOAWAY, so the caller opens its new streams
 * elsewhere while the long ones in flight finish within the grace period, and /ready says 503.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { startH2Upstream } from '../helpers/h2-upstream-harness.js';
import { connectH2, h2Request } from '../helpers/h2c-echo.js';
import { get } from '../helpers/router-harness.js';
import { testScope } from '../helpers/test-scope.js';

const scope = testScope();

/** Answers `/slow/<ms>` after that many milliseconds, in two parts; anything else at once. */
function slowly(stream: ServerHttp2Stream, headers: Record<string, unknown>): void {
  const path = String(headers[':path']);
  const ms = path.startsWith('/slow/') ? Number(path.slice(6)) : 0;
  stream.respond({ ':status': 200 });
  stream.write('begun;');
  setTimeout(() => {
    if (!stream.destroyed) stream.end(`done ${path}`);
  }, ms);
}

describe('h2 multiplexing through the router', () => {
  it('200 concurrent streams on one caller session all succeed over few upstream sessions', async () => {
    const up = await startH2Upstream(slowly);
    scope.cleanups.push(() => up.close());
    const router = await scope.router(`dtab: /svc/up => /$/inet/127.0.0.1/${up.port}`);
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        h2Request(s, { ':path': `/slow/${50 + (i % 5) * 20}`, ':authority': 'up' }),
      ),
    );
    expect(answers.every((a) => Number(a.headers[':status']) === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body)).size).toBe(5);
    expect(up.streams).toHaveLength(200);
    // One caller connection, one upstream endpoint: the pool multiplexes instead of dialling per request.
    expect(up.sessions.length).toBeLessThanOrEqual(2);
  }, 30_000);
});

describe('drain under h2', () => {
  it('GOAWAY to the caller, in-flight long streams finish within the grace, /ready 503', async () => {
    const up = await startH2Upstream(slowly);
    scope.cleanups.push(() => up.close());
    const router = await scope.router(`drainGraceMs: 3000\ndtab: /svc/up => /$/inet/127.0.0.1/${up.port}`);
    expect((await get(`${router.adminUrl}/ready`)).status).toBe(200);
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const goaway = new Promise<number>((resolve) => s.once('goaway', (code: number) => resolve(code)));
    // Three long streams in flight when the drain starts.
    const inFlight = [800, 1200, 1600].map((ms) => h2Request(s, { ':path': `/slow/${ms}`, ':authority': 'up' }));
    await new Promise<void>((r) => {
      const check = () => (up.streams.length >= 3 ? r() : setTimeout(check, 10));
      check();
    });
    const drainStarted = Date.now();
    const drained = router.drain('test');
    expect(await goaway).toBe(0); // NO_ERROR: go elsewhere for new streams, these finish.
    expect((await get(`${router.adminUrl}/ready`)).status).toBe(503);
    // The session takes no new stream now (node refuses it at once or fails it soon after, by
    // version); a client opens it on another connection.
    const refused = await new Promise<string>((resolve) => {
      try {
        const late = s.request({ ':path': '/new', ':authority': 'up' });
        late.on('response', () => resolve('answered'));
        late.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
        late.on('close', () => resolve(`closed ${late.rstCode}`));
      } catch (e) {
        resolve((e as { code?: string }).code ?? String(e));
      }
    });
    expect(refused).not.toBe('answered');
    const answers = await Promise.all(inFlight);
    const finishedAfter = Date.now() - drainStarted;
    expect(answers.map((a) => a.body)).toEqual([
      'begun;done /slow/800',
      'begun;done /slow/1200',
      'begun;done /slow/1600',
    ]);
    expect(finishedAfter).toBeLessThan(3000);
    await drained;
    expect(up.streams).toHaveLength(3);
  }, 30_000);
});
