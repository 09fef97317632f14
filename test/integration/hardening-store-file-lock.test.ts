/**
 * The file store's directory lock against PID reuse and PID 1. In a container namerd is PID 1,
 * and after a kill -9 the next namerd is PID 1 again (in a new PID namespace): a lock judged by
 * its pid alone looked held for ever. These tests run namerd as PID 1 with `unshare --pid
 * --fork` (needs root, which the test machine and CI have), kill it with -9, and start it again
 * as PID 1; and they check that a live namerd, in another PID namespace or not, still keeps the
 * directory to itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDtabStore } from '../../src/store/file-store.js';
import { freePort, type NamerdProcess, putDtab, startNamerdProcess } from '../helpers/namerd-process.js';

const PID_1 = ['unshare', '--pid', '--fork', '--kill-child'];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function namerdAsPid1(dir: string): Promise<NamerdProcess> {
  const n = await startNamerdProcess(await freePort(), dir, [], PID_1);
  cleanups.push(() => n.kill());
  return n;
}

/** The pid the lock file names, whatever its format. */
function lockPid(dir: string): number {
  const text = readFileSync(path.join(dir, '.lock'), 'utf8').trim();
  return text.startsWith('{') ? JSON.parse(text).pid : Number(text);
}

/** kill -9 of namerd itself (the child of `unshare`, seen from here by its host pid); resolves once it is gone. */
async function kill9(n: NamerdProcess): Promise<void> {
  const unsharePid = n.child.pid!;
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/);
  expect(children).toHaveLength(1);
  const exited = new Promise((r) => n.child.once('exit', r));
  process.kill(Number(children[0]), 'SIGKILL');
  await exited; // unshare exits once its child, namerd, has
}

async function getDtab(url: string, ns: string): Promise<string> {
  const res = await request(`${url}/api/1/dtabs/${ns}`, { headers: { accept: 'application/dtab' } });
  return `${res.statusCode} ${(await res.body.text()).trim()}`;
}

describe('file store lock with namerd as PID 1', () => {
  it('namerd as PID 1, killed with -9, starts again as PID 1 in a new PID namespace', {
    timeout: 30_000,
  }, async () => {
    const dir = tempDir();
    const first = await namerdAsPid1(dir);
    expect(lockPid(dir)).toBe(1);
    await putDtab(first.url, 'web', '/svc=>/$/inet/127.0.0.1/8080');
    await kill9(first);
    expect(lockPid(dir)).toBe(1); // stale, and pid 1 is alive in every PID namespace
    const second = await namerdAsPid1(dir);
    expect(await getDtab(second.url, 'web')).toBe('200 /svc=>/$/inet/127.0.0.1/8080');
    expect(lockPid(dir)).toBe(1);
    await putDtab(second.url, 'web', '/svc=>/$/inet/127.0.0.1/8081');
    // And once more, as a restarting container would.
    await kill9(second);
    const third = await namerdAsPid1(dir);
    expect(await getDtab(third.url, 'web')).toBe('200 /svc=>/$/inet/127.0.0.1/8081');
  });

  it('a live namerd keeps the directory: a second one, as PID 1 or not, is refused', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const first = await namerdAsPid1(dir);
    await putDtab(first.url, 'web', '/svc=>/$/inet/127.0.0.1/8080');
    const asPid1 = await startNamerdProcess(await freePort(), dir, [], PID_1).catch((e: Error) => e);
    expect(asPid1).toBeInstanceOf(Error);
    expect(String(asPid1)).toContain('is in use by another namerd (pid 1)');
    const plain = await startNamerdProcess(await freePort(), dir).catch((e: Error) => e);
    expect(String(plain)).toContain('is in use by another namerd (pid 1)');
    await expect(FileDtabStore.open(dir)).rejects.toMatchObject({ code: 'SY_ERR_STORE_LOCKED' });
    // The first one never noticed.
    await putDtab(first.url, 'web', '/svc=>/$/inet/127.0.0.1/8082');
    expect(await getDtab(first.url, 'web')).toBe('200 /svc=>/$/inet/127.0.0.1/8082');
  });

  it('takes over a lock whose pid now belongs to an unrelated live process', { timeout: 15_000 }, async () => {
    const dir = tempDir();
    const store = await FileDtabStore.open(dir);
    await store.close();
    // The lock a namerd killed with -9 leaves, after its pid went to someone else: here, a `sleep`.
    const first = await FileDtabStore.open(dir);
    const lock = readFileSync(path.join(dir, '.lock'), 'utf8');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => sleeper.kill('SIGKILL'));
    const reused = lock.replace(/"pid":\d+/, `"pid":${sleeper.pid}`);
    expect(reused).not.toBe(lock);
    await first.close(); // removes the lock and stops answering for it…
    writeFileSync(path.join(dir, '.lock'), reused); // …and the stale one, naming a live pid, comes back
    const next = await FileDtabStore.open(dir);
    await next.close();
  });
});
