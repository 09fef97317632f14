/**
 * A real redis-server for the Redis store's tests, on a free port in its own temp dir, with an
 * append-only file so a restart (same port, same dir) keeps the data, as a production Redis
 * would. It is never skipped: when redis-server is missing the tests fail and say how to install
 * it (CI installs it with scripts/install-system-deps.sh).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, so the append-only file is flushed); the port stays reserved for restart. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port and data dir, and waits until it answers PING. With
   * `wipe`, the data dir is emptied first: a Redis restarting without persistence.
   */
  restart(options?: { readonly wipe?: boolean }): Promise<void>;
  /** Stops it and removes its data dir. */
  cleanup(): Promise<void>;
  /** Sends one command over a fresh raw connection and returns the first reply line (e.g. `:2`). */
  command(...args: string[]): Promise<string>;
}

const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 5_000;

export function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server is not installed; the Redis store tests need a real one. Run scripts/install-system-deps.sh (CI does).',
    );
  }
}

export async function startRedisServer(): Promise<RedisServer> {
  const bin = redisServerPath();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // The free port can be taken between our probe and redis binding it: try another.
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS && child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(bin, dir, port);
    } catch (error) {
      lastError = error;
    }
  }
  if (child === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}`);
  }
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async stop() {
      if (child !== undefined) await kill(child);
      child = undefined;
    },
    async restart(options = {}) {
      await server.stop();
      if (options.wipe) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
      }
      child = await launch(bin, dir, port);
    },
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    command: (...args) => rawCommand(port, args),
  };
  return server;
}

async function launch(bin: string, dir: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`))),
  );
  exited.catch(() => {});
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) await exited;
    if (await ping(port)) return child;
    await Promise.race([new Promise((r) => setTimeout(r, 25)), exited]);
  }
  await kill(child);
  throw new Error(
    `redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms: ${output.slice(-500)}`,
  );
}

/** PING over a raw socket: the tests' own check, independent of the client the store uses. */
async function ping(port: number): Promise<boolean> {
  return (await rawCommand(port, ['PING'], 500).catch(() => '')) === '+PONG';
}

/** One RESP command on its own connection; resolves with the first line of the reply. */
function rawCommand(port: number, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const done = (error: Error | undefined, line = '') => {
      socket.destroy();
      if (error) reject(error);
      else resolve(line);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no reply to ${args[0]} within ${timeoutMs} ms`)));
    socket.on('error', (error) => done(error));
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (d) => {
      reply += d.toString();
      const end = reply.indexOf('\r\n');
      if (end >= 0) done(undefined, reply.slice(0, end));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
