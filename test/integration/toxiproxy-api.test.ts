/**
 * switchyard toxiproxy's HTTP API: Toxiproxy's paths, shapes, status codes and error bodies, with
 * its own Node client where it covers the call and fetch where the exact body matters; and
 * hostile requests (non-loopback addresses, huge bodies, absurd numbers) that must change nothing.
 */
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startToxiproxyServer, type ToxiproxyServer } from '../../src/chaos/server.js';

let upstream: Server;
let upstreamAddress: string;
let server: ToxiproxyServer;
let client: Toxiproxy;

beforeAll(async () => {
  upstream = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamAddress = `127.0.0.1:${(upstream.address() as { port: number }).port}`;
  server = await startToxiproxyServer({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
  client = new Toxiproxy(server.url);
});

afterEach(async () => {
  for (const proxy of Object.values(await client.getAll())) await proxy.remove();
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const state = async () => (await call('GET', '/proxies')).body;

describe('toxiproxy API', () => {
  it('creates toxics with Toxiproxy’s defaults, lists, updates, removes them and resets', async () => {
    const proxy = await client.createProxy({ name: 'api', listen: '127.0.0.1:0', upstream: upstreamAddress });
    const created = await call('POST', '/proxies/api/toxics', { type: 'latency', attributes: { latency: 50 } });
    expect(created).toEqual({
      status: 200,
      body: {
        name: 'latency_downstream',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 50, jitter: 0 },
      },
    });
    await proxy.addToxic({
      name: 'up',
      type: 'bandwidth',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { rate: 10 },
    });
    const listed = await call('GET', '/proxies/api/toxics');
    expect(listed.body.map((t: { name: string }) => t.name)).toEqual(['up', 'latency_downstream']);
    const updated = await (await proxy.getToxic<{ rate: number }>('up')).update({
      name: 'up',
      type: 'bandwidth',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { rate: 20 },
    });
    expect(updated.attributes.rate).toBe(20);
    expect((await call('DELETE', '/proxies/api/toxics/up')).status).toBe(204);
    expect((await call('GET', '/proxies/api/toxics/up')).body).toEqual({ error: 'toxic not found', status: 404 });
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: upstreamAddress });
    await client.reset();
    const after = await call('GET', '/proxies/api');
    expect(after.body).toMatchObject({ name: 'api', enabled: true, toxics: [] });
  });

  it('populates: creates the listed proxies, keeps others, answers 201 with the list', async () => {
    await client.createProxy({ name: 'kept', listen: '127.0.0.1:0', upstream: upstreamAddress });
    const proxies = await client.populate([
      { name: 'p1', listen: '127.0.0.1:0', upstream: upstreamAddress },
      { name: 'p2', listen: 'localhost:0', upstream: `localhost:${upstreamAddress.split(':')[1]}`, enabled: false },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['p1', 'p2']);
    expect(proxies.p2?.enabled).toBe(false);
    expect(Object.keys(await client.getAll()).sort()).toEqual(['kept', 'p1', 'p2']);
  });

  it('answers errors as Toxiproxy does: 404, 409, 400 with {"error", "status"}', async () => {
    expect(await call('GET', '/proxies/nope')).toEqual({
      status: 404,
      body: { error: 'proxy not found', status: 404 },
    });
    expect(await call('DELETE', '/proxies/nope')).toEqual({
      status: 404,
      body: { error: 'proxy not found', status: 404 },
    });
    await call('POST', '/proxies', { name: 'dup', listen: '127.0.0.1:0', upstream: upstreamAddress });
    expect(await call('POST', '/proxies', { name: 'dup', listen: '127.0.0.1:0', upstream: upstreamAddress })).toEqual({
      status: 409,
      body: { error: 'proxy already exists', status: 409 },
    });
    expect(await call('POST', '/proxies', { upstream: upstreamAddress })).toEqual({
      status: 400,
      body: { error: 'missing required field: name', status: 400 },
    });
    expect(await call('POST', '/proxies', { name: 'x' })).toEqual({
      status: 400,
      body: { error: 'missing required field: upstream', status: 400 },
    });
    expect(await call('POST', '/proxies/dup/toxics', { type: 'frobnicate' })).toEqual({
      status: 400,
      body: { error: 'invalid toxic type', status: 400 },
    });
    expect(await call('POST', '/proxies/dup/toxics', { type: 'latency', stream: 'sideways' })).toEqual({
      status: 400,
      body: { error: 'stream was invalid, can be either upstream or downstream', status: 400 },
    });
    await call('POST', '/proxies/dup/toxics', { type: 'latency' });
    expect(await call('POST', '/proxies/dup/toxics', { type: 'latency' })).toEqual({
      status: 409,
      body: { error: 'toxic already exists', status: 409 },
    });
    expect(await call('POST', '/populate', [{ name: 'a', upstream: upstreamAddress }, { name: 'b' }])).toEqual({
      status: 400,
      body: { error: 'missing required field: upstream at proxy 2', status: 400 },
    });
    const bad = await call('POST', '/proxies', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^bad request body: /);
  });

  it('refuses non-loopback addresses, huge bodies and absurd numbers, changing nothing', async () => {
    await call('POST', '/proxies', { name: 'base', listen: '127.0.0.1:0', upstream: upstreamAddress });
    await call('POST', '/proxies/base/toxics', { name: 'lat', type: 'latency', attributes: { latency: 10 } });
    const before = await state();
    const refused = [
      ['POST', '/proxies', { name: 'out', listen: '127.0.0.1:0', upstream: '10.0.0.1:80' }],
      ['POST', '/proxies', { name: 'out', listen: '127.0.0.1:0', upstream: '169.254.169.254:80' }],
      ['POST', '/proxies', { name: 'out', listen: '0.0.0.0:0', upstream: upstreamAddress }],
      ['POST', '/proxies', { name: 'out', listen: '[::]:0', upstream: upstreamAddress }],
      ['POST', '/proxies', { name: 'out', upstream: '[::ffff:10.0.0.1]:80' }],
      ['POST', '/proxies', { name: '../etc', upstream: upstreamAddress }],
      ['POST', '/proxies', { name: 'x'.repeat(1000), upstream: upstreamAddress }],
      ['POST', '/proxies', { name: 'out', upstream: `${upstreamAddress}0000` }],
      ['POST', '/proxies/base', { upstream: '10.0.0.1:80' }],
      ['POST', '/proxies/base', { enabled: 'yes' }],
      ['POST', '/proxies/base/toxics', { type: 'latency', attributes: { latency: 1e15 } }],
      ['POST', '/proxies/base/toxics', { type: 'latency', attributes: { latency: -1 } }],
      ['POST', '/proxies/base/toxics', { type: 'latency', attributes: { latency: 1.5 } }],
      ['POST', '/proxies/base/toxics', { type: 'latency', toxicity: 5 }],
      ['POST', '/proxies/base/toxics', { type: 'bandwidth', attributes: { rate: 'fast' } }],
      ['POST', '/proxies/base/toxics', { type: 'slicer', attributes: { average_size: 1, size_variation: 10 } }],
      ['POST', '/proxies/base/toxics/lat', { attributes: { latency: 1e15 } }],
      ['POST', '/proxies/base/toxics/lat', { attributes: { latency: 20 }, toxicity: -1 }],
      [
        'POST',
        '/populate',
        [
          { name: 'ok1', upstream: upstreamAddress },
          { name: 'bad', upstream: '10.0.0.1:80' },
        ],
      ],
      ['POST', '/populate', { name: 'notalist' }],
    ] as const;
    for (const [method, path, body] of refused) {
      const res = await call(method, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.status).toBe(400);
    }
    const huge = await call('POST', '/proxies', {
      name: 'huge',
      upstream: upstreamAddress,
      pad: 'x'.repeat(1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ status: 413 });
    expect(await state()).toEqual(before);
  });

  it('holds at most 32 toxics per proxy and 100 proxies', async () => {
    await call('POST', '/proxies', { name: 'many', upstream: upstreamAddress });
    for (let i = 0; i < 32; i++) {
      expect((await call('POST', '/proxies/many/toxics', { name: `t${i}`, type: 'latency' })).status).toBe(200);
    }
    expect((await call('POST', '/proxies/many/toxics', { name: 't32', type: 'latency' })).status).toBe(400);
    const list = Array.from({ length: 101 }, (_, i) => ({ name: `q${i}`, upstream: upstreamAddress }));
    expect((await call('POST', '/populate', list)).status).toBe(400);
    expect(Object.keys(await state())).toEqual(['many']);
  });

  it('answers 409 for a listen address in use, and a failed move keeps the proxy where it was', async () => {
    const first = await call('POST', '/proxies', { name: 'first', listen: '127.0.0.1:0', upstream: upstreamAddress });
    await call('POST', '/proxies', { name: 'second', listen: '127.0.0.1:0', upstream: upstreamAddress });
    const before = await state();
    const taken = await call('POST', '/proxies', {
      name: 'third',
      listen: first.body.listen,
      upstream: upstreamAddress,
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toContain('EADDRINUSE');
    const moved = await call('POST', '/proxies/second', { listen: first.body.listen });
    expect(moved.status).toBe(409);
    expect(await state()).toEqual(before);
  });

  it('keeps a chosen port when only the upstream changes (listen 127.0.0.1:0 is resolved once)', async () => {
    const created = await call('POST', '/proxies', {
      name: 'moving',
      listen: '127.0.0.1:0',
      upstream: upstreamAddress,
    });
    expect(created.status).toBe(201);
    const listen = created.body.listen as string;
    expect(listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    const other = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const moved = await call('POST', '/proxies/moving', {
        upstream: `127.0.0.1:${(other.address() as { port: number }).port}`,
      });
      expect(moved.status).toBe(200);
      expect(moved.body.listen).toBe(listen);
      const disabled = await call('POST', '/proxies/moving', { enabled: false });
      expect(disabled.body.listen).toBe(listen);
      expect((await call('POST', '/proxies/moving', { enabled: true })).body.listen).toBe(listen);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('takes JSON bodies sent without a content type (toxiproxy-cli and curl send none or a form type)', async () => {
    const { request } = await import('node:http');
    const body = JSON.stringify({ name: 'bare', upstream: upstreamAddress });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${server.url}/proxies`,
        { method: 'POST', headers: { 'content-length': body.length } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(201);
    const form = await fetch(`${server.url}/proxies/bare/toxics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"type":"latency"}',
    });
    expect(form.status).toBe(200);
  });

  it('refuses browsers, as Toxiproxy does', async () => {
    const res = await fetch(`${server.url}/proxies`, { headers: { 'user-agent': 'Mozilla/5.0 (X11)' } });
    expect(res.status).toBe(403);
  });

  it('counts connections, bytes per direction and toxics at /metrics', async () => {
    const proxy = await client.createProxy({ name: 'metered', listen: '127.0.0.1:0', upstream: upstreamAddress });
    await proxy.addToxic({
      name: 'l',
      type: 'latency',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 1, jitter: 0 },
    });
    const { connect } = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = connect(Number(proxy.listen.split(':').pop()), '127.0.0.1', () => s.end('hello'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^switchyard_toxiproxy_connections_total\{proxy="metered"\} 1$/m);
    expect(text).toMatch(/^switchyard_toxiproxy_toxics\{proxy="metered"\} 1$/m);
    expect(text).toMatch(/^# TYPE switchyard_toxiproxy_bytes_total counter$/m);
  });
});
