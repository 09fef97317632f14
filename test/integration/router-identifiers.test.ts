/**
 * Each identifier names requests as linkerd's does (docs/router.md#identifiers), checked through a real
 * router: the upstream sees the name in l5d-dst-service. And a router with a bad configuration
 * lists every problem and exits 64 before binding anything.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { repoRoot } from '../helpers/repo.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let app: NamedUpstream;
const routers: RunningRouter[] = [];
beforeAll(async () => {
  app = await startNamedUpstream('app');
});
afterAll(async () => {
  for (const r of routers) await r.close();
  await app.close();
});

async function router(identifier: string): Promise<RunningRouter> {
  // `/svc`, not `/`: a `/` rule would also rewrite the `/$/inet/…` it produces, for ever.
  const r = await startTestRouter(`identifier: ${identifier}\ndtab: /svc => /$/inet/127.0.0.1/${app.port}`);
  routers.push(r);
  return r;
}

const lastService = () => app.seen.at(-1)?.['l5d-dst-service'];

describe('identifiers', () => {
  it('io.l5d.header.token (the default): the Host header, verbatim, as one element under /svc', async () => {
    const r = await router('{kind: io.l5d.header.token}');
    await get(`${r.url}/x`, { host: 'web:8080' });
    expect(lastService()).toBe('/svc/web:8080');
  });

  it('io.l5d.methodAndHost: /svc/1.1/<METHOD>/<host lower-cased>', async () => {
    const r = await router('{kind: io.l5d.methodAndHost}');
    await get(`${r.url}/x`, { host: 'Web.Example' });
    expect(lastService()).toBe('/svc/1.1/GET/web.example');
  });

  it('io.l5d.path: the first N segments, and with consume the rest of the URI is forwarded', async () => {
    const r = await router('{kind: io.l5d.path, segments: 2, consume: true}');
    await get(`${r.url}/users/42/profile?full=1`, { host: 'x' });
    expect(lastService()).toBe('/svc/users/42');
    const short = await get(`${r.url}/one`, { host: 'x' });
    expect(short.status).toBe(400);
    expect(decodeURIComponent(String(short.headers['l5d-err']))).toMatch(/fewer than 2 segments/);
  });

  it("io.l5d.header.path: the first segment of a gRPC method's path names its service", async () => {
    const r = await router('{kind: io.l5d.header.path}');
    const res = await get(`${r.url}/proto.GenSvc/Gen`, { host: 'x', 'content-type': 'application/grpc' });
    expect(res.status).toBe(200);
    expect(lastService()).toBe('/svc/proto.GenSvc');
    const two = await router('{kind: io.l5d.header.path, segments: 2}');
    await get(`${two.url}/proto.GenSvc/Gen`, { host: 'x' });
    expect(lastService()).toBe('/svc/proto.GenSvc/Gen');
    expect((await get(`${two.url}/proto.GenSvc`, { host: 'x' })).status).toBe(400);
  });

  it('io.l5d.header: a header holding a path, appended to /svc', async () => {
    const r = await router('{kind: io.l5d.header, header: l5d-name}');
    await get(r.url, { host: 'x', 'l5d-name': '/api/v2' });
    expect(lastService()).toBe('/svc/api/v2');
    const bad = await get(r.url, { host: 'x', 'l5d-name': 'not a path' });
    expect(bad.status).toBe(400);
  });

  it('io.l5d.static, and a list tried in order', async () => {
    const fixed = await router('{kind: io.l5d.static, path: /everything}');
    await get(fixed.url, { host: 'x' });
    expect(lastService()).toBe('/svc/everything');
    const list = await router('[{kind: io.l5d.header, header: x-name}, {kind: io.l5d.header.token}]');
    await get(list.url, { host: 'fallback' });
    expect(lastService()).toBe('/svc/fallback');
    await get(list.url, { host: 'fallback', 'x-name': '/first' });
    expect(lastService()).toBe('/svc/first');
  });
});

describe('switchyard router configuration', () => {
  it('lists every problem and exits 64 before binding', () => {
    const run = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'bin', 'switchyard.js'),
        'router',
        '--listen',
        'nowhere',
        '--drain-grace-ms',
        'soon',
        '--namespace',
        'default',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).toBe(64);
    for (const problem of ['listen:', '--drain-grace-ms:', '--namespace: needs --namerd URL'])
      expect(run.stderr).toContain(problem);
  });
});
