/**
 * A dtab's version on the wire (docs/namerd-api.md#versions-and-etags): the ETag is the Base64 of
 * the version number as an 8-byte big-endian integer, sent bare; If-Match takes it bare or quoted.
 * Users name a version either way (`3` or `AAAAAAAAAAM=`); this is the one reader of both.
 */
import { etagToVersion, versionToEtag } from '../store/versioned-dtab.js';

export { etagToVersion, versionToEtag };

/** A version as a number and as its ETag. */
export interface VersionRef {
  readonly etag: string;
  readonly number: number;
}

/** `3` or `AAAAAAAAAAM=`; null when `text` is neither a version number nor an ETag of one. */
export function parseVersionRef(text: string): VersionRef | null {
  const number = /^\d+$/.test(text) ? Number(text) : etagToVersion(text);
  if (number === null || !Number.isSafeInteger(number) || number < 1) return null;
  return { etag: versionToEtag(number), number };
}

/** The version an If-Match header names, bare or quoted (RFC 7232's form); -1 when it names none, which never matches. */
export function ifMatchVersion(header: string): number {
  return etagToVersion(header.replace(/^W\//, '').replace(/^"(.*)"$/, '$1')) ?? -1;
}
