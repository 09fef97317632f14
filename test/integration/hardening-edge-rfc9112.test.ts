/**
 * HTTP/1.1 at the router's edge as RFC 9112 has it: absolute-form targets route by their
 * authority, ambiguous Host is refused, `Expect: 100-continue` is answered only once a route is
 * found, CONNECT is 405, a long request line is 414, and `Connection: host` cannot strip Host.
 * What held already is pinned too: the framing defences against request smuggling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRouter } from '../../src/router/router.js';
import { rawExchange, rawHeader } from '../helpers/raw-http.js';
import { type NamedUpstream, startNamedUpstream, startTestRouter } from '../helpers/router-harness.js';

let web: NamedUpstream;
let r: RunningRouter;
const paths: string[] = [];

beforeAll(async () => {
  web = await startNamedUpstream('web', (req, res) => {
    web.seen.push(req.headers);
    paths.push(req.url ?? '');
    let n = 0;
    req.on('data', (d) => (n += d.length));
    req.on('end', () => {
      res.setHeader('x-served-by', 'web');
      res.end(`web ${req.headers.host} ${n}\n`);
    });
  });
  r = await startTestRouter(`dtab: /svc/web => /$/inet/127.0.0.1/${web.port}`);
});
afterAll(async () => {
  await r.close();
  await web.close();
});

const untilHead = (t: string) => t.includes('\r\n\r\n');
const untilBody = (t: string) => /\r\n\r\n[\s\S]*\n/.test(t);

describe('request targets and Host', () => {
  it('routes an absolute-form target by its authority, and sends origin form upstream', async () => {
    const a = await rawExchange(r.url, 'GET http://web/a?b=1 HTTP/1.1\r\nHost: web\r\n\r\n', { stopWhen: untilBody });
    expect(a.status).toBe(200);
    expect(paths.at(-1)).toBe('/a?b=1');
    expect(web.seen.at(-1)?.host).toBe('web');
  });

  it('gives the upstream the target authority as Host when an HTTP/1.0 request has none', async () => {
    const a = await rawExchange(r.url, 'GET http://web/x HTTP/1.0\r\n\r\n', { stopWhen: untilBody });
    expect(a.status).toBe(200);
    expect(web.seen.at(-1)?.host).toBe('web');
    expect(paths.at(-1)).toBe('/x');
  });

  it('refuses an absolute-form target whose authority differs from Host with 400', async () => {
    const before = web.seen.length;
    const a = await rawExchange(r.url, 'GET http://web/ HTTP/1.1\r\nHost: other\r\n\r\n', { stopWhen: untilHead });
    expect(a.status).toBe(400);
    expect(rawHeader(a.text, 'l5d-err')).toMatch(/another%20authority/);
    expect(web.seen.length).toBe(before);
  });

  it('refuses two Host headers with 400, before routing', async () => {
    const before = web.seen.length;
    const a = await rawExchange(r.url, 'GET / HTTP/1.1\r\nHost: web\r\nHost: web\r\n\r\n', { stopWhen: untilHead });
    expect(a.status).toBe(400);
    expect(web.seen.length).toBe(before);
  });

  it('never lets Connection nominate Host (or Content-Length) as hop-by-hop', async () => {
    const a = await rawExchange(
      r.url,
      'POST / HTTP/1.1\r\nHost: web\r\nConnection: host, content-length, x-drop\r\nX-Drop: 1\r\nContent-Length: 3\r\n\r\nabc',
      { stopWhen: untilBody },
    );
    expect(a.status).toBe(200);
    expect(a.text).toContain('web web 3');
    expect(web.seen.at(-1)?.host).toBe('web');
    expect(web.seen.at(-1)?.['x-drop']).toBeUndefined();
  });
});

describe('Expect: 100-continue', () => {
  it('sends 100 only after the route is found, then forwards the body', async () => {
    const a = await rawExchange(
      r.url,
      ['POST / HTTP/1.1\r\nHost: web\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n', 'abcd'],
      { gapMs: 300, stopWhen: (t) => t.includes('web web 4'), untilMs: 5_000 },
    );
    expect(a.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('answers a request with no route its error, with no 100 before it', async () => {
    const a = await rawExchange(
      r.url,
      'POST / HTTP/1.1\r\nHost: nowhere\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n',
      { stopWhen: untilHead, untilMs: 5_000 },
    );
    expect(a.text).not.toContain('100 Continue');
    expect(a.status).toBe(502);
    expect(rawHeader(a.text, 'l5d-err')).toBeDefined();
    expect(rawHeader(a.text, 'connection')).toBe('close');
  });
});

describe('methods and sizes', () => {
  it('answers CONNECT 405 with Allow', async () => {
    const a = await rawExchange(r.url, 'CONNECT web:443 HTTP/1.1\r\nHost: web:443\r\n\r\n', { untilMs: 5_000 });
    expect(a.status).toBe(405);
    expect(rawHeader(a.text, 'allow')).toMatch(/GET/);
    expect(rawHeader(a.text, 'l5d-err')).toMatch(/CONNECT/);
    expect(a.ended).toBe('closed');
  });

  it('answers a request line longer than the header budget 414', async () => {
    const a = await rawExchange(r.url, `GET /${'a'.repeat(10_000)} HTTP/1.1\r\nHost: web\r\n\r\n`, { untilMs: 5_000 });
    expect(a.status).toBe(414);
    expect(rawHeader(a.text, 'l5d-err')).toBeDefined();
  });

  it('answers headers larger than the budget 431', async () => {
    const a = await rawExchange(r.url, `GET / HTTP/1.1\r\nHost: web\r\nX-Big: ${'b'.repeat(10_000)}\r\n\r\n`, {
      untilMs: 5_000,
    });
    expect(a.status).toBe(431);
  });
});

describe('framing defences (request smuggling)', () => {
  const refused: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    ],
    ['an obs-fold continuation line', 'GET / HTTP/1.1\r\nHost: web\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['a bare LF line end', 'GET / HTTP/1.1\nHost: web\n\n'],
    [
      'a Transfer-Encoding other than chunked last',
      'POST / HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    ],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : web\r\n\r\n'],
  ];
  for (const [what, bytes] of refused) {
    it(`refuses ${what} with 400 and forwards nothing`, async () => {
      const before = web.seen.length;
      const a = await rawExchange(r.url, bytes, { untilMs: 5_000 });
      expect(a.status).toBe(400);
      expect(a.ended).toBe('closed');
      expect(web.seen.length).toBe(before);
    });
  }
});
