/**
 * The registry pushes fault configs to its peers by label, end to end with real processes: a
 * `switchyard registry` on Redis and `switchyard router`s registered with it (three under label
 * `a`, one under `b`). A fault added for `a` shows in the `/toxiproxy/proxies` of the three `a`
 * routers and not in `b`'s; an abort toxic at toxicity 1 makes requests through an `a` router
 * fail with its status while `b` still answers; remove and clear take it away; a router that
 * registers after the add gets it; a dead pod makes the push a 424 naming it while the others
 * took it; racing adds of one name leave every pod with the registry's version; and a registry restarted on Redis still has the faults and gives them to a new router.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import {
  get,
  type NamedUpstream,
  type RouterProcess,
  startNamedUpstream,
  startRouterProcess,
} from '../helpers/router-harness.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
type Json = any;

let redis: RedisServer;
let web: NamedUpstream;
let registry: RoleProcess;
let dir: string;
const routers: RouterProcess[] = [];
const a: RouterProcess[] = [];
let b: RouterProcess;

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const admin = (r: RouterProcess) => new URL(r.adminUrl).host;
const proxiesOf = async (r: RouterProcess): Promise<Json> => (await call(`${r.adminUrl}/toxiproxy/proxies`)).json;

async function startPeer(label: string, registryUrl: string): Promise<RouterProcess> {
  const router = await startRouterProcess(['--dtab', join(dir, 'dtab'), '--label', label, '--registry', registryUrl]);
  routers.push(router);
  await eventually(
    async () => ((await call(`${registryUrl}/registry/peers`)).json?.[label]?.pods?.[admin(router)] ? true : undefined),
    15_000,
    `the ${label} router registered`,
  );
  return router;
}

const abort503 = {
  name: 'web-abort',
  listen: '/svc/web',
  upstream: '*',
  // On the request: the router answers 503 at once and the service never sees the request.
  toxics: [{ name: 'boom', type: 'abort', stream: 'upstream', toxicity: 1, attributes: { status: 503 } }],
};

beforeAll(async () => {
  [redis, web] = await Promise.all([startRedisServer(), startNamedUpstream('web')]);
  dir = mkdtempSync(join(tmpdir(), 'registry-faults-'));
  writeFileSync(join(dir, 'dtab'), `/svc/web => /$/inet/127.0.0.1/${web.port}`);
  registry = await startRole('registry', ['--listen', '127.0.0.1:0', '--store', redis.url]);
  const started = await Promise.all([
    startPeer('a', registry.url),
    startPeer('a', registry.url),
    startPeer('a', registry.url),
    startPeer('b', registry.url),
  ]);
  a.push(...started.slice(0, 3));
  b = started[3]!;
}, 60_000);

afterAll(async () => {
  for (const r of routers) r.child.kill('SIGKILL');
  await Promise.all(routers.map((r) => r.exited));
  await stopAll();
  await web?.close();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('faults pushed by label', () => {
  it('an added fault reaches the three a routers, not b, and aborts requests through them', async () => {
    expect((await get(`${a[0]!.url}/`, { host: 'web' })).status).toBe(200);
    const added = await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', abort503);
    expect(added.status).toBe(200);
    expect(added.json).toEqual({ a: Object.fromEntries(a.map((r) => [admin(r), 'ok'])) });
    for (const r of a) {
      const proxies = await proxiesOf(r);
      expect(proxies['web-abort']).toMatchObject({
        name: 'web-abort',
        listen: '/svc/web',
        upstream: '*',
        enabled: true,
      });
      expect(proxies['web-abort'].toxics).toEqual([
        {
          name: 'boom',
          type: 'abort',
          stream: 'upstream',
          toxicity: 1,
          attributes: expect.objectContaining({ status: 503 }),
        },
      ]);
    }
    expect(await proxiesOf(b)).toEqual({});
    const seen = web.seen.length;
    for (const r of a) {
      const answer = await get(`${r.url}/`, { host: 'web' });
      expect(answer.status).toBe(503);
      expect(answer.headers['l5d-fault']).toBe('web-abort/boom');
    }
    expect(web.seen.length).toBe(seen);
    expect((await get(`${b.url}/`, { host: 'web' })).status).toBe(200);
  });

  it('replacing a fault of the same name replaces its toxics on every pod', async () => {
    const latency = { ...abort503, toxics: [{ name: 'slow', type: 'latency', attributes: { latency: 1 } }] };
    expect((await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', latency)).status).toBe(200);
    for (const r of a) expect((await proxiesOf(r))['web-abort'].toxics.map((t: Json) => t.name)).toEqual(['slow']);
    for (const r of a) expect((await get(`${r.url}/`, { host: 'web' })).status).toBe(200);
    expect((await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', abort503)).status).toBe(200);
    for (const r of a) expect((await get(`${r.url}/`, { host: 'web' })).status).toBe(503);
  });

  it('a router that registers after the add gets the fault', async () => {
    const late = await startPeer('a', registry.url);
    a.push(late);
    const proxies = await eventually(
      async () => ((await proxiesOf(late))['web-abort'] ? proxiesOf(late) : undefined),
      15_000,
      'the late router got the fault',
    );
    expect(proxies['web-abort'].toxics[0].name).toBe('boom');
    expect((await get(`${late.url}/`, { host: 'web' })).status).toBe(503);
  });

  it('remove and clear take the faults away from every pod of the label', async () => {
    const removed = await call(`${registry.url}/registry/peers/a/faults/web-abort/remove`, 'POST');
    expect(removed.status).toBe(200);
    expect(Object.values(removed.json.a)).toEqual(a.map(() => 'ok'));
    for (const r of a) expect(await proxiesOf(r)).toEqual({});
    for (const r of a) expect((await get(`${r.url}/`, { host: 'web' })).status).toBe(200);

    const other = { ...abort503, name: 'other' };
    expect((await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', abort503)).status).toBe(200);
    expect((await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', other)).status).toBe(200);
    for (const r of a) expect(Object.keys(await proxiesOf(r)).sort()).toEqual(['other', 'web-abort']);
    const cleared = await call(`${registry.url}/registry/peers/a/faults/clear`, 'POST');
    expect(cleared.status).toBe(200);
    for (const r of a) expect(await proxiesOf(r)).toEqual({});
    expect((await call(`${registry.url}/registry/peers/faults`)).json).toEqual({});
  });

  it('racing adds of one name leave every pod with the version the registry kept', async () => {
    const versions = Array.from({ length: 8 }, (_, i) => ({
      ...abort503,
      name: 'racing',
      toxics: [{ name: `v${i}`, type: 'latency', attributes: { latency: i + 1 } }],
    }));
    const answers = await Promise.all(
      versions.map((v) => call(`${registry.url}/registry/peers/a/faults/add`, 'POST', v)),
    );
    expect(answers.map((x) => x.status)).toEqual(versions.map(() => 200));
    const kept = (await call(`${registry.url}/registry/peers/a/faults`)).json.a.racing;
    for (const r of a) expect((await proxiesOf(r)).racing.toxics).toEqual(kept.toxics);
    expect((await call(`${registry.url}/registry/peers/a/faults/racing/remove`, 'POST')).status).toBe(200);
  });

  it('a dead pod makes the push a 424 naming it, while the others took the fault', async () => {
    const dead = a.pop()!;
    dead.child.kill('SIGKILL');
    await dead.exited;
    const added = await call(`${registry.url}/registry/peers/a/faults/add`, 'POST', abort503);
    expect(added.status).toBe(424);
    expect(added.json.a[admin(dead)]).toMatch(/^error: /);
    for (const r of a) {
      expect(added.json.a[admin(r)]).toBe('ok');
      expect(Object.keys(await proxiesOf(r))).toEqual(['web-abort']);
    }
    expect(Object.keys((await call(`${registry.url}/registry/peers/a/faults`)).json.a)).toEqual(['web-abort']);
  });

  it('a registry restarted on Redis still has the faults and gives them to a router that joins it', async () => {
    const before = (await call(`${registry.url}/registry/peers/faults`)).json;
    await registry.kill();
    registry = await startRole('registry', ['--listen', new URL(registry.url).host, '--store', redis.url]);
    expect((await call(`${registry.url}/registry/peers/faults`)).json).toEqual(before);
    const joining = await startPeer('a', registry.url);
    await eventually(async () => ((await proxiesOf(joining))['web-abort'] ? true : undefined), 15_000, 'pushed');
    expect((await get(`${joining.url}/`, { host: 'web' })).status).toBe(503);
  });
});
