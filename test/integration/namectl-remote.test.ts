/**
 * namectl against a real namerd on port 0 (memory store): where namectl finds namerd, namerctl's
 * commands (list, get, create, update, delete) with their output and JSON forms, compare-and-set
 * updates and their 412 explanations, the write token, local validation, and the exit codes
 * (0 ok, 1 refused or invalid, 2 usage or connection). Most runs call main() in-process; the
 * built bin is spawned too. history, rollback, diff, watch and delegate: namectl-remote-history.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { Dtab } from '../../src/index.js';
import { type RunOptions, repoRoot, runMain, spawnBin } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';
import { RacingStore } from '../helpers/racing-store.js';

const store = new RacingStore();
let namerd: RunningNamerd;
let secured: RunningNamerd;
let tmp: string;
const DEAD = 'http://127.0.0.1:1';

const run = (args: string[], options: RunOptions = {}) =>
  runMain(namectl, args, { ...options, env: { NAMECTL_BASE_URL: namerd.url, ...options.env } });

beforeAll(async () => {
  namerd = await startNamerd({ store });
  secured = await startNamerd({ token: 's3cret' });
  tmp = await mkdtemp(join(tmpdir(), 'namectl-remote-'));
});

afterAll(async () => {
  await Promise.all([namerd.close(), secured.close(), rm(tmp, { recursive: true, force: true })]);
});

async function tempFile(name: string, text: string): Promise<string> {
  const file = join(tmp, name);
  await writeFile(file, text);
  return file;
}

describe('finding namerd', () => {
  it('takes --base-url over NAMECTL_BASE_URL over NAMERCTL_BASE_URL', async () => {
    await run(['dtab', 'create', 'where', 'dtabs/default.dtab']);
    expect((await run(['--base-url', namerd.url, 'dtab', 'ls'], { env: { NAMECTL_BASE_URL: DEAD } })).code).toBe(0);
    expect((await run(['dtab', 'ls', '--base-url', namerd.url], { env: { NAMECTL_BASE_URL: DEAD } })).code).toBe(0);
    const viaNamerctl = await runMain(namectl, ['dtab', 'ls'], { env: { NAMERCTL_BASE_URL: namerd.url } });
    expect(viaNamerctl.stdout).toContain('where\n');
    const both = await runMain(namectl, ['dtab', 'ls'], {
      env: { NAMECTL_BASE_URL: DEAD, NAMERCTL_BASE_URL: namerd.url },
    });
    expect(both.code).toBe(2);
  });

  it('keeps a path prefix on the base URL', async () => {
    const seen: string[] = [];
    const proxy: Server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'application/json').end('["a","b"]\n');
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/namerd/`;
    const r = await runMain(namectl, ['dtab', 'list'], { env: { NAMECTL_BASE_URL: base } });
    await new Promise((ok) => proxy.close(ok));
    expect(r).toEqual({ code: 0, stdout: 'a\nb\n', stderr: '' });
    expect(seen).toEqual(['/namerd/api/1/dtabs']);
  });

  it('exits 2 for an invalid base URL and for a namerd it cannot reach', async () => {
    const bad = await runMain(namectl, ['--base-url', 'localhost:4180', 'dtab', 'ls'], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^namectl: invalid base URL: localhost:4180: it needs an http:\/\/ or https:\/\/ scheme/,
    );
    const fromEnv = await runMain(namectl, ['dtab', 'ls'], { env: { NAMECTL_BASE_URL: 'ftp://x' } });
    expect(fromEnv.stderr).toContain('invalid base URL: ftp://x (from NAMECTL_BASE_URL)');
    const down = await run(['dtab', 'get', 'x'], { env: { NAMECTL_BASE_URL: DEAD } });
    expect(down).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^namectl: cannot reach namerd at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/),
    });
  });

  it('exits 2 with the usage for usage errors', async () => {
    for (const args of [
      ['dtab', 'get'],
      ['dtab', 'get', 'a', 'b'],
      ['dtab', 'ls', '--frob'],
      ['delegate', 'ns'],
      ['dtab', 'update', 'a', 'f', '--force', '--version', '1'],
      ['dtab', 'get', 'a', '--version', 'yolo'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/\nUsage:\n {2}namectl /);
    }
  });
});

describe('list, get, create, update, delete', () => {
  it('creates from a file and gets it back as namerctl prints it', async () => {
    expect(await run(['dtab', 'create', 'gob', 'dtabs/default.dtab'])).toEqual({
      code: 0,
      stdout: 'Created gob\n',
      stderr: '',
    });
    const pretty = Dtab.read(await readFile(join(repoRoot, 'dtabs/default.dtab'), 'utf8')).showPretty();
    expect(await run(['dtab', 'get', 'gob'])).toEqual({
      code: 0,
      stdout: `# version AAAAAAAAAAE=\n${pretty}`,
      stderr: '',
    });
    expect((await run(['dtab', 'cat', 'gob'])).stdout).toBe(`# version AAAAAAAAAAE=\n${pretty}`);
    expect((await run(['dtab', 'get', 'gob', '--pretty=false'])).stdout).toMatch(
      /^\/srv=>\/#\/io\.l5d\.k8s\/default\/grpc;\/srv\/proto\.GenSvc=>\/srv\/gen;.*;\/grpc=>\/srv;\n$/,
    );
    const json = JSON.parse((await run(['dtab', '--json', 'get', 'gob'])).stdout);
    expect(json.version).toBe('AAAAAAAAAAE=');
    expect(json.dtab[3]).toEqual({ prefix: '/grpc', dst: '/srv' });
    expect((await run(['dtab', 'list'])).stdout.split('\n')).toContain('gob');
    expect(JSON.parse((await run(['dtab', 'ls', '--json'])).stdout)).toContain('gob');
  });

  it('reads standard input and JSON, and keeps the message', async () => {
    expect((await run(['dtab', 'new', 'stdin', '-', '-m', 'from stdin'], { input: '/a=>/b' })).stdout).toBe(
      'Created stdin\n',
    );
    const file = await tempFile('x.json', JSON.stringify([{ prefix: '/x', dst: '/y | /z' }]));
    expect((await run(['dtab', 'create', 'json', file])).code).toBe(0);
    expect((await run(['dtab', 'get', 'json'])).stdout).toBe('# version AAAAAAAAAAE=\n/x  => /y | /z ;\n');
    const history = (await (await fetch(`${namerd.url}/api/1/dtabs/stdin/versions`)).json()) as { message?: string }[];
    expect(history[0]?.message).toBe('from stdin');
  });

  it('validates locally and reports FILE:LINE:COL without contacting namerd', async () => {
    const bad = await tempFile('bad.dtab', '/a => /b ;\n/c => x ;\n');
    const r = await run(['dtab', 'create', 'bad', bad], { env: { NAMECTL_BASE_URL: DEAD } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: `${bad}:2:7: simple expected but 'x' found at '/c => [x] ;'\n` });
    const badJson = await tempFile('bad.json', '[{"prefix": "/a", "dst": "/b |"}]');
    expect((await run(['dtab', 'update', 'bad', badJson])).stderr).toMatch(new RegExp(`^${badJson}: entry 0 "dst": `));
    expect((await run(['dtab', 'create', 'bad', '-'], { input: '{"version": 3' })).stderr).toMatch(
      /^<stdin>:1:14: not valid JSON: /,
    );
    expect((await run(['dtab', 'create', 'bad', 'no/such.dtab'])).stderr).toBe(
      'no/such.dtab: no such file or directory\n',
    );
    expect((await run(['dtab', 'list'])).stdout).not.toMatch(/^bad$/m);
  });

  it('explains refusals and exits 1', async () => {
    expect(await run(['dtab', 'get', 'nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'namectl: Namespace nope does not exist (404 Not Found)\n',
    });
    const exists = await run(['dtab', 'create', 'gob', 'dtabs/default.dtab']);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toBe(
      'namectl: Namespace gob already exists (409 Conflict)\nTo replace it, run: namectl dtab update gob dtabs/default.dtab\n',
    );
    expect((await run(['dtab', 'update', 'nope', 'dtabs/default.dtab'])).stderr).toContain(
      'To create it, run: namectl dtab create nope',
    );
    expect(await run(['dtab', 'delete', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'namectl: Namespace nope does not exist (404 Not Found)\n',
    });
  });

  it('updates with compare-and-set on the version it read, and prints the new version', async () => {
    await run(['dtab', 'create', 'cas', 'dtabs/default.dtab']);
    expect(await run(['dtab', 'up', 'cas', 'dtabs/canary-5.dtab', '-m', 'canary 5%'])).toEqual({
      code: 0,
      stdout: 'Updated cas (version 2)\n',
      stderr: '',
    });
    // Someone else writes between namectl's read and its write.
    store.raceNextRead();
    const lost = await run(['dtab', 'update', 'cas', 'dtabs/default.dtab']);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(
      /^namectl: cas was changed by someone else: this write expected version 2 \(AAAAAAAAAAI=\), but it is now version 3 \(AAAAAAAAAAM=\), written \d{4}-\d\d-\d\dT[\d:.]+Z with the message "sneaky write"\.\nNothing was written\. Re-run the command to apply it to the current version, or use --force\.\n$/,
    );
    expect((await run(['dtab', 'get', 'cas'])).stdout).toBe('# version AAAAAAAAAAM=\n/sneaky  => /write ;\n');
    // Re-running reads version 3 and wins.
    expect((await run(['dtab', 'update', 'cas', 'dtabs/default.dtab'])).stdout).toBe('Updated cas (version 4)\n');
  });

  it('uses an explicit --version or the version in `get --json` output as If-Match', async () => {
    await run(['dtab', 'create', 'explicit', '-'], { input: '/a=>/b' });
    const saved = await tempFile('explicit.json', (await run(['dtab', 'get', 'explicit', '--json'])).stdout);
    expect((await run(['dtab', 'update', 'explicit', '-', '--version', '1'], { input: '/a=>/c' })).stdout).toBe(
      'Updated explicit (version 2)\n',
    );
    const stale = await run(['dtab', 'update', 'explicit', saved]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      'this write expected version 1 (AAAAAAAAAAE=), but it is now version 2 (AAAAAAAAAAI=)',
    );
    expect(stale.stderr).toContain('Start from the current version (namectl dtab get explicit), or use --force.');
    expect(
      (await run(['dtab', 'update', 'explicit', '-', '--version', 'AAAAAAAAAAE='], { input: '/a=>/d' })).code,
    ).toBe(1);
    expect((await run(['dtab', 'update', 'explicit', saved, '--force'])).stdout).toBe('Updated explicit (version 3)\n');
    expect((await run(['dtab', 'update', 'brand-new', '-', '-f'], { input: '/n=>/m' })).stdout).toBe(
      'Updated brand-new (version 1)\n',
    );
    expect(JSON.parse((await run(['dtab', 'update', 'brand-new', '-', '--json'], { input: '/n=>/o' })).stdout)).toEqual(
      { namespace: 'brand-new', version: 'AAAAAAAAAAI=', number: 2 },
    );
  });

  it('deletes', async () => {
    await run(['dtab', 'create', 'doomed', '-'], { input: '/a=>/b' });
    expect(await run(['dtab', 'rm', 'doomed', '-m', 'bye'])).toEqual({
      code: 0,
      stdout: 'Deleted doomed\n',
      stderr: '',
    });
    expect((await run(['dtab', 'get', 'doomed'])).code).toBe(1);
  });
});

describe('the write token', () => {
  const onSecured = (args: string[], env: Record<string, string> = {}) =>
    runMain(namectl, args, { input: '/a=>/b', env: { NAMECTL_BASE_URL: secured.url, ...env } });

  it('is needed for writes but not reads', async () => {
    const none = await onSecured(['dtab', 'create', 'locked', '-']);
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'namectl: Writes need an Authorization: Bearer token (401 Unauthorized)\nnamerd requires a token for writes: pass --token TOKEN or set NAMECTL_TOKEN.\n',
    });
    const wrong = await onSecured(['dtab', 'create', 'locked', '-', '--token', 'nope']);
    expect(wrong.stderr).toMatch(/\(403 Forbidden\)\nnamerd did not accept the token/);
    expect((await onSecured(['--token', 's3cret', 'dtab', 'create', 'locked', '-'])).stdout).toBe('Created locked\n');
    expect((await onSecured(['dtab', 'update', 'locked', '-', '-m', 'café ✓'], { NAMECTL_TOKEN: 's3cret' })).code).toBe(
      0,
    );
    expect((await onSecured(['dtab', 'get', 'locked'])).stdout).toBe('# version AAAAAAAAAAI=\n/a  => /b ;\n');
    const history = (await (await fetch(`${secured.url}/api/1/dtabs/locked/versions`)).json()) as {
      message?: string;
    }[];
    expect(history[0]?.message).toBe('café ✓');
  });
});

describe('namectl as a process', () => {
  it('creates from standard input and gets it back, exiting 0, 1 and 2 as it should', async () => {
    const env = { NAMECTL_BASE_URL: namerd.url };
    expect(await spawnBin('namectl.js', ['dtab', 'create', 'spawned', '-'], { env, input: '/svc=>/srv' })).toEqual({
      code: 0,
      stdout: 'Created spawned\n',
      stderr: '',
    });
    expect(await spawnBin('namectl.js', ['dtab', 'get', 'spawned'], { env })).toEqual({
      code: 0,
      stdout: '# version AAAAAAAAAAE=\n/svc  => /srv ;\n',
      stderr: '',
    });
    expect((await spawnBin('namectl.js', ['dtab', 'get', 'missing'], { env })).code).toBe(1);
    expect((await spawnBin('namectl.js', ['dtab', 'get', 'x'], { env: { NAMECTL_BASE_URL: DEAD } })).code).toBe(2);
    expect((await spawnBin('namectl.js', ['dtab', 'get'], { env })).code).toBe(2);
  });
});
