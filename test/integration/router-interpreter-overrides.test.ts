/**
 * Request-local dtabs with namerd as the interpreter: the router sends `l5d-dtab` along with the
 * bind (namerd's `dtab=`), so an override moves the request on namerd's namers, while the router's
 * override policy still judges what it binds to before anything is sent (a direct address the
 * override wrote itself is refused with 403). The router's delegator asks namerd.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Path } from '../../src/dtab/path.js';
import { defaultInterpreter } from '../../src/namers/default-interpreter.js';
import { FsNamer } from '../../src/namers/fs.js';
import type { RunningRouter } from '../../src/router/router.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let dir: string;
let namerd: RunningNamerd;
let router: RunningRouter;
let web: NamedUpstream;
let gen: NamedUpstream;
let other: NamedUpstream;

beforeAll(async () => {
  [web, gen, other] = (await Promise.all(['web', 'gen', 'other'].map((n) => startNamedUpstream(n)))) as [
    NamedUpstream,
    NamedUpstream,
    NamedUpstream,
  ];
  dir = await mkdtemp(join(tmpdir(), 'router-interpreter-overrides-'));
  await writeFile(join(dir, 'web'), `127.0.0.1 ${web.port}\n`);
  await writeFile(join(dir, 'gen'), `127.0.0.1 ${gen.port}\n`);
  const prefix = Path.read('/#/io.l5d.fs');
  namerd = await startNamerd({
    interpreter: defaultInterpreter({ namers: [{ prefix, namer: new FsNamer({ rootDir: dir, prefix }) }] }),
  });
  await fetch(`${namerd.url}/api/1/dtabs/default`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.fs',
  });
  router = await startTestRouter(`namerd:\n  url: ${namerd.url}\n  namespace: default\n  bind: true\n`);
  // Ready once namerd's dtab is in hand (the override policy judges against it).
  for (let i = 0; i < 200 && (await fetch(`${router.adminUrl}/ready`)).status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
});
afterAll(async () => {
  await router?.close();
  await namerd?.close();
  await Promise.all([web, gen, other].map((u) => u?.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('l5d-dtab through namerd', () => {
  it('routes by namerd, and an override binds on namerd with the request', async () => {
    expect((await get(router.url, { host: 'web' })).body.trim()).toBe('web');
    const moved = await get(router.url, { host: 'web', 'l5d-dtab': '/svc/web => /svc/gen' });
    expect(moved.status).toBe(200);
    expect(moved.body.trim()).toBe('gen');
    // The override was the request's own: the next request without it is back on web.
    expect((await get(router.url, { host: 'web' })).body.trim()).toBe('web');
  });

  it('refuses an override that writes its own address, before anything is bound or sent', async () => {
    const refused = await get(router.url, {
      host: 'web',
      'l5d-dtab': `/svc/web => /$/inet/127.0.0.1/${other.port}`,
    });
    expect(refused.status).toBe(403);
    expect(other.seen.length).toBe(0);
  });

  it("the router's delegator explains through namerd", async () => {
    const res = await fetch(`${router.adminUrl}/delegator.json?path=/svc/web`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { delegate?: { bound?: { id: string } } };
    expect(JSON.stringify(body)).toContain('/#/io.l5d.fs/web');
  });
});
