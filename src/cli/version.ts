/**
 * The package version for `--version`, read from package.json at run time so that it can
 * never disagree with what npm installed. The path is the same from src/cli (tests) and
 * dist/cli (the built bin): two levels up.
 */
import { readFile } from 'node:fs/promises';

export async function packageVersion(): Promise<string> {
  const json: unknown = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = (json as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return version;
}
