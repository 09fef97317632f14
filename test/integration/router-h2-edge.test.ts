/**
 * The router's HTTP/2 edge with real clients, through the whole router to real upstreams: curl
 * with prior knowledge and with `--http2` (an h2c Upgrade the router declines, answering as
 * HTTP/1.1), an h2c-only data port (`protocol: h2`), and the `h2:` settings as a client sees them.
 */
import { execFile } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startH2Upstream } from '../helpers/h2-upstream-harness.js';
import { connectH2, h2Request } from '../helpers/h2c-echo.js';
import { testScope } from '../helpers/test-scope.js';

const run = promisify(execFile);
const scope = testScope();

async function h2Upstream() {
  const u = await startH2Upstream();
  scope.cleanups.push(() => u.close());
  return u;
}

/** curl's verbose trace and body; never throws on an HTTP status. */
async function curl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('curl', ['-sS', '-v', '--max-time', '20', ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
}

function session(url: string) {
  const s = connectH2(Number(new URL(url).port));
  scope.cleanups.push(() => void s.destroy());
  return s;
}

/** Raw bytes to the router, everything it answers until it closes. */
function rawExchange(url: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(new URL(url).port), '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no close; got ${answer}`)));
  });
}

describe('curl through the router', () => {
  it('curl --http2-prior-knowledge reaches an h2 upstream over h2 both hops', async () => {
    const up = await h2Upstream();
    const router = await scope.router(`dtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const { stdout, stderr } = await curl([
      '--http2-prior-knowledge',
      '-H',
      'host: echo',
      '--data-binary',
      'hello over h2',
      `${router.url}/greet`,
    ]);
    expect(stderr).toMatch(/< HTTP\/2 200/);
    expect(stdout).toBe('hello over h2');
    expect(up.streams).toHaveLength(1);
    expect(up.streams[0]!.headers[':path']).toBe('/greet');
    expect(up.streams[0]!.headers['l5d-dst-service']).toBe('/svc/echo');
  });

  it('curl --http2-prior-knowledge with a body reaches an HTTP/1.1 upstream (client.protocol: http/1.1)', async () => {
    // The h2 request stream is also the response: the upstream client must not close it once the body is sent.
    const up = await scope.upstream('h1', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n} host=${req.headers.host}`));
    });
    const router = await scope.router(`client:\n  protocol: http/1.1\ndtab: /svc/web => /$/inet/127.0.0.1/${up.port}`);
    for (const data of ['', 'x'.repeat(1000)]) {
      const { stdout, stderr } = await curl([
        '--http2-prior-knowledge',
        '-H',
        'host: web',
        '-d',
        data,
        `${router.url}/`,
      ]);
      expect(stderr).toMatch(/< HTTP\/2 200/);
      expect(stdout).toBe(`got ${data.length} host=web`);
    }
  });

  it('curl --http2 (an h2c Upgrade) is answered as plain HTTP/1.1 and succeeds', async () => {
    const up = await scope.upstream('h1');
    const router = await scope.router(`dtab: /svc/web => /$/inet/127.0.0.1/${up.port}`);
    const { stdout, stderr } = await curl(['--http2', '-H', 'host: web', `${router.url}/`]);
    expect(stderr).toMatch(/Upgrade: h2c/i);
    expect(stderr).toMatch(/< HTTP\/1\.1 200/);
    expect(stderr).not.toMatch(/101 Switching/);
    expect(stdout).toBe('h1\n');
    // Neither the upgrade nor its settings reach the upstream.
    expect(up.seen[0]!.upgrade).toBeUndefined();
    expect(up.seen[0]!['http2-settings']).toBeUndefined();
  });
});

describe('protocol: h2 (an h2c-only data port)', () => {
  it('serves h2c and answers an HTTP/1.1 request 400 with l5d-err', async () => {
    const up = await h2Upstream();
    const router = await scope.router(`protocol: h2\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`);
    const ok = await curl(['--http2-prior-knowledge', '-H', 'host: echo', '-d', 'x', `${router.url}/`]);
    expect(ok.stderr).toMatch(/< HTTP\/2 200/);
    expect(ok.stdout).toBe('x');

    const h1 = await curl(['--http1.1', '-H', 'host: echo', '-D', '-', `${router.url}/`]);
    expect(h1.stdout).toMatch(/^HTTP\/1\.1 400/);
    expect(h1.stdout).toMatch(/l5d-err: .*HTTP%2F2|l5d-err: .*HTTP\/2/i);
    const raw = await rawExchange(router.url, 'GET / HTTP/1.1\r\nHost: echo\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/\r\nl5d-err: /i);
    expect(up.streams).toHaveLength(1);
  });
});

describe('h2 settings from the router config', () => {
  it('h2.maxConcurrentStreams: 5 is what the client sees in SETTINGS', async () => {
    const up = await h2Upstream();
    const router = await scope.router(
      `h2:\n  maxConcurrentStreams: 5\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`,
    );
    const s = session(router.url);
    await new Promise<void>((r) => s.once('remoteSettings', () => r()));
    expect(s.remoteSettings.maxConcurrentStreams).toBe(5);
    // 20 requests at once on this one session: the client queues past 5 and all succeed.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h2Request(s, { ':method': 'POST', ':path': `/${i}`, ':authority': 'echo' }, `body ${i}`),
      ),
    );
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 20 }, (_, i) => `body ${i}`));
  });

  it('h2.maxHeaderListSize refuses an oversized header block; the session serves the next request', async () => {
    const up = await h2Upstream();
    const router = await scope.router(
      `h2:\n  maxHeaderListSize: 2048\ndtab: /svc/echo => /$/inet/127.0.0.1/${up.port}`,
    );
    const s = session(router.url);
    await new Promise<void>((r) => s.once('remoteSettings', () => r()));
    expect(s.remoteSettings.maxHeaderListSize).toBe(2048);
    const big = { ':path': '/big', ':authority': 'echo', 'x-big': 'a'.repeat(4096) };
    // node's client refuses to send past the peer's limit itself; either way nothing reaches the upstream.
    const refused = await h2Request(s, big).then(
      (a) => `status ${a.headers[':status']}`,
      (e: Error) => `reset: ${e.message}`,
    );
    expect(refused).toMatch(/status 431|reset/);
    const next = await h2Request(s, { ':method': 'POST', ':path': '/small', ':authority': 'echo' }, 'still here');
    expect(next.body).toBe('still here');
    expect(up.streams.map((st) => st.headers[':path'])).toEqual(['/small']);
  });
});
