/**
 * `switchyard namerd` as an operator runs it: a bad configuration is reported in full with exit
 * 64 before any port is bound; a good one serves the API from a durable file store that survives
 * a restart; SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'switchyard.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'namerd-cmd-'));
  dirs.push(d);
  return d;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'namerd', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Starts namerd and waits for the "namerd listening" log line, which carries the URL. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'namerd', '--listen', '127.0.0.1:0', '--log-format', 'json', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`namerd did not start: ${buffer}`)), 10_000);
    child.stderr?.on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        if (!line.includes('"namerd listening"')) continue;
        clearTimeout(timer);
        resolve({ child, url: JSON.parse(line).url, exited });
        return;
      }
    });
    child.on('exit', () => reject(new Error(`namerd exited: ${buffer}`)));
  });
}

describe('switchyard namerd', () => {
  it('lists every configuration problem and exits 64 without binding', async () => {
    const dir = tempDir();
    const config = join(dir, 'namerd.yaml');
    writeFileSync(config, 'listen: 127.0.0.1:99999\nstorage: memory\nnamers:\n  - kind: io.l5d.consul\n');
    const { code, stderr } = await run(['--config', config, '--store', 'mongodb://x', '--history-limit', 'lots']);
    expect(code).toBe(64);
    for (const problem of [
      'listen:',
      'storage: unknown key',
      'namers[0].kind: unknown namer kind',
      'store: must be',
      '--history-limit:',
    ]) {
      expect(stderr).toContain(problem);
    }
  });

  it('serves from a durable file store that survives a restart, and stops on SIGTERM', async () => {
    const store = `file:${join(tempDir(), 'dtabs')}`;
    const first = await start(['--store', store]);
    const created = await fetch(`${first.url}/api/1/dtabs/default`, {
      method: 'POST',
      body: '/svc => /srv',
      headers: { 'content-type': 'application/dtab' },
    });
    expect(created.status).toBe(204);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = await start(['--store', store]);
    const res = await fetch(`${second.url}/api/1/dtabs/default`, { headers: { accept: 'application/dtab' } });
    expect(res.headers.get('etag')).toBe('AAAAAAAAAAE=');
    expect(await res.text()).toBe('/svc=>/srv\n');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('requires the token from --token-file for writes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'token'), 'let-me-in\n');
    const { url, child, exited } = await start(['--store', 'memory', '--token-file', join(dir, 'token')]);
    const post = (auth: string) =>
      fetch(`${url}/api/1/dtabs/x`, {
        method: 'POST',
        body: '/a=>/b',
        headers: { 'content-type': 'text/plain', authorization: auth },
      });
    expect((await post('Bearer nope')).status).toBe(403);
    expect((await post('Bearer let-me-in')).status).toBe(204);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
