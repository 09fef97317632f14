/**
 * A stored dtab version. Every write makes a new version, numbered from 1 per namespace and
 * never reused (a namespace deleted and created again continues after its last number, so an
 * old ETag can never match a new dtab). The dtab is kept as text, exactly as validated.
 */
import type { Dtab } from '../dtab/dtab.js';

export interface VersionedDtab {
  readonly namespace: string;
  readonly version: number;
  /** The dtab as stored (its canonical `show()` form). */
  readonly dtab: Dtab;
  /** When the version was written, in ms since the epoch. */
  readonly time: number;
  /** Why it was written, as the writer said (`X-Dtab-Message`, `namectl … -m`). */
  readonly message?: string;
}

/** An entry of a namespace's history; a deletion is recorded too, so history explains gaps. */
export interface HistoryEntry {
  readonly version: number;
  readonly time: number;
  readonly message?: string;
  /** The dtab written at this version, or null for a deletion. */
  readonly dtab: Dtab | null;
}

/** namerd's ETag: standard base64 of the version as an 8-byte big-endian integer (`AAAAAAAAAAE=` is 1). */
export function versionToEtag(version: number): string {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(BigInt(version));
  return buf.toString('base64');
}

/** The version an ETag names, or null for anything that is not one (namerd answers those with 412). */
export function etagToVersion(etag: string): number | null {
  const trimmed = etag.trim();
  if (!/^[A-Za-z0-9+/]{11}=$/.test(trimmed)) return null;
  const buf = Buffer.from(trimmed, 'base64');
  if (buf.length !== 8) return null;
  const v = buf.readBigUInt64BE();
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}
