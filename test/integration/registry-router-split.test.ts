/**
 * The canary test the registry exists for: a router (which is also a traffic peer, registered
 * with a standalone registry under its label) routes through a 1:4 dtab; a target pushed from
 * the registry runs on the router's own traffic generator; the split the locker reports by the
 * tracked `x-version` header is within χ² bounds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type NamedUpstream,
  type RouterProcess,
  startNamedUpstream,
  startRouterProcess,
} from '../helpers/router-harness.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await stopAll();
});

async function versioned(version: string): Promise<NamedUpstream> {
  const u = await startNamedUpstream(version, (req, res) => {
    req.resume();
    res.setHeader('x-version', version);
    res.end(version);
  });
  cleanups.push(() => u.close());
  return u;
}

// biome-ignore lint/suspicious/noExplicitAny: registry answers are checked with expect().
async function json(url: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return text === '' ? undefined : JSON.parse(text);
}

describe('a canary split measured through a router that is a registry peer', () => {
  it('reports a 1:4 split within χ² bounds', async () => {
    const v1 = await versioned('v1');
    const v2 = await versioned('v2');
    const dir = mkdtempSync(join(tmpdir(), 'split-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'dtab'), `/svc/web => 1 * /$/inet/127.0.0.1/${v2.port} & 4 * /$/inet/127.0.0.1/${v1.port}`);
    const registry: RoleProcess = await startRole('registry', ['--listen', '127.0.0.1:0']);
    const router: RouterProcess = await startRouterProcess([
      '--dtab',
      join(dir, 'dtab'),
      '--label',
      'canary',
      '--registry',
      registry.url,
      '--locker',
    ]);
    cleanups.push(() => router.child.kill('SIGKILL'));
    await eventually(
      async () =>
        Object.keys((await json(`${registry.url}/registry/peers`))?.canary?.pods ?? {}).length === 1 ? true : undefined,
      10_000,
      'the router registered as a peer',
    );
    const added = await json(`${registry.url}/registry/peers/canary/targets/add`, 'POST', {
      name: 'split',
      url: `${router.url}/`,
      headers: { host: 'web' },
      totalRequests: 5000,
      replicas: 8,
      trackHeaders: ['x-version'],
      autoInvoke: true,
    });
    expect(Object.values(added.canary ?? {})).toEqual(['ok']);
    const results = await eventually(
      async () => {
        const r = await json(`${registry.url}/registry/peers/canary/client/results`);
        const split = r?.canary?.byTargets?.split;
        return split?.requests === 5000 && split.running === false ? split : undefined;
      },
      30_000,
      'the final results in the locker',
    );
    const counts = results.countsByHeaders['x-version'].countsByValues as Record<string, number>;
    expect((counts.v1 ?? 0) + (counts.v2 ?? 0)).toBe(5000);
    const expected = [1000, 4000];
    const chi =
      ((counts.v2 ?? 0) - expected[0]!) ** 2 / expected[0]! + ((counts.v1 ?? 0) - expected[1]!) ** 2 / expected[1]!;
    expect(chi, JSON.stringify(counts)).toBeLessThan(10.83);
  }, 60_000);
});
