/**
 * Which local process owns a listening TCP address, found the way `ss -ltnp` finds it: the
 * socket's inode from /proc/net/tcp and /proc/net/tcp6 (state 0A, LISTEN), then the process whose
 * /proc/PID/fd holds `socket:[inode]`. A process is judged by what it runs (/proc/PID/cmdline),
 * never by a pid someone told us: only a switchyard command whose role serves traffic may be
 * killed. Linux only; elsewhere nothing is found and nothing is killed.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';

export interface Owner {
  readonly pid: number;
  readonly cmdline: readonly string[];
}

/** The switchyard roles a kill-local-peer may stop: the processes a mesh's traffic runs through. */
export const KILLABLE_ROLES = ['peer', 'router', 'example-app'] as const;

/** `0100007F:1F90` (little-endian words) → `127.0.0.1`, port 8080; tcp6 has four such words. */
export function decodeAddress(hex: string): { ip: string; port: number } | null {
  const m = /^([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})$/.exec(hex);
  if (m === null) return null;
  const words = m[1]!.match(/.{8}/g)!;
  const bytes = words.flatMap((w) =>
    [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)),
  );
  let ip: string;
  if (bytes.length === 4) ip = bytes.join('.');
  else if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    ip = bytes.slice(12).join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    // Only the wildcard and loopback matter here; anything else is written out in full.
    const text = groups.join(':');
    ip = text === '0:0:0:0:0:0:0:0' ? '::' : text === '0:0:0:0:0:0:0:1' ? '::1' : text;
  }
  return { ip, port: parseInt(m[2]!, 16) };
}

/** Inodes of the sockets listening on `port` at `ip` or at a wildcard address (which covers it). */
export async function listeningInodes(ip: string, port: number, procDir = '/proc'): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const file of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = await readFile(`${procDir}/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue;
      const local = decodeAddress(cols[1]!);
      if (local === null || local.port !== port) continue;
      if (local.ip === ip || local.ip === '0.0.0.0' || local.ip === '::') inodes.add(cols[9]!);
    }
  }
  inodes.delete('0');
  return inodes;
}

const MAX_PIDS = 100_000;
const MAX_FDS = 65_536;

/** The processes holding any of the sockets; unreadable processes (another user's) are skipped. */
export async function ownersOf(inodes: ReadonlySet<string>, procDir = '/proc'): Promise<Owner[]> {
  if (inodes.size === 0) return [];
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  const pids = (await readdir(procDir)).filter((d) => /^\d+$/.test(d)).slice(0, MAX_PIDS);
  const owners: Owner[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = (await readdir(`${procDir}/${pid}/fd`)).slice(0, MAX_FDS);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`${procDir}/${pid}/fd/${fd}`).catch(() => '');
      if (!wanted.has(target)) continue;
      const raw = await readFile(`${procDir}/${pid}/cmdline`, 'utf8').catch(() => '');
      owners.push({
        pid: Number(pid),
        cmdline: raw
          .split('\0')
          .filter((a) => a !== '')
          .slice(0, 64),
      });
      break;
    }
  }
  return owners;
}

/**
 * The role of a switchyard process (`node …/bin/switchyard.js peer …`, or the installed
 * `switchyard` script run by node), or a reason it is not one.
 */
export function switchyardRole(cmdline: readonly string[]): { role: string } | { refused: string } {
  const shown = cmdline.join(' ').slice(0, 200);
  const runner = basename(cmdline[0] ?? '');
  const script = cmdline.findIndex((a, i) => i <= 2 && /^switchyard(\.js)?$/.test(basename(a)));
  const byNode = /^node(js)?[\d.]*$/.test(runner) && script >= 1;
  if (!byNode && script !== 0) return { refused: `it runs ${JSON.stringify(shown)}, not switchyard` };
  const role = cmdline.slice(script + 1).find((a) => !a.startsWith('-'));
  if (role === undefined || !(KILLABLE_ROLES as readonly string[]).includes(role))
    return { refused: `it is switchyard ${role ?? '(no command)'}, not one of ${KILLABLE_ROLES.join(', ')}` };
  return { role };
}

/** Waits (bounded) until the process is gone or a zombie: its kill took effect. */
export async function exited(pid: number, timeoutMs: number, procDir = '/proc'): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const stat = await readFile(`${procDir}/${pid}/stat`, 'utf8').catch(() => null);
    // The state follows the command in parentheses, which may itself hold spaces and parentheses.
    if (stat === null || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
