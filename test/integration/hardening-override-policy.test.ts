import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfig } from '../../src/config/router-config.js';
import { type RunningRouter, startRouter } from '../../src/router/router.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { type ForbiddenListener, startForbiddenListener } from '../helpers/forbidden-listener.js';
import { freePort } from '../helpers/namerd-process.js';
import { get, type NamedUpstream, startNamedUpstream } from '../helpers/router-harness.js';

let web: NamedUpstream;
let forbidden: ForbiddenListener;
let forbiddenPort = 0;
let router: RunningRouter;
let strict: RunningRouter;
let dataPort = 0;
let adminPort = 0;

async function start(yaml: string, listen: string, admin: string): Promise<RunningRouter> {
  return startRouter(routerConfig(`${yaml}\nlisten: ${listen}\nadmin: ${admin}\n`), createLogger({ level: 'silent' }));
}

beforeAll(async () => {
  web = await startNamedUpstream('web');
  forbidden = await startForbiddenListener();
  forbiddenPort = forbidden.port;
  dataPort = await freePort();
  adminPort = await freePort();
  const base = `
dtab: |
  /srv/web   => /$/inet/127.0.0.1/${web.port} ;
  /svc/web   => /srv/web ;
  /ext       => /$/inet/127.0.0.1 ;
  /svc/self1 => /$/inet/localhost/${adminPort} ;
  /svc/self2 => /$/inet/${dataPort} ;
  /svc/self3 => /$/inet/::ffff:127.0.0.1/${adminPort} ;
  /svc/self4 => /$/inet/127.0.0.2/${dataPort} ;
  /svc/self5 => /$/inet/0.0.0.0/${adminPort} ;
  /svc/self6 => /$/inet/2130706433/${adminPort} ;
`;
  router = await start(base, `127.0.0.1:${dataPort}`, `127.0.0.1:${adminPort}`);
  strict = await start(`${base}\ndtabOverrides:\n  allowPrefixes: ["/svc"]\n`, '127.0.0.1:0', '127.0.0.1:0');
});
afterAll(async () => {
  await Promise.all([router.close(), strict.close()]);
  await web.close();
  await forbidden.close();
});

async function refusedCount(r: RunningRouter): Promise<number> {
  const json = (await (await fetch(`${r.adminUrl}/admin/metrics.json`)).json()) as Record<string, number>;
  const key = Object.keys(json).find((k) => k.includes('dtab_overrides_refused'));
  return key === undefined ? 0 : json[key]!;
}

describe('overrides are judged by what they bind to', () => {
  const attacks = (port: number) => [
    `/svc/web => /a/$/inet/127.0.0.1/${port} ; /a => /`,
    `/svc/web => /a/b/$/inet/127.0.0.1/${port} ; /a => /x ; /x/b => /`,
    `/svc/web => /$/inet/127.0.0.1/${port}`,
    `/svc/web => /$/inet/localhost/${port}`,
    `/svc/web => /$/fixedinet/127.0.0.1/${port}`,
    `/svc/web => /$/io.buoyant.http.domainToPathPfx/$/${port}.localhost.inet`,
    `/svc/web => /x/$/io.buoyant.http.domainToPathPfx/$/${port}.localhost.inet ; /x => /`,
    `/svc/web => /ext/${port}`,
    `/svc/web => ~ | (/srv/web & (/a/$/inet/127.0.0.1/${port} | /srv/web)) ; /a => /`,
    `/svc/web => 1 * /srv/web & 99 * /$/inet/127.0.0.1/${port}`,
  ];

  it('refuses every way of reaching an address the base dtab does not spell, with 403, l5d-err and a count', async () => {
    const before = await refusedCount(router);
    for (const dtab of attacks(forbiddenPort)) {
      const res = await get(router.url, { host: 'web', 'l5d-dtab': dtab });
      expect({ dtab, status: res.status }).toEqual({ dtab, status: 403 });
      expect(decodeURIComponent(String(res.headers['l5d-err']))).toMatch(/^Dtab override refused: /);
    }
    expect(forbidden.contacts()).toBe(0);
    expect(await refusedCount(router)).toBeGreaterThanOrEqual(before + attacks(forbiddenPort).length);
  });

  it('refuses the same rewrite to `/` under allowPrefixes ["/svc"]', async () => {
    for (const dtab of [
      `/svc/web => /svc/a/$/inet/127.0.0.1/${forbiddenPort} ; /svc/a => /`,
      `/svc/web => /a/$/inet/127.0.0.1/${forbiddenPort} ; /a => /`,
    ]) {
      const res = await get(strict.url, { host: 'web', 'l5d-dtab': dtab });
      expect(res.status).toBe(403);
    }
    expect(forbidden.contacts()).toBe(0);
  });

  it('still stages through names the base dtab spells, and through alternations of them', async () => {
    for (const dtab of ['/svc/web => /srv/web', '/svc/other => /srv/web', '/svc/web => /srv/nothing | /srv/web']) {
      const host = dtab.startsWith('/svc/other') ? 'other' : 'web';
      const res = await get(router.url, { host, 'l5d-dtab': dtab });
      expect({ dtab, status: res.status, body: res.body }).toEqual({ dtab, status: 200, body: 'web\n' });
    }
  });

  it("refuses the router's own data and admin ports in every spelling, from the base dtab too", async () => {
    for (const host of ['self1', 'self2', 'self3', 'self4', 'self5', 'self6']) {
      const res = await get(router.url, { host });
      expect({ host, status: res.status }).toEqual({ host, status: 403 });
      expect(decodeURIComponent(String(res.headers['l5d-err']))).toMatch(/own listener/);
    }
    // An override to the admin port: refused (the drain it would trigger never happens).
    const prestop = await get(router.url, {
      host: 'web',
      'l5d-dtab': `/svc/web => /a/$/inet/127.0.0.1/${adminPort} ; /a => /`,
    });
    expect(prestop.status).toBe(403);
    expect((await fetch(`${router.adminUrl}/ready`)).status).toBe(200);
  });
});
