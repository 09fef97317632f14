/**
 * namerd's dtab codecs (docs/namerd-api.md#dtab-codecs): `application/json` as
 * `[{"prefix","dst"}]`, and `application/dtab` / `text/plain` as the text form. Input is validated
 * completely before any store call, with the parser's line and column in the error, so a bad dtab
 * is never stored. Output negotiation follows namerd: the first recognised type in Accept order
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
  if (type === JSON_TYPE) return decodeJsonDtab(body);
  throw createError('SY_ERR_INVALID_CONTENT_TYPE', [contentType ?? '']);
}

function decodeJsonDtab(body: string): Dtab {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw createError('SY_ERR_INVALID_DTAB', [`the body is not JSON: ${(e as Error).message}`]);
  }
  // namectl and namerctl's `get --json` output is {version, dtab:[…]}; accept it as input too.
  // Own keys only: a `dtab` reached through the prototype chain is not the client's.
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.hasOwn(parsed, 'dtab')) {
    parsed = (parsed as { dtab: unknown }).dtab;
  }
  if (!Array.isArray(parsed)) throw createError('SY_ERR_INVALID_DTAB', ['expected a JSON array of {"prefix","dst"}']);
  return new Dtab(parsed.map((entry, i) => decodeJsonDentry(entry, i)));
}

function decodeJsonDentry(entry: unknown, i: number): Dentry {
  if (entry === null || typeof entry !== 'object') {
    throw createError('SY_ERR_INVALID_DTAB', [
      `The dtab contains invalid dentries: entry ${i} is ${JSON.stringify(entry)}`,
    ]);
  }
  const prefix = Object.hasOwn(entry, 'prefix') ? (entry as { prefix: unknown }).prefix : undefined;
  const dst = Object.hasOwn(entry, 'dst') ? (entry as { dst: unknown }).dst : undefined;
  if (typeof prefix !== 'string' || typeof dst !== 'string') {
    throw createError('SY_ERR_INVALID_DTAB', [`entry ${i} needs string "prefix" and "dst" fields`]);
  }
  return new Dentry(
    readField(i, 'prefix', () => Prefix.read(prefix)),
    readField(i, 'dst', () => NameTree.read(dst)),
  );
}

function readField<T>(i: number, field: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw createError('SY_ERR_INVALID_DTAB', [`entry ${i} "${field}": ${(e as Error).message}`], e);
  }
}
