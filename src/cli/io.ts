/**
 * What a CLI run may touch: its three streams, a working directory, the environment and an
 * interrupt signal, passed in so tests run `main()` in-process with buffers, and the bin
 * wrappers pass the real process. Files named `-` are standard input, shown as `<stdin>` in
 * messages, as compilers and gofmt do.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Relative file names resolve against this; defaults to process.cwd(). */
  readonly cwd?: string;
  /** Environment variables (NAMECTL_BASE_URL, …); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C (the bin wires SIGINT to it): long-running commands such as watch stop. */
  readonly signal?: AbortSignal;
}

export const STDIN = '-';

/** The name a file goes by in messages. */
export function displayName(file: string): string {
  return file === STDIN ? '<stdin>' : file;
}

export function envOf(io: CliIo): Readonly<Record<string, string | undefined>> {
  return io.env ?? process.env;
}

export function resolveFile(io: CliIo, file: string): string {
  return resolve(io.cwd ?? process.cwd(), file);
}

/** Reads a whole file, or standard input for `-`, as UTF-8. */
export async function readSource(io: CliIo, file: string): Promise<string> {
  if (file !== STDIN) return readFile(resolveFile(io, file), 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `ENOENT: no such file or directory, open '/x'` → `no such file or directory`: the name is printed already. */
export function describeIoError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
}

export function isIoError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export function writeOut(io: CliIo, text: string): void {
  io.stdout.write(text);
}

export function writeErr(io: CliIo, text: string): void {
  io.stderr.write(text);
}
