/**
 * The io.l5d.fs namer's own behaviour on a real temporary directory
 * (docs/namers.md#file-based-discovery), beyond the shared namer contract in test/conformance: file
 * contents become addresses (weights, host names), a malformed file fails and recovers, directories
 * nest, names cannot escape rootDir, and changes arrive within bounded waits however they are made:
 * in-place writes, atomic renames, Kubernetes ConfigMap symlink swaps, re-scans with fs.watch off,
 * a re-created rootDir.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Addr,
  type Bound,
  Dtab,
  defaultInterpreter,
  FsNamer,
  type FsNamerOptions,
  NameTree,
  Path,
  SwitchyardError,
  type Var,
} from '../../src/index.js';
import { Observed } from '../helpers/observed.js';

/** fs.watch reports within milliseconds; a second is the latency the namer promises. */
const WATCH_MS = 1000;

let root: string;
const open: { close(): void }[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-fs-'));
});

afterEach(async () => {
  for (const o of open.splice(0)) o.close();
  await rm(root, { recursive: true, force: true });
});

function observe<T>(v: Var<T>): Observed<T> {
  const o = new Observed(v, (x) => JSON.stringify(x, (_, y) => (y instanceof Error ? y.message : y)));
  open.push(o);
  return o;
}

const namerOf = (options: Partial<FsNamerOptions> = {}) => new FsNamer({ rootDir: root, ...options });
const hostPorts = (a: Addr) => (a.type === 'bound' ? a.addresses.map((x) => `${x.host}:${x.port}`) : a.type);
const isBound =
  (...expected: string[]) =>
  (a: Addr) =>
    a.type === 'bound' && JSON.stringify(hostPorts(a)) === JSON.stringify(expected);

async function boundAt(namer: FsNamer, path: string): Promise<Bound> {
  const tree = await namer.lookup(Path.read(path)).toPromise();
  if (tree.type !== 'leaf') throw new Error(`expected a leaf for ${path}, got ${tree.type}`);
  return tree.value as Bound;
}

const lookupShape = (namer: FsNamer, path: string) =>
  observe(namer.lookup(Path.read(path)).run.map((s) => (s.status === 'ok' ? NameTree.show(s.value) : s.status)));

describe('io.l5d.fs file contents', () => {
  it('binds endpoints with weights in their metadata, de-duplicated, and host names resolved', async () => {
    await writeFile(join(root, 'web'), '# web\n127.0.0.1 8080\n127.0.0.2 8081 * 0.5\n127.0.0.1 8080\nlocalhost 9000\n');
    const addr = await observe((await boundAt(namerOf(), '/web')).addr).until(
      (a) => a.type !== 'pending',
      'an answer',
      WATCH_MS,
    );
    expect(addr.type).toBe('bound');
    const addresses = addr.type === 'bound' ? addr.addresses : [];
    expect(addresses.slice(0, 2)).toEqual([
      { host: '127.0.0.1', port: 8080, meta: {} },
      { host: '127.0.0.2', port: 8081, meta: { endpoint_addr_weight: 0.5 } },
    ]);
    const local = addresses.slice(2);
    expect(local.length).toBeGreaterThan(0);
    for (const a of local) expect(['127.0.0.1', '::1']).toContain(a.host);
    expect(local.every((a) => a.port === 9000)).toBe(true);
  });

  it('fails the addr on a malformed line, naming the file and line, and recovers once fixed', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n127.0.0.1:8081\n');
    const addr = observe((await boundAt(namerOf(), '/web')).addr);
    const failed = await addr.until((a) => a.type === 'failed', 'a failure', WATCH_MS);
    expect(failed.type === 'failed' && failed.error.message).toContain(`${join(root, 'web')}:2: "127.0.0.1:8081"`);
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n127.0.0.1 8081\n');
    await addr.until(isBound('127.0.0.1:8080', '127.0.0.1:8081'), 'the fixed file', WATCH_MS);
  });

  it('binds an empty file to no endpoints, and the dtab does not fall back past it', async () => {
    await writeFile(join(root, 'web'), '');
    const namer = namerOf();
    const interpreter = defaultInterpreter({ namers: [{ prefix: namer.prefix, namer }] });
    const tree = await interpreter
      .bind(Dtab.read('/svc => /#/io.l5d.fs | /$/inet/127.0.0.1/9'), Path.read('/svc/web'))
      .toPromise();
    expect(tree).toMatchObject({ type: 'leaf', id: Path.read('/#/io.l5d.fs/web') });
    await observe((await boundAt(namer, '/web')).addr).until(isBound(), 'a bound empty set', WATCH_MS);
  });

  it('fails a file larger than maxFileBytes', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n127.0.0.1 8081\n');
    const addr = observe((await boundAt(namerOf({ maxFileBytes: 16 }), '/web')).addr);
    const failed = await addr.until((a) => a.type === 'failed', 'a failure', WATCH_MS);
    expect(failed.type === 'failed' && failed.error.message).toContain('30 bytes, more than the 16-byte limit');
  });
});

describe('io.l5d.fs names', () => {
  it('nests directories, and a directory alone, a missing file or `..` is Neg', async () => {
    await mkdir(join(root, 'prod'));
    await writeFile(join(root, 'prod', 'web'), '127.0.0.1 8080\n');
    const namer = namerOf();
    const bound = await boundAt(namer, '/prod/web/x/y');
    expect([bound.id.show(), bound.residual.show()]).toEqual(['/#/io.l5d.fs/prod/web', '/x/y']);
    for (const path of [Path.read('/prod'), Path.read('/prod/nothing'), Path.utf8('..', 'etc', 'passwd'), Path.empty])
      await expect(namer.lookup(path).toPromise()).resolves.toBe(NameTree.Neg);
  });

  it('follows a directory and file created after the lookup is observed', async () => {
    const lookup = lookupShape(namerOf(), '/stage/web');
    await lookup.until((s) => s === '~', 'Neg at first', WATCH_MS);
    await mkdir(join(root, 'stage'));
    await writeFile(join(root, 'stage', 'web'), '127.0.0.1 8080\n');
    await lookup.until((s) => s === '/#/io.l5d.fs/stage/web', 'the new name', WATCH_MS);
  });

  it('takes its ids from the prefix it is mounted under', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const namer = namerOf({ prefix: '/#/disco' });
    const interpreter = defaultInterpreter({ namers: [{ prefix: namer.prefix, namer }] });
    const tree = await interpreter.bind(Dtab.read('/svc => /#/disco'), Path.read('/svc/web/rest')).toPromise();
    expect(tree).toMatchObject({ type: 'leaf', id: Path.read('/#/disco/web'), residual: Path.read('/rest') });
  });

  it('refuses a rootDir that is not a directory', async () => {
    await writeFile(join(root, 'file'), '');
    for (const rootDir of [join(root, 'missing'), join(root, 'file')]) {
      expect(() => new FsNamer({ rootDir })).toThrow(SwitchyardError);
      expect(() => new FsNamer({ rootDir })).toThrow(`io.l5d.fs rootDir ${rootDir} is not a directory`);
    }
  });

  it('starts no watch until observed, one per directory on the way, and stops them all after', async () => {
    await mkdir(join(root, 'prod'));
    await writeFile(join(root, 'prod', 'web'), '127.0.0.1 8080\n');
    const namer = namerOf();
    const activity = namer.lookup(Path.read('/prod/web'));
    expect(namer.watchedDirs).toBe(0);
    const lookup = observe(activity.run);
    await lookup.until((s) => s.status === 'ok', 'the lookup', WATCH_MS);
    expect(namer.watchedDirs).toBe(2);
    lookup.close();
    expect(namer.watchedDirs).toBe(0);
  });
});

describe('io.l5d.fs changes', () => {
  it('sees an in-place rewrite within a second', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const addr = observe((await boundAt(namerOf(), '/web')).addr);
    await addr.until(isBound('127.0.0.1:8080'), 'the first endpoints', WATCH_MS);
    await writeFile(join(root, 'web'), '127.0.0.1 8081\n');
    await addr.until(isBound('127.0.0.1:8081'), 'the rewrite', WATCH_MS);
  });

  it('follows an atomic rename over the file', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    const addr = observe((await boundAt(namerOf(), '/web')).addr);
    await addr.until(isBound('127.0.0.1:8080'), 'the first endpoints', WATCH_MS);
    await writeFile(join(root, '.web.tmp'), '127.0.0.1 8082\n');
    await rename(join(root, '.web.tmp'), join(root, 'web'));
    await addr.until(isBound('127.0.0.1:8082'), 'the renamed file', WATCH_MS);
  });

  it('follows a Kubernetes ConfigMap update, which swaps the ..data symlink', async () => {
    // The kubelet's layout: <name> -> ..data/<name>, ..data -> ..<timestamp>/, swapped by rename.
    await mkdir(join(root, '..v1'));
    await writeFile(join(root, '..v1', 'api'), '127.0.0.1 8080\n');
    await symlink('..v1', join(root, '..data'));
    await symlink(join('..data', 'api'), join(root, 'api'));
    const addr = observe((await boundAt(namerOf(), '/api')).addr);
    await addr.until(isBound('127.0.0.1:8080'), 'the first endpoints', WATCH_MS);
    await mkdir(join(root, '..v2'));
    await writeFile(join(root, '..v2', 'api'), '127.0.0.1 9090\n');
    await symlink('..v2', join(root, '..data_tmp'));
    await rename(join(root, '..data_tmp'), join(root, '..data'));
    await rm(join(root, '..v1'), { recursive: true });
    await addr.until(isBound('127.0.0.1:9090'), 'the swapped ConfigMap', WATCH_MS);
  });

  it('sees changes by re-scanning alone when fs.watch is off', async () => {
    const namer = namerOf({ watch: false, rescanMs: 100 });
    const lookup = lookupShape(namer, '/web');
    await lookup.until((s) => s === '~', 'Neg at first', WATCH_MS);
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    await lookup.until((s) => s === '/#/io.l5d.fs/web', 'the new file', WATCH_MS);
    const addr = observe((await boundAt(namer, '/web')).addr);
    await addr.until(isBound('127.0.0.1:8080'), 'the endpoints', WATCH_MS);
    await writeFile(join(root, 'web'), '127.0.0.1 8081\n');
    await addr.until(isBound('127.0.0.1:8081'), 'the rewrite', WATCH_MS);
    await rm(join(root, 'web'));
    await lookup.until((s) => s === '~', 'Neg once deleted', WATCH_MS);
  });

  it('carries on when rootDir is deleted and made again', async () => {
    await writeFile(join(root, 'web'), '127.0.0.1 8080\n');
    // The re-scan is slow here, so the last rewrite arrives in time only through a re-armed fs.watch.
    const rescanMs = 2000;
    const namer = namerOf({ rescanMs });
    const lookup = lookupShape(namer, '/web');
    await lookup.until((s) => s === '/#/io.l5d.fs/web', 'the name', WATCH_MS);
    await rm(root, { recursive: true });
    await lookup.until((s) => s === '~', 'Neg while rootDir is gone', WATCH_MS);
    await mkdir(root);
    await writeFile(join(root, 'web'), '127.0.0.1 8081\n');
    await lookup.until((s) => s === '/#/io.l5d.fs/web', 'the name again, at the next re-scan', rescanMs + WATCH_MS);
    const addr = observe((await boundAt(namer, '/web')).addr);
    await addr.until(isBound('127.0.0.1:8081'), 'the new endpoints', WATCH_MS);
    await writeFile(join(root, 'web'), '127.0.0.1 8082\n');
    await addr.until(isBound('127.0.0.1:8082'), 'a rewrite in the new directory', WATCH_MS);
  });
});
