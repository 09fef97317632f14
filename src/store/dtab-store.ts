/**
 * DtabStore: the one interface between namerd and wherever dtabs are kept (memory, a directory,
 * Redis). Every implementation passes the same conformance suite (test/conformance). Writes are
 * compare-and-set where asked, validated before they reach the backend (a Dtab value cannot be
 * invalid), and each returns the version it created; watches push every change.
 */
import type { Dtab } from '../dtab/dtab.js';
import type { Activity } from '../naming/activity.js';
import type { HistoryEntry, VersionedDtab } from './versioned-dtab.js';

export interface WriteOptions {
  /** Kept with the version in the history. */
  readonly message?: string;
}

export interface DtabStore {
  /** Namespace names, sorted. */
  list(): Promise<string[]>;
  /** The current version, or null when the namespace does not exist. */
  get(ns: string): Promise<VersionedDtab | null>;
  /** One version from the history, or null when it was never written or has been pruned. */
  getVersion(ns: string, version: number): Promise<VersionedDtab | null>;
  /** Fails with SY_ERR_NAMESPACE_EXISTS (409). */
  create(ns: string, dtab: Dtab, options?: WriteOptions): Promise<VersionedDtab>;
  /** Compare-and-set: SY_ERR_NAMESPACE_NOT_FOUND (404), SY_ERR_VERSION_MISMATCH (412). */
  update(ns: string, dtab: Dtab, expectedVersion: number, options?: WriteOptions): Promise<VersionedDtab>;
  /** Unconditional upsert. */
  put(ns: string, dtab: Dtab, options?: WriteOptions): Promise<VersionedDtab>;
  /** Fails with SY_ERR_NAMESPACE_NOT_FOUND (404). */
  delete(ns: string, options?: WriteOptions): Promise<void>;
  /** Newest first, at most the retained versions (default 100 per namespace), deletions included. */
  history(ns: string): Promise<HistoryEntry[]>;
  /** The namespace's current version, null while absent; follows every change while observed. */
  watch(ns: string): Activity<VersionedDtab | null>;
  /** The sorted namespace names, following creations and deletions. */
  watchList(): Activity<string[]>;
  close(): Promise<void>;
}

/** How many versions each namespace keeps by default. */
export const DEFAULT_HISTORY_LIMIT = 100;
