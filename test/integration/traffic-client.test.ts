/**
 * The traffic generator through its /client API on a real socket, sending to a node:http
 * upstream on 127.0.0.1: counts by status, by tracked header value and by value × status (the
 * canary split), retries, errors by kind, the open loop's fixed rate and its latency measured
 * from the intended send time, stop, and a bad target that is refused whole.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildClientApp } from '../../src/traffic/client-app.js';
import type { TargetResultsJson } from '../../src/traffic/target-results.js';
import { TrafficClient } from '../../src/traffic/traffic-client.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

let app: FastifyInstance;
let base: string;
let client: TrafficClient;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  client = new TrafficClient({ intervalMs: 200, stopGraceMs: 300 });
  app = buildClientApp({ client });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await client.close();
  await app.close();
});
afterEach(async () => {
  await client.stop('all');
  client.clear();
  client.clearResults();
  client.setTrackHeaders([]);
  for (const u of upstreams.splice(0)) await u.close();
});

async function upstream(respond?: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(respond);
  upstreams.push(u);
  return u;
}

// biome-ignore lint/suspicious/noExplicitAny: responses are checked by expect(), not by types.
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: await res.json() };
}

async function runToEnd(spec: Record<string, unknown>): Promise<TargetResultsJson> {
  expect((await call('POST', '/client/targets/add', spec)).status).toBe(200);
  expect((await call('POST', `/client/targets/${spec.name}/invoke`)).json).toEqual({ invoked: [spec.name] });
  await client.done(spec.name as string);
  return (await call('GET', `/client/results/${spec.name}`)).json;
}

describe('/client API', () => {
  it('counts by status, by tracked header value and by value × status', async () => {
    const u = await upstream((n) => ({
      status: n % 10 === 9 ? 503 : 200,
      headers: { 'x-version': n % 5 === 4 ? 'v2' : 'v1' },
    }));
    const r = await runToEnd({
      name: 'split',
      url: `${u.url}/hello?x=1`,
      replicas: 4,
      totalRequests: 200,
      trackHeaders: ['X-Version'],
    });
    expect(r).toMatchObject({ requests: 200, good: 180, bad: 20, failed: 0, running: false, invocationCount: 1 });
    expect(r.countsByStatusCodes).toEqual({ 200: 180, 503: 20 });
    expect(r.countsByHeaders['x-version']).toMatchObject({
      count: 200,
      countsByValues: { v1: 160, v2: 40 },
      countsByValuesStatusCodes: { v1: { 200: 160 }, v2: { 200: 20, 503: 20 } },
    });
    expect(r.countsByURIs).toEqual({ '/hello': { count: 200, countsByStatusCodes: { 200: 180, 503: 20 } } });
    expect(r.latency.count).toBe(200);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.p999).toBeGreaterThanOrEqual(r.latency.p50);
    expect(r.latency.histogram.count).toBe(200);
    expect(u.seen.every((s) => s.url === '/hello?x=1')).toBe(true);
  });

  it('lists targets with defaults filled in, and tracks globally set headers', async () => {
    const u = await upstream(() => ({ headers: { 'via-goto': 'peer-a' } }));
    await call('POST', '/client/track/headers/Via-Goto');
    expect((await call('GET', '/client/track/headers')).json).toEqual({ trackHeaders: ['via-goto'] });
    expect((await call('POST', '/client/track/headers/a|b')).status).toBe(400);
    const r = await runToEnd({ name: 'defaults', url: u.url.replace('http://', ''), sendID: true });
    const listed = (await call('GET', '/client/targets')).json;
    expect(listed.defaults).toMatchObject({
      method: 'GET',
      url: `${u.url}/`,
      replicas: 1,
      requestCount: null,
      delay: '0ms',
      requestTimeout: '30s',
      retries: 0,
      autoInvoke: false,
    });
    expect(r.requests).toBe(1);
    expect(r.countsByHeaders['via-goto']!.countsByValues).toEqual({ 'peer-a': 1 });
    expect(u.seen[0]!.headers['x-request-id']).toMatch(/^defaults-\d+-0$/);
  });

  it('refuses a bad target whole, naming every field, and keeps the old one', async () => {
    const u = await upstream();
    await call('POST', '/client/targets/add', { name: 'keep', url: u.url, requestCount: 3 });
    const bad = await call('POST', '/client/targets/add', {
      name: 'keep',
      url: 'ftp://example',
      requestCount: -1,
      qps: 10,
      delay: '5ms',
      bogus: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('SY_ERR_INVALID_TARGET');
    for (const field of ['url:', 'requestCount:', 'delay:', 'bogus: unknown field']) {
      expect(bad.json.message).toContain(field);
    }
    expect((await call('GET', '/client/targets/keep')).json.requestCount).toBe(3);
    expect((await call('POST', '/client/targets/add', 'not json')).status).toBe(400);
    expect((await call('POST', '/client/targets/keep,nope/invoke')).status).toBe(404);
    expect(client.running()).toEqual([]);
  });

  it('retries retriable statuses and counts errors by kind', async () => {
    const u = await upstream((_, req) => ({ status: req.headers['x-retry-count'] === undefined ? 503 : 200 }));
    const r = await runToEnd({
      name: 'retry',
      url: u.url,
      totalRequests: 20,
      retries: 2,
      retriableStatusCodes: [503],
      retryDelay: '0ms',
    });
    expect(r).toMatchObject({ requests: 20, good: 20, retries: 20, retriedRequests: 20 });
    expect(r.countsByRetryReasons).toEqual({ 503: 20 });
    const closed = await upstream();
    await closed.close();
    const e = await runToEnd({ name: 'refused', url: closed.url, totalRequests: 5, retries: 1, retryDelay: '0ms' });
    expect(e).toMatchObject({ requests: 5, failed: 5, retries: 5 });
    expect(e.countsByErrors).toEqual({ refused: 5 });
  });

  it('holds a fixed rate in the open loop, with per-interval results', async () => {
    const u = await upstream();
    const r = await runToEnd({ name: 'paced', url: u.url, qps: 200, duration: '1s', replicas: 4 });
    expect(r.requests).toBeGreaterThanOrEqual(190);
    expect(r.requests).toBeLessThanOrEqual(201);
    expect(r.missed).toBe(0);
    expect(r.intervals.length).toBeGreaterThanOrEqual(4);
    expect(r.intervals[1]!.rps).toBeGreaterThan(150);
  });

  it('measures open-loop latency from the intended send time', async () => {
    const u = await upstream(() => ({ delayMs: 50 }));
    // 40/s against one connection that manages 20/s: the queue grows and so does latency.
    const open = await runToEnd({ name: 'open', url: u.url, qps: 40, duration: '1s', replicas: 1 });
    const closed = await runToEnd({ name: 'closed', url: u.url, duration: '1s', replicas: 1 });
    expect(closed.latency.p99).toBeLessThan(120);
    expect(open.latency.p50).toBeGreaterThan(150);
    expect(open.latency.max).toBeGreaterThan(400);
    expect(open.missed).toBeGreaterThan(10);
  });

  it('stops a running target within the grace, and refuses to remove it while it runs', async () => {
    const u = await upstream(() => ({ delayMs: 5_000 }));
    await call('POST', '/client/targets/add', {
      name: 'slow',
      url: u.url,
      duration: '1m',
      replicas: 2,
      autoInvoke: true,
    });
    expect(client.running()).toEqual(['slow']);
    expect((await call('POST', '/client/targets/slow/remove')).status).toBe(409);
    expect((await call('GET', '/client/targets/active')).json.slow).toMatchObject({ stopRequested: false });
    const started = Date.now();
    expect((await call('POST', '/client/targets/stop/all')).json).toEqual({ stopped: ['slow'] });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(client.running()).toEqual([]);
    expect((await call('GET', '/client/results')).json.slow).toMatchObject({ running: false, requests: 0 });
    expect((await call('POST', '/client/targets/slow/remove')).json).toEqual({ removed: ['slow'] });
  });
});
