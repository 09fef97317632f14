/**
 * Names that are special to JavaScript objects (`__proto__`, `constructor`, `prototype`, …) sent
 * as namespace names, query keys and JSON keys to every namerd JSON API, over every store: each
 * is either an ordinary name (stored, listed, read back like any other) or refused with 400, and
 * nothing is polluted (Object.prototype keeps its keys, a fresh object stays empty) and nothing is
 * half-stored (a refused write leaves no name, version or history behind).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtabStore } from '../../src/store/dtab-store.js';
import { FileDtabStore } from '../../src/store/file-store.js';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { RedisDtabStore } from '../../src/store/redis-store.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';

const SPECIAL = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];
/** Valid namespace names start with a letter or digit; `__proto__` and `__defineGetter__` do not. */
const VALID = SPECIAL.filter((name) => /^[A-Za-z0-9]/.test(name));
const DTAB_JSON = '[{"prefix":"/svc","dst":"/$/inet/127.0.0.1/8080"}]';

let redis: RedisServer;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'proto-'));
beforeAll(async () => {
  redis = await startRedisServer();
}, 20_000);
afterAll(async () => {
  await redis?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const stores: [string, () => Promise<DtabStore>][] = [
  ['memory', async () => new MemoryDtabStore()],
  ['file', () => FileDtabStore.open(path.join(tmp, randomBytes(4).toString('hex')))],
  ['redis', () => RedisDtabStore.open(redis.url, { prefix: `proto-${randomBytes(4).toString('hex')}:` })],
];

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function call(url: string, method: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: method as 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.statusCode, body: await res.body.text() } satisfies Answer;
}

/** The first line of a watch stream. */
async function firstLine(url: string, accept: string): Promise<string> {
  const res = await request(url, { headers: { accept } });
  let text = '';
  for await (const chunk of res.body) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  res.body.destroy();
  return text.split('\n')[0]!;
}

function prototypeSnapshot() {
  return {
    keys: Reflect.ownKeys(Object.prototype).map(String).sort(),
    fresh: Object.keys({}).length + Object.keys(Object.create(Object.prototype)).length,
    inherited: SPECIAL.concat(['dtab', 'prefix', 'dst', 'namespace', 'path', 'version', 'watch', 'message']).filter(
      (k) => k in {} && !Reflect.ownKeys(Object.prototype).includes(k),
    ),
  };
}

describe.each(stores)('special object keys against namerd on the %s store', (_, open) => {
  let store: DtabStore;
  let namerd: RunningNamerd;
  beforeAll(async () => {
    store = await open();
    namerd = await startNamerd({ store });
  });
  afterAll(async () => {
    await namerd.close();
    await store.close();
  });

  it('as namespace names: ordinary names work end to end, the others are refused, nothing is polluted', {
    timeout: 30_000,
  }, async () => {
    const before = prototypeSnapshot();
    const base = `${namerd.url}/api/1/dtabs`;
    for (const ns of SPECIAL) {
      const valid = VALID.includes(ns);
      const created = await call(`${base}/${ns}`, 'POST', DTAB_JSON, { 'x-dtab-message': ns });
      expect(created.status, `POST ${ns}: ${created.body}`).toBe(valid ? 204 : 400);
      const read = await call(`${base}/${ns}`, 'GET');
      expect(read.status, ns).toBe(valid ? 200 : 400);
      if (!valid) {
        for (const method of ['PUT', 'DELETE'])
          expect((await call(`${base}/${ns}`, method, DTAB_JSON)).status).toBe(400);
        expect((await call(`${base}/${ns}/versions`, 'GET')).status).toBe(400);
        continue;
      }
      expect(JSON.parse(read.body)).toEqual(JSON.parse(DTAB_JSON));
      expect((await call(`${base}/${ns}`, 'PUT', DTAB_JSON, { 'if-match': 'AAAAAAAAAAE=' })).status).toBe(204);
      const versions = JSON.parse((await call(`${base}/${ns}/versions`, 'GET')).body);
      expect(versions.map((v: { number: number; message?: string }) => [v.number, v.message])).toEqual([
        [2, undefined],
        [1, ns],
      ]);
      expect(await firstLine(`${base}/${ns}?watch=true`, 'application/x-ndjson')).toContain(`"namespace":"${ns}"`);
      expect(await firstLine(`${base}/${ns}?watch=true`, 'application/dtab')).toBe('/svc=>/$/inet/127.0.0.1/8080');
      const delegated = await call(`${namerd.url}/api/1/delegate/${ns}?path=/svc/x`, 'GET');
      expect(delegated.status, delegated.body).toBe(200);
    }
    const listed = JSON.parse((await call(`${base}`, 'GET')).body);
    expect(listed).toEqual([...VALID].sort());
    expect(await store.list()).toEqual([...VALID].sort());
    for (const ns of VALID) {
      expect((await call(`${base}/${ns}`, 'DELETE')).status).toBe(204);
      expect((await call(`${base}/${ns}`, 'GET')).status).toBe(404);
    }
    expect(JSON.parse((await call(`${base}`, 'GET')).body)).toEqual([]);
    expect(prototypeSnapshot()).toEqual(before);
  });

  it('as JSON keys and query keys: read as data, never as the object prototype; refused bodies store nothing', {
    timeout: 30_000,
  }, async () => {
    const before = prototypeSnapshot();
    const url = `${namerd.url}/api/1/dtabs/keys`;
    const refused = [
      // The dtab hidden behind a __proto__ key must not be found through the prototype chain.
      '{"__proto__":{"dtab":[{"prefix":"/a","dst":"/b"}]}}',
      '{"constructor":{"prototype":{"dtab":[{"prefix":"/a","dst":"/b"}]}}}',
      '[{"__proto__":{"prefix":"/a","dst":"/b"}}]',
      '[{"constructor":{"prototype":{"prefix":"/a","dst":"/b"}}}]',
      '{"prototype":[{"prefix":"/a","dst":"/b"}]}',
      '{"__proto__":[]}',
    ];
    for (const body of refused) {
      for (const method of ['POST', 'PUT']) {
        const answer = await call(url, method, body);
        expect(answer.status, `${method} ${body}: ${answer.body}`).toBe(400);
      }
    }
    expect(await store.list()).toEqual([]);
    expect(await store.history('keys')).toEqual([]);
    // Extra keys next to the real fields are ignored, whatever their names.
    const extra = '[{"prefix":"/a","dst":"/b","__proto__":{"prefix":"/evil"},"constructor":"x"}]';
    expect((await call(url, 'POST', extra)).status).toBe(204);
    expect(JSON.parse((await call(url, 'GET')).body)).toEqual([{ prefix: '/a', dst: '/b' }]);
    const wrapped = '{"__proto__":{"x":1},"constructor":1,"dtab":[{"prefix":"/c","dst":"/d"}]}';
    expect((await call(url, 'PUT', wrapped)).status).toBe(204);
    expect(JSON.parse((await call(url, 'GET')).body)).toEqual([{ prefix: '/c', dst: '/d' }]);
    // Query keys.
    for (const q of ['__proto__=1', 'constructor=1', 'prototype=true', '__proto__[watch]=true', 'version=__proto__']) {
      const answer = await call(`${url}?${q}`, 'GET');
      expect([200, 400], `${q}: ${answer.body}`).toContain(answer.status);
    }
    const put = await call(`${url}?__proto__=x&message=constructor`, 'PUT', DTAB_JSON);
    expect(put.status).toBe(204);
    expect((await store.history('keys'))[0]?.message).toBe('constructor');
    // The delegate API's JSON body.
    for (const body of [
      '{"__proto__":{"namespace":"keys","dtab":"","path":"/svc/x"}}',
      '{"constructor":{"path":"/a"},"dtab":"","path":"/svc/x","namespace":"__proto__"}',
    ]) {
      const answer = await call(`${namerd.url}/api/1/delegate`, 'POST', body);
      expect(answer.status, `${body}: ${answer.body}`).toBe(400);
    }
    expect(await store.list()).toEqual(['keys']);
    expect(prototypeSnapshot()).toEqual(before);
  });

  it('as path segments in dtabs, delegations and binds', { timeout: 30_000 }, async () => {
    const before = prototypeSnapshot();
    const url = `${namerd.url}/api/1/dtabs/paths`;
    const dtab = '/__proto__=>/constructor/prototype;/constructor=>/$/inet/127.0.0.1/1;/svc=>/__proto__';
    expect((await call(url, 'PUT', dtab, { 'content-type': 'application/dtab' })).status).toBe(204);
    expect((await call(url, 'GET', undefined, { accept: 'application/dtab' })).body.trim()).toBe(dtab);
    for (const p of ['/svc/__proto__', '/svc/constructor', '/__proto__/prototype', '/prototype']) {
      const delegated = await call(`${namerd.url}/api/1/delegate/paths?path=${p}`, 'GET');
      expect(delegated.status, `${p}: ${delegated.body}`).toBe(200);
      const bound = await call(`${namerd.url}/api/1/bind/paths?path=${p}`, 'GET');
      expect(bound.status, `${p}: ${bound.body}`).toBe(200);
    }
    expect(prototypeSnapshot()).toEqual(before);
  });
});
