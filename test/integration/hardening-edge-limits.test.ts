/**
 * The router's default limits, like a production proxy's: a head that dribbles gets 408, a body
 * that stalls gets 408, an upstream that never answers gets 504, a connection past the cap gets
 * 503 with `Connection: close` (never a silent drop), and idle connections are closed. The tests
 * use small limits so they finish quickly; the defaults themselves are checked in the config.
 */

import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { defaults, sectionFields } from '../../src/config/config-schema.js';
import { routerConfig } from '../../src/config/router-config.js';
import { ROUTER_FIELDS } from '../../src/config/router-keys.js';
import { openSocket, rawExchange, rawHeader } from '../helpers/raw-http.js';
import { client, get } from '../helpers/router-harness.js';
import { metrics, testScope } from '../helpers/test-scope.js';

const { cleanups, upstream, router } = testScope();

describe('defaults', () => {
  it('has production limits by default, each configurable and validated', () => {
    const c = routerConfig('dtab: /svc => /$/inet/127.0.0.1/1');
    expect(c.limits).toEqual(defaults(sectionFields(ROUTER_FIELDS, 'limits')));
    expect(c.limits).toMatchObject({
      headersTimeoutMs: 10_000,
      bodyIdleTimeoutMs: 30_000,
      responseTimeoutMs: 30_000,
      keepAliveIdleMs: 10_000,
      maxConnections: 10_000,
      maxServiceSeries: 1_000,
      maxClientSeries: 1_000,
    });
    expect(() =>
      routerConfig('dtab: /svc => /$/inet/127.0.0.1/1\nlimits:\n  maxConnections: 0\n  headersTimeoutMs: x\n  nope: 1'),
    ).toThrow(
      /limits\.maxConnections[\s\S]*limits\.headersTimeoutMs|limits\.headersTimeoutMs[\s\S]*limits\.maxConnections/,
    );
    expect(() => routerConfig('dtab: /svc => /$/inet/127.0.0.1/1\nlimits:\n  nope: 1')).toThrow(/nope/);
  });
});

describe('slow clients', () => {
  it('answers a head dribbled one byte at a time 408 with l5d-err once headersTimeoutMs passes', async () => {
    const web = await upstream('web');
    const r = await router(`limits:\n  headersTimeoutMs: 600\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    const head = 'GET / HTTP/1.1\r\nHost: web\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    const a = await rawExchange(r.url, [...head], { gapMs: 100, untilMs: 15_000 });
    expect(a.status).toBe(408);
    expect(rawHeader(a.text, 'l5d-err')).toMatch(/did%20not%20arrive/);
    expect(rawHeader(a.text, 'connection')).toBe('close');
    // 600 ms plus node's check interval, with room for a loaded machine; not the ~80 s it was.
    expect(a.elapsedMs).toBeLessThan(5_000);
    expect(web.seen.length).toBe(0);
  });

  it('closes a connection that never sends a request once headersTimeoutMs passes', async () => {
    const r = await router('limits:\n  headersTimeoutMs: 500\ndtab: /svc => /$/inet/127.0.0.1/1');
    const a = await rawExchange(r.url, [], { untilMs: 10_000 });
    expect(a.ended).toBe('closed');
    expect(a.elapsedMs).toBeLessThan(5_000);
  });

  it('answers a request body that stalls 408 after bodyIdleTimeoutMs, and the endpoint stays alive', async () => {
    const web = await upstream('web', (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok\n'));
    });
    const r = await router(`limits:\n  bodyIdleTimeoutMs: 500\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    expect((await get(r.url, { host: 'web' })).status).toBe(200);
    const started = performance.now();
    for (let i = 0; i < 6; i++) {
      const a = await rawExchange(r.url, 'POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 100\r\n\r\nab', {
        untilMs: 10_000,
      });
      expect(a.status).toBe(408);
      expect(rawHeader(a.text, 'l5d-err')).toMatch(/request%20body/);
      expect(rawHeader(a.text, 'connection')).toBe('close');
    }
    expect(performance.now() - started).toBeLessThan(6 * 3_000);
    const m = await metrics(r.adminUrl);
    expect(m[`rt/http/client/$/inet/127.0.0.1/${web.port}/failure_accrual/removals`]).toBe(0);
  });

  it('keeps a body that trickles steadily (each pause shorter than the limit)', async () => {
    const web = await upstream('web', (req, res) => {
      let n = 0;
      req.on('data', (d) => (n += d.length));
      req.on('end', () => res.end(`got ${n}\n`));
    });
    const r = await router(`limits:\n  bodyIdleTimeoutMs: 1000\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    const a = await rawExchange(r.url, ['POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 8\r\n\r\n', ...'abcdefgh'], {
      gapMs: 250,
      stopWhen: (t) => t.includes('got 8'),
    });
    expect(a.status).toBe(200);
    expect(a.text).toContain('got 8');
  });
});

describe('slow upstreams', () => {
  it('does not take an upstream that reads the body slowly for a stalled client', async () => {
    // Reads nothing for 1.5 s (the router is held back by backpressure), then everything.
    const lazy = await upstream('lazy', (req, res) => {
      req.pause();
      setTimeout(() => {
        let n = 0;
        req.on('data', (d) => (n += d.length));
        req.on('end', () => res.end(`got ${n}`));
        req.resume();
      }, 1500);
    });
    const r = await router(`limits:\n  bodyIdleTimeoutMs: 400\ndtab: /svc/web => /$/inet/127.0.0.1/${lazy.port}`);
    const res = await request(r.url, {
      method: 'POST',
      headers: { host: 'web' },
      body: Buffer.alloc(8 * 2 ** 20, 97),
      dispatcher: client,
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(`got ${8 * 2 ** 20}`);
  });

  it('answers 504 with l5d-err when the upstream never answers within responseTimeoutMs', async () => {
    const hung = await upstream('hung', (req) => req.resume());
    const r = await router(`limits:\n  responseTimeoutMs: 500\ndtab: /svc/web => /$/inet/127.0.0.1/${hung.port}`);
    const started = performance.now();
    const res = await get(r.url, { host: 'web' });
    expect(res.status).toBe(504);
    expect(res.headers['l5d-err']).toMatch(/timed%20out/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('does not cut a response that started in time, however long it streams', async () => {
    const streaming = await upstream('streaming', (req, res) => {
      req.resume();
      res.write('a');
      setTimeout(() => res.end('b'), 900);
    });
    const r = await router(`limits:\n  responseTimeoutMs: 300\ndtab: /svc/web => /$/inet/127.0.0.1/${streaming.port}`);
    const res = await get(r.url, { host: 'web' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('ab');
  });
});

describe('connections', () => {
  it('answers a connection past maxConnections 503 with Connection: close, and counts it', async () => {
    const web = await upstream('web');
    const r = await router(`limits:\n  maxConnections: 5\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    const held = await Promise.all(Array.from({ length: 5 }, () => openSocket(r.url)));
    cleanups.push(() => {
      for (const s of held) s.destroy();
    });
    // Let the router accept the five before the sixth arrives.
    for (let i = 0; i < 100 && (await metrics(r.adminUrl))['rt/http/server/connections'] !== 5; i++) {
      await new Promise((res) => setTimeout(res, 20));
    }
    const a = await rawExchange(r.url, 'GET / HTTP/1.1\r\nHost: web\r\n\r\n', { untilMs: 5_000 });
    expect(a.status).toBe(503);
    expect(rawHeader(a.text, 'connection')).toBe('close');
    expect(rawHeader(a.text, 'l5d-err')).toMatch(/limit%20of%205%20connections/);
    expect((await metrics(r.adminUrl))['rt/http/server/connections_refused']).toBe(1);
    for (const s of held) s.destroy();
    // Below the cap again, requests are served.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await rawExchange(r.url, 'GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n')).status;
    }
    expect(status).toBe(200);
  });

  it('closes an idle keep-alive connection after keepAliveIdleMs', async () => {
    const web = await upstream('web');
    const r = await router(`limits:\n  keepAliveIdleMs: 300\ndtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
    const a = await rawExchange(r.url, 'GET / HTTP/1.1\r\nHost: web\r\n\r\n', { untilMs: 10_000 });
    expect(a.status).toBe(200);
    expect(a.ended).toBe('closed');
    expect(a.elapsedMs).toBeLessThan(5_000);
  });
});
