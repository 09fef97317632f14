/**
 * Client policy end to end: a dead endpoint costs no failed request (requeue, then failure
 * accrual takes it out), retryable responses are retried per the classifier, per-attempt and
 * caller deadlines answer 504, and clearContext keeps l5d-* headers out in both directions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { get, load } from '../helpers/router-harness.js';
import { testScope } from '../helpers/test-scope.js';

const { cleanups, upstream, router } = testScope();

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('requeues and failure accrual', () => {
  it('sends requests for a dead endpoint elsewhere, then stops picking it', async () => {
    const live = await upstream('live');
    const disco = mkdtempSync(join(tmpdir(), 'policy-'));
    cleanups.push(() => rmSync(disco, { recursive: true, force: true }));
    writeFileSync(join(disco, 'web'), `127.0.0.1 ${live.port}\n127.0.0.1 ${await deadPort()}\n`);
    const r = await router(`
namers:
  - kind: io.l5d.fs
    rootDir: ${disco}
dtab: /svc/web => /#/io.l5d.fs/web
`);
    let failures = 0;
    await load(400, 8, async () => {
      const res = await get(r.url, { host: 'web' });
      if (res.status !== 200) failures++;
    });
    expect(failures).toBe(0);
    const m = JSON.parse((await get(`${r.adminUrl}/admin/metrics.json`)).body);
    // A few requeues until 5 consecutive failures take the dead endpoint out, then none.
    expect(m['rt/http/requeues']).toBeGreaterThanOrEqual(5);
    expect(m['rt/http/requeues']).toBeLessThan(40);
  });
});

describe('retries', () => {
  it('retries a retryable 503 for GET with retryableRead5XX, not with the default classifier', async () => {
    // Fails the first attempt of every request (a retry carries the same l5d-reqid), so each
    // request needs exactly one retry whatever the interleaving.
    const seenIds = new Set<string>();
    const flaky = await upstream('flaky', (req, res) => {
      req.resume();
      const id = String(req.headers['l5d-reqid']);
      res.statusCode = seenIds.has(id) ? 200 : 503;
      seenIds.add(id);
      res.end(String(res.statusCode));
    });
    const retrying = await router(`
responseClassifier: io.l5d.http.retryableRead5XX
dtab: /svc/web => /$/inet/127.0.0.1/${flaky.port}
`);
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(retrying.url, { host: 'web' })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const m = JSON.parse((await get(`${retrying.adminUrl}/admin/metrics.json`)).body);
    expect(m[`rt/http/client/$/inet/127.0.0.1/${flaky.port}/retries`]).toBe(10);
    const plain = await router(`dtab: /svc/web => /$/inet/127.0.0.1/${flaky.port}`);
    expect((await get(plain.url, { host: 'web' })).status).toBe(503);
  });
});

describe('timeouts and deadlines', () => {
  it('answers 504 when the attempt times out, and honours l5d-ctx-deadline', async () => {
    const slow = await upstream('slow', (req, res) => {
      req.resume();
      setTimeout(() => res.end('late'), 1000);
    });
    const r = await router(`
attemptTimeoutMs: 200
dtab: /svc/web => /$/inet/127.0.0.1/${slow.port}
`);
    const started = Date.now();
    const timedOut = await get(r.url, { host: 'web' });
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(900);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const past = await get(r.url, {
      host: 'web',
      'l5d-ctx-deadline': `${nowNs - 10_000_000_000n} ${nowNs - 1_000_000_000n}`,
    });
    expect(past.status).toBe(504);
    expect(decodeURIComponent(String(past.headers['l5d-err']))).toContain('l5d-ctx-deadline');
  });
});

describe('clearContext (edge routers)', () => {
  it('drops l5d-* headers both ways without applying l5d-dtab', async () => {
    const a = await upstream('a');
    const b = await upstream('b', (req, res) => {
      req.resume();
      res.setHeader('l5d-secret', 'internal');
      res.end('b');
    });
    const r = await router(`
clearContext: true
dtab: |
  /srv/b => /$/inet/127.0.0.1/${b.port} ;
  /svc/web => /$/inet/127.0.0.1/${a.port} ;
  /svc/b => /srv/b
`);
    const answer = await get(r.url, {
      host: 'web',
      'l5d-dtab': '/svc/web => /srv/b',
      'l5d-ctx-dtab': '/svc/web => /srv/b',
    });
    expect(answer.body).toBe('a\n');
    const seen = a.seen.at(-1)!;
    expect(Object.keys(seen).filter((h) => h.startsWith('l5d-'))).toEqual([]);
    expect((await get(r.url, { host: 'b' })).headers['l5d-secret']).toBeUndefined();
  });
});
