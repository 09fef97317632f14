/**
 * `switchyard namerd` as a child process on a chosen port, for tests that kill it (-9) and start
 * it again on the same port over the same file store: what a router sees when namerd crashes
 * and comes back. Needs the build (`npm test` builds first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { repoRoot } from './repo.js';

const bin = join(repoRoot, 'bin', 'switchyard.js');

export interface NamerdProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** kill -9, resolved once the process is gone (its sockets closed by the kernel). */
  kill(): Promise<void>;
}

/** A port that was free a moment ago (bound on 0, then released), so a process can be restarted on it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts namerd with `--store file:DIR` (or the store spec itself when `storeDir` is `memory` or
 * a `redis://` URL) on 127.0.0.1:port; resolves on its "namerd listening" log line. `launcher`
 * runs node under another command (e.g. `unshare --pid --fork`, to make namerd PID 1).
 */
export function startNamerdProcess(
  port: number,
  storeDir: string,
  extraArgs: string[] = [],
  launcher: string[] = [],
): Promise<NamerdProcess> {
  return new Promise((resolve, reject) => {
    const store = /^(memory$|redis:\/\/)/.test(storeDir) ? storeDir : `file:${storeDir}`;
    const args = [
      'namerd',
      '--listen',
      `127.0.0.1:${port}`,
      '--admin',
      '127.0.0.1:0',
      '--store',
      store,
      '--log-format',
      'json',
    ];
    const [command, ...pre] = [...launcher, process.execPath];
    const child = spawn(command!, [...pre, bin, ...args, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let buffer = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`namerd did not start: ${buffer}`));
    }, 10_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (started) return;
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.includes('"namerd listening"'));
      if (line === undefined) return;
      started = true;
      clearTimeout(timer);
      resolve({
        url: JSON.parse(line).url,
        child,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (!started) reject(new Error(`namerd exited: ${buffer}`));
    });
  });
}

/** An unconditional write (PUT without If-Match); resolves to the new version's ETag. */
export async function putDtab(url: string, namespace: string, dtab: string): Promise<string> {
  const res = await request(`${url}/api/1/dtabs/${namespace}`, {
    method: 'PUT',
    body: dtab,
    headers: { 'content-type': 'application/dtab' },
  });
  const text = await res.body.text();
  if (res.statusCode !== 204) throw new Error(`PUT ${namespace}: ${res.statusCode} ${text}`);
  return String(res.headers.etag);
}
