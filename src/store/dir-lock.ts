/**
 * An advisory lock on a store directory, so two namerd processes cannot share one directory by
 * accident (their in-process compare-and-set would not see each other's writes). The lock is
 * `DIR/.lock` holding the owner's pid. It is created complete (written to a temp file, then
 * hard-linked into place, which fails atomically when the lock exists), so no one ever reads a
 * half-written pid. A lock whose pid is dead (a namerd killed with -9) is taken over.
 *
 * Known limit: a pid is only unique among live processes, so a stale lock whose pid was reused
 * by an unrelated process looks held; the error names the pid so an operator can check it.
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
import path from 'node:path';
import { createError } from '../errors.js';

export const LOCK_FILE = '.lock';
/** Bounded: each round either takes the lock, finds it held, or clears one stale holder. */
const MAX_ATTEMPTS = 4;

export class DirLock {
  #released = false;

  private constructor(
    readonly dir: string,
    readonly file: string,
  ) {}

  /** Takes the lock on `dir` or fails with SY_ERR_STORE_LOCKED naming the live holder. */
  static acquire(dir: string): DirLock {
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const temp = path.join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeDurably(temp, `${process.pid}\n`);
      try {
        linkSync(temp, file);
        unlinkSync(temp);
        syncDir(dir);
        removeDeadLeftovers(dir);
        return new DirLock(dir, file);
      } catch (error) {
        unlinkQuietly(temp);
        if (!isCode(error, 'EEXIST')) throw error;
      }
      const holder = readPid(file);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder !== null && isAlive(holder)) throw createError('SY_ERR_STORE_LOCKED', [dir, holder]);
      // Stale. Move it aside atomically, then check that what moved is the stale lock and not a
      // fresh one another process put there since we read it; put a fresh one back.
      const aside = path.join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.stale`);
      try {
        renameSync(file, aside);
      } catch (error) {
        if (isCode(error, 'ENOENT')) continue;
        throw error;
      }
      const moved = readPid(aside);
      if (moved !== holder && typeof moved === 'number' && isAlive(moved)) {
        try {
          linkSync(aside, file);
        } catch {}
        unlinkQuietly(aside);
        throw createError('SY_ERR_STORE_LOCKED', [dir, moved]);
      }
      unlinkQuietly(aside);
    }
    throw createError('SY_ERR_STORE_LOCKED', [dir, 'unknown (the lock kept changing hands)']);
  }

  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (readPid(this.file) === process.pid) unlinkQuietly(this.file);
  }
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

/** The pid in a lock file; null when the content is not a pid, undefined when the file is gone. */
function readPid(file: string): number | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

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

/** Temp and stale lock files left by processes killed while taking the lock. */
function removeDeadLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^\.lock\.(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) unlinkQuietly(path.join(dir, name));
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
