/**
 * For test/integration/chaos-experiment*.test.ts: experiment files in a temp directory, the
 * built `switchyard chaos run` as a child process (its verdict lines parsed), a `switchyard
 * toxiproxy` process on a free loopback port, and a bounded background load through a router.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { repoRoot } from './repo.js';
import { client } from './router-harness.js';

const bin = join(repoRoot, 'bin', 'switchyard.js');
export const workDir = mkdtempSync(join(tmpdir(), 'chaos-experiment-'));
let files = 0;

/** Writes an experiment (an object, or YAML text) to a file and returns its path. */
export function experimentFile(experiment: unknown): string {
  const file = join(workDir, `experiment-${++files}.yaml`);
  writeFileSync(file, typeof experiment === 'string' ? experiment : stringify(experiment));
  return file;
}

export interface ChaosRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>;
}

export function startChaos(args: readonly string[], timeoutMs = 60_000): ChaosRun {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, 'chaos', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { child, done };
}

// biome-ignore lint/suspicious/noExplicitAny: verdicts are checked by expect(), not by types.
export type Json = any;

export async function runChaos(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string; verdicts: Json[] }> {
  const r = await startChaos(args).done;
  const verdicts = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
  return { code: r.code, stderr: r.stderr, verdicts };
}

export interface Toxiproxy {
  readonly url: string;
  api(path: string, method?: string, body?: unknown): Promise<{ status: number; json: Json }>;
  stop(): Promise<void>;
}

/** `switchyard toxiproxy` on a free loopback port. */
export function startToxiproxy(): Promise<Toxiproxy> {
  const child = spawn(process.execPath, [bin, 'toxiproxy', '--listen', '127.0.0.1:0', '--log-format', 'json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`toxiproxy did not start: ${out}`)), 15_000);
    child.once('exit', () => reject(new Error(`toxiproxy exited: ${out}`)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"toxiproxy listening"'));
      if (line === undefined) return;
      clearTimeout(timer);
      const url = JSON.parse(line).url as string;
      resolve({
        url,
        async api(path, method = 'GET', body) {
          const res = await request(`${url}${path}`, {
            method: method as 'GET',
            ...(body === undefined
              ? {}
              : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          });
          const text = await res.body.text();
          return { status: res.statusCode, json: text === '' ? null : JSON.parse(text) };
        },
        async stop() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/**
 * Requests through a router with `Host: host` until stopped or `maxRequests`/`maxMs` is reached
 * (bounded, loopback only); counts what came back.
 */
export function backgroundLoad(routerUrl: string, host: string, concurrency = 4, maxRequests = 20_000, maxMs = 90_000) {
  let stopped = false;
  const counts = { ok: 0, failed: 0 };
  const until = Date.now() + maxMs;
  let sent = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped && sent < maxRequests && Date.now() < until) {
      sent++;
      try {
        const res = await request(routerUrl, { headers: { host }, dispatcher: client });
        await res.body.text();
        if (res.statusCode < 500) counts.ok++;
        else counts.failed++;
      } catch {
        counts.failed++;
      }
      // A gentle pace: the router's metrics, not the machine's CPU, are what is measured.
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}
