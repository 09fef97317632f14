/**
 * namectl and switchyard as users run them: the built bin scripts spawned as processes (so
 * the shebang wrapper, exit codes and real stdin/stdout are covered), and `main()` called
 * in-process with buffers for the many cases where only behaviour matters. The files are the
 * shipped examples in dtabs/ and temp files with errors; `npm test` builds dist/ first.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as namectl } from '../../src/cli/namectl.js';
import { main as switchyard } from '../../src/cli/switchyard.js';
import { Dtab } from '../../src/index.js';
import { type RunOptions, repoRoot as root, runMain, spawnBin } from '../helpers/cli-run.js';

const dtabFiles = ['dtabs/default.dtab', 'dtabs/canary-5.dtab', 'dtabs/blue-green.dtab', 'dtabs/fallback.dtab'];

const run = (args: string[], options?: RunOptions) => runMain(namectl, args, options);

let tmp: string;

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/cli/namectl.js'))) {
    throw new Error('dist/cli/namectl.js is missing: run `npm run build` first (`npm test` does)');
  }
  tmp = await mkdtemp(join(tmpdir(), 'namectl-test-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function tempFile(name: string, text: string): Promise<string> {
  const file = join(tmp, name);
  await writeFile(file, text);
  return file;
}

describe('namectl as a process', () => {
  it('prints its help, listing its commands and exit codes', async () => {
    const r = await spawnBin('namectl.js', ['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('Usage:\n  namectl [flags] <command> [flags]');
    expect(r.stdout).toMatch(
      /^ {2}dtab +Manage namerd's dtabs \(list, get, create, update, delete, history, rollback,$/m,
    );
    expect(r.stdout).toMatch(/^ {2}delegate +Explain how a path resolves/m);
    expect(r.stdout).toContain('Exit status: 0 ok, 1 refused by namerd or invalid input, 2 usage or connection error.');
    const dtab = await runMain(namectl, ['dtab', '--help']);
    for (const command of 'list get create update delete history rollback diff watch fmt check'.split(' ')) {
      expect(dtab.stdout).toMatch(new RegExp(`^ {2}${command} +[A-Z]`, 'm'));
    }
  });

  it('prints its version from package.json', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await spawnBin('namectl.js', ['--version'])).toEqual({
      code: 0,
      stdout: `namectl ${pkg.version}\n`,
      stderr: '',
    });
  });

  it('exits 2 with the usage on stderr for an unknown command or flag', async () => {
    for (const args of [['frobnicate'], ['--frobnicate'], ['dtab', 'frobnicate'], ['dtab', 'fmt', '-x', 'f'], []]) {
      const r = await spawnBin('namectl.js', args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^namectl( dtab( fmt)?)?: .+\nUsage:\n {2}namectl/);
      expect(r.stderr).toMatch(/Run 'namectl( dtab( fmt)?)? --help' for more information\.\n$/);
    }
  });

  it('checks every shipped dtab', async () => {
    const r = await spawnBin('namectl.js', ['dtab', 'check', ...dtabFiles]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trimEnd().split('\n')).toEqual(
      dtabFiles.map((f) => expect.stringMatching(new RegExp(`^${f}: ok \\(\\d+ dentries\\)$`))),
    );
    expect(r.stdout).toContain('dtabs/default.dtab: ok (4 dentries)\n');
  });

  it('finds every shipped dtab already in canonical form', async () => {
    expect(await spawnBin('namectl.js', ['dtab', 'fmt', '--check', ...dtabFiles])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('reports syntax errors as FILE:LINE:COL: message and exits 1', async () => {
    const bad = await tempFile('bad.dtab', '/a => /b ;\n/c => x ;\n');
    const r = await spawnBin('namectl.js', ['dtab', 'fmt', bad]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `${bad}:2:7: simple expected but 'x' found at '/c => [x] ;'\n` });
  });

  it('formats standard input for -', async () => {
    const r = await spawnBin('namectl.js', ['dtab', 'fmt', '-'], { input: '/grpc=>/srv;/srv/proto.GenSvc=>/srv/gen' });
    expect(r).toEqual({
      code: 0,
      stdout: '/grpc              => /srv ;\n/srv/proto.GenSvc  => /srv/gen ;\n',
      stderr: '',
    });
  });
});

describe('switchyard as a process', () => {
  it('prints help and version, listing its roles', async () => {
    const help = await spawnBin('switchyard.js', ['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage:\n  switchyard [flags] <command>');
    expect(help.stdout).toMatch(/^ {2}namerd {2,}run the central dtab service/m);
    expect(help.stdout).toMatch(/^ {2}router {2,}run the per-pod routing proxy/m);
    expect((await spawnBin('switchyard.js', ['--version'])).stdout).toMatch(/^switchyard \d+\.\d+\.\d+/);
  });

  it('answers the same in-process', async () => {
    for (const args of [['--help'], ['--version'], ['router']]) {
      expect(await runMain(switchyard, args), args.join(' ')).toEqual(await spawnBin('switchyard.js', args));
    }
  });

  it('exits 64 (EX_USAGE, unlike namectl) for unknown commands and flags', async () => {
    for (const args of [['frobnicate'], ['--frobnicate'], []]) {
      const r = await spawnBin('switchyard.js', args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toContain('Usage:\n  switchyard [flags] <command>');
    }
    const r = await spawnBin('switchyard.js', ['namerd', '--no-such-flag']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Usage:\n  switchyard namerd [flags]');
  });
});

describe('namectl dtab fmt', () => {
  it.each(dtabFiles)('prints %s unchanged, and the output reads back to the same Dtab', async (file) => {
    const text = await readFile(join(root, file), 'utf8');
    const r = await run(['dtab', 'fmt', file]);
    expect(r).toEqual({ code: 0, stdout: text, stderr: '' });
    expect(Dtab.read(r.stdout).equals(Dtab.read(text))).toBe(true);
  });

  it('holds the gob routing table in dtabs/default.dtab', async () => {
    const text = await readFile(join(root, 'dtabs/default.dtab'), 'utf8');
    const gob = Dtab.read(`
      /srv => /#/io.l5d.k8s/default/grpc ;
      /srv/proto.GenSvc => /srv/gen ;
      /srv/proto.WordSvc => /srv/word ;
      /grpc => /srv ;`);
    expect(Dtab.read(text).equals(gob)).toBe(true);
  });

  it("prints namerctl's pretty form for a dtab without comments", async () => {
    const source = '/srv=>/#/io.l5d.k8s/default/grpc;/srv/proto.GenSvc=>1*/srv/gen-canary&19*/srv/gen';
    const r = await run(['dtab', 'fmt', '-'], { input: source });
    expect(r.stdout).toBe(Dtab.read(source).showPretty());
    expect(r.stdout).toBe(
      '/srv               => /#/io.l5d.k8s/default/grpc ;\n/srv/proto.GenSvc  => /srv/gen-canary & 19*/srv/gen ;\n',
    );
  });

  it('keeps comments and blank lines between dentries', async () => {
    const source = '# head\n\n/a=>/b; # why b\n\n\n# about c\n/ccc=>/#/x  # ends with c\n';
    const r = await run(['dtab', 'fmt', '-'], { input: source });
    expect(r.stdout).toBe('# head\n\n/a    => /b ; # why b\n\n# about c\n/ccc  => /#/x ; # ends with c\n');
  });

  it('moves a comment from inside a dentry to the line above it', async () => {
    const r = await run(['dtab', 'fmt', '-'], { input: '/a => # first\n  /b | # second\n  /c ;\n' });
    expect(r.stdout).toBe('# first\n# second\n/a  => /b | /c ;\n');
  });

  it('tells a comment from a # that is part of a label, as the parser does', async () => {
    // Inside a path `#` is one more label character; after whitespace it starts a comment.
    const r = await run(['dtab', 'fmt', '-'], { input: '/s#/* # any service\n=> /t#x #x\n' });
    expect(r.stdout).toBe('# any service\n/s#/*  => /t#x ; #x\n');
  });

  it('is idempotent, and its output reads back to an equal Dtab', async () => {
    const messy = [
      '/a=>/b;/ccc/d => /e#x | # why\n  /f # tail\n;  # after\n\n\n# footer\n',
      '/s#/*/bar => /t/bah ; /x => 2.50 * /y & .5*/z | ( ~ | ! ) ;',
      '/a => /b\r\n;/c => /d # crlf\r\n',
      '# only a comment',
      '',
      '  \n\n',
      '/\\x41 => /\\x66\\x6f\\x6f ; /=>$',
    ];
    for (const source of messy) {
      const once = await run(['dtab', 'fmt', '-'], { input: source });
      expect(once.code, source).toBe(0);
      const twice = await run(['dtab', 'fmt', '-'], { input: once.stdout });
      expect(twice.stdout, source).toBe(once.stdout);
      expect(Dtab.read(once.stdout).equals(Dtab.read(source)), source).toBe(true);
    }
  });

  it('is idempotent for generated dtabs with comments wherever whitespace may stand', async () => {
    const prefix = fc.constantFrom('/', '/srv', '/srv/*/x', '/#/io.l5d.k8s', '/a#b', '/grpc/proto.GenSvc');
    const simple = fc.constantFrom('/srv/gen', '/#/io.l5d.k8s/default/grpc', '!', '~', '$', '/', '/a#b');
    const tree = fc
      .array(fc.tuple(fc.constantFrom('', '2 * ', '0.5*', '19 * '), simple), { minLength: 1, maxLength: 3 })
      .map((ws) => ws.map(([w, s]) => w + s).join(' & '));
    const alts = fc.array(tree, { minLength: 1, maxLength: 3 }).map((ts) => ts.join(' | '));
    // Whitespace, or a comment, which must be followed by a newline.
    const gap = fc.constantFrom(' ', '\n', '\n\n', ' # note\n', '\n# own line\n', '\t# x ; /not=>/parsed\n\n');
    const dentry = fc.tuple(prefix, gap, gap, alts).map(([p, g1, g2, t]) => `${p}${g1}=>${g2}${t}`);
    const source = fc
      .tuple(gap, fc.array(fc.tuple(dentry, gap), { maxLength: 5 }), fc.boolean(), gap)
      .map(
        ([lead, ds, semi, tail]) =>
          `${lead}${ds.map(([d, g]) => d + g).join(';')}${semi && ds.length ? ';' : ''}${tail}`,
      );
    await fc.assert(
      fc.asyncProperty(source, async (text) => {
        const once = await run(['dtab', 'fmt', '-'], { input: text });
        expect(once.stderr).toBe('');
        const twice = await run(['dtab', 'fmt', '-'], { input: once.stdout });
        expect(twice.stdout).toBe(once.stdout);
        expect(Dtab.read(once.stdout).equals(Dtab.read(text))).toBe(true);
        // Every `#`, in labels and comments alike, survives: no comment is lost.
        expect(once.stdout.split('#').length).toBe(text.split('#').length);
      }),
      { numRuns: 200, seed: 1234 },
    );
  });

  it('shows - as <stdin> in syntax errors', async () => {
    expect(await run(['dtab', 'fmt', '-'], { input: '/a => /b;;' })).toEqual({
      code: 1,
      stdout: '',
      stderr: "<stdin>:1:10: '/' or end of input expected but ';' found at '/a => /b;[;]'\n",
    });
  });

  it('reports a missing file and exits 1', async () => {
    const r = await run(['dtab', 'fmt', 'no/such.dtab']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'no/such.dtab: no such file or directory\n' });
  });

  it('rejects more than one file without --check or --write', async () => {
    expect((await run(['dtab', 'fmt', dtabFiles[0]!, dtabFiles[1]!])).code).toBe(2);
  });
});

describe('namectl dtab fmt --check', () => {
  it('exits 0 silently for canonical files and 1 naming each file that is not', async () => {
    const good = await tempFile('good.dtab', '/a  => /b ;\n');
    const ugly = await tempFile('ugly.dtab', '/a=>/b;\n');
    const broken = await tempFile('broken.dtab', '/a=>\n');
    expect(await run(['dtab', 'fmt', '--check', good])).toEqual({ code: 0, stdout: '', stderr: '' });
    const r = await run(['dtab', 'fmt', '-c', good, ugly, broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${ugly}: not in canonical form (run: namectl dtab fmt --write ${ugly})\n` +
        `${broken}:2:1: simple expected but end of input found at '[]'\n`,
    );
  });

  it('checks standard input', async () => {
    expect((await run(['dtab', 'fmt', '--check', '-'], { input: '/a  => /b ;\n' })).code).toBe(0);
    expect((await run(['dtab', 'fmt', '--check', '-'], { input: '/a => /b' })).stderr).toMatch(/^<stdin>: not in/);
  });
});

describe('namectl dtab fmt --write', () => {
  it('rewrites a file in place with its canonical form, keeping its mode and leaving no temp file', async () => {
    const dir = await mkdtemp(join(tmp, 'write-'));
    const file = join(dir, 'x.dtab');
    await writeFile(file, '# keep me\n/a=>/b;/long/prefix=>/c|/d\n');
    await chmod(file, 0o640);
    const r = await run(['dtab', 'fmt', '--write', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(file, 'utf8')).toBe('# keep me\n/a            => /b ;\n/long/prefix  => /c | /d ;\n');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['x.dtab']);
    // Formatting the result changes nothing.
    expect((await run(['dtab', 'fmt', '--check', file])).code).toBe(0);
  });

  it('leaves a file that does not parse untouched and exits 1', async () => {
    const text = '/a => /b ;\n/c => (/d\n';
    const file = await tempFile('unparsable.dtab', text);
    const r = await spawnBin('namectl.js', ['dtab', 'fmt', '-w', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${file}:3:1: `));
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('rewrites the target of a symlink, keeping the link', async () => {
    const target = await tempFile('target.dtab', '/a=>/b\n');
    const link = join(tmp, 'link.dtab');
    await symlink(target, link);
    expect((await run(['dtab', 'fmt', '--write', link])).code).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('/a  => /b ;\n');
    expect((await stat(link)).isFile()).toBe(true);
    expect(await readFile(link, 'utf8')).toBe('/a  => /b ;\n');
  });

  it('refuses standard input and --check together with --write', async () => {
    expect((await run(['dtab', 'fmt', '--write', '-'])).code).toBe(2);
    expect((await run(['dtab', 'fmt', '--write', '--check', dtabFiles[0]!])).code).toBe(2);
  });
});

describe('namectl dtab check', () => {
  it('reports each bad file with its position and each good one as ok', async () => {
    const good = await tempFile('one.dtab', '/a => /b');
    const bad1 = await tempFile('bad1.dtab', '/a => /b ;\n/c => x ;\n');
    const bad2 = await tempFile('bad2.dtab', '# weights need a *\n/a => 1.5 & /b\n');
    const r = await run(['dtab', 'check', good, bad1, bad2]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${good}: ok (1 dentry)\n`);
    expect(r.stderr).toBe(
      `${bad1}:2:7: simple expected but 'x' found at '/c => [x] ;'\n` +
        `${bad2}:2:11: '*' expected but '&' found at '/a => 1.5 [&] /b'\n`,
    );
  });

  it('checks standard input', async () => {
    expect(await run(['dtab', 'check', '-'], { input: '/a=>/b;/c=>/d;' })).toEqual({
      code: 0,
      stdout: '<stdin>: ok (2 dentries)\n',
      stderr: '',
    });
  });

  it('needs at least one file', async () => {
    const r = await run(['dtab', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^namectl dtab check: missing FILE\n/);
  });
});
