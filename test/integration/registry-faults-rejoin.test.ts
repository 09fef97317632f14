/**
 * A pod that a fault push could not reach is left out of pushes until its next reminder; when
 * that reminder brings it back, the registry sends it the label's faults it missed, after the
 * reminder is answered. The pod is a plain HTTP server that records what it is sent, stopped
 * and started again on the same port; the registry is a real process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';

const populated: unknown[] = [];
let pod: Server | undefined;

function listen(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/toxiproxy/populate') populated.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

afterAll(async () => {
  if (pod) await close(pod);
  await stopAll();
});

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('a pod that missed a fault push', () => {
  it('gets the faults when its reminder brings it back', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    pod = await listen(0);
    const port = (pod.address() as AddressInfo).port;
    const peer = { name: 'a', address: `127.0.0.1:${port}` };
    expect((await post(`${registry.url}/registry/peers/add`, peer)).status).toBe(200);
    await close(pod);

    const fault = { name: 'slow', upstream: '*', toxics: [{ type: 'latency', attributes: { latency: 5 } }] };
    const missed = await post(`${registry.url}/registry/peers/a/faults/add`, fault);
    expect(missed.status).toBe(424);
    expect(((await missed.json()) as { a: Record<string, string> }).a[peer.address]).toMatch(/^error: /);
    expect(populated).toEqual([]);

    pod = await listen(port);
    // Its reminder brings it back: it gets what it missed, in one request.
    expect((await post(`${registry.url}/registry/peers/a/remember`, peer)).status).toBe(200);
    const pushed = await eventually(async () => populated[0], 10_000, 'the returning pod populated');
    expect((pushed as { name: string }[]).map((c) => c.name)).toEqual(['slow']);
    // A pod that stayed live gets nothing on its reminders: the next push it sees is the next change
    // (changes run in order, so a push the reminder had started would come first).
    expect((await post(`${registry.url}/registry/peers/a/remember`, peer)).status).toBe(200);
    expect((await post(`${registry.url}/registry/peers/a/faults/add`, { ...fault, name: 'other' })).status).toBe(200);
    expect(populated.map((list) => (list as { name: string }[]).map((c) => c.name))).toEqual([['slow'], ['other']]);
  });
});
