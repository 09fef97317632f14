/**
 * Replacing a file so that readers see either the old content or the new, never a half
 * written one: write a temporary file beside it, flush it to disk, then rename it over the
 * original. `namectl dtab fmt --write` uses it; a dtab that namerd or a router reads from
 * disk must never be caught truncated.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  // Through a symlink, replace its target: renaming over the link would turn it into a copy.
  const target = await realpath(file);
  const { mode } = await stat(target);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode & 0o777);
  try {
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open() applies the umask; keep the original permissions exactly.
    await chmod(temp, mode & 0o7777);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
