/**
 * An advisory lock on a store directory, so two namerd processes cannot share one directory by
 * accident (their in-process compare-and-set would not see each other's writes). The lock is
 * `DIR/.lock`, created complete (written to a temp file, then hard-linked into place, which
 * fails atomically when the lock exists), so no one ever reads a half-written lock.
 *
 * A pid alone cannot say whether the holder lives: pids are reused, and in a container namerd
 * is PID 1, which is alive in every PID namespace, so the lock of a namerd killed with -9 looked
 * held for ever. So the holder also listens on a Unix socket in the directory, named in the lock
 * (`.lock-<token>.sock`), before the lock exists. The kernel closes that socket when the process
 * dies, however it dies: a connect that succeeds means a live holder (in any PID namespace of
 * this machine); a refused one means a stale lock, which is taken over. Where no socket can be
 * made (a path too long for one, a file system without them), the lock falls back to the pid
 * plus the process's start time and the boot id, which still tells a reused pid from its holder.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createError } from '../errors.js';

export const LOCK_FILE = '.lock';
/** Bounded: each round either takes the lock, finds it held, or clears one stale holder. */
const MAX_ATTEMPTS = 4;
/** Unix socket paths are limited to 108 bytes (104 on some systems) with the terminating NUL. */
const MAX_SOCKET_PATH = 100;
/** A holder that takes longer than this to accept a connection is presumed alive, not stale. */
const PROBE_TIMEOUT_MS = 1_000;
/** Temp and stale lock files and sockets; `.lock.PID.HEX.tmp` is what older namerds left. */
const LEFTOVER = /^\.lock(\.(\d+\.)?[0-9a-f]+\.(tmp|stale)|-[0-9a-f]+\.sock)$/;

/** What a lock file says about its holder. */
interface Holder {
  readonly pid: number;
  readonly token?: string;
  /** The holder's socket, relative to the directory. */
  readonly socket?: string;
  readonly boot?: string;
  /** The holder's start time, in clock ticks since boot (/proc/PID/stat field 22). */
  readonly start?: number;
}

/** Tokens of the locks this process holds: a same-pid lock with another token is a dead PID 1's. */
const held = new Set<string>();

export class DirLock {
  #released = false;

  private constructor(
    readonly dir: string,
    readonly file: string,
    readonly token: string,
    readonly server: net.Server | undefined,
  ) {}

  /** Takes the lock on `dir` or fails with SY_ERR_STORE_LOCKED naming the live holder. */
  static async acquire(dir: string): Promise<DirLock> {
    const file = path.join(dir, LOCK_FILE);
    const token = randomBytes(8).toString('hex');
    const server = await listen(path.join(dir, `.lock-${token}.sock`));
    const me: Holder = {
      pid: process.pid,
      token,
      ...(server ? { socket: `.lock-${token}.sock` } : {}),
      ...processIdentity('self'),
    };
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const temp = path.join(dir, `${LOCK_FILE}.${token}${attempt}.tmp`);
        writeDurably(temp, `${JSON.stringify(me)}\n`);
        try {
          linkSync(temp, file);
          unlinkSync(temp);
          syncDir(dir);
          held.add(token);
          removeLeftovers(dir, token);
          return new DirLock(dir, file, token, server);
        } catch (error) {
          unlinkQuietly(temp);
          // ENOENT: a store that just took the lock cleared our temp file; look at the lock again.
          if (!isCode(error, 'EEXIST') && !isCode(error, 'ENOENT')) throw error;
        }
        const holder = readHolder(file);
        if (holder === undefined) continue; // released meanwhile: try again
        if (holder !== null && (await isLive(dir, holder))) throw createError('SY_ERR_STORE_LOCKED', [dir, holder.pid]);
        // Stale. Move it aside atomically, then check that what moved is the stale lock and not a
        // fresh one another process put there since we read it; put a fresh one back.
        const aside = path.join(dir, `${LOCK_FILE}.${token}${attempt}.stale`);
        try {
          renameSync(file, aside);
        } catch (error) {
          if (isCode(error, 'ENOENT')) continue;
          throw error;
        }
        const moved = readHolder(aside);
        if (moved && moved.token !== holder?.token && (await isLive(dir, moved))) {
          try {
            linkSync(aside, file);
          } catch {}
          unlinkQuietly(aside);
          throw createError('SY_ERR_STORE_LOCKED', [dir, moved.pid]);
        }
        unlinkQuietly(aside);
        if (moved?.socket !== undefined) unlinkQuietly(path.join(dir, moved.socket));
      }
      throw createError('SY_ERR_STORE_LOCKED', [dir, 'unknown (the lock kept changing hands)']);
    } catch (error) {
      await close(server, path.join(dir, `.lock-${token}.sock`));
      throw error;
    }
  }

  /** Removes the lock if it is still ours and stops answering for it; safe to call twice. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.token);
    if (readHolder(this.file)?.token === this.token) unlinkQuietly(this.file);
    await close(this.server, path.join(this.dir, `.lock-${this.token}.sock`));
  }
}

/** Whether the holder of a lock still runs. */
async function isLive(dir: string, holder: Holder): Promise<boolean> {
  if (holder.token !== undefined && held.has(holder.token)) return true; // this very process
  if (holder.socket !== undefined) {
    const probe = await connect(path.join(dir, holder.socket));
    if (probe !== 'unknown') return probe === 'live';
  }
  const self = processIdentity('self');
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return false; // rebooted
  // Our own pid cannot belong to another live process: that lock is a dead predecessor's (PID 1).
  if (holder.pid === process.pid) return false;
  if (!isAlive(holder.pid)) return false;
  if (holder.start === undefined) return true; // an old lock with a pid only: cannot tell more
  const now = processIdentity(String(holder.pid)).start;
  return now === undefined || now === holder.start;
}

/** 'live' when something accepts on the socket, 'dead' when no one listens, 'unknown' when it cannot tell. */
function connect(socketPath: string): Promise<'live' | 'dead' | 'unknown'> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (answer: 'live' | 'dead' | 'unknown') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // A holder too busy (or stopped) to accept is not dead.
    const timer = setTimeout(() => done('live'), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done('live'));
    socket.once('error', (error) => {
      if (isCode(error, 'ECONNREFUSED') || isCode(error, 'ENOENT')) done('dead');
      else if (isCode(error, 'EAGAIN'))
        done('live'); // its backlog is full
      else done('unknown');
    });
  });
}

/** Listens on the lock's socket; undefined where sockets cannot be made, and the lock uses its fallback. */
async function listen(socketPath: string): Promise<net.Server | undefined> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) return undefined;
  const server = net.createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } catch {
    unlinkQuietly(socketPath);
    return undefined;
  }
  // The lock must not keep namerd running, nor an idle test process alive.
  server.unref();
  return server;
}

async function close(server: net.Server | undefined, socketPath: string): Promise<void> {
  if (server === undefined) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  unlinkQuietly(socketPath);
}

/** The boot id and the start time of a process (`self` or a pid), where /proc has them. */
function processIdentity(pid: string): { boot?: string; start?: number } {
  const identity: { boot?: string; start?: number } = {};
  try {
    identity.boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {}
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    if (Number.isSafeInteger(start)) identity.start = start;
  } catch {}
  return identity;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, which still means "alive".
    return isCode(error, 'EPERM');
  }
}

/**
 * The holder a lock file names: its JSON, or the bare pid an older namerd wrote; null when the
 * content is neither, undefined when the file is gone.
 */
function readHolder(file: string): Holder | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  if (/^\d+$/.test(text)) return validPid(Number(text)) ? { pid: Number(text) } : null;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (!validPid(json.pid)) return null;
    const str = (k: string) => (typeof json[k] === 'string' ? { [k]: json[k] as string } : {});
    return {
      pid: json.pid,
      ...str('token'),
      ...(typeof json.socket === 'string' && /^\.lock-[0-9a-f]+\.sock$/.test(json.socket) ? str('socket') : {}),
      ...str('boot'),
      ...(Number.isSafeInteger(json.start) ? { start: json.start as number } : {}),
    };
  } catch {
    return null;
  }
}

const validPid = (pid: unknown): pid is number => Number.isSafeInteger(pid) && (pid as number) > 0;

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temp, stale and socket files of earlier holders and of processes killed while taking the lock. */
function removeLeftovers(dir: string, token: string): void {
  for (const name of readdirSync(dir)) {
    if (LEFTOVER.test(name) && !name.includes(token)) unlinkQuietly(path.join(dir, name));
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
