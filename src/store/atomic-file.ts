/**
 * Durable, all-or-nothing file writes for the file store. A reader (or a namerd restarted after
 * `kill -9` or a power cut) sees either the old directory entry or the complete new file, never a
 * torn one: the bytes go to a temp file in the same directory, are fsynced, the temp file is
 * renamed into place (atomic within one file system), and the directory is fsynced so the rename
 * itself survives. Only then does the caller acknowledge the write.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Temp files start with this, so directory scans can tell them from real entries and clean them up. */
export const TEMP_PREFIX = '.tmp-';

export function isTempFile(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** Writes `data` to `file` atomically and durably; on failure the temp file is removed and `file` is untouched. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await fsyncDir(dir);
}

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
