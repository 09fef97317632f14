/**
 * Where the router's base dtab comes from (docs/router.md#where-the-base-dtab-comes-from). The
 * router does not care whether the dtab is static config, a watched file or a namerd watch: it
 * observes one Var of this state. `pending` keeps /ready at 503; `ok` routes, and `stale` tells
 * operators (and /admin/dtab) that the dtab in hand may be out of date while the router keeps
 * serving with it, because routing on the last good dtab beats refusing every request; `failed` is
 * for errors that need an operator (a `--dtab FILE` that is missing or invalid at start).
 */
import { createHash } from 'node:crypto';
import type { Dtab } from '../../dtab/dtab.js';
import { DtabSyntaxError } from '../../errors.js';
import type { Var } from '../../naming/var.js';

export interface BaseDtabSnapshot {
  readonly dtab: Dtab;
  /** Where it came from, for logs and /admin/dtab: `config`, `file:/etc/dtab`, `namerd:http://…/ns`. */
  readonly source: string;
  /** namerd's ETag, or a content hash for a file, so operators can compare routers. */
  readonly version?: string;
  /** When this router obtained it (ms since the epoch); for a cached dtab, when it was cached. */
  readonly updatedAt: number;
}

export type BaseDtabState =
  | { readonly status: 'pending'; readonly reason: string }
  | {
      readonly status: 'ok';
      readonly snapshot: BaseDtabSnapshot;
      /** Set when the snapshot may be out of date, saying why (e.g. "namerd unreachable since …"). */
      readonly stale?: string;
    }
  | { readonly status: 'failed'; readonly error: Error };

export interface BaseDtabSource {
  readonly state: Var<BaseDtabState>;
  /** Begins reading and watching; state changes from pending as soon as something is known. */
  start(): void;
  /** Stops every watch, timer and connection; resolves once nothing is left running. */
  close(): Promise<void>;
}

/** The dtab to route with, stale or not, or undefined while there is none. */
export function snapshotOf(state: BaseDtabState): BaseDtabSnapshot | undefined {
  return state.status === 'ok' ? state.snapshot : undefined;
}

/** A short, stable content version for dtabs that have no version of their own. */
export function contentVersion(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * `where:line:col: message`, the compiler-style position editors and terminals can jump to.
 * DtabSyntaxError's own message repeats the position in words; that part is dropped here.
 */
export function describeParseError(where: string, error: unknown): string {
  if (error instanceof DtabSyntaxError) {
    const what = error.message.replace(` at line ${error.line}, column ${error.column}`, '');
    return `${where}:${error.line}:${error.column}: ${what}`;
  }
  return `${where}: ${error instanceof Error ? error.message : String(error)}`;
}
