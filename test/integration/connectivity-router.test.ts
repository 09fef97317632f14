/**
 * Connectivity with routers (docs/connectivity.md): `switchyard router --registry URL --label L`
 * pings its label's pods with the `--ping-*` flags and answers `/ping` on its admin port; a router's
 * admin port serves the matrix and appends Goldpinger's families to its own `/metrics` (one valid
 * exposition); and a peer with `--ping-via` pings through a router's listener, the destination as
 * Host, routed by linkerd's host:port dtab — a dead destination then reads as the router's 502 and
 * its reason. Real processes on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectivityView } from '../../src/registry/connectivity-view.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { type RouterProcess, startRouterProcess } from '../helpers/router-harness.js';
import { eventually, type RoleProcess, startRole, stopAll } from '../helpers/switchyard-process.js';

const PING = ['--ping-interval', '500ms', '--ping-timeout', '1s'];
let dir: string;
let mesh: RouterProcess;
const routers: RouterProcess[] = [];
let viaPeer: RoleProcess;

const host = (url: string) => new URL(url).host;
async function matrix(): Promise<ConnectivityView> {
  return (await fetch(`${mesh.adminUrl}/registry/peers/connectivity?label=gob`)).json() as Promise<ConnectivityView>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'connectivity-router-'));
  // linkerd's classic host:port routing: Host 127.0.0.1:7001 → /svc/127.0.0.1:7001 → /$/inet/127.0.0.1/7001.
  writeFileSync(join(dir, 'dtab'), '/inet => /$/inet; /svc => /$/io.buoyant.hostportPfx/inet;');
  mesh = await startRouterProcess(['--dtab', join(dir, 'dtab')]);
  const registry = ['--dtab', join(dir, 'dtab'), '--registry', mesh.adminUrl, '--label', 'gob', ...PING];
  routers.push(...(await Promise.all([startRouterProcess(registry), startRouterProcess(registry)])));
  viaPeer = await startRole('peer', [
    '--registry',
    mesh.adminUrl,
    '--label',
    'gob',
    ...PING,
    '--ping-via',
    host(mesh.url),
  ]);
  await eventually(
    async () => ((await matrix()).labels.gob?.summary.healthy === 6 ? true : undefined),
    20_000,
    'a healthy 3×3 matrix of two routers and a peer',
  );
}, 60_000);

afterAll(async () => {
  for (const r of [...routers, mesh]) r?.child.kill('SIGKILL');
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('connectivity with routers', () => {
  it("a router's admin port answers /ping, and its peers report through the flags", async () => {
    const ping = await fetch(`${routers[0]!.adminUrl}/ping`);
    expect(ping.status).toBe(200);
    expect(Object.keys((await ping.json()) as object)).toEqual(['boot_time']);
    const view = await matrix();
    const byAddress = Object.fromEntries(view.labels.gob!.peers.map((p) => [p.address, p]));
    for (const r of routers)
      expect(byAddress[host(r.adminUrl)]).toMatchObject({ intervalMs: 500, timeoutMs: 1000, via: null });
    expect(byAddress[host(viaPeer.url)]).toMatchObject({ via: host(mesh.url) });
  });

  it("the router's /metrics is one valid exposition with Goldpinger's families in it", async () => {
    const text = await (await fetch(`${mesh.adminUrl}/metrics`)).text();
    expect(text).toContain('# TYPE goldpinger_peers_response_time_s histogram\n');
    expect(text).toContain('# TYPE switchyard_');
    const check = promtoolCheckMetrics(text);
    const goldpingerNames = [
      'goldpinger_nodes_health_total non-counter metrics should not have "_total" suffix',
      'goldpinger_peers_response_time_s metric names should not contain abbreviated units',
    ];
    expect(check.problems.filter((p) => !goldpingerNames.includes(p))).toEqual([]);
  });

  it('through the mesh, a dead destination reads as the router’s 502 and its reason', async () => {
    const dead = routers[1]!;
    dead.child.kill('SIGKILL');
    await dead.exited;
    const pair = await eventually(
      async () => {
        const found = (await matrix()).labels.gob!.pairs.find(
          (p) => p.source === host(viaPeer.url) && p.destination === host(dead.adminUrl),
        );
        return found?.healthy === false ? found : undefined;
      },
      10_000,
      'the dead router unhealthy through the mesh',
    );
    expect(pair.status).toBe(502);
    expect(pair.error).toMatch(
      new RegExp(`^HTTP 502: .*${host(dead.adminUrl).replace(/\./g, '\\.')}.*(ECONNREFUSED|ECONNRESET)`),
    );
    // The direct path sees the same death, without a router in between.
    await eventually(
      async () =>
        (await matrix()).labels.gob!.pairs.find(
          (p) => p.source === host(routers[0]!.adminUrl) && p.destination === host(dead.adminUrl),
        )?.healthy === false
          ? true
          : undefined,
      10_000,
      'the dead router unhealthy directly',
    );
  }, 20_000);
});
