/**
 * The file store against the DtabStore conformance suite, each test in a fresh temp directory,
 * plus what only a directory can show: the state survives a reopen, leftovers of crashed writes
 * are cleaned up, history is pruned on open, the lock keeps a second store out, and a write the
 * file system refuses is a 503 that changes nothing.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { FileDtabStore } from '../../src/store/file-store.js';
import { openStore } from '../../src/store/open-store.js';
import { runDtabStoreConformance } from './dtab-store.conformance.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-file-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

runDtabStoreConformance('file', async (options) => {
  const store = await FileDtabStore.open(tempDir(), options);
  return { store, cleanup: () => store.close() };
});

describe('file store on disk', () => {
  const d = (text: string) => Dtab.read(text);

  it('keeps every version across a reopen, continuing the numbering', async () => {
    const dir = tempDir();
    const first = await FileDtabStore.open(dir);
    await first.create('web', d('/a=>/1'), { message: 'one' });
    await first.put('web', d('/a=>/2'));
    await first.create('gone', d('/a=>/b'));
    await first.delete('gone');
    await first.close();
    const second = await FileDtabStore.open(dir);
    expect(await second.list()).toEqual(['web']);
    expect(await second.get('web')).toMatchObject({ version: 2, namespace: 'web' });
    expect((await second.history('web')).map((h) => [h.version, h.message])).toEqual([
      [2, undefined],
      [1, 'one'],
    ]);
    expect((await second.create('gone', d('/a=>/c'))).version).toBe(3);
    await second.close();
  });

  it('removes temp files left by a crashed write and ignores what is not a namespace', async () => {
    const dir = tempDir();
    const store = await FileDtabStore.open(dir);
    await store.create('web', d('/a=>/1'));
    await store.close();
    writeFileSync(path.join(dir, 'web', '.tmp-00000000000000000002.json-1-abcd'), '{"version":2,"ti');
    mkdirSync(path.join(dir, 'empty'));
    writeFileSync(path.join(dir, 'README'), 'not a namespace');
    const reopened = await FileDtabStore.open(dir);
    expect(readdirSync(path.join(dir, 'web'))).toEqual(['00000000000000000001.json']);
    expect(await reopened.list()).toEqual(['web']);
    expect((await reopened.put('web', d('/a=>/2'))).version).toBe(2);
    await reopened.close();
  });

  it('prunes history beyond the limit when it opens', async () => {
    const dir = tempDir();
    const store = await FileDtabStore.open(dir);
    await store.create('web', d('/a=>/1'));
    for (let v = 2; v <= 6; v++) await store.put('web', d(`/a=>/${v}`));
    await store.close();
    const smaller = await FileDtabStore.open(dir, { historyLimit: 2 });
    expect((await smaller.history('web')).map((h) => h.version)).toEqual([6, 5]);
    expect(readdirSync(path.join(dir, 'web')).length).toBe(2);
    await smaller.close();
  });

  it('lets only one live store use a directory (SY_ERR_STORE_LOCKED) and hands it on after close', async () => {
    const dir = tempDir();
    const first = await FileDtabStore.open(dir);
    await expect(FileDtabStore.open(dir)).rejects.toMatchObject({ code: 'SY_ERR_STORE_LOCKED' });
    await expect(FileDtabStore.open(dir)).rejects.toThrow(String(process.pid));
    await first.close();
    const second = await FileDtabStore.open(dir);
    await second.close();
  });

  it('answers 503 when the file system refuses a write, and changes nothing', async () => {
    const dir = tempDir();
    const store = await FileDtabStore.open(dir);
    // A plain file where the namespace's directory would go: mkdir fails.
    writeFileSync(path.join(dir, 'blocked'), '');
    await expect(store.create('blocked', d('/a=>/b'))).rejects.toMatchObject({
      code: 'SY_ERR_STORE_UNAVAILABLE',
      status: 503,
    });
    expect(await store.list()).toEqual([]);
    expect(await store.get('blocked')).toBeNull();
    expect((await store.create('fine', d('/a=>/b'))).version).toBe(1);
    await store.close();
    await expect(store.get('fine')).rejects.toMatchObject({ code: 'SY_ERR_STORE_UNAVAILABLE' });
  });

  it('finishes the writes already queued when it closes, then lets go of the lock', async () => {
    const dir = tempDir();
    const store = await FileDtabStore.open(dir);
    const writes = [1, 2, 3].map((i) => store.put('web', d(`/a=>/${i}`)));
    await store.close();
    expect((await Promise.all(writes)).map((w) => w.version)).toEqual([1, 2, 3]);
    const reopened = await FileDtabStore.open(dir);
    expect((await reopened.get('web'))?.version).toBe(3);
    await reopened.close();
  });

  it('is what openStore("file:DIR") opens; unknown specs are refused', async () => {
    const dir = tempDir();
    const store = await openStore(`file:${dir}`);
    expect(store).toBeInstanceOf(FileDtabStore);
    await store.close();
    expect((await openStore('memory')).constructor.name).toBe('MemoryDtabStore');
    for (const spec of ['', 'file:', 'mem', 'redis:/nope', 'http://x', 'etcd://h:1']) {
      await expect(openStore(spec)).rejects.toMatchObject({ code: 'SY_ERR_INVALID_ARGUMENT' });
    }
  });
});
