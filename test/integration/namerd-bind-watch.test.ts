/**
 * namerd as an interpreter over HTTP, as linkerd's io.l5d.namerd.http and switchyard's router use
 * it: `bind`, `addr` and `resolve` with `watch=true` stream one JSON document per change (the
 * current state at once, identical states suppressed, a bare newline as heartbeat), and answer
 * once without it; `bound-names` lists what namerd has bound; `/api/1/dtabs` lists on any method.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Path } from '../../src/dtab/path.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { FsNamer } from '../../src/namers/fs.js';
import { type LineStream, openStream, type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let dir: string;
let namerd: RunningNamerd;
const streams: LineStream[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'namerd-watch-'));
  await writeFile(join(dir, 'web'), '127.0.0.1 8081\n');
  await writeFile(join(dir, 'gen'), '127.0.0.1 8082\n');
  const prefix = Path.read('/#/io.l5d.fs');
  const interpreter = defaultInterpreter({
    namers: [{ prefix, namer: new FsNamer({ rootDir: dir, prefix, rescanMs: 100 }) }],
  });
  namerd = await startNamerd({ interpreter, heartbeatMs: 200 });
  await put('/svc => /#/io.l5d.fs ; /svc/mix => /svc/web & 3*/svc/gen');
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await namerd.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(dtab: string): Promise<void> {
  const res = await fetch(`${namerd.url}/api/1/dtabs/default`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: dtab,
  });
  expect(res.status).toBe(204);
}

async function watch(path: string): Promise<LineStream> {
  const s = await openStream(`${namerd.url}/api/1${path}`);
  streams.push(s);
  return s;
}

/** The next document on a stream, skipping heartbeat newlines; counts the heartbeats seen. */
async function nextDoc(s: LineStream, beats = { n: 0 }, timeoutMs = 5000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await s.next(Math.max(1, deadline - Date.now()));
    if (line === '') beats.n++;
    else return JSON.parse(line);
  }
}

const ids = (doc: unknown): string[] => {
  const out: string[] = [];
  const walk = (n: { type: string; bound?: { id: string }; union?: { tree: unknown }[]; alt?: unknown[] }) => {
    if (n.type === 'leaf') out.push(n.bound!.id);
    for (const w of n.union ?? []) walk(w.tree as never);
    for (const a of n.alt ?? []) walk(a as never);
  };
  walk(doc as never);
  return out.sort();
};

describe('bind?watch=true', () => {
  it('streams the bound tree at once and again on every dtab change, with heartbeats between', async () => {
    const s = await watch('/bind/default?path=/svc/mix&watch=true');
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^application\/json/);
    expect(s.headers['transfer-encoding']).toBe('chunked');
    expect(ids(await nextDoc(s))).toEqual(['/#/io.l5d.fs/gen', '/#/io.l5d.fs/web']);
    const beats = { n: 0 };
    await put('/svc => /#/io.l5d.fs ; /svc/mix => /svc/gen');
    const changed = (await nextDoc(s, beats)) as { type: string; bound: { addr: { addrs: { port: number }[] } } };
    expect(changed.type).toBe('leaf');
    expect(changed.bound.addr.addrs.map((a) => a.port)).toEqual([8082]);
    // A write that binds the same way sends nothing; only heartbeats follow.
    await put('/svc => /#/io.l5d.fs ; /svc/mix => /svc/gen ; /unused => /nowhere');
    const quiet = { n: 0 };
    await expect(nextDoc(s, quiet, 700)).rejects.toThrow(/no line/);
    expect(quiet.n).toBeGreaterThanOrEqual(2);
    expect(namerd.openStreams()).toBe(1);
    s.close();
    for (let i = 0; i < 100 && namerd.openStreams() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(namerd.openStreams()).toBe(0);
  });

  it('follows the namer: a name that appears re-binds the tree; dtab= applies to this caller only', async () => {
    const s = await watch('/bind/default?path=/svc/new&watch=true');
    expect(await nextDoc(s)).toMatchObject({ type: 'neg' });
    await writeFile(join(dir, 'new'), '127.0.0.1 8090\n');
    expect(ids(await nextDoc(s))).toEqual(['/#/io.l5d.fs/new']);
    const mine = await watch(`/bind/default?path=/svc/web&watch=true&dtab=${encodeURIComponent('/svc/web=>/svc/gen')}`);
    expect(ids(await nextDoc(mine))).toEqual(['/#/io.l5d.fs/gen']);
    const theirs = await fetch(`${namerd.url}/api/1/bind/default?path=/svc/web`);
    expect(ids(await theirs.json())).toEqual(['/#/io.l5d.fs/web']);
  });
});

describe('addr, resolve and bound-names', () => {
  it('addr answers the addresses of a bound id, and streams their changes', async () => {
    const once = await fetch(`${namerd.url}/api/1/addr/default?path=${encodeURIComponent('/#/io.l5d.fs/web')}`);
    expect(once.status).toBe(200);
    expect(await once.json()).toEqual({ type: 'bound', addrs: [{ ip: '127.0.0.1', port: 8081, meta: {} }], meta: {} });
    const s = await watch(`/addr/default?path=${encodeURIComponent('/#/io.l5d.fs/web')}&watch=true`);
    expect(await nextDoc(s)).toMatchObject({ addrs: [{ port: 8081 }] });
    await writeFile(join(dir, 'web'), '127.0.0.1 8081\n127.0.0.1 8084\n');
    expect(await nextDoc(s)).toMatchObject({ type: 'bound', addrs: [{ port: 8081 }, { port: 8084 }] });
    const neg = await fetch(`${namerd.url}/api/1/addr/default?path=${encodeURIComponent('/#/io.l5d.fs/nothing')}`);
    expect(await neg.json()).toEqual({ type: 'neg' });
    const bad = await fetch(`${namerd.url}/api/1/addr/default?path=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^Invalid path: /);
  });

  it('resolve binds, draws one leaf by weight and answers its addresses (application/json)', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const res = await fetch(`${namerd.url}/api/1/resolve/default?path=/svc/mix`, { method: 'POST' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { type: string; addrs: { port: number }[] };
      expect(body.type).toBe('bound');
      seen.add(body.addrs[0]!.port);
    }
    expect([...seen].sort()).toEqual([8081, 8082]);
    expect(await (await fetch(`${namerd.url}/api/1/resolve/default?path=/nothing`)).json()).toEqual({ type: 'neg' });
    const s = await watch('/resolve/default?path=/svc/web&watch=true');
    expect(await nextDoc(s)).toMatchObject({ addrs: [{ port: 8081 }] });
    await put('/svc => /#/io.l5d.fs ; /svc/web => /svc/gen');
    expect(await nextDoc(s)).toMatchObject({ addrs: [{ port: 8082 }] });
  });

  it('bound-names lists the concrete names namerd has bound, and streams them', async () => {
    const s = await watch('/bound-names?watch=true');
    expect(await nextDoc(s)).toEqual([]);
    await fetch(`${namerd.url}/api/1/bind/default?path=/svc/mix`);
    expect(await nextDoc(s)).toEqual(['/#/io.l5d.fs/gen', '/#/io.l5d.fs/web']);
    const once = await fetch(`${namerd.url}/api/1/bound-names`);
    expect(once.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await once.json()).toEqual(['/#/io.l5d.fs/gen', '/#/io.l5d.fs/web']);
    expect((await fetch(`${namerd.url}/api/1/bound-names`, { method: 'POST' })).status).toBe(404);
  });
});

describe('/api/1/dtabs on any method', () => {
  it('lists the namespaces for POST, PUT and DELETE as for GET', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/api/1/dtabs', '/api/1/dtabs/']) {
        const res = await fetch(`${namerd.url}${path}`, { method });
        expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 200`);
        expect(await res.text()).toBe('["default"]\n');
      }
    }
  });
});

describe('a bind watcher that stops reading', () => {
  it('is cut off at the high-water mark; namerd keeps no backlog for it', { timeout: 60_000 }, async () => {
    const small = await startNamerd({ watchHighWaterBytes: 16 * 1024, heartbeatMs: 60_000 });
    try {
      const { hostname, port } = new URL(small.url);
      const socket = net.connect(Number(port), hostname);
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(`GET /api/1/bind/default?path=/svc/mix&watch=true HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      await new Promise<void>((r) => socket.once('data', () => r()));
      socket.pause();
      // Every write re-binds a 200-member union to new addresses: a ~43 KB document per change.
      const union = (n: number) =>
        `/svc/mix => ${Array.from({ length: 200 }, (_, i) => `/$/inet/127.0.0.1/${10_000 + n * 200 + i}`).join(' & ')}`;
      expect(small.openStreams()).toBe(1);
      // A paused socket sees nothing of its own close; namerd's count of open streams does.
      let writes = 0;
      for (; writes < 600 && small.openStreams() > 0; writes++) {
        const res = await fetch(`${small.url}/api/1/dtabs/default`, {
          method: 'PUT',
          headers: { 'content-type': 'application/dtab' },
          body: union(writes % 50),
        });
        expect(res.status).toBe(204);
        if (writes % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      console.log(`[namerd bind watch] a stalled watcher was cut off after ${writes} changes of ~43 KB`);
      expect(small.openStreams()).toBe(0);
      expect(writes).toBeLessThan(600);
      socket.destroy();
    } finally {
      await small.close();
    }
  });
});
