/**
 * Fault pushes with an admin token: the registry's fault writes need it (401 without, nothing
 * stored), and the registry sends it with every call to a pod's /toxiproxy/ API, whose writes
 * need it too — a router given the same token file takes the fault, and one with another token
 * refuses it, which makes the push a 424 naming that router. Real processes on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Peers } from '../../src/registry/peer-table.js';
import { type RouterProcess, startRouterProcess } from '../helpers/router-harness.js';
import { eventually, startRole, stopAll } from '../helpers/switchyard-process.js';

const dir = mkdtempSync(join(tmpdir(), 'registry-faults-token-'));
const TOKEN = 'mesh-admin-token-abcdef';
writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
writeFileSync(join(dir, 'other'), 'another-token-0123456789\n');
writeFileSync(join(dir, 'dtab'), '/svc/web => /$/inet/127.0.0.1/9');
const routers: RouterProcess[] = [];

afterAll(async () => {
  for (const r of routers) r.child.kill('SIGKILL');
  await Promise.all(routers.map((r) => r.exited));
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

const fault = { name: 'slow', upstream: '*', toxics: [{ type: 'latency', attributes: { latency: 5 } }] };

describe('fault pushes with an admin token', () => {
  it('need the token at the registry and carry it to the pods', async () => {
    const registry = await startRole('registry', ['--listen', '127.0.0.1:0', '--admin-token-file', join(dir, 'token')]);
    const start = async (tokenFile: string) => {
      const r = await startRouterProcess([
        ...['--dtab', join(dir, 'dtab'), '--label', 'a', '--registry', registry.url],
        ...['--admin-token-file', tokenFile],
      ]);
      routers.push(r);
      return r;
    };
    // The one with another token cannot register either; it is registered by hand, as a pod would be
    // that the registry believes but whose admin port wants another token.
    const same = await start(join(dir, 'token'));
    const other = await start(join(dir, 'other'));
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const sameAddress = new URL(same.adminUrl).host;
    const otherAddress = new URL(other.adminUrl).host;
    await eventually(async () => {
      const peers = (await (await fetch(`${registry.url}/registry/peers`)).json()) as Record<string, Peers>;
      return peers.a?.pods?.[sameAddress];
    });
    const manual = await fetch(`${registry.url}/registry/peers/add`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'a', address: otherAddress }),
    });
    expect(manual.status).toBe(200);

    const without = await fetch(`${registry.url}/registry/peers/a/faults/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fault),
    });
    expect(without.status).toBe(401);
    expect(await (await fetch(`${registry.url}/registry/peers/faults`)).json()).toEqual({});

    const added = await fetch(`${registry.url}/registry/peers/a/faults/add`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(fault),
    });
    expect(added.status).toBe(424);
    const answers = (await added.json()) as { a: Record<string, string> };
    expect(answers.a[sameAddress]).toBe('ok');
    expect(answers.a[otherAddress]).toMatch(/^error: 403 /);
    const proxies = (await (await fetch(`${same.adminUrl}/toxiproxy/proxies`)).json()) as Record<string, unknown>;
    expect(Object.keys(proxies)).toEqual(['slow']);
    expect(await (await fetch(`${other.adminUrl}/toxiproxy/proxies`)).json()).toEqual({});
  }, 40_000);
});
