/**
 * The part of namerd's API a canary run needs, as an interface: the CLI hands in its namerd
 * client (src/cli/namerd-client.ts), which satisfies it, so this layer does not depend on the
 * CLI. A refusal is recognised by its HTTP status, whoever threw it.
 */
import type { Dtab } from '../dtab/dtab.js';

export interface StoredDtab {
  readonly version: string;
  readonly number: number | null;
  readonly dtab: Dtab;
}

export interface VersionInfo {
  readonly version: string;
  readonly number: number;
  readonly time: string;
  readonly message?: string;
  readonly deleted?: true;
}

export interface DtabBody {
  readonly contentType: 'application/json' | 'application/dtab';
  readonly text: string;
}

export interface NamerdApi {
  get(ns: string, version?: string): Promise<StoredDtab>;
  update(
    ns: string,
    body: DtabBody,
    options: { ifMatch?: string; message?: string },
  ): Promise<{ readonly version: string | null; readonly number: number | null }>;
  versions(ns: string): Promise<VersionInfo[]>;
}

/** The HTTP status namerd refused a request with, or null when the error is not a refusal. */
export function refusedWith(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return error instanceof Error && error.name === 'NamerdHttpError' && typeof status === 'number' ? status : null;
}

/** A dtab as a request body. */
export function jsonBody(dtab: Dtab): DtabBody {
  return { contentType: 'application/json', text: `${JSON.stringify(dtab.toJSON())}\n` };
}
