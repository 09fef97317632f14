/**
 * Where the router's base dtab comes from (docs/router.md#where-the-base-dtab-comes-from), with
 * real files, a real `switchyard namerd` process killed with -9 and restarted on the same port, and
 * a TCP peer that accepts and then goes silent. The router must keep a dtab through every one of
 * these: a bad edit, a crashed namerd, a half-open connection; and a cache must let it start
 * without namerd.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { BaseDtabSource, BaseDtabState } from '../../src/router/dtab-source/base-dtab.js';
import { FileDtabSource } from '../../src/router/dtab-source/file-dtab-source.js';
import { NamerdDtabSource } from '../../src/router/dtab-source/namerd-dtab-source.js';
import { StaticDtabSource } from '../../src/router/dtab-source/static-dtab-source.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { freePort, type NamerdProcess, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtab-source-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A JSON logger whose lines the test can read. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ format: 'json', level: 'debug', destination }), lines };
}

/** Starts the source, records every state it goes through, and closes it after the test. */
function run<S extends BaseDtabSource>(source: S): { source: S; states: BaseDtabState[] } {
  const states: BaseDtabState[] = [];
  const sub = source.state.observe((s) => states.push(s));
  source.start();
  cleanups.push(async () => {
    sub.close();
    await source.close();
  });
  return { source, states };
}

async function until(source: BaseDtabSource, accept: (s: BaseDtabState) => boolean, ms = 5000): Promise<BaseDtabState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out; state: ${JSON.stringify(source.state.sample())}`)), ms);
  });
  try {
    return await Promise.race([source.state.first(accept), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const shown = (s: BaseDtabState) => (s.status === 'ok' ? s.snapshot.dtab.show() : undefined);
const okWith = (dtab: string) => (s: BaseDtabState) => s.status === 'ok' && s.snapshot.dtab.show() === dtab;

describe('static and file dtab sources', () => {
  it('a static dtab is ok at once; a bad one has failed', () => {
    expect(shown(new StaticDtabSource('/svc => /$/inet/127.0.0.1/1').state.sample())).toBe('/svc=>/$/inet/127.0.0.1/1');
    const bad = new StaticDtabSource('/svc => ').state.sample();
    expect(bad.status === 'failed' && bad.error.message).toMatch(/^config:1:9: /);
  });

  it('follows edits, keeps the last good dtab through a bad edit, and survives rename-replace', async () => {
    const dir = tempDir();
    const file = join(dir, 'base.dtab');
    writeFileSync(file, '/svc => /#/io.l5d.fs;\n');
    const { logger, lines } = capturedLogger();
    const { source } = run(new FileDtabSource({ file, logger, pollMs: 200 }));
    const first = source.state.sample();
    expect(shown(first)).toBe('/svc=>/#/io.l5d.fs');
    expect(first.status === 'ok' && first.snapshot.source).toBe(`file:${file}`);

    writeFileSync(file, '/svc => /#/io.l5d.fs;\n/svc/web => /$/inet/127.0.0.1/8080;\n');
    await until(source, okWith('/svc=>/#/io.l5d.fs;/svc/web=>/$/inet/127.0.0.1/8080'));

    writeFileSync(file, '/svc => /#/io.l5d.fs;\n/svc/web => /$/inet/127.0.0.1/8080 |;\n');
    const stale = await until(source, (s) => s.status === 'ok' && s.stale !== undefined);
    expect(shown(stale)).toBe('/svc=>/#/io.l5d.fs;/svc/web=>/$/inet/127.0.0.1/8080');
    expect(stale.status === 'ok' && stale.stale).toContain(`${file}:2:`);
    const warning = lines.find((l) => l.msg === 'base dtab file invalid; keeping the last good dtab');
    expect(warning).toMatchObject({ file, line: 2, level: 40 });
    expect(warning?.column).toBeTypeOf('number');

    // An editor's save: write a new file beside it, rename it over the old one (a new inode).
    writeFileSync(join(dir, '.base.dtab.swp'), '/svc => /$/inet/127.0.0.1/9090;\n');
    renameSync(join(dir, '.base.dtab.swp'), file);
    const replaced = await until(source, okWith('/svc=>/$/inet/127.0.0.1/9090'));
    expect(replaced.status === 'ok' && replaced.stale).toBeUndefined();
    // …and the replacement is watched in turn.
    writeFileSync(file, '/svc => /$/inet/127.0.0.1/9091;\n');
    await until(source, okWith('/svc=>/$/inet/127.0.0.1/9091'));
  });

  it('fails at start on a missing file or a syntax error, with file:line:col', () => {
    const dir = tempDir();
    const { logger } = capturedLogger();
    const missing = run(new FileDtabSource({ file: join(dir, 'nope.dtab'), logger })).source.state.sample();
    expect(missing.status === 'failed' && missing.error.message).toBe(`${join(dir, 'nope.dtab')}: no such file`);
    const file = join(dir, 'bad.dtab');
    writeFileSync(file, '/a => /b;\n/c => ;\n');
    const bad = run(new FileDtabSource({ file, logger })).source.state.sample();
    expect(bad.status === 'failed' && bad.error.message).toMatch(new RegExp(`^${file}:2:7: `));
  });
});

describe('namerd dtab source against a real namerd process', () => {
  async function namerd(port: number, dir: string): Promise<NamerdProcess> {
    const n = await startNamerdProcess(port, dir);
    cleanups.push(() => n.kill());
    return n;
  }
  const fast = { backoff: { minMs: 50, maxMs: 400 } };

  it('follows updates, keeps routing through kill -9, and resyncs after a restart on the same port', async () => {
    const port = await freePort();
    const dir = tempDir();
    let n = await namerd(port, dir);
    const v1 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/1');
    const { logger, lines } = capturedLogger();
    const { source, states } = run(new NamerdDtabSource({ url: n.url, namespace: 'default', logger, ...fast }));
    expect(source.state.sample()).toMatchObject({ status: 'pending' });
    const first = await until(source, (s) => s.status === 'ok');
    expect(first).toMatchObject({ status: 'ok', snapshot: { version: v1, source: `namerd:${n.url}/default` } });
    expect(first.status === 'ok' && first.stale).toBeUndefined();

    const v2 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/2');
    await until(source, (s) => s.status === 'ok' && s.snapshot.version === v2);

    await n.kill();
    const down = await until(source, (s) => s.status === 'ok' && s.stale !== undefined);
    expect(down).toMatchObject({ status: 'ok', snapshot: { version: v2 } });
    expect(down.status === 'ok' && down.stale).toMatch(/^namerd unreachable since \d{4}-/);

    n = await namerd(port, dir);
    const v3 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/3');
    const back = await until(source, (s) => s.status === 'ok' && s.snapshot.version === v3 && s.stale === undefined);
    expect(shown(back)).toBe('/svc=>/$/inet/127.0.0.1/3');
    expect(lines.some((l) => l.msg === 'namerd watch resynced')).toBe(true);

    // A deleted namespace keeps the last dtab, marked stale, until the namespace is written again.
    const deleted = await request(`${n.url}/api/1/dtabs/default`, { method: 'DELETE' });
    expect(deleted.statusCode).toBe(204);
    await deleted.body.dump();
    const orphan = await until(source, (s) => s.status === 'ok' && s.stale !== undefined);
    expect(orphan).toMatchObject({ status: 'ok', snapshot: { version: v3 } });
    expect(orphan.status === 'ok' && orphan.stale).toMatch(/^namespace "default" deleted in namerd/);
    const v4 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/4');
    await until(source, (s) => s.status === 'ok' && s.snapshot.version === v4 && s.stale === undefined);
    // Routing never lost its dtab: once ok, every later state was ok.
    expect(states.slice(states.findIndex((s) => s.status === 'ok')).every((s) => s.status === 'ok')).toBe(true);
  });

  it('is pending while namerd is down at start, then ok once it comes up', async () => {
    const port = await freePort();
    const { logger } = capturedLogger();
    const url = `http://127.0.0.1:${port}`;
    const { source } = run(new NamerdDtabSource({ url, namespace: 'default', logger, ...fast }));
    const pending = await until(source, (s) => s.status === 'pending' && s.reason.includes('unreachable'));
    expect(pending.status === 'pending' && pending.reason).toContain('retrying');
    const n = await namerd(port, tempDir());
    const v1 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/1');
    const ok = await until(source, (s) => s.status === 'ok');
    expect(ok).toMatchObject({ status: 'ok', snapshot: { version: v1 } });
    expect(ok.status === 'ok' && ok.stale).toBeUndefined();
  });

  it('serves the last-known-good cache when namerd is down at start', async () => {
    const port = await freePort();
    const cacheFile = join(tempDir(), 'cache', 'default.dtab.json');
    const n = await namerd(port, tempDir());
    const v1 = await putDtab(n.url, 'default', '/svc => /$/inet/127.0.0.1/7');
    const { logger } = capturedLogger();
    const first = new NamerdDtabSource({ url: n.url, namespace: 'default', logger, cacheFile, ...fast });
    first.start();
    await until(first, (s) => s.status === 'ok');
    await first.close();
    await n.kill();

    const { source, states } = run(
      new NamerdDtabSource({ url: n.url, namespace: 'default', logger, cacheFile, ...fast }),
    );
    const cached = await until(source, (s) => s.status === 'ok');
    expect(cached).toMatchObject({ status: 'ok', snapshot: { version: v1, source: `cache:${cacheFile}` } });
    expect(shown(cached)).toBe('/svc=>/$/inet/127.0.0.1/7');
    expect(cached.status === 'ok' && cached.stale).toMatch(/^from cache .*; namerd unreachable since /);
    // Never presented as fresh, not even for a moment.
    expect(states.filter((s) => s.status === 'ok').every((s) => s.stale !== undefined)).toBe(true);
    // A cache is for its own namespace only.
    const other = run(new NamerdDtabSource({ url: n.url, namespace: 'other', logger, cacheFile, ...fast })).source;
    await until(other, (s) => s.status === 'pending' && s.reason.includes('unreachable'));
    await new Promise((r) => setTimeout(r, 100));
    expect(other.state.sample().status).toBe('pending');
  });

  it('reconnects when a connection goes silent (heartbeat watchdog), keeping the dtab', async () => {
    // A peer we own: the first connection answers with one dtab event and then says nothing more,
    // like a stream cut by a load balancer without a FIN; later ones accept and never write.
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      if (sockets.length > 1) return;
      const event = `${JSON.stringify({ type: 'dtab', namespace: 'default', version: 'v1', dtab: '/svc=>/$/inet/127.0.0.1/1' })}\n`;
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n' +
            `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    });
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { logger } = capturedLogger();
    const options = { url, namespace: 'default', logger, heartbeatTimeoutMs: 300, backoff: { minMs: 20, maxMs: 50 } };
    const { source } = run(new NamerdDtabSource(options));
    await until(source, (s) => s.status === 'ok' && s.snapshot.version === 'v1');
    const stale = await until(source, (s) => s.status === 'ok' && s.stale !== undefined, 3000);
    expect(stale.status === 'ok' && stale.stale).toContain('heartbeat timeout');
    // Each silent reconnect is abandoned in turn, and the dtab stays.
    const start = Date.now();
    while (sockets.length < 3 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 50));
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    expect(source.state.sample()).toMatchObject({ status: 'ok', snapshot: { version: 'v1' } });
  });
});
