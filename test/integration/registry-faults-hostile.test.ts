/**
 * Hostile fault configs at a real `switchyard registry` process: a bad toxic, bad JSON, an
 * oversize body, one fault too many, a label that is not one — each is a 400 or 413 with a clear
 * message, and nothing is stored or pushed. The pod here is a plain HTTP server that records
 * every call it gets, so "nothing pushed" is seen from the pod's side; pushes finish before the
 * registry answers, so a push would be recorded by the time the refusal arrives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

interface Call {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

let registry: RoleProcess;
let pod: Server;
let podAddress: string;
const calls: Call[] = [];

beforeAll(async () => {
  pod = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url!.startsWith('/toxiproxy/')) calls.push({ method: req.method!, url: req.url!, body });
      res.writeHead(req.method === 'DELETE' ? 204 : 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
  podAddress = `127.0.0.1:${(pod.address() as AddressInfo).port}`;
  registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
  const added = await fetch(`${registry.url}/registry/peers/add`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'a', address: podAddress }),
  });
  expect(added.status).toBe(200);
}, 30_000);

afterAll(async () => {
  await stopAll();
  await new Promise((r) => pod?.close(r));
});

async function post(path: string, body?: string, type = 'application/json') {
  const res = await fetch(`${registry.url}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': type }, body }),
  });
  const text = await res.text();
  return { status: res.status, text };
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
type Json = any;
const stored = async (): Promise<Json> =>
  ((await (await fetch(`${registry.url}/registry/peers/a/faults`)).json()) as Json).a;
const fault = (name: string, toxics: unknown[] = [{ type: 'latency', attributes: { latency: 10 } }]) =>
  JSON.stringify({ name, upstream: '*', toxics });

describe('hostile fault configs', () => {
  it('refuses a bad toxic, bad JSON, a non-object, a bad label: 400, nothing stored or pushed', async () => {
    const cases: [string, string, string?][] = [
      ['/registry/peers/a/faults/add', fault('f', [{ type: 'abortive' }])],
      ['/registry/peers/a/faults/add', fault('f', [{ type: 'latency', attributes: { latency: -1 } }])],
      ['/registry/peers/a/faults/add', fault('f', [{ type: 'latency', stream: 'sideways' }])],
      ['/registry/peers/a/faults/add', '{"name": "f", "upstream": '],
      ['/registry/peers/a/faults/add', '{"name": "f", "upstream": "*"', 'text/plain'],
      ['/registry/peers/a/faults/add', '[{"name": "f", "upstream": "*"}]'],
      ['/registry/peers/a/faults/add', JSON.stringify({ name: 'f', upstream: '*', listen: 'web' })],
      ['/registry/peers/-a/faults/add', fault('f')],
    ];
    for (const [path, body, type] of cases) {
      const answer = await post(path, body, type);
      expect(answer.status, `${path} ${body}`).toBe(400);
      expect(answer.text).toMatch(/SY_ERR_INVALID_FAULT|SY_ERR_INVALID_ARGUMENT|JSON/);
    }
    const names = Array.from({ length: 65 }, (_, i) => `n${i}`).join(',');
    for (const path of [`/registry/peers/a/faults/${names}/remove`, '/registry/peers/-a/faults/clear']) {
      const answer = await post(path);
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.text).error).toBe('SY_ERR_INVALID_FAULT');
    }
    const bad = await post('/registry/peers/a/faults/add', fault('f', [{ type: 'latency' }, { type: 'nope' }]));
    expect(JSON.parse(bad.text)).toEqual({
      error: 'SY_ERR_INVALID_FAULT',
      message: 'Invalid fault: toxics[1]: invalid toxic type',
    });
    expect(await stored()).toEqual({});
    expect(calls).toEqual([]);
  });

  it('refuses an oversize body with 413 before reading it whole', async () => {
    const big = fault('f', [{ type: 'latency', name: 'x'.repeat(200_000) }]);
    const answer = await post('/registry/peers/a/faults/add', big).catch((e) => ({ status: 413, text: String(e) }));
    expect(answer.status).toBe(413);
    expect(await stored()).toEqual({});
    expect(calls).toEqual([]);
  });

  it('holds at most 32 faults per label (413 past it) and still replaces one by name', async () => {
    for (let i = 0; i < 32; i++) expect((await post('/registry/peers/a/faults/add', fault(`f${i}`))).status).toBe(200);
    expect(calls).toHaveLength(32);
    const over = await post('/registry/peers/a/faults/add', fault('f32'));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text).error).toBe('SY_ERR_FAULTS_FULL');
    expect(Object.keys(await stored())).toHaveLength(32);
    expect(calls).toHaveLength(32);
    const replaced = await post('/registry/peers/a/faults/add', fault('f0', [{ type: 'timeout' }]));
    expect(replaced.status).toBe(200);
    expect(JSON.parse(replaced.text)).toEqual({ a: { [podAddress]: 'ok' } });
    expect((await stored()).f0.toxics[0].type).toBe('timeout');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', url: '/toxiproxy/populate' });
    expect(JSON.parse(calls.at(-1)!.body)).toEqual([(await stored()).f0]);
  });

  it('holds faults for at most 256 labels (413 past it); a label that has some may still change', async () => {
    const labels = Array.from({ length: 255 }, (_, i) => `l${i}`);
    for (const label of labels) {
      expect((await post(`/registry/peers/${label}/faults/add`, fault('f'))).status).toBe(200);
    }
    const over = await post('/registry/peers/one-too-many/faults/add', fault('f'));
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text).message).toContain('256 labels have faults already');
    expect((await post('/registry/peers/l0/faults/add', fault('g'))).status).toBe(200);
    const all = (await (await fetch(`${registry.url}/registry/peers/faults`)).json()) as Json;
    expect(Object.keys(all)).toHaveLength(256);
    expect(all['one-too-many']).toBeUndefined();
    for (const label of labels) expect((await post(`/registry/peers/${label}/faults/clear`)).status).toBe(200);
  });

  it('a pod that registers gets the label set in one request, after its registration is answered', async () => {
    const before = calls.length;
    const res = await fetch(`${registry.url}/registry/peers/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a', address: podAddress }),
    });
    expect(res.status).toBe(200);
    const pushed = await eventually(async () => calls[before], 10_000, 'the push to the joining pod');
    expect(pushed).toMatchObject({ method: 'POST', url: '/toxiproxy/populate' });
    expect(JSON.parse(pushed.body).map((c: { name: string }) => c.name)).toEqual(Object.keys(await stored()));
  });

  it('removes and clears with one DELETE per fault, counting a 404 as done', async () => {
    const before = calls.length;
    const removed = await post('/registry/peers/a/faults/f1,f2,ghost/remove');
    expect(removed.status).toBe(200);
    expect(calls.slice(before).map((c) => `${c.method} ${c.url}`)).toEqual([
      'DELETE /toxiproxy/proxies/f1',
      'DELETE /toxiproxy/proxies/f2',
      'DELETE /toxiproxy/proxies/ghost',
    ]);
    expect(Object.keys(await stored())).toHaveLength(30);
    const cleared = await post('/registry/peers/faults/clear');
    expect(JSON.parse(cleared.text)).toEqual({ a: { [podAddress]: 'ok' } });
    expect(calls).toHaveLength(before + 3 + 30);
    expect(await (await fetch(`${registry.url}/registry/peers/faults`)).json()).toEqual({});
  });
});
