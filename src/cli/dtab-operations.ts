/**
 * The dtab commands both CLIs run: list, get, create, update and delete against namerd. namectl
 * and the namerctl twin parse their arguments their own way and then call these; everything that
 * differs between them (input checks, update semantics, output, failures) is their Dialect's call.
 */
import { NamerdHttpError } from '../namerd-protocol/client.js';
import type { VersionRef } from '../namerd-protocol/etag.js';
import type { CliIo } from './io.js';
import { type RemoteFlags, withHint, withNamerd } from './remote.js';
import { writeConflict } from './write-conflict.js';

export interface Output {
  readonly json: boolean;
}

export async function listDtabs(io: CliIo, remote: RemoteFlags, out: Output): Promise<void> {
  const names = await withNamerd(io, remote, (client) => client.list());
  remote.dialect.print.list(io, names, out.json);
}

export async function getDtab(
  io: CliIo,
  remote: RemoteFlags,
  ns: string,
  options: Output & { readonly pretty: boolean; readonly version?: string },
): Promise<void> {
  const stored = await withNamerd(io, remote, (client) => client.get(ns, options.version));
  remote.dialect.print.get(io, stored, options);
}

export async function createDtab(
  io: CliIo,
  remote: RemoteFlags,
  ns: string,
  file: string,
  options: Output & { readonly message?: string },
): Promise<void> {
  const { dialect } = remote;
  // Inside the session, as namerctl did: a missing base URL is reported before a bad file.
  const written = await withNamerd(io, remote, async (client) => {
    const input = await dialect.readInput(io, file);
    return client
      .create(ns, input.body, options.message)
      .catch((e: unknown) =>
        Promise.reject(
          dialect.explains ? withHint(e, 409, `To replace it, run: ${dialect.name} dtab update ${ns} ${file}`) : e,
        ),
      );
  });
  dialect.print.written(io, 'Created', ns, written, options.json);
}

export interface UpdateOptions extends Output {
  /** --version: the If-Match. */
  readonly version?: VersionRef | string;
  /** --force: unconditional whatever the dialect's default. */
  readonly force?: boolean;
  readonly message?: string;
}

/**
 * Replaces NS's dtab. The If-Match is the --version given, or the version a JSON input carries
 * (namerctl let the input's win; namectl refuses a mismatch), or, for a compare-and-set dialect,
 * the version read just before; a last-write-wins dialect sends none, which namerd takes as an
 * upsert.
 */
export async function updateDtab(
  io: CliIo,
  remote: RemoteFlags,
  ns: string,
  file: string,
  options: UpdateOptions,
  usageError: (message: string) => Error,
): Promise<void> {
  const { dialect } = remote;
  const force = options.force === true;
  const flagEtag = typeof options.version === 'string' ? options.version : options.version?.etag;
  const written = await withNamerd(io, remote, async (client) => {
    const input = await dialect.readInput(io, file);
    if (dialect.explains && flagEtag !== undefined && input.version !== undefined && input.version !== flagEtag) {
      throw usageError(`${file} says version ${input.version} but --version says ${flagEtag}`);
    }
    const given = force ? undefined : (input.version ?? flagEtag);
    let ifMatch = given;
    if (!force && given === undefined && dialect.unversionedUpdate === 'compare-and-set') {
      ifMatch = await client
        .currentVersion(ns)
        .catch((e: unknown) =>
          Promise.reject(withHint(e, 404, `To create it, run: ${dialect.name} dtab create ${ns} ${file}`)),
        );
    }
    try {
      return await client.update(ns, input.body, {
        ...(ifMatch === undefined ? {} : { ifMatch }),
        ...(options.message === undefined ? {} : { message: options.message }),
      });
    } catch (error) {
      if (dialect.explains && error instanceof NamerdHttpError && error.status === 412 && ifMatch !== undefined) {
        throw await writeConflict(client, ns, ifMatch, error, given === undefined);
      }
      throw error;
    }
  });
  dialect.print.written(io, 'Updated', ns, written, options.json);
}

export async function deleteDtab(
  io: CliIo,
  remote: RemoteFlags,
  ns: string,
  options: Output & { readonly message?: string },
): Promise<void> {
  await withNamerd(io, remote, (client) => client.delete(ns, options.message));
  remote.dialect.print.written(io, 'Deleted', ns, null, options.json);
}
