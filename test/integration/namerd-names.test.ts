/**
 * /api/1/delegate and /api/1/bind over a real socket: the stored dtab plus an extra `dtab=`,
 * linkerd's JSON, 400s naming what was wrong, and 503 after the timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { Activity } from '../../src/naming/activity.js';
import { MemoryDtabStore } from '../../src/store/memory-store.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let namerd: RunningNamerd;
beforeEach(async () => {
  const store = new MemoryDtabStore();
  // A namer that never answers, to see the timeout.
  const interpreter = defaultInterpreter({ kinds: { stuck: { lookup: () => Activity.pending } } });
  namerd = await startNamerd({ store, interpreter, requestTimeoutMs: 300 });
  await fetch(`${namerd.url}/api/1/dtabs/default`, {
    method: 'POST',
    body: '/svc => /srv ; /srv/web => /$/inet/127.0.0.1/8080 ; /srv/slow => /$/stuck',
    headers: { 'content-type': 'application/dtab' },
  });
});
afterEach(() => namerd.close());

const get = (path: string) => fetch(`${namerd.url}/api/1${path}`);

describe('/api/1/delegate', () => {
  it('explains a path through the stored dtab', async () => {
    const res = await get('/delegate/default?path=/svc/web');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      type: 'delegate',
      path: '/svc/web',
      delegate: {
        type: 'delegate',
        path: '/srv/web',
        dentry: { prefix: '/svc', dst: '/srv' },
        delegate: {
          type: 'leaf',
          path: '/$/inet/127.0.0.1/8080',
          dentry: { prefix: '/srv/web', dst: '/$/inet/127.0.0.1/8080' },
          bound: {
            addr: { type: 'bound', addrs: [{ ip: '127.0.0.1', port: 8080, meta: {} }], meta: {} },
            id: '/$/inet/127.0.0.1/8080',
            path: '/',
          },
        },
      },
    });
  });

  it('appends dtab= so it wins, and takes the namespace from the query or a JSON POST', async () => {
    const extra = encodeURIComponent('/srv/web => /$/inet/127.0.0.1/9090');
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test.
    const viaQuery: any = await (await get(`/delegate?namespace=default&path=/svc/web&dtab=${extra}`)).json();
    // Both /srv/web rules match now; the appended one is tried first.
    expect(viaQuery.delegate.alt.map((n: { bound: { id: string } }) => n.bound.id)).toEqual([
      '/$/inet/127.0.0.1/9090',
      '/$/inet/127.0.0.1/8080',
    ]);
    const viaPost = await fetch(`${namerd.url}/api/1/delegate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'default', dtab: '', path: '/svc/web' }),
    });
    const posted = (await viaPost.json()) as { delegate: { delegate: { bound: { id: string } } } };
    expect(posted.delegate.delegate.bound.id).toBe('/$/inet/127.0.0.1/8080');
    const wrongType = await fetch(`${namerd.url}/api/1/delegate`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
  });

  it('answers 400 Invalid path / Invalid dtab with the position, and 503 after the timeout', async () => {
    const badPath = await get('/delegate/default?path=svc');
    expect(badPath.status).toBe(400);
    expect(await badPath.text()).toMatch(/^Invalid path: '\/' expected but 's' found at line 1, column 1/);
    const badDtab = await get(`/delegate/default?path=/svc&dtab=${encodeURIComponent('/a=>')}`);
    expect(badDtab.status).toBe(400);
    expect(await badDtab.text()).toMatch(/^Invalid dtab: /);
    const slow = await get('/delegate/default?path=/svc/slow');
    expect(slow.status).toBe(503);
    expect(await slow.text()).toBe('Request timed out.\n');
  });
});

describe('/api/1/bind', () => {
  it('binds through the stored dtab and answers with the bound tree and its address', async () => {
    const body = await (await get('/bind/default?path=/svc/web/extra')).json();
    expect(body).toEqual({
      type: 'leaf',
      path: '/svc/web/extra',
      bound: {
        addr: { type: 'bound', addrs: [{ ip: '127.0.0.1', port: 8080, meta: {} }], meta: {} },
        id: '/$/inet/127.0.0.1/8080',
        path: '/extra',
      },
    });
    expect(await (await get('/bind/default?path=/nothing')).json()).toMatchObject({ type: 'neg' });
    expect((await get('/bind/default?path=/svc/slow')).status).toBe(503);
  });
});
