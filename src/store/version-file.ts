/**
 * The file store's on-disk format, kept apart from its locking and caching so the format can be
 * read (and checked by the crash test) on its own. One directory per namespace, one file per
 * version named by the version zero-padded to 20 digits (so names sort like numbers), holding
 * `{version, time, message?, dtab}` with the dtab as text, or null for a deletion.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Dtab } from '../dtab/dtab.js';
import { createError } from '../errors.js';
import { isTempFile } from './atomic-file.js';
import type { HistoryEntry } from './versioned-dtab.js';

const VERSION_FILE = /^(\d{20})\.json$/;

export function versionFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export function encodeVersion(entry: HistoryEntry): string {
  const json: Record<string, unknown> = { version: entry.version, time: entry.time };
  if (entry.message !== undefined) json['message'] = entry.message;
  json['dtab'] = entry.dtab === null ? null : entry.dtab.show();
  return `${JSON.stringify(json)}\n`;
}

/** Parses one version file; a file that is not one is reported by name (the store will not guess). */
export function decodeVersion(text: string, file: string, expectedVersion: number): HistoryEntry {
  const fail = (why: string) =>
    createError('SY_ERR_STORE_UNAVAILABLE', [`${file} is not a valid version file: ${why}`]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (typeof json !== 'object' || json === null) throw fail('not a JSON object');
  const { version, time, message, dtab } = json as Record<string, unknown>;
  if (version !== expectedVersion) throw fail(`it holds version ${String(version)}`);
  if (typeof time !== 'number') throw fail('time is not a number');
  if (message !== undefined && typeof message !== 'string') throw fail('message is not a string');
  if (dtab !== null && typeof dtab !== 'string') throw fail('dtab is neither text nor null');
  let parsed: Dtab | null = null;
  try {
    if (dtab !== null) parsed = Dtab.read(dtab);
  } catch (error) {
    throw fail((error as Error).message);
  }
  return { version, time, dtab: parsed, ...(message === undefined ? {} : { message }) };
}

/**
 * Every version file of one namespace directory, oldest first. Temp files are what a crashed
 * write leaves behind (never acknowledged, never renamed into place), so they are removed.
 */
export async function readNamespaceDir(dir: string): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (isTempFile(name)) {
      await unlink(path.join(dir, name)).catch(() => {});
      continue;
    }
    const m = VERSION_FILE.exec(name);
    if (m === null) continue;
    const file = path.join(dir, name);
    entries.push(decodeVersion(await readFile(file, 'utf8'), file, Number(m[1])));
  }
  return entries;
}
