/**
 * The file store's durability promise, tested the hard way: a real process writing to the store
 * is killed with SIGKILL at random moments, and after each kill the directory must hold every
 * version that process had acknowledged, no torn file, a stale lock that the next store takes
 * over, and numbering that continues. Runs the built dist/ (`npm test` builds it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { FileDtabStore } from '../../src/store/file-store.js';
import { decodeVersion } from '../../src/store/version-file.js';
import { repoRoot } from '../helpers/repo.js';

const writerScript = path.join(repoRoot, 'test/helpers/file-store-writer.mjs');
const builtStore = path.join(repoRoot, 'dist/store/file-store.js');
const ROUNDS = 10;
const BUDGET_MS = 8_000;
const NAMESPACES = ['crash-a', 'crash-b'];

interface Writer {
  readonly child: ChildProcess;
  /** The highest acknowledged version per namespace, as printed by the child. */
  readonly acked: Map<string, number>;
  readonly ready: Promise<number>;
  readonly exited: Promise<void>;
}

function startWriter(dir: string): Writer {
  if (!existsSync(builtStore)) throw new Error(`${builtStore} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [writerScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Map<string, number>();
  let stderr = '';
  let buffer = '';
  let onReady: (pid: number) => void = () => {};
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ready') onReady(Number(a));
      if (kind === 'ack') acked.set(a!, Math.max(acked.get(a!) ?? 0, Number(b)));
    }
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited with ${code ?? signal} before it was killed: ${stderr}`));
    });
  });
  exited.catch(() => {});
  return { child, acked, ready, exited };
}

async function waitFor(accept: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!accept()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Every version file parses and holds the version its name says: nothing torn. Counts what it saw. */
function checkNoTornFiles(dir: string): { files: number; temps: number } {
  let files = 0;
  let temps = 0;
  for (const ns of NAMESPACES) {
    const nsDir = path.join(dir, ns);
    if (!existsSync(nsDir)) continue;
    for (const name of readdirSync(nsDir)) {
      const m = /^(\d{20})\.json$/.exec(name);
      if (m === null) {
        temps += name.startsWith('.tmp-') ? 1 : 0; // the killed write's: never acknowledged, removed on open
        continue;
      }
      decodeVersion(readFileSync(path.join(nsDir, name), 'utf8'), path.join(nsDir, name), Number(m[1]));
      files++;
    }
  }
  return { files, temps };
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('file store under kill -9', () => {
  it(`keeps every acknowledged version across ${ROUNDS} SIGKILLs at random moments`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-crash-'));
    dirs.push(dir);
    const acked = new Map<string, number>();
    const start = Date.now();
    let rounds = 0;
    let files = 0;
    let temps = 0;
    for (; rounds < ROUNDS && Date.now() - start < BUDGET_MS; rounds++) {
      const writer = startWriter(dir);
      children.push(writer.child);
      await writer.ready;
      await waitFor(() => writer.acked.size > 0, 'the first acknowledged write');
      await new Promise((r) => setTimeout(r, Math.random() * 80));
      writer.child.kill('SIGKILL');
      await writer.exited;
      for (const [ns, v] of writer.acked) acked.set(ns, Math.max(acked.get(ns) ?? 0, v));
      expect(JSON.parse(readFileSync(path.join(dir, '.lock'), 'utf8')).pid).toBe(writer.child.pid); // stale now
      const seen = checkNoTornFiles(dir);
      files += seen.files;
      temps += seen.temps;

      const store = await FileDtabStore.open(dir); // takes the dead writer's lock over
      for (const ns of NAMESPACES) {
        const current = await store.get(ns);
        expect(current, ns).not.toBeNull();
        expect(current!.version).toBeGreaterThanOrEqual(acked.get(ns) ?? 1);
        const versions = (await store.history(ns)).map((h) => h.version);
        expect(versions[0]).toBe(current!.version);
        expect(versions).toEqual(versions.map((_, i) => current!.version - i)); // no gaps
        const next = await store.put(ns, Dtab.read('/after=>/crash'));
        expect(next.version).toBe(current!.version + 1);
        acked.set(ns, next.version);
      }
      await store.close();
    }
    console.log(
      `[file crash] ${rounds} SIGKILL rounds in ${Date.now() - start} ms, last versions ${JSON.stringify([...acked])}, ${files} version files parsed, ${temps} temp files of interrupted writes found`,
    );
    expect(rounds).toBeGreaterThanOrEqual(5);
  });

  it('refuses a second live store on the same directory with SY_ERR_STORE_LOCKED', { timeout: 15_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-lock-'));
    dirs.push(dir);
    const writer = startWriter(dir);
    children.push(writer.child);
    const pid = await writer.ready;
    const error = await FileDtabStore.open(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SY_ERR_STORE_LOCKED' });
    expect((error as Error).message).toContain(String(pid));
    writer.child.kill('SIGKILL');
    await writer.exited;
    const store = await FileDtabStore.open(dir);
    expect((await store.list()).length).toBeGreaterThanOrEqual(0);
    await store.close();
    // Nothing of either lock is left: no lock file, no socket, no temp file.
    expect(readdirSync(dir).filter((name) => name.startsWith('.lock'))).toEqual([]);
  });
});
