/**
 * Runs `switchyard <role>` (registry, peer) as a real child process from the built bin, and waits
 * for its "<role> listening" log line, which carries the URL. Tests kill what they start; the
 * afterEach of each test file calls stopAll() so nothing outlives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'switchyard.js');
const running = new Set<ChildProcess>();

export interface RoleProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it logged so far (JSON lines). */
  log(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL, as `kill -9` does: no deregistration, no last words. */
  kill(): Promise<void>;
}

export function startRole(
  role: 'registry' | 'peer',
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<RoleProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, role, '--log-format', 'json', '--log-level', 'debug', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        running.delete(child);
        r(code);
      }),
    );
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`${role} did not start within ${timeoutMs} ms: ${output}`)),
      timeoutMs,
    );
    child.on('exit', () => reject(new Error(`${role} exited: ${output}`)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const before = output;
      output += chunk;
      if (before.includes(`"${role} listening"`)) return;
      const line = output.split('\n').find((l) => l.includes(`"${role} listening"`));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve({
        url: JSON.parse(line).url,
        child,
        log: () => output,
        exited,
        async stop() {
          child.kill('SIGTERM');
          return exited;
        },
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
