/**
 * The part of namerd's API a canary run needs, as an interface over the shared namerd client
 * (namerd-protocol/client.ts), so tests can hand in a namerd that misbehaves. Its types are the
 * client's; a refusal is recognised by its HTTP status, whoever threw it.
 */
import type { Dtab } from '../dtab/dtab.js';
import type { DtabBody, StoredDtab, VersionInfo, WriteResult } from '../namerd-protocol/client.js';

export type { DtabBody, StoredDtab, VersionInfo };

export interface NamerdApi {
  get(ns: string, version?: string): Promise<StoredDtab>;
  update(ns: string, body: DtabBody, options: { ifMatch?: string; message?: string }): Promise<WriteResult>;
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
