/**
 * namectl's additions to namerctl against a real namerd on port 0: history, rollback, diff,
 * watch (with a scripted fake namerd for reconnects after a silent or ended stream) and the
 * delegate tree. The commands run in-process through main(); watch is stopped with the abort
 * signal the bin wires to Ctrl-C.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { type RunOptions, runMain } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';
import { RacingStore } from '../helpers/racing-store.js';

const store = new RacingStore();
let namerd: RunningNamerd;
const TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

const run = (args: string[], options: RunOptions = {}) =>
  runMain(namectl, args, { ...options, env: { NAMECTL_BASE_URL: namerd.url, ...options.env } });

beforeAll(async () => {
  namerd = await startNamerd({ store, heartbeatMs: 100 });
});

afterAll(() => namerd.close());

describe('history and rollback', () => {
  it('lists every version, deletions included, and rolls back as a new version', async () => {
    await run(['dtab', 'create', 'hist', 'dtabs/default.dtab', '-m', 'gob routing']);
    await run(['dtab', 'update', 'hist', 'dtabs/canary-5.dtab', '-m', 'canary 5%']);
    await run(['dtab', 'delete', 'hist', '-m', 'bye']);
    expect(await run(['dtab', 'rollback', 'hist', '1'])).toEqual({
      code: 0,
      stdout: 'Rolled back hist to version 1: it is now version 4\n',
      stderr: '',
    });
    expect(await run(['dtab', 'rollback', 'hist', 'AAAAAAAAAAI=', '-m', 'canary again'])).toMatchObject({
      stdout: 'Rolled back hist to version 2: it is now version 5\n',
    });
    const table = (await run(['dtab', 'history', 'hist'])).stdout.split('\n');
    expect(table[0]).toBe('VERSION  ETAG          TIME                      DENTRIES  MESSAGE');
    expect(table.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^5        AAAAAAAAAAU=  ${TIME}  5         canary again$`)),
      expect.stringMatching(new RegExp(`^4        AAAAAAAAAAQ=  ${TIME}  4         rollback to version 1$`)),
      expect.stringMatching(new RegExp(`^3        AAAAAAAAAAM=  ${TIME}  deleted   bye$`)),
      expect.stringMatching(new RegExp(`^2        AAAAAAAAAAI=  ${TIME}  5         canary 5%$`)),
      expect.stringMatching(new RegExp(`^1        AAAAAAAAAAE=  ${TIME}  4         gob routing$`)),
      '',
    ]);
    const json = JSON.parse((await run(['dtab', 'history', 'hist', '--json'])).stdout);
    expect(json[2]).toEqual({
      version: 'AAAAAAAAAAM=',
      number: 3,
      time: expect.any(String),
      message: 'bye',
      deleted: true,
    });
    expect((await run(['dtab', 'diff', 'hist', '--from', '2', '--to', '5'])).code).toBe(0);
  });

  it('is a compare-and-set, and refuses versions that do not exist', async () => {
    await run(['dtab', 'create', 'rb', '-'], { input: '/a=>/b' });
    await run(['dtab', 'update', 'rb', '-'], { input: '/a=>/c' });
    store.raceNextRead();
    const lost = await run(['dtab', 'rollback', 'rb', '1']);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('this write expected version 2 (AAAAAAAAAAI=), but it is now version 3');
    expect((await run(['dtab', 'rollback', 'rb', '1', '--force'])).stdout).toBe(
      'Rolled back rb to version 1: it is now version 4\n',
    );
    const missing = await run(['dtab', 'rollback', 'rb', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('See the versions there are: namectl dtab history rb');
    expect((await run(['dtab', 'rollback', 'rb', 'yolo'])).code).toBe(2);
  });
});

describe('diff', () => {
  beforeAll(async () => {
    await run(['dtab', 'create', 'diffed', 'dtabs/default.dtab']);
    await run(['dtab', 'update', 'diffed', 'dtabs/canary-5.dtab']);
  });

  it('compares the current version with the one before, exiting 1 when they differ', async () => {
    expect(await run(['dtab', 'diff', 'diffed'])).toEqual({
      code: 1,
      stdout: [
        '--- diffed version 1 (AAAAAAAAAAE=)',
        '+++ diffed version 2 (AAAAAAAAAAI=)',
        '@@ -2,3 +2,4 @@',
        ' /srv/proto.GenSvc   => /srv/gen ;',
        ' /srv/proto.WordSvc  => /srv/word ;',
        ' /grpc               => /srv ;',
        '+/srv/proto.GenSvc   => /srv/gen-growthhack & 19*/srv/gen ;',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect((await run(['dtab', 'diff', 'diffed', '--from', '2', '--to', '1'])).stdout).toContain(
      '@@ -2,4 +2,3 @@\n /srv/proto.GenSvc',
    );
    expect(await run(['dtab', 'diff', 'diffed', '--from', 'AAAAAAAAAAI='])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('compares a file with the stored dtab, aligning both sides to one width', async () => {
    expect(await run(['dtab', 'diff', 'diffed', 'dtabs/canary-5.dtab'])).toEqual({ code: 0, stdout: '', stderr: '' });
    await run(['dtab', 'create', 'narrow', '-'], { input: '/a=>/b' });
    expect(await run(['dtab', 'diff', 'narrow', '-'], { input: '/a=>/b;/much/longer=>/c' })).toEqual({
      code: 1,
      stdout:
        '--- narrow version 1 (AAAAAAAAAAE=)\n+++ <stdin>\n@@ -1 +1,2 @@\n /a            => /b ;\n+/much/longer  => /c ;\n',
      stderr: '',
    });
  });

  it('exits 2 on trouble, as diff does', async () => {
    await run(['dtab', 'create', 'single', '-'], { input: '/a=>/b' });
    const single = await run(['dtab', 'diff', 'single']);
    expect(single).toMatchObject({ code: 2, stdout: '' });
    expect(single.stderr).toContain('single has no version before version 1 (AAAAAAAAAAE=) to compare with');
    expect((await run(['dtab', 'diff', 'nope'])).code).toBe(2);
    expect((await run(['dtab', 'diff', 'single', '-'], { input: '/a=>' })).code).toBe(2);
    expect((await run(['dtab', 'diff', 'single', '-', '--to', '1'])).code).toBe(2);
  });
});

/** Standard output that a test can wait on while main() is still running. */
function liveOutput() {
  let text = '';
  let waiters: { test: (t: string) => boolean; done: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      const ready = waiters.filter((w) => w.test(text));
      waiters = waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.done();
      callback();
    },
  });
  const until = (test: (t: string) => boolean, ms = 5000) =>
    new Promise<void>((resolve, reject) => {
      if (test(text)) return resolve();
      const timer = setTimeout(() => reject(new Error(`waited ${ms} ms; output so far:\n${text}`)), ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      waiters.push({ test, done });
    });
  return { stream, until, text: () => text };
}

describe('watch', () => {
  it('prints the current version, then each new one, until interrupted', async () => {
    const out = liveOutput();
    const stop = new AbortController();
    const watching = run(['dtab', 'watch', 'watched'], { stdout: out.stream, signal: stop.signal });
    await out.until((t) => t.includes('waiting for it to be created'));
    await run(['dtab', 'create', 'watched', '-'], { input: '/a=>/b' });
    await out.until((t) => t.includes('(1)'));
    await run(['dtab', 'update', 'watched', '-', '-m', 'second'], { input: '/a=>/c;/bb=>/d' });
    await out.until((t) => t.includes('(2)'));
    stop.abort();
    expect(await watching).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(out.text()).toMatch(
      new RegExp(
        `^# watched does not exist; waiting for it to be created\n\n# version AAAAAAAAAAE= \\(1\\) ${TIME}\n/a  => /b ;\n\n` +
          `# version AAAAAAAAAAI= \\(2\\) ${TIME} second\n/a   => /c ;\n/bb  => /d ;\n$`,
      ),
    );
  });

  it('prints namerd events as JSON lines with --json, without heartbeats', async () => {
    await run(['dtab', 'create', 'watched-json', '-'], { input: '/a=>/b' });
    const out = liveOutput();
    const stop = new AbortController();
    const watching = run(['dtab', '--json', 'watch', 'watched-json'], { stdout: out.stream, signal: stop.signal });
    await out.until((t) => t.includes('"number":1'));
    await new Promise((r) => setTimeout(r, 250)); // heartbeats every 100 ms
    stop.abort();
    expect((await watching).code).toBe(0);
    const lines = out.text().trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        type: 'dtab',
        namespace: 'watched-json',
        version: 'AAAAAAAAAAE=',
        number: 1,
        time: expect.any(String),
        dtab: '/a=>/b',
      },
    ]);
  });

  /** A namerd whose watch answers follow a script per connection; the response stays open unless ended. */
  async function scriptedNamerd(script: ((res: ServerResponse) => void)[]) {
    let connection = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      script[Math.min(connection++, script.length - 1)]!(res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    };
    return { url, close, connections: () => connection };
  }

  const event = (n: number, dtab: string) =>
    `${JSON.stringify({ type: 'dtab', namespace: 'x', version: `v${n}`, number: n, time: 'T', dtab })}\n`;

  it.each([
    [
      'stays silent longer than --idle-timeout',
      'no data from namerd for 300 ms',
      (res: ServerResponse) => res.write(event(1, '/a=>/b')),
    ],
    ['ends', 'namerd ended the stream', (res: ServerResponse) => res.end(event(1, '/a=>/b'))],
  ])('reconnects when the stream %s, printing each version once', async (_, why, first) => {
    const fake = await scriptedNamerd([first, (res) => res.write(event(1, '/a=>/b') + event(2, '/a=>/c'))]);
    const out = liveOutput();
    const stop = new AbortController();
    const watching = runMain(namectl, ['dtab', 'watch', 'x', '--idle-timeout', '300ms'], {
      env: { NAMECTL_BASE_URL: fake.url },
      stdout: out.stream,
      signal: stop.signal,
    });
    await out.until((t) => t.includes('(2)'));
    stop.abort();
    const r = await watching;
    await fake.close();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`namectl: watch x: ${why}; reconnecting in 0.2 s\n`);
    expect(out.text()).toBe('# version v1 (1) T\n/a  => /b ;\n\n# version v2 (2) T\n/a  => /c ;\n');
    expect(fake.connections()).toBe(2);
  });

  it('exits 2 when the first connection fails', async () => {
    const r = await runMain(namectl, ['dtab', 'watch', 'x'], { env: { NAMECTL_BASE_URL: 'http://127.0.0.1:1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^namectl: cannot reach namerd/);
  });
});

describe('delegate', () => {
  beforeAll(async () => {
    await run(['dtab', 'create', 'mesh', '-'], { input: '/svc => /srv ; /srv/web => /$/inet/127.0.0.1/8080' });
  });

  it('prints the explanation as an indented tree', async () => {
    expect(await run(['delegate', 'mesh', '/svc/web'])).toEqual({
      code: 0,
      stdout:
        '/svc/web\n  /srv/web  (/svc => /srv)\n' +
        '    /$/inet/127.0.0.1/8080  (/srv/web => /$/inet/127.0.0.1/8080)  bound 127.0.0.1:8080\n',
      stderr: '',
    });
  });

  it('shows alternatives in order, union weights and shares, neg, fail and errors', async () => {
    const dtab =
      '/srv/api => /nothing | /$/unknownkind/x | ! ; /srv/gen => /$/inet/127.0.0.1/1 & 19*/$/inet/127.0.0.1/2';
    const api = await run(['delegate', 'mesh', '/svc/api', '--dtab', dtab]);
    expect(api.stdout).toBe(
      [
        '/svc/api',
        '  /srv/api  (/svc => /srv)  alt (the first branch that binds)',
        '    1. /nothing  (/srv/api => /nothing | /$/unknownkind/x | !)  neg (no route)',
        '    2. /$/unknownkind/x  (/srv/api => /nothing | /$/unknownkind/x | !)  error: Unknown namer: unknownkind for path: /$/unknownkind/x',
        '    3. !  (/srv/api => /nothing | /$/unknownkind/x | !)  fail',
        '',
      ].join('\n'),
    );
    const gen = await run(['delegate', 'mesh', '/svc/gen', '--dtab', dtab]);
    expect(gen.stdout).toContain('  /srv/gen  (/svc => /srv)  union (each request picks one branch by weight)\n');
    expect(gen.stdout).toMatch(/^ {4}weight 1 \(5%\): \/\$\/inet\/127\.0\.0\.1\/1 .* bound 127\.0\.0\.1:1$/m);
    expect(gen.stdout).toMatch(/^ {4}weight 19 \(95%\): \/\$\/inet\/127\.0\.0\.1\/2 .* bound 127\.0\.0\.1:2$/m);
  });

  it('prints linkerd’s JSON unchanged with --json', async () => {
    const r = await run(['delegate', 'mesh', '/svc/web', '--json']);
    const direct = await fetch(`${namerd.url}/api/1/delegate/mesh?path=/svc/web`);
    expect(JSON.parse(r.stdout)).toEqual(await direct.json());
  });

  it('checks the path and the extra dtab before asking namerd', async () => {
    const dead = { env: { NAMECTL_BASE_URL: 'http://127.0.0.1:1' } };
    expect(await run(['delegate', 'mesh', 'svc/web'], dead)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^namectl: invalid PATH 'svc\/web': /),
    });
    expect(await run(['delegate', 'mesh', '/svc/web', '--dtab', '/a=>'], dead)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^--dtab:1:5: /),
    });
  });
});
