/**
 * Every (caller, upstream) protocol pair through the router (`client.protocol`): what crosses
 * from one protocol to the other (Host from `:authority`, `te`, connection-specific headers,
 * chunked bodies as DATA frames, trailers) and 5 MB bodies that arrive byte for byte both ways;
 * then resets for plain h2 in both directions.
 */
import { createHash } from 'node:crypto';
import { request as h1Request, type IncomingHttpHeaders } from 'node:http';
import { constants, type ServerHttp2Stream } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { bigBody, type StreamHandler, startH2Upstream, until } from '../helpers/h2-upstream-harness.js';
import { connectH2 } from '../helpers/h2c-echo.js';
import { testScope } from '../helpers/test-scope.js';

const scope = testScope();
const MB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function h2Upstream(handler?: StreamHandler) {
  const u = await startH2Upstream(handler);
  scope.cleanups.push(() => u.close());
  return u;
}

/** An HTTP/1.1 upstream that echoes the body, remembers the headers, and may end with trailers. */
async function h1Echo() {
  const seen: IncomingHttpHeaders[] = [];
  const u = await scope.upstream('h1', (req, res) => {
    seen.push(req.headers);
    const trailers = req.headers['x-want-trailers'] !== undefined;
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(trailers ? { trailer: 'x-sum' } : {}) });
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      hash.update(c);
      res.write(c);
    });
    req.on('end', () => {
      if (trailers) res.addTrailers({ 'x-sum': hash.digest('hex') });
      res.end();
    });
  });
  return { ...u, seen };
}

interface H2Result {
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  digest: string;
  bytes: number;
}

/** One h2 request with a streamed body, the response hashed. */
function h2Call(url: string, headers: Record<string, string>, body?: { stream: NodeJS.ReadableStream }) {
  const s = connectH2(Number(new URL(url).port));
  scope.cleanups.push(() => void s.destroy());
  return new Promise<H2Result>((resolve, reject) => {
    const req = s.request({ ':method': body ? 'POST' : 'GET', ...headers }, { endStream: !body });
    const hash = createHash('sha256');
    const out: H2Result = { status: 0, headers: {}, trailers: {}, digest: '', bytes: 0 };
    req.on('response', (h) => {
      out.status = Number(h[':status']);
      out.headers = h;
    });
    req.on('trailers', (t) => (out.trailers = t));
    req.on('data', (c: Buffer) => {
      out.bytes += c.length;
      hash.update(c);
    });
    req.on('error', reject);
    req.on('close', () => {
      if (req.rstCode !== constants.NGHTTP2_NO_ERROR) return reject(new Error(`reset ${req.rstCode}`));
      out.digest = hash.digest('hex');
      resolve(out);
    });
    if (body) body.stream.pipe(req);
  });
}

/** One HTTP/1.1 request over node:http (it lets a test send `connection`/`keep-alive`/`te`), chunked body. */
function h1Call(url: string, headers: Record<string, string>, body: NodeJS.ReadableStream) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; digest: string; bytes: number }>(
    (resolve, reject) => {
      const req = h1Request(`${url}/up`, { method: 'POST', headers }, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, digest: hash.digest('hex'), bytes }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      body.pipe(req);
    },
  );
}

describe('h2 caller → HTTP/1.1 upstream (client.protocol: http/1.1)', () => {
  it('sends :authority as Host, no connection-specific headers, 5 MB intact both ways, trailers passed on', async () => {
    const up = await h1Echo();
    const router = await scope.router(`client:\n  protocol: http/1.1\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const body = bigBody(5 * MB);
    const r = await h2Call(
      router.url,
      { ':path': '/x', ':authority': 'echo', te: 'trailers', 'x-want-trailers': '1', 'x-end-to-end': 'kept' },
      body,
    );
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(5 * MB);
    expect(r.digest).toBe(body.digest);
    expect(r.trailers['x-sum']).toBe(body.digest);
    const seen = up.seen[0]!;
    expect(seen.host).toBe('echo');
    expect(seen['x-end-to-end']).toBe('kept');
    // te: trailers is for the h2 hop; HTTP/1.1's framing of the body is the router's own.
    expect(seen.te).toBeUndefined();
    expect(seen['transfer-encoding'] ?? seen['content-length']).toBeDefined();
    expect(seen.upgrade).toBeUndefined();
    expect(seen['http2-settings']).toBeUndefined();
  }, 30_000);
});

describe('HTTP/1.1 caller → h2 upstream (client.protocol: h2)', () => {
  it('drops connection/keep-alive/transfer-encoding, keeps te: trailers, a chunked 5 MB body arrives as DATA', async () => {
    let received: Buffer[] = [];
    const up = await h2Upstream((stream: ServerHttp2Stream) => {
      received = [];
      stream.on('data', (c: Buffer) => received.push(c));
      stream.respond({ ':status': 200 });
      stream.pipe(stream);
    });
    const router = await scope.router(`client:\n  protocol: h2\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const body = bigBody(5 * MB);
    const r = await h1Call(
      router.url,
      {
        host: 'echo',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'hop only',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        'x-end-to-end': 'kept',
      },
      body.stream,
    );
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(5 * MB);
    expect(r.digest).toBe(body.digest);
    expect(sha(Buffer.concat(received))).toBe(body.digest);
    const seen = up.streams[0]!.headers;
    expect(seen[':authority']).toBe('echo');
    expect(seen.te).toBe('trailers');
    for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'x-hop', 'host']) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen['x-end-to-end']).toBe('kept');
  }, 30_000);

  it('an h2 upstream’s trailers reach an HTTP/1.1 caller as chunked trailers', async () => {
    const up = await h2Upstream(); // echoes, and ends with grpc-status 0 trailers when asked with te: trailers
    const router = await scope.router(`client:\n  protocol: h2\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const trailers = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
      const req = h1Request(`${router.url}/t`, { method: 'POST', headers: { host: 'echo', te: 'trailers' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.trailers));
      });
      req.on('error', reject);
      req.end('with trailers');
    });
    expect(up.streams[0]!.headers.te).toBe('trailers');
    expect(trailers['grpc-status']).toBe('0');
  });

  it('a te other than trailers does not reach the h2 upstream', async () => {
    const up = await h2Upstream();
    const router = await scope.router(`client:\n  protocol: h2\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const body = bigBody(1024);
    const r = await h1Call(router.url, { host: 'echo', te: 'gzip' }, body.stream);
    expect(r.status).toBe(200);
    expect(r.digest).toBe(body.digest);
    expect(up.streams[0]!.headers.te).toBeUndefined();
  });
});

describe('the default: the caller’s own protocol upstream', () => {
  it('h2 → h2 and HTTP/1.1 → HTTP/1.1 carry 5 MB intact both ways', async () => {
    const h2up = await h2Upstream();
    const h1up = await h1Echo();
    const router = await scope.router(
      `dtab: |\n  /svc/h2 => /$/inet/127.0.0.1/${h2up.port} ;\n  /svc/h1 => /$/inet/127.0.0.1/${h1up.port} ;`,
    );
    const a = bigBody(5 * MB);
    const viaH2 = await h2Call(router.url, { ':path': '/', ':authority': 'h2' }, a);
    expect([viaH2.status, viaH2.bytes, viaH2.digest]).toEqual([200, 5 * MB, a.digest]);
    expect(h2up.streams).toHaveLength(1);
    const b = bigBody(5 * MB);
    const viaH1 = await h1Call(router.url, { host: 'h1' }, b.stream);
    expect([viaH1.status, viaH1.bytes, viaH1.digest]).toEqual([200, 5 * MB, b.digest]);
    expect(h1up.seen).toHaveLength(1);
  }, 30_000);
});

describe('resets, plain h2 both hops', () => {
  it('a caller RST_STREAM closes the upstream stream with CANCEL', async () => {
    const up = await h2Upstream((stream) => {
      stream.respond({ ':status': 200 });
      stream.write('first');
    });
    const router = await scope.router(`dtab: /svc/hold => /$/inet/127.0.0.1/${up.port}`);
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const req = s.request({ ':path': '/', ':authority': 'hold' });
    req.on('error', () => {});
    await new Promise<void>((r) => req.once('data', () => r()));
    req.close(constants.NGHTTP2_CANCEL);
    await until(() => up.streams.length === 1, 'the upstream stream');
    expect(await up.streams[0]!.closed).toBe(constants.NGHTTP2_CANCEL);
    // The caller's session is fine.
    expect(s.destroyed).toBe(false);
  });

  it('an upstream reset mid-response resets the caller’s stream (it does not end cleanly)', async () => {
    const up = await h2Upstream((stream) => {
      stream.respond({ ':status': 200 });
      // destroy(), not close(code): node's close() ends the stream cleanly first when it can.
      stream.write('partial', () => setTimeout(() => stream.destroy(new Error('upstream fault')), 50));
    });
    const router = await scope.router(`dtab: /svc/cut => /$/inet/127.0.0.1/${up.port}`);
    const s = connectH2(Number(new URL(router.url).port));
    scope.cleanups.push(() => void s.destroy());
    const req = s.request({ ':path': '/', ':authority': 'cut' });
    let body = '';
    let ended = false;
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => (ended = true));
    req.on('error', () => {});
    await new Promise<void>((r) => req.once('close', () => r()));
    expect(body).toBe('partial');
    expect(req.rstCode).not.toBe(constants.NGHTTP2_NO_ERROR);
    expect(ended && req.rstCode === constants.NGHTTP2_NO_ERROR).toBe(false);
  });

  it('a caller resetting mid-upload aborts the HTTP/1.1 upstream request (client.protocol: http/1.1)', async () => {
    let received = 0;
    const upstreamGone = new Promise<boolean>((resolve) => {
      void scope
        .upstream('h1', (req) => {
          req.on('data', (c: Buffer) => (received += c.length));
          req.on('end', () => resolve(false));
          req.on('close', () => resolve(!req.complete));
        })
        .then((up) =>
          scope
            .router(`client:\n  protocol: http/1.1\ndtab: /svc/up => /$/inet/127.0.0.1/${up.port}`)
            .then((router) => {
              const s = connectH2(Number(new URL(router.url).port));
              scope.cleanups.push(() => void s.destroy());
              const req = s.request({ ':method': 'POST', ':path': '/', ':authority': 'up' });
              req.on('error', () => {});
              req.write(Buffer.alloc(32 * 1024));
              const check = setInterval(() => {
                if (received > 0) {
                  clearInterval(check);
                  // destroy(): node's close(code) sends END_STREAM before its RST_STREAM.
                  req.destroy(new Error('caller gone'));
                }
              }, 5);
            }),
        );
    });
    expect(await upstreamGone).toBe(true);
  });
});
