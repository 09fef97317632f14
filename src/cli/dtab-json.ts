/**
 * namerd's JSON form of a dtab, `[{"prefix","dst"}]`, read into a Dtab, and the
 * `{"version","dtab"}` wrapper that `namerctl dtab get --json` prints and `update` reads back.
 * Each field is parsed on its own so a mistake is reported with the entry and field it is in.
 */
import { Dentry, Dtab, NameTree, Prefix } from '../index.js';

export interface VersionedJson {
  readonly dtab: Dtab;
  /** The `version` of a `{version, dtab}` object: an ETag to send as If-Match. */
  readonly version?: string;
}

/** Reads `[{prefix,dst}]` or `{version?, dtab:[…]}`; throws an Error saying which entry is wrong. */
export function readVersionedJson(value: unknown): VersionedJson {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { version, dtab } = value as { version?: unknown; dtab?: unknown };
    if (dtab === undefined) throw new Error('a JSON object needs a "dtab" field ({"version": …, "dtab": […]})');
    if (version !== undefined && typeof version !== 'string') throw new Error('"version" must be a string (an ETag)');
    const read = dtabFromJson(dtab);
    return version === undefined || version === '' ? { dtab: read } : { dtab: read, version };
  }
  return { dtab: dtabFromJson(value) };
}

/** Reads namerd's `[{"prefix","dst"}]`. */
export function dtabFromJson(value: unknown): Dtab {
  if (!Array.isArray(value)) throw new Error('expected a JSON array of {"prefix", "dst"} objects');
  return new Dtab(
    value.map((entry, i) => {
      if (entry === null || typeof entry !== 'object') throw new Error(`entry ${i} is not an object`);
      const { prefix, dst } = entry as { prefix?: unknown; dst?: unknown };
      if (typeof prefix !== 'string' || typeof dst !== 'string') {
        throw new Error(`entry ${i} needs string "prefix" and "dst" fields`);
      }
      return new Dentry(
        field(i, 'prefix', () => Prefix.read(prefix)),
        field(i, 'dst', () => NameTree.read(dst)),
      );
    }),
  );
}

function field<T>(i: number, name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new Error(`entry ${i} "${name}": ${(error as Error).message}`, { cause: error });
  }
}
