/**
 * Fault changes reach a pod in the order the registry made them, even when the pod is slow: the
 * registry sends a change only once the one before it has been answered. The pod here applies a
 * populate when it answers it and takes 300 ms over the first one, as a busy router might; two
 * adds of one name sent together must leave it with the version the registry kept.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startRole, stopAll } from '../helpers/switchyard-process.js';

let pod: Server | undefined;
afterAll(async () => {
  pod?.closeAllConnections();
  await new Promise((r) => (pod ? pod.close(r) : r(undefined)));
  await stopAll();
});

describe('fault changes to a slow pod', () => {
  it('arrive in the order the registry made them', async () => {
    const applied: string[] = [];
    let first = true;
    let firstArrived!: () => void;
    const arrived = new Promise<void>((r) => {
      firstArrived = r;
    });
    pod = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const delay = req.url === '/toxiproxy/populate' && first ? 300 : 0;
        if (delay > 0) {
          first = false;
          firstArrived();
        }
        setTimeout(() => {
          if (req.url === '/toxiproxy/populate') applied.push(JSON.parse(body)[0].toxics[0].name);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }, delay);
      });
    });
    await new Promise<void>((r) => pod!.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(pod.address() as AddressInfo).port}`;
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const post = (path: string, body: unknown) =>
      fetch(`${registry.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/registry/peers/add', { name: 'a', address })).status).toBe(200);
    const version = (v: string) => ({ name: 'f', upstream: '*', toxics: [{ name: v, type: 'latency' }] });
    const one = post('/registry/peers/a/faults/add', version('one'));
    // The second add is sent once the first is under way at the pod.
    await arrived;
    const two = post('/registry/peers/a/faults/add', version('two'));
    expect((await Promise.all([one, two])).map((r) => r.status)).toEqual([200, 200]);
    const kept = (await (await fetch(`${registry.url}/registry/peers/a/faults`)).json()) as {
      a: { f: { toxics: { name: string }[] } };
    };
    expect(kept.a.f.toxics[0]!.name).toBe('two');
    expect(applied).toEqual(['one', 'two']);
  });
});
