/**
 * Files the installed package ships (dtabs/, bin/), found from this module's own location rather
 * than the working directory: `switchyard quickstart` runs from wherever the user is, often far
 * from the package. The path is the same from src/quickstart (tests) and dist/quickstart (the
 * built bin): two levels up is the package root.
 */
import { fileURLToPath } from 'node:url';

/** An absolute path to one of the shipped example dtabs, such as `default.dtab`. */
export function shippedDtab(name: string): string {
  return fileURLToPath(new URL(`../../dtabs/${name}`, import.meta.url));
}

/** An absolute path to one of the package's executables (`switchyard`, `namectl`). */
export function shippedBin(name: 'switchyard' | 'namectl'): string {
  return fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));
}

/** A word a POSIX shell reads back unchanged: quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
