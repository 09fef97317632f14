/**
 * Running the CLIs from tests, both ways a user's run can be reproduced: the built bin script
 * as a child process (shebang wrapper, real exit code and pipes), and a CLI's `main()` in this
 * process with in-memory streams, which is fast enough to run hundreds of times.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Standard input; empty when absent. */
  readonly input?: string;
  /** Working directory; the repository root when absent. */
  readonly cwd?: string;
  /** Environment: main() sees exactly this; a spawned bin gets it on top of the test's own. */
  readonly env?: Record<string, string | undefined>;
  /** Aborts a running main(), as Ctrl-C does in the bin (in-process runs only). */
  readonly signal?: AbortSignal;
  /** Where main() writes standard output, instead of a buffer (in-process runs only). */
  readonly stdout?: Writable;
}

export type CliMain = (argv: readonly string[], io: CliIo) => Promise<number>;

/** Runs `node bin/<bin> ...args` and collects its output. */
export function spawnBin(bin: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', bin), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A stream that keeps what is written to it, synchronously, so nothing is pending when main() returns. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs a CLI's main() in this process. */
export async function runMain(main: CliMain, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const stdin = Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]);
  const code = await main(args, {
    stdin,
    stdout: options.stdout ?? stdout.stream,
    stderr: stderr.stream,
    cwd: options.cwd ?? repoRoot,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
