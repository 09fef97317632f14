/**
 * Connectivity reports are hostile input (docs/connectivity.md#what-a-peer-reports): a row is
 * believed only from the pod it describes (judged by the socket's address, as registrations
 * are), only for a registered pod, and only whole — forged, unregistered, huge, malformed or
 * out-of-range reports are refused with a clear error and leave the matrix as it was. Real
 * registry app on a loopback socket, real HTTP.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectivityView } from '../../src/registry/connectivity-view.js';
import { Registry } from '../../src/registry/registry.js';
import { buildRegistryApp } from '../../src/registry/registry-app.js';

let registry: Registry;
let app: FastifyInstance;
let url: string;
const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
// Registered in-process (trusted); a loopback client is not that pod.
const REMOTE = '10.0.0.5:9000';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
async function post(path: string, body: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = body === '' ? {} : { 'content-type': 'application/json' };
  const res = await fetch(`${url}${path}`, { method: 'POST', body, headers });
  return { status: res.status, json: await res.json() };
}

const report = (address: string, body: unknown) =>
  post(`/registry/peers/gob/${address}/connectivity`, typeof body === 'string' ? body : JSON.stringify(body));
const row = (results: unknown[]) => ({ intervalMs: 500, timeoutMs: 300, results });
const ok = (destination: string, latencyMs = 1.5) => ({ destination, latencyMs, healthy: true });

async function view(): Promise<ConnectivityView> {
  return (await fetch(`${url}/registry/peers/connectivity`)).json() as Promise<ConnectivityView>;
}
// What the matrix holds (`stale` is not held: it follows the clock).
const measured = async () =>
  (await view()).labels.gob!.pairs.filter((p) => p.healthy !== null).map(({ stale: _, ...held }) => held);

beforeAll(async () => {
  registry = await Registry.open();
  app = buildRegistryApp({ registry, bodyLimit: 64 * 1024 });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const address of [A, B]) {
    expect((await post('/registry/peers/add', JSON.stringify({ name: 'gob', address }))).status).toBe(200);
  }
  await registry.addPeer({ name: 'gob', address: REMOTE });
});

afterAll(async () => {
  await app?.close();
  await registry?.close();
});

describe('connectivity reports', () => {
  it('a row is stored from its own pod; unregistered destinations and itself are ignored', async () => {
    const answer = await report(A, row([ok(B, 2.5), ok(A), ok('127.0.0.1:7999')]));
    expect(answer).toEqual({
      status: 200,
      json: { accepted: 1, ignored: [A, '127.0.0.1:7999'], peers: [REMOTE, A, B].sort() },
    });
    const pairs = await measured();
    expect(pairs.map((p) => [p.source, p.destination, p.latencyMs, p.healthy])).toEqual([[A, B, 2.5, true]]);
  });

  it('a forged row (another pod’s address, from this socket) is refused; nothing stored', async () => {
    const before = await measured();
    const answer = await report(REMOTE, row([ok(A, 0.1), ok(B, 0.1)]));
    expect(answer.status).toBe(403);
    expect(answer.json.error).toBe('SY_ERR_PEER_ADDRESS_REFUSED');
    expect(answer.json.message).toContain('10.0.0.5:9000 is not the address the registration came from');
    expect(await measured()).toEqual(before);
  });

  it('a row for a pod that is not registered is refused', async () => {
    const answer = await report('127.0.0.1:7003', row([ok(A)]));
    expect(answer).toEqual({
      status: 404,
      json: {
        error: 'SY_ERR_PEER_NOT_FOUND',
        message: 'No peer at 127.0.0.1:7003 is registered under label gob',
      },
    });
  });

  it('a huge row is refused whole, by count and by size', async () => {
    const before = await measured();
    const many = Array.from({ length: 1000 }, (_, i) => ok(`127.0.0.${(i % 200) + 1}:${8000 + i}`));
    const counted = await report(A, row(many));
    expect(counted.status).toBe(400);
    expect(counted.json).toEqual({
      error: 'SY_ERR_INVALID_CONNECTIVITY_REPORT',
      message: 'Invalid connectivity report: results: at most 64 destinations, got 1000; nothing was stored',
    });
    const big = await report(A, row([{ ...ok(B), error: null, pad: 'x'.repeat(100_000) }]));
    expect(big.status).toBe(413);
    expect(await measured()).toEqual(before);
  });

  it('bad JSON and bad values are refused with every problem and its position; nothing stored', async () => {
    const before = await measured();
    const notJson = await report(A, '{"intervalMs": 500, "results": [');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toBe('SY_ERR_INVALID_CONNECTIVITY_REPORT');
    expect(notJson.json.message).toMatch(
      /^Invalid connectivity report: the body is not JSON \(.+\); nothing was stored$/,
    );
    const bad = await report(A, {
      intervalMs: -1,
      timeoutMs: 300,
      extra: true,
      results: [
        ok(B),
        { destination: 'not an address', latencyMs: 'fast', healthy: 'yes' },
        { destination: B, latencyMs: 1, healthy: true, error: 'boom' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe(
      'Invalid connectivity report: extra: unknown key; intervalMs: must be a number from 1 to 3600000, got -1; ' +
        'results[1].destination: must be host:port, got "not an address"; results[1].healthy: must be true or false; ' +
        'results[1].latencyMs: must be a number from 0 to 600000, got "fast"; results[2].error: a healthy result has no error; ' +
        `results[2].destination: ${B} twice; nothing was stored`,
    );
    expect(await measured()).toEqual(before);
  });

  it('any JSON at all: answered 200 or 400, never more, and a 400 leaves the matrix as it was', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ intervalMs: fc.jsonValue(), timeoutMs: fc.jsonValue(), results: fc.array(fc.jsonValue()) }),
          fc.record({
            intervalMs: fc.integer({ min: -5, max: 5000 }),
            timeoutMs: fc.integer({ min: -5, max: 5000 }),
            results: fc.array(
              fc.record({
                destination: fc.constantFrom(A, B, REMOTE, 'x', '127.0.0.1:1'),
                latencyMs: fc.oneof(fc.double(), fc.integer()),
                healthy: fc.oneof(fc.boolean(), fc.jsonValue()),
              }),
              { maxLength: 6 },
            ),
          }),
        ),
        async (body) => {
          const before = JSON.stringify(await measured());
          const answer = await report(B, body);
          expect([200, 400]).toContain(answer.status);
          if (answer.status === 400) {
            expect(answer.json.error).toBe('SY_ERR_INVALID_CONNECTIVITY_REPORT');
            expect(JSON.stringify(await measured())).toBe(before);
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it('a pod name that is no name (huge, markup, shared) never becomes a metric label: the address does', async () => {
    const odd = ['127.0.0.1:7201', '127.0.0.1:7202', '127.0.0.1:7203', '127.0.0.1:7204'];
    const names = ['x'.repeat(5000), 'a"b\nc', 'twin', 'twin'];
    for (const [i, address] of odd.entries()) await registry.addPeer({ name: 'odd', address, pod: names[i] });
    for (const address of odd) {
      await registry.reportConnectivity('odd', address, row(odd.filter((d) => d !== address).map((d) => ok(d))));
    }
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const address of odd) {
      expect(text).toContain(`goldpinger_errors_total{goldpinger_instance="${address}",label="odd",type="ping"} 0`);
    }
    expect(text).not.toContain('xxxxxxxxxx');
    expect(text).not.toContain('twin');
    for (const address of odd) await registry.removePeer('odd', address);
  });

  it('history is bounded per pair, and a removed pod leaves rows and columns', async () => {
    for (let i = 0; i < 40; i++) await report(A, row([ok(B, i)]));
    const pair = (await view()).labels.gob!.pairs.find((p) => p.source === A && p.destination === B)!;
    expect(pair.history).toHaveLength(30);
    expect(pair.history.map((s) => s.latencyMs)).toEqual(Array.from({ length: 30 }, (_, i) => i + 10));
    expect(pair.latencyMs).toBe(39);
    await post(`/registry/peers/gob/remove/${B}`, '');
    const after = (await view()).labels.gob!;
    expect(after.peers.map((p) => p.address)).toEqual([REMOTE, A].sort());
    expect(after.pairs.map((p) => [p.source, p.destination])).toEqual([
      [A, REMOTE],
      [REMOTE, A],
    ]);
    expect(await (await fetch(`${url}/metrics`)).text()).not.toContain(B);
  });
});
