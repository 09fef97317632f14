/**
 * switchyard's additions to namerd, from the operator's side: `dtab history` lists a
 * namespace's stored versions (number, ETag, time, size, message; deletions included) and
 * `dtab rollback` writes an old version's dtab back as a new version. A rollback is a
 * compare-and-set like any update, so it cannot silently undo a change made meanwhile.
 */

import { NamerdHttpError, type VersionInfo } from '../namerd-protocol/client.js';
import { escapeControls } from '../store/write-message.js';
import { type CliIo, writeOut } from './io.js';
import {
  COMMON_FLAGS_HELP,
  expectArgs,
  NamectlExit,
  type OuterFlags,
  parseCommand,
  parseVersionRef,
  TOKEN_FLAG_HELP,
  withHint,
  withNamerd,
  writeJson,
} from './remote.js';
import { UsageText } from './usage-text.js';
import { writeConflict } from './write-conflict.js';

const historyHelp = new UsageText(
  'namectl dtab history',
  `List the stored versions of a namespace, newest first: number, ETag, time, number of
dentries (or "deleted") and the message given when it was written. namerd keeps the last 100
versions of each namespace by default.

Usage:
  namectl dtab history NS [flags]

Flags:
${COMMON_FLAGS_HELP}
`,
);

const rollbackHelp = new UsageText(
  'namectl dtab rollback',
  `Write an old version's dtab back as the namespace's new version. It is a compare-and-set on
the current version, with the message "rollback to version N" unless -m is given; it also
brings back a deleted namespace.

Usage:
  namectl dtab rollback NS VERSION [flags]

VERSION is a version number or an ETag, as 'namectl dtab history NS' lists them.

Flags:
  -m, --message TEXT     the new version's message
  -f, --force            write even if the dtab changed since it was read
${TOKEN_FLAG_HELP}
${COMMON_FLAGS_HELP}
`,
);

export async function historyCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(historyHelp, args, {}, outer);
  if (cmd.help) return historyHelp.print(io);
  const [ns] = expectArgs(historyHelp, cmd.positionals, ['NS']) as [string];
  const versions = await withNamerd(io, cmd.remote, (client) => client.versions(ns));
  if (cmd.json) writeJson(io, versions);
  else writeOut(io, historyTable(versions));
  return NamectlExit.ok;
}

/**
 * Aligned columns; the message, free text, comes last. Every cell is escaped: whatever namerd
 * sends (messages stored before namerd refused control characters, or a hostile server) must
 * not reach the terminal as line breaks or escape sequences.
 */
export function historyTable(versions: readonly VersionInfo[]): string {
  const rows = [
    ['VERSION', 'ETAG', 'TIME', 'DENTRIES', 'MESSAGE'],
    ...versions.map((v) =>
      [
        String(v.number),
        String(v.version),
        String(v.time),
        v.deleted === true ? 'deleted' : String(v.dentries ?? ''),
        String(v.message ?? ''),
      ].map(escapeControls),
    ),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export async function rollbackCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const options = { message: { type: 'string', short: 'm' }, force: { type: 'boolean', short: 'f' } } as const;
  const cmd = parseCommand(rollbackHelp, args, options, outer);
  if (cmd.help) return rollbackHelp.print(io);
  const [ns, versionText] = expectArgs(rollbackHelp, cmd.positionals, ['NS', 'VERSION']) as [string, string];
  const target = parseVersionRef(versionText);
  if (target === null) throw rollbackHelp.error(`invalid VERSION '${versionText}': give a version number or an ETag`);
  const message = typeof cmd.values.message === 'string' ? cmd.values.message : `rollback to version ${target.number}`;

  const written = await withNamerd(io, cmd.remote, async (client) => {
    const old = await client
      .get(ns, String(target.number))
      .catch((e: unknown) =>
        Promise.reject(withHint(e, 404, `See the versions there are: namectl dtab history ${ns}`)),
      );
    const body = { contentType: 'application/json', text: `${JSON.stringify(old.dtab.toJSON())}\n` } as const;
    if (cmd.values.force === true) return client.update(ns, body, { message });
    let current: string;
    try {
      current = await client.currentVersion(ns);
    } catch (error) {
      // Deleted since: bring it back (a create fails if someone else does it first).
      if (error instanceof NamerdHttpError && error.status === 404) return client.create(ns, body, message);
      throw error;
    }
    try {
      return await client.update(ns, body, { ifMatch: current, message });
    } catch (error) {
      if (error instanceof NamerdHttpError && error.status === 412)
        throw await writeConflict(client, ns, current, error, true);
      throw error;
    }
  });
  if (cmd.json) {
    writeJson(io, { namespace: ns, from: target.number, version: written.version, number: written.number });
  } else {
    const now = written.number === null ? '' : `: it is now version ${written.number}`;
    writeOut(io, `Rolled back ${ns} to version ${target.number}${now}\n`);
  }
  return NamectlExit.ok;
}
