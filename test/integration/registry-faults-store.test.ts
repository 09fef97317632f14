/**
 * Fault configs survive a registry restart on Redis (a real redis-server, a real registry
 * process killed with SIGKILL and started again): the restarted registry lists them, counts them
 * in `switchyard_registry_faults{label}` (promtool clean), and pushes them to a pod that registers
 * with it. On the memory store, a registry opened again on the same store finds them too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.js';
import { MemoryRegistryStore } from '../../src/registry/registry-store.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';

let redis: RedisServer;
let pod: Server;
let podAddress: string;
const populated: unknown[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  // A pod that records what the registry populates it with.
  pod = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/toxiproxy/populate') populated.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
  podAddress = `127.0.0.1:${(pod.address() as AddressInfo).port}`;
}, 30_000);
afterEach(() => stopAll());
afterAll(async () => {
  await redis?.cleanup();
  await new Promise((r) => pod?.close(r));
});

const json = { 'content-type': 'application/json' };
const latency = (name: string, ms: number) => ({
  name,
  listen: '/svc/web',
  upstream: '*',
  toxics: [{ type: 'latency', attributes: { latency: ms } }],
});

describe('faults in the registry store', () => {
  it('on Redis: kept across a restart, counted per label, pushed to a pod that registers after', async () => {
    const store = ['--store', redis.url];
    const first = await startRole('registry', ['--listen', '127.0.0.1:0', ...store]);
    for (const [label, name, ms] of [
      ['a', 'slow', 100],
      ['a', 'slower', 300],
      ['b', 'slow', 50],
      ['a', 'slow', 200],
    ] as const) {
      const res = await fetch(`${first.url}/registry/peers/${label}/faults/add`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(latency(name, ms)),
      });
      expect(res.status).toBe(200);
    }
    expect((await fetch(`${first.url}/registry/peers/b/faults/clear`, { method: 'POST' })).status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
    const before: any = await (await fetch(`${first.url}/registry/peers/faults`)).json();
    expect(Object.keys(before)).toEqual(['a']);

    await first.kill();
    const again = await startRole('registry', ['--listen', new URL(first.url).host, ...store]);
    expect(await (await fetch(`${again.url}/registry/peers/faults`)).json()).toEqual(before);
    const metrics = await (await fetch(`${again.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_registry_faults{label="a"} 2\n');
    expect(metrics).not.toContain('label="b"');
    const check = promtoolCheckMetrics(metrics);
    expect(check.status, check.output).toBe(0);

    const added = await fetch(`${again.url}/registry/peers/add`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'a', address: podAddress }),
    });
    expect(added.status).toBe(200);
    const pushed = await eventually(async () => populated[0], 10_000, 'the joining pod populated');
    expect(pushed).toEqual([before.a.slow, before.a.slower]);
    expect(before.a.slow.toxics[0].attributes.latency).toBe(200);
  });

  it('on memory: a registry opened again on the same store has them', async () => {
    const store = new MemoryRegistryStore();
    const first = await Registry.open({ store });
    await first.faults.add('a', latency('slow', 100));
    const reopened = await Registry.open({ store });
    expect(reopened.faults.view()).toEqual(first.faults.view());
    await reopened.faults.clear('a');
    expect((await Registry.open({ store })).faults.view()).toEqual({});
  });
});
