/**
 * The JSON and files behind the dashboards, over real sockets (port 0): namerd's dtab check with
 * the real parser, the relay's refusal of writes without X-Switchyard-UI (nothing stored) and of
 * watches, the watchers list naming a router by its User-Agent and forgetting a closed watch,
 * the router's ring of its own answers staying at 50 however many there were, its clients'
 * endpoints, and `/ui/` serving only the built files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namerdConfig } from '../../src/config/namerd-config.js';
import { type RunningNamerd, runNamerd } from '../../src/namerd/server.js';
import type { RunningRouter } from '../../src/router/router.js';
import { RECENT_ANSWERS } from '../../src/router/router-log.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { putDtab } from '../helpers/namerd-process.js';
import { openStream } from '../helpers/namerd-server.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let namerd: RunningNamerd;
let router: RunningRouter;
let web: NamedUpstream;

beforeAll(async () => {
  web = await startNamedUpstream('web');
  namerd = await runNamerd(
    namerdConfig(null, { listen: '127.0.0.1:0', store: 'memory' }),
    createLogger({ level: 'silent' }),
  );
  await putDtab(namerd.url, 'default', `/svc/web => /$/inet/127.0.0.1/${web.port}`);
  router = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
});

afterAll(async () => {
  await router.close();
  await namerd.close();
  await web.close();
});

const versions = async () => JSON.parse((await get(`${namerd.url}/api/1/dtabs/default/versions`)).body).length;

describe("namerd's admin port for the dashboard", () => {
  it('checks a dtab with the real parser and says line and column', async () => {
    const res = await fetch(`${namerd.adminUrl}/admin/dtab/validate`, { method: 'POST', body: '/a => /b;\n/c => |' });
    expect(await res.json()).toMatchObject({ ok: false, line: 2, column: 7 });
    const ok = await fetch(`${namerd.adminUrl}/admin/dtab/validate`, { method: 'POST', body: '/a => /b;/c => /d' });
    expect(await ok.json()).toEqual({ ok: true, dentries: 2 });
  });

  it('relays reads, and writes only with X-Switchyard-UI (a cross-site form cannot add it)', async () => {
    const read = await fetch(`${namerd.adminUrl}/admin/api/1/dtabs/default`, {
      headers: { accept: 'application/dtab' },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('AAAAAAAAAAE=');
    const before = await versions();
    const forged = await fetch(`${namerd.adminUrl}/admin/api/1/dtabs/default`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '/svc => /evil',
    });
    expect(forged.status).toBe(403);
    expect(await versions()).toBe(before);
    const stale = await fetch(`${namerd.adminUrl}/admin/api/1/dtabs/default`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab', 'if-match': 'AAAAAAAAAAk=', 'x-switchyard-ui': '1' },
      body: '/svc => /other',
    });
    expect(stale.status).toBe(412);
    expect(await versions()).toBe(before);
    const watch = await fetch(`${namerd.adminUrl}/admin/api/1/dtabs/default?watch=true`);
    expect(watch.status).toBe(400);
  });

  it('lists a watcher with its User-Agent and version, and forgets it when it closes', async () => {
    const stream = await openStream(`${namerd.url}/api/1/dtabs/default?watch=true`, {
      accept: 'application/x-ndjson',
      'user-agent': 'switchyard-router/edge admin=http://127.0.0.1:9990',
    });
    await stream.next(5000);
    const listed = JSON.parse((await get(`${namerd.adminUrl}/admin/watchers.json`)).body);
    expect(listed).toEqual([
      expect.objectContaining({
        namespace: 'default',
        userAgent: 'switchyard-router/edge admin=http://127.0.0.1:9990',
        version: 'AAAAAAAAAAE=',
        number: 1,
      }),
    ]);
    stream.close();
    const until = Date.now() + 5000;
    while (JSON.parse((await get(`${namerd.adminUrl}/admin/watchers.json`)).body).length > 0) {
      expect(Date.now()).toBeLessThan(until);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('serves only the built files under /ui/', async () => {
    expect((await get(`${namerd.adminUrl}/ui/namerd-dashboard.js`)).status).toBe(200);
    expect((await get(`${namerd.adminUrl}/ui/..%2Fpackage.json`)).status).toBe(404);
    expect((await get(`${namerd.adminUrl}/ui/serve-ui.js`)).status).toBe(404);
    const page = await get(`${namerd.adminUrl}/`);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });
});

describe("the router's admin port for the dashboard", () => {
  it(`keeps the last ${RECENT_ANSWERS} answers it gave itself, however many there were`, async () => {
    for (let i = 0; i < RECENT_ANSWERS + 20; i++) await get(`${router.url}/n${i}`, { host: 'nowhere' });
    const recent = JSON.parse((await get(`${router.adminUrl}/admin/errors.json`)).body);
    expect(recent.length).toBe(RECENT_ANSWERS);
    expect(recent.at(-1)).toMatchObject({ status: 502, code: 'SY_ERR_NO_BROKERS', authority: 'nowhere', path: '/n69' });
    expect(recent[0].path).toBe('/n20');
  });

  it("lists each client's endpoints with load, EWMA and failure accrual", async () => {
    expect((await get(`${router.url}/`, { host: 'web' })).status).toBe(200);
    const clients = JSON.parse((await get(`${router.adminUrl}/admin/clients.json`)).body);
    expect(clients).toEqual([
      {
        id: `/$/inet/127.0.0.1/${web.port}`,
        state: 'ready',
        endpoints: [expect.objectContaining({ key: `127.0.0.1:${web.port}`, outstanding: 0, state: 'alive' })],
        // The client's attempts so far (its metrics), for per-client success rates.
        requests: 1,
        success: 1,
        failures: 0,
      },
    ]);
    expect(clients[0].endpoints[0].latencyMs).toBeGreaterThan(0);
  });
});
