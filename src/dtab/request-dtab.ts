/**
 * Request-local dtabs carried in HTTP headers (docs/dtab-language.md#request-local-dtabs).
 * linkerd's `l5d-ctx-dtab` (what an upstream router forwarded) and `l5d-dtab` (what the caller asks
 * for) are read whole, never split on commas, and applied in that order on top of the router's base
 * dtab, so the caller's entries win. Finagle's `Dtab-Local` (comma-split) and legacy
 * `X-Dtab-NN-A/B` pairs are read by their own function, for peers that speak Finagle. Pure: no I/O,
 * and errors are values of the registry that carry the parser's position.
 */
import { createError, type SwitchyardError } from '../errors.js';
import { Dentry } from './dentry.js';
import { Dtab } from './dtab.js';
import { NameTree } from './name-tree.js';
import { Prefix } from './prefix.js';

/** Finagle's MaxHeaderSize and linkerd's `maxHeadersKB: 8`: no dtab header set may be larger. */
export const DTAB_HEADERS_LIMIT = 8 * 1024;

/** Dentries one request-local dtab may hold: each is matched on every lookup of every bind. */
export const DEFAULT_MAX_DENTRIES = 100;

/** Throws SY_ERR_DTAB_TOO_MANY_DENTRIES (400) when a request-local dtab is longer than `max`. */
export function checkDentries(dtab: Dtab, max = DEFAULT_MAX_DENTRIES): Dtab {
  if (dtab.size > max) throw createError('SY_ERR_DTAB_TOO_MANY_DENTRIES', [dtab.size, max]);
  return dtab;
}

/** Refuses a dtab text with more than `max` dentries before paying for its parse; returns the text. */
export function checkDentryCount(text: string, max = DEFAULT_MAX_DENTRIES): string {
  const count = countDentries(text);
  if (count > max) throw createError('SY_ERR_DTAB_TOO_MANY_DENTRIES', [count, max]);
  return text;
}

/** Characters that continue a path label (the grammar's LABEL, with `\` for `\xHH` escapes). */
const LABEL_CHAR = /[0-9A-Za-z_:.#$%\\-]/;

/**
 * The dentries a dtab text holds, counted without parsing it (parsing 8 KB costs milliseconds):
 * one per `=>` outside comments. As in the lexer, a `#` inside a path (after `/` and label
 * characters) is part of a label, and anywhere else starts a comment that runs to the end of the
 * line. For a valid dtab the count is exact; for an invalid one the parser has the last word.
 */
export function countDentries(text: string): number {
  let count = 0;
  let inPath = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '/') inPath = true;
    else if (ch === '#' && !inPath) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (!LABEL_CHAR.test(ch)) {
      inPath = false;
      if (ch === '=' && text[i + 1] === '>') {
        count++;
        i++;
      }
    }
  }
  return count;
}

export const L5D_CTX_DTAB = 'l5d-ctx-dtab';
export const L5D_DTAB = 'l5d-dtab';

/** Header name/value pairs in arrival order, as node's `rawHeaders` gives them (names in any case). */
export type HeaderPairs = Iterable<readonly [string, string]>;

function invalid(message: string, cause?: unknown): SwitchyardError {
  return createError('SY_ERR_INVALID_DTAB_HEADERS', [message], cause);
}

function readValue(value: string): Dtab {
  try {
    return Dtab.read(value);
  } catch (e) {
    throw invalid((e as Error).message, e);
  }
}

function checkSize(bytes: number, limit: number): void {
  if (bytes > limit) throw createError('SY_ERR_DTAB_HEADER_TOO_LARGE', [bytes, limit]);
}

/**
 * The request-local dtab a linkerd router applies: every `l5d-ctx-dtab` value, then every
 * `l5d-dtab` value, each parsed whole. Throws SY_ERR_INVALID_DTAB_HEADERS (400) naming the
 * parse error, SY_ERR_DTAB_HEADER_TOO_LARGE (431) past `limit` bytes, or
 * SY_ERR_DTAB_TOO_MANY_DENTRIES (400) past `maxDentries`.
 */
export function readL5dDtabHeaders(
  headers: HeaderPairs,
  limit = DTAB_HEADERS_LIMIT,
  maxDentries = DEFAULT_MAX_DENTRIES,
): Dtab {
  const ctx: string[] = [];
  const user: string[] = [];
  let bytes = 0;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === L5D_CTX_DTAB) ctx.push(value);
    else if (lower === L5D_DTAB) user.push(value);
    else continue;
    bytes += Buffer.byteLength(value);
  }
  checkSize(bytes, limit);
  // Many tiny entries cost the most to parse; count them first, and refuse before parsing.
  checkDentryCount([...ctx, ...user].join('\n'), maxDentries);
  let local = Dtab.empty;
  for (const value of [...ctx, ...user]) local = local.concat(readValue(value));
  return checkDentries(local, maxDentries);
}

/** The dtab a request is routed with: the router's base, then the request-local entries. */
export function effectiveDtab(base: Dtab, local: Dtab): Dtab {
  return base.concat(local);
}

/**
 * The `l5d-ctx-dtab` value to send downstream: the whole request-local dtab (so what arrived
 * as `l5d-dtab` travels on as context), or undefined when there is none.
 */
export function ctxDtabHeader(local: Dtab, limit = DTAB_HEADERS_LIMIT): string | undefined {
  if (local.isEmpty) return undefined;
  const value = local.show();
  const bytes = Buffer.byteLength(value);
  if (bytes > limit) throw createError('SY_ERR_DTAB_NOT_SERIALIZABLE', [`${bytes} bytes`, `${limit} bytes`]);
  return value;
}

const X_DTAB = /^x-dtab-/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(value: string): string {
  if (!BASE64.test(value)) throw invalid(`Value not b64-encoded: ${value}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Finagle's `HttpDtab.read`: legacy `X-Dtab-NN-A` (prefix) / `X-Dtab-NN-B` (tree) pairs first,
 * base64 of UTF-8, sorted by lower-cased name; then every `Dtab-Local` value, split on commas.
 */
export function readFinagleDtabHeaders(headers: HeaderPairs, limit = DTAB_HEADERS_LIMIT): Dtab {
  const xdtab: [string, string][] = [];
  const dtabLocal: string[] = [];
  let bytes = 0;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (X_DTAB.test(lower)) xdtab.push([lower, value]);
    else if (lower === 'dtab-local') dtabLocal.push(value);
    else continue;
    bytes += Buffer.byteLength(value);
  }
  checkSize(bytes, limit);
  return readXDtabPairs(xdtab).concat(
    dtabLocal.flatMap((v) => v.split(',')).reduce((acc, piece) => acc.concat(readValue(piece)), Dtab.empty),
  );
}

function readXDtabPairs(pairs: [string, string][]): Dtab {
  if (pairs.length % 2 !== 0) throw invalid('Unmatched X-Dtab headers');
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const dentries: Dentry[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const [aName, aValue] = pairs[i]!;
    const [bName, bValue] = pairs[i + 1]!;
    if (!aName.endsWith('a') || !bName.endsWith('b') || aName.slice(0, -1) !== bName.slice(0, -1)) {
      throw invalid('Unmatched X-Dtab headers');
    }
    const prefixText = decodeBase64(aValue);
    const treeText = decodeBase64(bValue);
    let prefix: Prefix;
    try {
      prefix = Prefix.read(prefixText);
    } catch (e) {
      throw invalid(`Invalid prefix: ${prefixText}`, e);
    }
    try {
      dentries.push(new Dentry(prefix, NameTree.read(treeText)));
    } catch (e) {
      throw invalid(`Invalid name: ${treeText}`, e);
    }
  }
  return new Dtab(dentries);
}

/** Finagle refuses to write a `Dtab-Local` of 100 dentries or more. */
export const FINAGLE_MAX_DENTRIES = 100;

/** The `Dtab-Local` value a Finagle client would send, or undefined when there is none. */
export function dtabLocalHeader(local: Dtab): string | undefined {
  if (local.isEmpty) return undefined;
  if (local.size >= FINAGLE_MAX_DENTRIES) {
    throw createError('SY_ERR_DTAB_NOT_SERIALIZABLE', [
      `${local.size} dentries`,
      `${FINAGLE_MAX_DENTRIES - 1} dentries`,
    ]);
  }
  return local.show();
}
