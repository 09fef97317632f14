/**
 * The namerctl twin against a real namerd on port 0: linkerd's Go namerctl's commands, aliases,
 * output (`Updated X`, Go's JSON escaping, its pretty form), last-write-wins updates that upsert,
 * If-Match from --version or from a `get --json` document, its error messages on standard output
 * with cobra's `Error:` and usage on standard error and exit status 255, and where it finds namerd:
 * --base-url, then NAMERCTL_BASE_URL, then `.namerctl.<ext>` in this directory or one above, or
 * --config FILE. Runs call main() in-process; the built bin is spawned once.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namerctl } from '../../src/cli/namerctl.js';
import { goQuote } from '../../src/cli/namerctl-output.js';
import { type RunOptions, repoRoot, runMain, spawnBin } from '../helpers/cli-run.js';
import { type RunningNamerd, startNamerd } from '../helpers/namerd-server.js';

let namerd: RunningNamerd;
let tmp: string;
const DEAD = 'http://127.0.0.1:1';

const run = (args: string[], options: RunOptions = {}) =>
  runMain(namerctl, args, { cwd: tmp, ...options, env: { NAMERCTL_BASE_URL: namerd.url, ...options.env } });

beforeAll(async () => {
  namerd = await startNamerd();
  tmp = await mkdtemp(join(tmpdir(), 'namerctl-'));
});

afterAll(async () => {
  await Promise.all([namerd.close(), rm(tmp, { recursive: true, force: true })]);
});

describe('namerctl dtab commands', () => {
  it('creates, lists, gets in its three forms, updates and deletes, printing what namerctl printed', async () => {
    expect(await run(['dtab', 'new', 'web', '-'], { input: '/svc=>/srv;/grpc/proto=>/srv/x' })).toEqual({
      code: 0,
      stdout: 'Created web\n',
      stderr: '',
    });
    expect((await run(['dtab', 'ls'])).stdout).toContain('web\n');
    expect((await run(['dtab', 'cat', 'web'])).stdout).toBe(
      '# version AAAAAAAAAAE=\n/svc         => /srv ;\n/grpc/proto  => /srv/x ;\n',
    );
    expect((await run(['dtab', 'get', 'web', '--pretty=false'])).stdout).toBe('/svc=>/srv;/grpc/proto=>/srv/x;\n');
    // namerctl's update prints no version, and a union's `&` comes out as Go's JSON writes it.
    expect(await run(['dtab', 'up', 'web', '-'], { input: '/svc => /a & /b' })).toEqual({
      code: 0,
      stdout: 'Updated web\n',
      stderr: '',
    });
    expect((await run(['dtab', '--json', 'get', 'web'])).stdout).toBe(
      '{"version":"AAAAAAAAAAI=","dtab":[{"prefix":"/svc","dst":"/a \\u0026 /b"}]}\n',
    );
    expect(await run(['dtab', 'rm', 'web'])).toEqual({ code: 0, stdout: 'Deleted web\n', stderr: '' });
  });

  it('updates last-write-wins without a version, creating a namespace that does not exist', async () => {
    expect(await run(['dtab', 'update', 'upserted', '-'], { input: '/a=>/b' })).toEqual({
      code: 0,
      stdout: 'Updated upserted\n',
      stderr: '',
    });
    expect((await run(['dtab', 'update', 'upserted', '-'], { input: '/a=>/c' })).code).toBe(0);
    expect((await run(['dtab', 'get', 'upserted', '--pretty=false'])).stdout).toBe('/a=>/c;\n');
  });

  it('sends --version as If-Match, and the version of a `get --json` document over it', async () => {
    await run(['dtab', 'create', 'cas', '-'], { input: '/a=>/b' });
    const stale = await run(['dtab', 'update', 'cas', '-', '--version', 'AAAAAAAAAAc='], { input: '/a=>/c' });
    expect(stale.code).toBe(255);
    expect(stale.stdout).toBe('unexpected response: 412 Precondition Failed\n');
    expect(stale.stderr).toMatch(
      /^Error: unexpected response: 412 Precondition Failed\nUsage:\n {2}namerctl dtab update/,
    );

    const doc = JSON.parse((await run(['dtab', 'get', 'cas', '--json'])).stdout) as { version: string; dtab: unknown };
    const file = join(tmp, 'cas.json');
    await writeFile(file, JSON.stringify({ ...doc, dtab: [{ prefix: '/a', dst: '/edited' }] }));
    // The document's version wins over a wrong --version, as in namerctl.
    expect((await run(['dtab', 'update', 'cas', file, '--version', 'AAAAAAAAAAc='])).stdout).toBe('Updated cas\n');
    expect((await run(['dtab', 'update', 'cas', file])).stdout).toBe('unexpected response: 412 Precondition Failed\n');
    expect((await run(['dtab', 'get', 'cas', '--pretty=false'])).stdout).toBe('/a=>/edited;\n');
  });

  it("fails as namerctl did: its words on standard output, cobra's on standard error, exit 255", async () => {
    const missing = await run(['dtab', 'get', 'missing']);
    expect(missing.code).toBe(255);
    expect(missing.stdout).toBe('resource was not found by ID or name\n');
    expect(missing.stderr).toBe(
      `Error: resource was not found by ID or name
Usage:
  namerctl dtab get [name] [flags]

Aliases:
  get, cat


Flags:
  -h, --help     help for get
      --pretty   pretty-print dtabs (default true)

Global Flags:
      --base-url string   namer location (e.g. http://namerd.example.com:4080)
      --config string     config file
      --json              input/output in json instead of text

`,
    );
    expect((await run(['dtab', 'delete', 'missing'])).stdout).toBe('resource was not found by ID or name\n');
    await run(['dtab', 'create', 'twice', '-'], { input: '/a=>/b' });
    expect((await run(['dtab', 'create', 'twice', '-'], { input: '/a=>/b' })).stdout).toBe(
      'unexpected response: 409 Conflict\n',
    );
    // No local check: namerd judges the dtab.
    expect((await run(['dtab', 'create', 'bad', '-'], { input: '/a=>' })).stdout).toBe(
      'unexpected response: 400 Bad Request\n',
    );
    expect((await run(['dtab', 'create', 'arr', '-'], { input: '[{"prefix":"/a","dst":"/b"}]' })).stdout).toBe(
      'json: cannot unmarshal array into Go value of type namer.VersionedDtab\n',
    );
    expect((await run(['dtab', 'create', 'nofile', join(tmp, 'absent.dtab')])).stdout).toBe(
      `open ${join(tmp, 'absent.dtab')}: no such file or directory\n`,
    );
    expect((await run(['dtab', 'list', 'extra'])).stdout).toBe('list does not take arguments\n');
    expect((await run(['dtab', 'get'])).stdout).toBe('get requires a name argument\n');
    expect((await run(['dtab', 'update', 'x'])).stdout).toBe('update requires a name and file path\n');
    expect(await run(['dtab', 'ls'], { env: { NAMERCTL_BASE_URL: DEAD } })).toMatchObject({
      code: 255,
      stdout: 'Get http://127.0.0.1:1/api/1/dtabs: dial tcp 127.0.0.1:1: connect: connection refused\n',
    });
    const unknown = await run(['dtabs']);
    expect(unknown.code).toBe(255);
    expect(unknown.stdout).toBe('unknown command "dtabs" for "namerctl"\n\nDid you mean this?\n\tdtab\n\n');
    expect(unknown.stderr).toMatch(
      /^Error: unknown command "dtabs" for "namerctl"\n[\s\S]*Run 'namerctl --help' for usage.\n$/,
    );
    expect((await run(['dtab', 'get', 'x', '--pretty', 'maybe'])).stdout).toBe('get requires a name argument\n');
    expect((await run(['dtab', 'ls', '--nope'])).stdout).toBe('unknown flag: --nope\n');
  });

  it("prints cobra's help, exit 0, for no command, --help, help and a word dtab does not know", async () => {
    const root = await run([]);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^namerd manages delegation tables for linkerd\.\n/);
    expect(root.stdout).toContain(
      `Usage:
  namerctl [command]

Available Commands:
  dtab        Control namerd's delegation tables

Flags:
      --base-url string   namer location (e.g. http://namerd.example.com:4080)
      --config string     config file
  -h, --help              help for namerctl

Use "namerctl [command] --help" for more information about a command.
`,
    );
    const dtab = `Control namerd's delegation tables

Usage:
  namerctl dtab [command]

Available Commands:
  create      Create a new delegation table.
  delete      Delete a delegation by name.
  get         Get a delegation table by name
  list        List delegation table names
  update      Update a delegation table.

Flags:
  -h, --help   help for dtab
      --json   input/output in json instead of text

Global Flags:
      --base-url string   namer location (e.g. http://namerd.example.com:4080)
      --config string     config file

Use "namerctl dtab [command] --help" for more information about a command.
`;
    for (const args of [['dtab'], ['dtab', '--help'], ['dtab', 'bogus']]) {
      expect(await run(args)).toEqual({ code: 0, stdout: dtab, stderr: '' });
    }
    // cobra adds -h to a command only when it runs it, not when `help` describes it.
    expect(await run(['help', 'dtab'])).toEqual({
      code: 0,
      stdout: dtab.replace('  -h, --help   help for dtab\n', ''),
      stderr: '',
    });
  });
});

describe('where namerctl finds namerd', () => {
  it('takes --base-url, then NAMERCTL_BASE_URL, then .namerctl.<ext> here or above; NAMECTL_BASE_URL is not its', async () => {
    const project = join(tmp, 'project');
    await mkdir(join(project, 'deep', 'down'), { recursive: true });
    await writeFile(join(project, '.namerctl.yaml'), `base-url: ${namerd.url}\n`);
    const cwd = join(project, 'deep', 'down');
    const only = (env: Record<string, string | undefined>, args: string[] = []) =>
      runMain(namerctl, [...args, 'dtab', 'ls'], { cwd, env });
    expect((await only({})).code).toBe(0);
    expect((await only({ NAMERCTL_BASE_URL: DEAD })).code).toBe(255);
    expect((await only({ NAMERCTL_BASE_URL: '' })).code).toBe(0);
    expect((await only({ NAMERCTL_BASE_URL: DEAD }, ['--base-url', namerd.url])).code).toBe(0);
    expect((await only({ NAMECTL_BASE_URL: DEAD })).code).toBe(0);

    // --config names the file; a JSON one and its key's case do not matter to viper.
    const config = join(tmp, 'elsewhere.json');
    await writeFile(config, JSON.stringify({ 'Base-URL': namerd.url }));
    const away = await runMain(namerctl, ['--config', config, 'dtab', 'ls'], { cwd: tmp, env: {} });
    expect(away.code).toBe(0);

    const nowhere = await runMain(namerctl, ['dtab', 'ls'], { cwd: tmp, env: {} });
    expect(nowhere).toMatchObject({ code: 255, stdout: 'empty base URL\n' });
    const invalid = await runMain(namerctl, ['dtab', 'ls', '--base-url', 'namerd:4180'], { cwd: tmp, env: {} });
    expect(invalid).toMatchObject({ code: 255, stdout: 'invalid base URL: namerd:4180\n' });
  });
});

describe('namerctl as a process', () => {
  it('is the package\'s "namerctl" bin and exits 0 and 255 as namerctl did', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.namerctl).toBe('./bin/namerctl.js');
    const env = { NAMERCTL_BASE_URL: namerd.url };
    expect(await spawnBin('namerctl.js', ['dtab', 'create', 'spawned', '-'], { env, input: '/svc=>/srv' })).toEqual({
      code: 0,
      stdout: 'Created spawned\n',
      stderr: '',
    });
    const missing = await spawnBin('namerctl.js', ['dtab', 'get', 'gone'], { env });
    expect(missing.code).toBe(255);
    expect(missing.stdout).toBe('resource was not found by ID or name\n');
  }, 60_000);
});

describe("Go's JSON strings", () => {
  it('read back as the same text, with <, >, &, U+2028/9, \\b and \\f escaped as Go escapes them (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const quoted = goQuote(text);
        expect(JSON.parse(quoted)).toBe(text);
        expect(quoted).not.toMatch(/[<>&\u2028\u2029]/);
      }),
    );
    expect(goQuote('<a & b>\b\f')).toBe('"\\u003ca \\u0026 b\\u003e\\u0008\\u000c"');
    // A backslash before a `b` stays a backslash and a `b`.
    expect(goQuote('\\b')).toBe('"\\\\b"');
  });
});
