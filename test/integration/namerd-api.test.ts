/**
 * namerd's /api/1/dtabs over a real socket: namerd's status codes, ETags and codecs, and
 * switchyard's additions (history, messages, bearer tokens). Watches and names have their own files.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { type RunningNamerd, rawRequest, startNamerd } from '../helpers/namerd-server.js';

let namerd: RunningNamerd;
let store: MemoryDtabStore;
beforeEach(async () => {
  store = new MemoryDtabStore();
  namerd = await startNamerd({ store });
});
afterEach(() => namerd.close());

const api = (path: string, init: RequestInit = {}) => fetch(`${namerd.url}/api/1${path}`, init);
const dtabBody = (text: string, type = 'application/dtab') => ({ body: text, headers: { 'content-type': type } });

describe('/api/1/dtabs', () => {
  it('creates, reads and lists with the ETag sequence AAAAAAAAAAE=, AAAAAAAAAAI=, …', async () => {
    expect((await api('/dtabs/default', { method: 'POST', ...dtabBody('/svc => /srv') })).status).toBe(204);
    let res = await api('/dtabs/default');
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('AAAAAAAAAAE=');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe('[{"prefix":"/svc","dst":"/srv"}]\n');
    res = await api('/dtabs/default', { method: 'PUT', ...dtabBody('/svc => /srv2') });
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toBe('AAAAAAAAAAI=');
    expect((await api('/dtabs/default', { method: 'HEAD' })).headers.get('etag')).toBe('AAAAAAAAAAI=');
    await api('/dtabs/alpha', { method: 'POST', ...dtabBody('/a=>/b') });
    expect(await (await api('/dtabs')).text()).toBe('["alpha","default"]\n');
    expect(await (await api('/dtabs/')).json()).toEqual(['alpha', 'default']);
  });

  it('negotiates the codec from Accept: first recognised type wins, JSON by default', async () => {
    await api('/dtabs/ns', { method: 'POST', ...dtabBody('/a => 1 * /b & 2 * /c ; /x => /y | ~') });
    const get = (accept: string) => api('/dtabs/ns', { headers: { accept } }).then((r) => r.text());
    expect(await get('application/dtab')).toBe('/a=>/b & 2*/c;/x=>/y | ~\n');
    expect(await get('text/plain;q=0.1, application/json')).toBe('/a=>/b & 2*/c;/x=>/y | ~\n');
    expect(await get('*/*')).toBe('[{"prefix":"/a","dst":"/b & 2*/c"},{"prefix":"/x","dst":"/y | ~"}]\n');
  });

  it('accepts JSON bodies, including namectl get --json output', async () => {
    const body = JSON.stringify({ version: 'x', dtab: [{ prefix: '/a', dst: '/b | /c' }] });
    expect(
      (await api('/dtabs/j', { method: 'POST', ...dtabBody(body, 'application/json; charset=utf-8') })).status,
    ).toBe(204);
    expect(await (await api('/dtabs/j', { headers: { accept: 'text/plain' } })).text()).toBe('/a=>/b | /c\n');
  });

  it('answers 409, 404 and 412 like namerd, and treats garbage If-Match as a mismatch', async () => {
    await api('/dtabs/default', { method: 'POST', ...dtabBody('/a=>/b') });
    expect((await api('/dtabs/default', { method: 'POST', ...dtabBody('/a=>/c') })).status).toBe(409);
    expect((await api('/dtabs/nope')).status).toBe(404);
    expect((await api('/dtabs/nope', { method: 'DELETE' })).status).toBe(404);
    const put = (ifMatch: string) =>
      api('/dtabs/default', {
        method: 'PUT',
        body: '/a=>/d',
        headers: { 'content-type': 'application/dtab', 'if-match': ifMatch },
      });
    const stale = await put('AAAAAAAAAAI=');
    expect(stale.status).toBe(412);
    expect(await stale.text()).toContain('expected version 2 but the current version is 1');
    expect((await put('yolo')).status).toBe(412);
    expect((await put('AAAAAAAAAAE=')).status).toBe(204);
    expect((await put('"AAAAAAAAAAI="')).status).toBe(204);
    expect(
      (
        await api('/dtabs/absent', {
          method: 'PUT',
          body: '/a=>/b',
          headers: { 'content-type': 'text/plain', 'if-match': 'AAAAAAAAAAE=' },
        })
      ).status,
    ).toBe(404);
    expect((await api('/dtabs/absent', { method: 'PUT', ...dtabBody('/a=>/b') })).status).toBe(204);
  });

  it('rejects a bad dtab with 400 naming line and column, and stores nothing', async () => {
    await api('/dtabs/default', { method: 'POST', ...dtabBody('/a=>/b') });
    const res = await api('/dtabs/default', { method: 'PUT', ...dtabBody('/a => /b ;\n/c => /d |') });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Invalid dtab: simple expected but end of input found at line 2, column 11/);
    const json = await api('/dtabs/other', {
      method: 'POST',
      ...dtabBody('[{"prefix":"/a","dst":"/b"},{"prefix":"/c","dst":"/d /e"}]', 'application/json'),
    });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain('entry 1 "dst"');
    expect((await api('/dtabs/default')).headers.get('etag')).toBe('AAAAAAAAAAE=');
    expect(await store.list()).toEqual(['default']);
    // A Blob without a type sends no Content-Type at all.
    expect((await api('/dtabs/x', { method: 'POST', body: new Blob(['/a=>/b']) })).status).toBe(400);
    expect((await api('/dtabs/x', { method: 'POST', ...dtabBody('/a=>/b', 'application/yaml') })).status).toBe(400);
  });

  it.each(['..', '%2e%2e', '.hidden', 'a%2Fb', 'a%00b', 'x'.repeat(129), 'sp%20ace', '%C3%A9'])(
    'rejects the namespace %j with 400',
    async (ns) => {
      const res = await rawRequest(namerd.url, 'POST', `/api/1/dtabs/${ns}`, '/a=>/b', {
        'content-type': 'application/dtab',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/^Invalid namespace/);
      expect(await store.list()).toEqual([]);
    },
  );

  it('does not route prefixes of dtabs as dtabs', async () => {
    expect((await api('/dtabsexpialidocious')).status).toBe(404);
  });
});

describe('history', () => {
  it('keeps every version with its time and message, and serves old ones by number or ETag', async () => {
    await api('/dtabs/default', {
      method: 'POST',
      ...dtabBody('/svc=>/srv/v1'),
      headers: { 'content-type': 'application/dtab', 'x-dtab-message': 'first' },
    });
    await api('/dtabs/default?message=canary%2010%25', { method: 'PUT', ...dtabBody('/svc=>9*/srv/v1 & /srv/v2') });
    await api('/dtabs/default', { method: 'DELETE' });
    await api('/dtabs/default', { method: 'POST', ...dtabBody('/svc=>/srv/v2') });
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test.
    const versions: any = await (await api('/dtabs/default/versions')).json();
    expect(versions.map((v: { number: number }) => v.number)).toEqual([4, 3, 2, 1]);
    expect(versions[1]).toMatchObject({ deleted: true });
    expect(versions[2]).toMatchObject({ version: 'AAAAAAAAAAI=', message: 'canary 10%', dentries: 1 });
    expect(versions[3].message).toBe('first');
    expect(Date.parse(versions[0].time)).toBeGreaterThan(Date.now() - 60_000);
    const v2 = await api('/dtabs/default?version=2', { headers: { accept: 'application/dtab' } });
    expect(await v2.text()).toBe('/svc=>9*/srv/v1 & /srv/v2\n');
    expect(v2.headers.get('etag')).toBe('AAAAAAAAAAI=');
    expect(await (await api('/dtabs/default?version=AAAAAAAAAAE=', { headers: { accept: 'text/plain' } })).text()).toBe(
      '/svc=>/srv/v1\n',
    );
    expect((await api('/dtabs/default?version=3')).status).toBe(404);
    expect((await api('/dtabs/default?version=bogus')).status).toBe(400);
  });

  it('rolls back by compare-and-set of an old text, which gets a new number', async () => {
    await api('/dtabs/default', { method: 'POST', ...dtabBody('/svc=>/srv/v1') });
    await api('/dtabs/default', { method: 'PUT', ...dtabBody('/svc=>/srv/v2') });
    const old = await (await api('/dtabs/default?version=1', { headers: { accept: 'application/dtab' } })).text();
    const res = await api('/dtabs/default', {
      method: 'PUT',
      body: old,
      headers: { 'content-type': 'application/dtab', 'if-match': 'AAAAAAAAAAI=', 'x-dtab-message': 'rollback to 1' },
    });
    expect(res.headers.get('etag')).toBe('AAAAAAAAAAM=');
    expect(await (await api('/dtabs/default', { headers: { accept: 'text/plain' } })).text()).toBe('/svc=>/srv/v1\n');
  });
});

describe('bearer token for writes', () => {
  it('needs the token for writes only: 401 without, 403 wrong', async () => {
    await namerd.close();
    namerd = await startNamerd({ store, token: 's3cret' });
    const post = (auth?: string) =>
      api('/dtabs/default', {
        method: 'POST',
        body: '/a=>/b',
        headers: { 'content-type': 'application/dtab', ...(auth ? { authorization: auth } : {}) },
      });
    expect((await post()).status).toBe(401);
    expect((await post('Bearer nope')).status).toBe(403);
    expect((await post('Bearer s3cret')).status).toBe(204);
    expect((await api('/dtabs/default')).status).toBe(200);
    expect((await api('/dtabs/default', { method: 'DELETE' })).status).toBe(401);
  });
});
