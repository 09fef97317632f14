/**
 * The router's data plane over real sockets: staging with `l5d-dtab`, the override policy,
 * the headers it adds and removes, its own errors, and
 * WebSocket passthrough.
 */
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { get, type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let v1: NamedUpstream;
let v2: NamedUpstream;
let canary: NamedUpstream;
let router: RunningRouter;

beforeAll(async () => {
  v1 = await startNamedUpstream('v1');
  v2 = await startNamedUpstream('v2');
  canary = await startNamedUpstream('canary');
  router = await startTestRouter(`
dtab: |
  /srv/web-v1   => /$/inet/127.0.0.1/${v1.port} ;
  /srv/web-v2   => /$/inet/127.0.0.1/${v2.port} ;
  /srv/canary   => /$/inet/127.0.0.1/${canary.port} ;
  /svc/web      => /srv/web-v1 ;
  /svc/neg      => ~ ;
`);
});
afterAll(async () => {
  await router.close();
  await Promise.all([v1.close(), v2.close(), canary.close()]);
});

describe('routing by Host through the dtab', () => {
  it('forwards with the l5d-dst-* headers, a request id, Via and X-Forwarded-For, dropping hop-by-hop headers', async () => {
    // node:http, because undici will not send a Connection header of the caller's.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const { port } = new URL(router.url);
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/hello?x=1',
          headers: {
            host: 'web',
            connection: 'keep-alive, x-secret',
            'x-secret': 'hop',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const seen = v1.seen.at(-1)!;
    expect(seen['l5d-dst-service']).toBe('/svc/web');
    expect(seen['l5d-dst-client']).toBe(`/$/inet/127.0.0.1/${v1.port}`);
    expect(seen['l5d-reqid']).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(seen.via).toBe('1.1 switchyard');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen.host).toBe('web');
    expect(seen['l5d-ctx-dtab']).toBeUndefined();
  });

  it('stages a request through l5d-dtab, forwarding it downstream as l5d-ctx-dtab', async () => {
    const staged = await get(router.url, { host: 'web', 'l5d-dtab': '/svc/web => /srv/web-v2' });
    expect(staged.body).toBe('v2\n');
    const seen = v2.seen.at(-1)!;
    expect(seen['l5d-ctx-dtab']).toBe('/svc/web=>/srv/web-v2');
    expect(seen['l5d-dtab']).toBeUndefined();
    // The caller's entry comes after an upstream router's context, so it wins.
    const both = await get(router.url, {
      host: 'web',
      'l5d-ctx-dtab': '/svc/web => /srv/canary',
      'l5d-dtab': '/svc/web => /srv/web-v2',
    });
    expect(both.body).toBe('v2\n');
    expect(v2.seen.at(-1)!['l5d-ctx-dtab']).toBe('/svc/web=>/srv/canary;/svc/web=>/srv/web-v2');
    expect((await get(router.url, { host: 'web' })).body).toBe('v1\n');
  });

  it('refuses an l5d-dtab that points at /$/inet, and a malformed one with its position', async () => {
    const refused = await get(router.url, { host: 'web', 'l5d-dtab': `/svc/web => /$/inet/127.0.0.1/${v2.port}` });
    expect(refused.status).toBe(403);
    expect(decodeURIComponent(String(refused.headers['l5d-err']))).toContain('not an allowed destination');
    const sneaky = await get(router.url, {
      host: 'web',
      'l5d-dtab': '/svc/web => /$/io.buoyant.http.domainToPathPfx/$/1.0.0.127.inet',
    });
    expect(sneaky.status).toBe(403);
    const bad = await get(router.url, { host: 'web', 'l5d-dtab': '/svc/web => /srv/web-v2,/x=>/y' });
    expect(bad.status).toBe(400);
    expect(decodeURIComponent(String(bad.headers['l5d-err']))).toMatch(
      /^Invalid Dtab headers: .* at line 1, column 24/,
    );
    expect(v2.seen.every((h) => h['l5d-ctx-dtab'] !== `/svc/web=>/$/inet/127.0.0.1/${v2.port}`)).toBe(true);
  });

  it('answers its own failures with linkerd statuses and l5d-err', async () => {
    const noBrokers = await get(router.url, { host: 'nothing-here' });
    expect(noBrokers.status).toBe(502);
    expect(decodeURIComponent(String(noBrokers.headers['l5d-err']))).toMatch(
      /^No hosts are available for \/svc\/nothing-here, Dtab.base=\[/,
    );
    expect((await get(router.url, { host: 'neg' })).status).toBe(502);
    const looped = await get(router.url, { host: 'web', via: Array.from({ length: 1000 }, () => '1.1 x').join(', ') });
    expect(looped.status).toBe(400);
  });

  it('answers 400 to a request it cannot identify (HTTP/1.0 without Host)', async () => {
    const raw = await new Promise<string>((resolve) => {
      const { port } = new URL(router.url);
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: '' }, setHost: false }, (res) => {
        resolve(`${res.statusCode} ${res.headers['l5d-err']}`);
        res.resume();
      });
      req.end();
    });
    expect(raw).toMatch(/^400 Unidentified%20request/);
  });
});

const run = promisify(execFile);

describe('WebSocket (Upgrade) passthrough', () => {
  it("declines any other Upgrade (curl --http2's h2c) by answering it as HTTP/1.1", async () => {
    const seen: Record<string, unknown>[] = [];
    const app = await startNamedUpstream('app', (req, res) => {
      seen.push({ ...req.headers });
      res.end('hello over 1.1\n');
    });
    const r = await startTestRouter(`dtab: /svc/app => /$/inet/127.0.0.1/${app.port}`);
    try {
      // Asynchronously: the router runs in this process.
      const curl = await run('curl', ['-sS', '-i', '--http2', '-H', 'Host: app', `${r.url}/x`], { timeout: 10_000 });
      expect(curl.stdout).toMatch(/^HTTP\/1\.1 200/);
      expect(curl.stdout).toContain('hello over 1.1');
      expect(seen).toHaveLength(1);
      expect(seen[0]).not.toHaveProperty('upgrade');
      expect(seen[0]).not.toHaveProperty('http2-settings');
      // The upgrade's bytes are not the parser's: a body with an unknown Upgrade is refused.
      const withBody = await run(
        'curl',
        ['-sS', '-i', '-H', 'Host: app', '-H', 'Connection: Upgrade', '-H', 'Upgrade: foo', '-d', 'x=1', `${r.url}/x`],
        { timeout: 10_000 },
      );
      expect(withBody.stdout).toMatch(/^HTTP\/1\.1 400/);
      expect(seen).toHaveLength(1);
    } finally {
      await r.close();
      await app.close();
    }
  });

  it('routes the upgrade and splices the sockets', async () => {
    const echo = await startNamedUpstream('ws', (_req, res) => res.end());
    const server = (await import('node:http')).createServer();
    server.on('upgrade', (req, socket: Socket) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`,
      );
      socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const wsRouter = await startTestRouter(`dtab: /svc/ws => /$/inet/127.0.0.1/${port}`);
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const { port: rp } = new URL(wsRouter.url);
        const req = httpRequest({
          host: '127.0.0.1',
          port: rp,
          headers: { host: 'ws', connection: 'Upgrade', upgrade: 'websocket' },
        });
        req.on('upgrade', (res, socket) => {
          expect(res.statusCode).toBe(101);
          socket.once('data', (d) => {
            resolve(d.toString());
            socket.destroy();
          });
          socket.write('ping');
        });
        req.on('error', reject);
        req.end();
      });
      expect(reply).toBe('echo:ping');
    } finally {
      await wsRouter.close();
      await echo.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('answers an upgrade it cannot route, or whose upstream is gone, with the router error rendering', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const gonePort = (gone.address() as { port: number }).port;
    await new Promise<void>((r) => gone.close(() => r()));
    const r = await startTestRouter(`dtab: /svc/gone => /$/inet/127.0.0.1/${gonePort} ; /svc/neg => ~`);
    const { port } = new URL(r.url);
    const upgrade = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = netConnect(Number(port), '127.0.0.1');
        let got = '';
        socket.on('data', (d) => (got += d.toString('latin1')));
        socket.on('end', () => resolve(got));
        socket.on('error', reject);
        socket.write(`GET /chat HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      });
    try {
      for (const [host, status, code] of [
        ['neg', 502, 'No hosts are available for /svc/neg'],
        ['gone', 502, 'Request to the WebSocket upstream failed'],
      ] as const) {
        const answer = await upgrade(host);
        const [head, body] = answer.split('\r\n\r\n') as [string, string];
        expect(head, host).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(head.toLowerCase(), host).toContain('connection: close');
        expect(decodeURIComponent(/^l5d-err: (.*)$/im.exec(head)?.[1] ?? ''), host).toContain(code);
        expect(body, host).toContain(code);
      }
    } finally {
      await r.close();
    }
  });
});
