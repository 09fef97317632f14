/**
 * A registry believes a peer only about itself: the address it registers must be the address
 * its request came from (or inside --peer-cidrs), never link-local, metadata or unspecified, so
 * nobody can make the registry POST to the metadata service or the API server by registering it.
 * With an admin token, registrations and every write need it; a peer given the same token file
 * registers, reminds and takes pushed targets (the registry sends the token back to it). Real
 * `switchyard registry` and `switchyard peer` processes on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Peers } from '../../src/registry/peer-table.js';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';
import { startUpstream } from '../helpers/upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-registry-'));
const TOKEN = 'mesh-admin-token-abcdef';
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);

afterEach(stopAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types.
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}

describe('peer addresses', () => {
  it('a peer may register only its own address; link-local and metadata addresses never', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const add = (address: string) => post(`${registry.url}/registry/peers/add`, { name: 'L', address });
    for (const address of [
      '169.254.169.254:80',
      '[fd00:ec2::254]:80',
      '[fe80::1]:80',
      '0.0.0.0:80',
      '10.96.0.1:443',
      '[::ffff:169.254.169.254]:80',
      '192.0.2.7:9990',
    ]) {
      const res = await add(address);
      expect(res.status, address).toBe(403);
      expect(res.json.error, address).toBe('SY_ERR_PEER_ADDRESS_REFUSED');
    }
    expect((await add('127.0.0.1:9990')).status).toBe(200);
    // Hostnames are judged by what they resolve to: localhost is this loopback peer.
    expect((await add('localhost:9991')).status).toBe(200);
    const peers = (await (await fetch(`${registry.url}/registry/peers`)).json()) as Record<string, Peers>;
    expect(Object.keys(peers.L!.pods).sort()).toEqual(['127.0.0.1:9990', 'localhost:9991']);
    // A reminder is a registration too: it may not move the pod elsewhere.
    const remember = await post(`${registry.url}/registry/peers/L/remember`, { name: 'L', address: '10.96.0.1:443' });
    expect(remember.status).toBe(403);
  });

  it('--peer-cidrs lets registrations name addresses inside them, and still never metadata', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0', '--peer-cidrs', '192.0.2.0/24,0.0.0.0/0']);
    const add = (address: string) => post(`${registry.url}/registry/peers/add`, { name: 'L', address });
    expect((await add('192.0.2.7:9990')).status).toBe(200);
    expect((await add('169.254.169.254:80')).status).toBe(403);
    expect((await add('[fe80::1]:80')).status).toBe(403);
  });

  it('bad --peer-cidrs is a usage error (exit 64)', async () => {
    await expect(startRole('registry', ['--listen', '127.0.0.1:0', '--peer-cidrs', '10.0.0.0/99'])).rejects.toThrow(
      /peerCidrs/,
    );
  });
});

describe('registry token', () => {
  it('writes need the token; a peer with the same token registers and takes pushed targets', async () => {
    const upstream = await startUpstream();
    try {
      const registry = await startRole('registry', ['--listen', '127.0.0.1:0', '--admin-token-file', tokenFile]);
      const add = { name: 'L', address: '127.0.0.1:9990' };
      const none = await post(`${registry.url}/registry/peers/add`, add);
      expect(none.status).toBe(401);
      const wrong = await post(`${registry.url}/registry/peers/add`, add, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(403);
      const store = await post(`${registry.url}/registry/peers/L/locker/store/k`, { a: 1 });
      expect(store.status).toBe(401);
      expect((await fetch(`${registry.url}/registry/peers`)).status).toBe(200);

      const peer = await startRole('peer', [
        '--registry',
        registry.url,
        '--label',
        'L',
        '--admin-token-file',
        tokenFile,
        '--remember-interval',
        '300ms',
      ]);
      const address = new URL(peer.url).host;
      await eventually(async () => {
        const peers = (await (await fetch(`${registry.url}/registry/peers`)).json()) as Record<string, Peers>;
        return peers.L?.pods?.[address];
      });
      // The peer's own /client writes need the token too; the registry's push carries it.
      const direct = await post(`${peer.url}/client/targets/add`, { name: 't', url: upstream.url });
      expect(direct.status).toBe(401);
      const pushed = await post(
        `${registry.url}/registry/peers/L/targets/add`,
        { name: 't', url: `${upstream.url}/x`, totalRequests: 2, autoInvoke: true },
        { authorization: `Bearer ${TOKEN}` },
      );
      expect(pushed.status).toBe(200);
      expect(pushed.json).toEqual({ L: { [address]: 'ok' } });
      await eventually(async () => (upstream.seen.length === 2 ? true : undefined));
    } finally {
      await upstream.close();
    }
  }, 40_000);
});
