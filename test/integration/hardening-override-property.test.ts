import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dentry, Dtab, NameTree, Path, Prefix } from '../../src/index.js';
import { type ForbiddenListener, startForbiddenListener } from '../helpers/forbidden-listener.js';
import {
  type DtabRouterProcess,
  get,
  type NamedUpstream,
  startNamedUpstream,
  startRouterOnDtab,
} from '../helpers/router-harness.js';

let web: NamedUpstream;
let forbidden: ForbiddenListener;
let F = 0;
let router: DtabRouterProcess;

beforeAll(async () => {
  web = await startNamedUpstream('web');
  forbidden = await startForbiddenListener();
  F = forbidden.port;
  // Base entries an override could try to extend: a prefix of an address, and a rewriting namer.
  router = await startRouterOnDtab(
    [
      `/srv/web => /$/inet/127.0.0.1/${web.port}`,
      '/svc/web => /srv/web',
      '/ext => /$/inet/127.0.0.1',
      '/rw => /$/io.buoyant.http.domainToPath',
      '/hp => /$/io.buoyant.hostportPfx/ext',
    ].join(' ;\n'),
  );
}, 30_000);

afterAll(async () => {
  await router.stop();
  await web.close();
  await forbidden.close();
});

function arbitraries(port: number) {
  const seg = fc.constantFrom(
    '$',
    'inet',
    'fixedinet',
    'io.buoyant.rinet',
    '127.0.0.1',
    'localhost',
    '0.0.0.0',
    '127.1',
    String(port),
    'a',
    'b',
    'svc',
    'web',
    'srv',
    'ext',
    'rw',
    'hp',
    `${port}.localhost.inet.$`,
    `${port}.localhost.inet`,
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    'io.buoyant.http.domainToPathPfx',
    'io.buoyant.http.domainToPath',
    'io.buoyant.hostportPfx',
    'io.buoyant.porthostPfx',
    'io.buoyant.http.anyMethodPfx',
    'GET',
  );
  // Empty and short paths matter: `/a => /` is how a destination sheds its first elements.
  const path = fc.array(seg, { maxLength: 6 }).map((elems) => new Path(elems));
  const tree: fc.Arbitrary<NameTree<Path>> = fc.letrec<{ tree: NameTree<Path> }>((tie) => ({
    tree: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'tree' },
      { weight: 4, arbitrary: path.map((p) => NameTree.leaf(p)) },
      fc.constantFrom<NameTree<Path>>(NameTree.Neg, NameTree.Fail, NameTree.Empty),
      fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((ts) => NameTree.alt(...ts)),
      fc
        .array(fc.tuple(fc.integer({ min: 0, max: 9 }), tie('tree')), { minLength: 2, maxLength: 3 })
        .map((ws) => NameTree.union(...ws.map(([w, t]) => NameTree.weighted(w, t)))),
    ),
  })).tree;
  const prefix = fc.oneof(
    fc.constantFrom('/svc/web', '/svc', '/a', '/a/b', '/b', '/srv', '/', '/$', '/ext').map((p) => Prefix.read(p)),
    fc.array(seg, { maxLength: 3 }).map((elems) => new Prefix(elems)),
  );
  const dentry = fc.tuple(prefix, tree).map(([p, t]) => new Dentry(p, t));
  // Random dtabs, and the known shapes of attack with random extra entries around them.
  const known = fc.constantFrom(
    `/svc/web => /a/$/inet/127.0.0.1/${port} ; /a => /`,
    `/svc/web => /svc/a/$/inet/localhost/${port} ; /svc/a => /`,
    `/svc/web => /ext/${port}`,
    `/svc/web => /rw/${port}.localhost.inet.$`,
    `/svc/web => /hp/localhost:${port}`,
    `/svc/web => /$/io.buoyant.http.domainToPathPfx/$/${port}.localhost.inet`,
    `/svc/web => /a/b/${port} ; /a/b => /x/$/inet ; /x => /`,
    `/svc/web => /$/inet/${port}`,
  );
  return fc.oneof(
    fc.array(dentry, { minLength: 1, maxLength: 5 }).map((ds) => new Dtab(ds).show()),
    fc
      .tuple(fc.array(dentry, { maxLength: 2 }), known, fc.array(dentry, { maxLength: 2 }))
      .map(([before, k, after]) => [new Dtab(before).show(), k, new Dtab(after).show()].filter((s) => s).join(' ; ')),
  );
}

it('never contacts an upstream the base dtab does not spell, whatever the override', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arbitraries(F), async (dtab) => {
      const res = await get(router.url, { host: 'web', 'l5d-dtab': dtab });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(forbidden.contacts()).toBe(0);
    }),
    { numRuns: 300, seed: 4242 },
  );
  console.log('statuses over 300 overrides:', Object.fromEntries(statuses));
  // The property saw refusals and successes both, so it was not vacuous.
  expect(statuses.get(403) ?? 0).toBeGreaterThan(0);
  expect(forbidden.contacts()).toBe(0);
}, 120_000);
