/**
 * What to say when a compare-and-set write loses (412): namerd only says the versions differ, so
 * namectl asks the history who won (which version, when, with what message) and tells the
 * operator how to proceed. Nothing was written; re-running reads the new version first.
 */

import type { NamerdClient, NamerdHttpError } from '../namerd-protocol/client.js';
import { describeVersion, NamectlExit } from './remote.js';
import { CommandFailure } from './run.js';

/**
 * The failure for a 412 on `ns`; `expected` is the ETag that was sent as If-Match, read just
 * before (`rerun` true: running the command again will read the new version) or given by the
 * user (a stale --version or JSON input, which the user has to refresh).
 */
export async function writeConflict(
  client: NamerdClient,
  ns: string,
  expected: string,
  error: NamerdHttpError,
  rerun: boolean,
): Promise<CommandFailure> {
  const advice = rerun
    ? 'Nothing was written. Re-run the command to apply it to the current version, or use --force.'
    : `Nothing was written. Start from the current version (namectl dtab get ${ns}), or use --force.`;
  let now: string;
  try {
    const [latest] = await client.versions(ns);
    now =
      latest === undefined
        ? 'it has no versions'
        : `${latest.deleted === true ? 'it was deleted' : `it is now ${describeVersion(latest.version)}`}, written ${
            latest.time
          }${latest.message === undefined ? '' : ` with the message "${latest.message}"`}`;
  } catch {
    // A namerd without history (linkerd's) still explains the mismatch in its answer.
    now = error.detail === '' ? 'it has a newer version' : error.detail;
  }
  return new CommandFailure(
    `${ns} was changed by someone else: this write expected ${describeVersion(expected)}, but ${now}.\n${advice}`,
    NamectlExit.failure,
    { cause: error },
  );
}
