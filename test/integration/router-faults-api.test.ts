/**
 * The router's fault rules through Toxiproxy's API under the admin port's `/toxiproxy/`: driven
 * by Toxiproxy's own Node client, with the whole-rule extension (toxics in the create body),
 * the admin token on writes, metrics and log lines per change; and hostile bodies that must
 * leave nothing stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';

const TOKEN = 'fault-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'router-faults-api-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);
const lines: Array<Record<string, unknown>> = [];
let open: RunningRouter;
let guarded: RunningRouter;
let client: Toxiproxy;

function capture(): pino.Logger {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

async function start(extra = ''): Promise<RunningRouter> {
  const config = routerConfig(`dtab: /svc => /$/inet/127.0.0.1/1\nlisten: 127.0.0.1:0\nadmin: 127.0.0.1:0\n${extra}`);
  return startRouter(config, capture());
}

beforeAll(async () => {
  open = await start();
  guarded = await start(`adminSecurity:\n  tokenFile: ${tokenFile}\n`);
  client = new Toxiproxy(`${open.adminUrl}/toxiproxy`);
});

afterEach(async () => {
  await call('POST', '/reset');
  for (const name of Object.keys((await call('GET', '/proxies')).body)) await call('DELETE', `/proxies/${name}`);
});

afterAll(async () => {
  await open?.close();
  await guarded?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = open) {
  const res = await fetch(`${base.adminUrl}/toxiproxy${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  return { status: res.status, body: parsed as any };
}

const rule = { name: 'canary', listen: '/svc/gen', upstream: '/$/inet/127.0.0.1/7002' };

describe('router faults: the /toxiproxy/ API', () => {
  it("Toxiproxy's Node client creates a rule, adds, lists, updates and removes toxics, resets; version works", async () => {
    const proxy = await client.createProxy(rule);
    expect(proxy.upstream).toBe(rule.upstream);
    await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 50 },
    });
    await proxy.addToxic({
      name: 'boom',
      // Not a type Toxiproxy's client knows: the router's own.
      type: 'abort' as never,
      stream: 'upstream',
      toxicity: 0.2,
      attributes: { status: 503 } as never,
    });
    const listed = await call('GET', '/proxies/canary/toxics');
    expect(listed.body.map((t: { name: string }) => t.name)).toEqual(['boom', 'slow']);
    expect(listed.body[0]).toEqual({
      name: 'boom',
      // Not a type Toxiproxy's client knows: the router's own.
      type: 'abort' as never,
      stream: 'upstream',
      toxicity: 0.2,
      attributes: { status: 503, grpc_status: 0, message: '' },
    });
    const updated = await (await proxy.getToxic<{ latency: number }>('slow')).update({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0.5,
      attributes: { latency: 80 },
    });
    expect(updated.attributes.latency).toBe(80);
    expect((await call('DELETE', '/proxies/canary/toxics/slow')).status).toBe(204);
    expect(Object.keys(await client.getAll())).toEqual(['canary']);
    await client.reset();
    expect((await call('GET', '/proxies/canary')).body).toEqual({ ...rule, enabled: true, toxics: [] });
    expect(JSON.parse(String(await client.getVersion()))).toEqual({ version: '2.12.0' });
  });

  it('a rule with its toxics in one request, all or nothing; populate the same', async () => {
    const whole = { ...rule, header: 'X-Chaos: on', toxics: [{ type: 'down', attributes: { mode: 'reset' } }] };
    const created = await call('POST', '/proxies', whole);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ header: 'x-chaos: on', toxics: [{ name: 'down_downstream', type: 'down' }] });
    const bad = await call('POST', '/proxies', {
      ...rule,
      name: 'two',
      toxics: [{ type: 'latency' }, { type: 'nope' }],
    });
    expect(bad).toEqual({ status: 400, body: { error: 'invalid toxic type', status: 400 } });
    const populated = await call('POST', '/populate', [
      { name: 'p1', upstream: '*', toxics: [{ type: 'abort', attributes: { grpc_status: 14 } }] },
      { name: 'p2', upstream: '/#/io.l5d.fs/gen', listen: '/grpc/proto.GenSvc' },
    ]);
    expect(populated.status).toBe(201);
    const refused = await call('POST', '/populate', [{ name: 'p3', upstream: '*' }, { name: 'p4' }]);
    expect(refused).toEqual({
      status: 400,
      body: { error: 'missing required field: upstream at proxy 2', status: 400 },
    });
    expect(Object.keys((await call('GET', '/proxies')).body).sort()).toEqual(['canary', 'p1', 'p2']);
    // A TCP-only toxic is not a router toxic.
    expect((await call('POST', '/proxies/p2/toxics', { type: 'slicer' })).status).toBe(400);
  });

  it('counts and logs: a toxic has its series from the start, gone with it; changes are logged', async () => {
    await call('POST', '/proxies', {
      ...rule,
      toxics: [{ name: 'slow', type: 'latency', attributes: { latency: 1 } }],
    });
    const metrics = async () =>
      (await fetch(`${open.adminUrl}/admin/metrics.json`)).json() as Promise<Record<string, number>>;
    const before = await metrics();
    const found = Object.keys(before).filter((k) => k.startsWith('rt/http/faults/applied/canary/'));
    // The toxic's series, and the rule's own (requests it refused while disabled).
    expect(found.sort()).toEqual([
      'rt/http/faults/applied/canary/(disabled)/down',
      'rt/http/faults/applied/canary/slow/latency',
    ]);
    const native = await (await fetch(`${open.adminUrl}/metrics`)).text();
    expect(native).toMatch(/switchyard_router_faults_applied_total\{[^}]*toxic="slow"[^}]*\} 0/);
    await call('DELETE', '/proxies/canary/toxics/slow');
    expect(Object.keys(await metrics()).filter((k) => k.includes('/canary/slow/'))).toEqual([]);
    await call('DELETE', '/proxies/canary');
    const messages = lines.map((l) => l.msg);
    for (const m of [
      'fault proxy added',
      'fault toxic removed',
      'fault proxy removed',
      'faults reset: all fault proxies enabled, all toxics removed',
    ]) {
      expect(messages).toContain(m);
    }
  });

  it('writes need the admin token when one is set; reads do not', async () => {
    const denied = await call('POST', '/proxies', rule, {}, guarded);
    expect(denied.status).toBe(401);
    expect((await call('GET', '/proxies', undefined, {}, guarded)).body).toEqual({});
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call('POST', '/proxies', rule, auth, guarded)).status).toBe(201);
    expect((await call('DELETE', '/proxies/canary', undefined, {}, guarded)).status).toBe(401);
    expect((await call('DELETE', '/proxies/canary', undefined, auth, guarded)).status).toBe(204);
  });
});

describe('router faults: hostile requests change nothing', () => {
  const state = async () => (await call('GET', '/proxies')).body;

  it('bad JSON, bad fields, oversize names and bodies: a clear 400 or 413', async () => {
    await call('POST', '/proxies', rule);
    const before = await state();
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/proxies', '{"name": ', 400, /^bad request body: /],
      ['POST', '/proxies', '[1,2]', 400, /expected a JSON object/],
      ['POST', '/proxies', { ...rule, name: 'x'.repeat(65) }, 400, /name must be 1 to 64/],
      ['POST', '/proxies', { ...rule, name: 'n', listen: 'svc/gen' }, 400, /listen must be "\*" or a path prefix/],
      ['POST', '/proxies', { ...rule, name: 'n', upstream: `/${'a'.repeat(600)}` }, 400, /upstream must be/],
      ['POST', '/proxies', { ...rule, name: 'n', header: 'bad header: x' }, 400, /header name/],
      ['POST', '/proxies', { ...rule, name: 'n', header: 'x-a: \u0000' }, 400, /header value/],
      ['POST', '/proxies', { ...rule, name: 'n', enabled: 'yes' }, 400, /enabled must be/],
      ['POST', '/proxies', { ...rule, name: 'n', toxics: 'all' }, 400, /toxics must be a list/],
      ['POST', '/proxies/canary/toxics', { type: 'abort', attributes: { status: 99 } }, 400, /status must be/],
      ['POST', '/proxies/canary/toxics', { type: 'abort', attributes: { grpc_status: 17 } }, 400, /grpc_status/],
      ['POST', '/proxies/canary/toxics', { type: 'abort', attributes: { message: 'a\nb' } }, 400, /message/],
      ['POST', '/proxies/canary/toxics', { type: 'down', attributes: { mode: 'explode' } }, 400, /mode must be one of/],
      ['POST', '/proxies/canary/toxics', { type: 'latency', toxicity: 2 }, 400, /toxicity/],
      [
        'POST',
        '/proxies',
        { ...rule, name: 'n', toxics: Array.from({ length: 33 }, (_, i) => ({ name: `t${i}`, type: 'latency' })) },
        400,
        /at most 32 toxics/,
      ],
      ['POST', '/proxies', { ...rule, name: 'n', pad: 'x'.repeat(300 * 1024) }, 413, /larger than/],
      ['POST', '/proxies/canary/toxics/nope', { toxicity: 1 }, 404, /toxic not found/],
      ['POST', '/proxies/nope/toxics', { type: 'latency' }, 404, /proxy not found/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await call(method, path, body);
      expect(answer.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      expect(answer.body.error, path).toMatch(message);
      expect(answer.body.status).toBe(status);
    }
    expect(await state()).toEqual(before);
  });

  it('at most 100 rules and 32 toxics per rule', async () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ name: `r${i}`, upstream: '*' }));
    expect((await call('POST', '/populate', many)).status).toBe(201);
    const over = await call('POST', '/proxies', { name: 'r100', upstream: '*' });
    expect(over).toEqual({ status: 400, body: { error: 'bad request body: at most 100 proxies', status: 400 } });
    expect((await call('POST', '/populate', [...many, { name: 'r100', upstream: '*' }])).status).toBe(400);
    for (let i = 0; i < 32; i++)
      expect((await call('POST', '/proxies/r0/toxics', { name: `t${i}`, type: 'latency' })).status).toBe(200);
    expect((await call('POST', '/proxies/r0/toxics', { name: 't32', type: 'latency' })).status).toBe(400);
    expect(Object.keys(await state()).length).toBe(100);
    expect((await call('GET', '/proxies/r0/toxics')).body.length).toBe(32);
  });
});
