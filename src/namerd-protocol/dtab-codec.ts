/**
 * namerd's dtab codecs (docs/namerd-api.md#dtab-codecs), for both ends of the wire:
 * `application/json` as `[{"prefix","dst"}]`, and `application/dtab` / `text/plain` as the text
 * form. namerd decodes request bodies with them, and the clients (namectl, namerctl, the router's
 * watch) read namerd's answers with the same functions, so both sides agree on what a valid
 * document is. Output negotiation follows namerd: the first recognised type in Accept order
 * wins, q-values are ignored, and JSON is the default (also for `*` / `*`).
 */
import { Dentry } from '../dtab/dentry.js';
import { Dtab } from '../dtab/dtab.js';
import { NameTree } from '../dtab/name-tree.js';
import { Prefix } from '../dtab/prefix.js';
import { createError } from '../errors.js';

export const JSON_TYPE = 'application/json';
export const DTAB_TYPE = 'application/dtab';
export const TEXT_TYPE = 'text/plain';
export const NDJSON_TYPE = 'application/x-ndjson';

export type DtabMediaType = typeof JSON_TYPE | typeof DTAB_TYPE | typeof TEXT_TYPE;

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The response codec for an Accept header. */
export function negotiate(accept: string | undefined): DtabMediaType {
  for (const part of (accept ?? '').split(',')) {
    const type = mediaType(part);
    if (type === JSON_TYPE || type === DTAB_TYPE || type === TEXT_TYPE) return type;
  }
  return JSON_TYPE;
}

/** True when the client asked for switchyard's line-delimited JSON watch format. */
export function wantsNdjson(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => mediaType(part) === NDJSON_TYPE);
}

export function encodeDtab(dtab: Dtab, type: DtabMediaType): string {
  return type === JSON_TYPE ? `${JSON.stringify(dtab.toJSON())}\n` : `${dtab.show()}\n`;
}

/** Reads a request body in the given Content-Type; throws registry errors (400) on anything invalid. */
export function decodeDtab(body: string, contentType: string | undefined): Dtab {
  const type = mediaType(contentType);
  if (type === DTAB_TYPE || type === TEXT_TYPE) {
    try {
      return Dtab.read(body);
    } catch (e) {
      throw createError('SY_ERR_INVALID_DTAB', [(e as Error).message], e);
    }
  }
  if (type !== JSON_TYPE) throw createError('SY_ERR_INVALID_CONTENT_TYPE', [contentType ?? '']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw createError('SY_ERR_INVALID_DTAB', [`the body is not JSON: ${(e as Error).message}`]);
  }
  try {
    return readVersionedJson(parsed).dtab;
  } catch (e) {
    throw createError('SY_ERR_INVALID_DTAB', [(e as Error).message], e);
  }
}

/** A JSON document that is not a dtab; the message names the entry and field. */
export class DtabJsonError extends Error {
  override readonly name = 'DtabJsonError';
}

export interface VersionedJson {
  readonly dtab: Dtab;
  /** The `version` of a `{version, dtab}` object: an ETag to send as If-Match. */
  readonly version?: string;
}

/**
 * Reads `[{prefix,dst}]`, or the `{version?, dtab:[…]}` that `dtab get --json` prints (namectl's
 * and namerctl's), so what a client printed can be written back. Own keys only: a `dtab` reached
 * through the prototype chain is not the sender's.
 */
export function readVersionedJson(value: unknown): VersionedJson {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if (!Object.hasOwn(value, 'dtab')) {
      throw new DtabJsonError('expected a JSON array of {"prefix","dst"}, or {"version": …, "dtab": […]}');
    }
    const version = Object.hasOwn(value, 'version') ? (value as { version: unknown }).version : undefined;
    if (version !== undefined && typeof version !== 'string') {
      throw new DtabJsonError('"version" must be a string (an ETag)');
    }
    const dtab = dtabFromJson((value as { dtab: unknown }).dtab);
    return version === undefined || version === '' ? { dtab } : { dtab, version };
  }
  return { dtab: dtabFromJson(value) };
}

/** Reads namerd's `[{"prefix","dst"}]`; throws a DtabJsonError saying which entry is wrong. */
export function dtabFromJson(value: unknown): Dtab {
  if (!Array.isArray(value)) throw new DtabJsonError('expected a JSON array of {"prefix","dst"}');
  return new Dtab(value.map((entry, i) => dentryFromJson(entry, i)));
}

function dentryFromJson(entry: unknown, i: number): Dentry {
  if (entry === null || typeof entry !== 'object') {
    throw new DtabJsonError(`The dtab contains invalid dentries: entry ${i} is ${JSON.stringify(entry)}`);
  }
  const prefix = Object.hasOwn(entry, 'prefix') ? (entry as { prefix: unknown }).prefix : undefined;
  const dst = Object.hasOwn(entry, 'dst') ? (entry as { dst: unknown }).dst : undefined;
  if (typeof prefix !== 'string' || typeof dst !== 'string') {
    throw new DtabJsonError(`entry ${i} needs string "prefix" and "dst" fields`);
  }
  return new Dentry(
    field(i, 'prefix', () => Prefix.read(prefix)),
    field(i, 'dst', () => NameTree.read(dst)),
  );
}

function field<T>(i: number, name: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new DtabJsonError(`entry ${i} "${name}": ${(e as Error).message}`, { cause: e });
  }
}
