/**
 * namectl's side of namerctl's dtab commands: list, get, create, update and delete, with its
 * aliases, output and JSON forms. The commands themselves are shared with the namerctl twin
 * (dtab-operations.ts); namectl's dialect validates input before it is sent and makes `update` a
 * compare-and-set on the version it read (namerctl's update was last-write-wins unless given
 * --version); `--force` restores the unconditional write.
 */

import { createDtab, deleteDtab, getDtab, listDtabs, updateDtab } from './dtab-operations.js';
import type { CliIo } from './io.js';
import {
  COMMON_FLAGS_HELP,
  expectArgs,
  NamectlExit,
  type OuterFlags,
  parseCommand,
  parseVersionRef,
  TOKEN_FLAG_HELP,
} from './remote.js';
import { UsageText } from './usage-text.js';

const messageFlag = "  -m, --message TEXT     why: kept with the version in namerd's history";

const listHelp = new UsageText(
  'namectl dtab list',
  `List the namespaces (dtab names) namerd stores, one per line.

Usage:
  namectl dtab list [flags]      (alias: ls)

Flags:
${COMMON_FLAGS_HELP}
`,
);

const getHelp = new UsageText(
  'namectl dtab get',
  `Print a namespace's dtab: '# version <etag>', then one dentry per line with '=>' aligned,
as namerctl does. --json prints {"version": "<etag>", "dtab": [{"prefix", "dst"}]}, which
'dtab update' accepts back (its version becomes the update's If-Match).

Usage:
  namectl dtab get NS [flags]      (alias: cat)

Flags:
      --version V        an older version: its number or its ETag (see 'dtab history')
      --pretty=false     print the compact form 'prefix=>dst;…' without the version line
${COMMON_FLAGS_HELP}
`,
);

const createHelp = new UsageText(
  'namectl dtab create',
  `Create a namespace with the dtab in FILE ('-' reads standard input). The dtab is checked
first; a syntax error is reported as FILE:LINE:COL and nothing is sent. A .json file, or text
starting with '{' or '[', is sent as namerd's JSON; anything else as dtab text.

Usage:
  namectl dtab create NS FILE|- [flags]      (alias: new)

Flags:
${messageFlag}
${TOKEN_FLAG_HELP}
${COMMON_FLAGS_HELP}
`,
);

const updateHelp = new UsageText(
  'namectl dtab update',
  `Replace a namespace's dtab with the one in FILE ('-' reads standard input), checked first as
for create. The update is a compare-and-set: it applies only if nobody changed the dtab since
its version was read (the current one, the --version given, or the "version" of a JSON input
from 'dtab get --json'). If someone did, nothing is written and namectl says who won.

Usage:
  namectl dtab update NS FILE|- [flags]      (alias: up)

Flags:
      --version V        apply only if the current version is V (a number or an ETag)
  -f, --force            write unconditionally, whatever the current version (creates NS if missing)
${messageFlag}
${TOKEN_FLAG_HELP}
${COMMON_FLAGS_HELP}
`,
);

const deleteHelp = new UsageText(
  'namectl dtab delete',
  `Delete a namespace. Its history stays in namerd, so 'dtab rollback' can bring it back.

Usage:
  namectl dtab delete NS [flags]      (aliases: del, rm)

Flags:
${messageFlag}
${TOKEN_FLAG_HELP}
${COMMON_FLAGS_HELP}
`,
);

const messageOption = { message: { type: 'string', short: 'm' } } as const;

function message(values: Record<string, unknown>): { message?: string } {
  return typeof values.message === 'string' ? { message: values.message } : {};
}

export async function listCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(listHelp, args, {}, outer);
  if (cmd.help) return listHelp.print(io);
  expectArgs(listHelp, cmd.positionals, []);
  await listDtabs(io, cmd.remote, cmd);
  return NamectlExit.ok;
}

export async function getCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(getHelp, args, { version: { type: 'string' }, pretty: { type: 'string' } }, outer);
  if (cmd.help) return getHelp.print(io);
  const [ns] = expectArgs(getHelp, cmd.positionals, ['NS']) as [string];
  const pretty = cmd.values.pretty ?? 'true';
  if (pretty !== 'true' && pretty !== 'false') throw getHelp.error(`--pretty must be true or false, not '${pretty}'`);
  const version = typeof cmd.values.version === 'string' ? cmd.values.version : undefined;
  if (version !== undefined && parseVersionRef(version) === null) {
    throw getHelp.error(`invalid --version '${version}': give a version number or an ETag`);
  }
  await getDtab(io, cmd.remote, ns, {
    json: cmd.json,
    pretty: pretty === 'true',
    ...(version === undefined ? {} : { version }),
  });
  return NamectlExit.ok;
}

export async function createCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(createHelp, args, messageOption, outer);
  if (cmd.help) return createHelp.print(io);
  const [ns, file] = expectArgs(createHelp, cmd.positionals, ['NS', 'FILE']) as [string, string];
  await createDtab(io, cmd.remote, ns, file, { json: cmd.json, ...message(cmd.values) });
  return NamectlExit.ok;
}

export async function updateCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const options = { ...messageOption, version: { type: 'string' }, force: { type: 'boolean', short: 'f' } } as const;
  const cmd = parseCommand(updateHelp, args, options, outer);
  if (cmd.help) return updateHelp.print(io);
  const [ns, file] = expectArgs(updateHelp, cmd.positionals, ['NS', 'FILE']) as [string, string];
  const force = cmd.values.force === true;
  const flagVersion = typeof cmd.values.version === 'string' ? cmd.values.version : undefined;
  if (force && flagVersion !== undefined) throw updateHelp.error('--force and --version cannot be used together');
  const version = flagVersion === undefined ? undefined : parseVersionRef(flagVersion);
  if (version === null) throw updateHelp.error(`invalid --version '${flagVersion}': give a version number or an ETag`);
  await updateDtab(
    io,
    cmd.remote,
    ns,
    file,
    { json: cmd.json, force, ...message(cmd.values), ...(version === undefined ? {} : { version }) },
    (text) => updateHelp.error(text),
  );
  return NamectlExit.ok;
}

export async function deleteCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const cmd = parseCommand(deleteHelp, args, messageOption, outer);
  if (cmd.help) return deleteHelp.print(io);
  const [ns] = expectArgs(deleteHelp, cmd.positionals, ['NS']) as [string];
  await deleteDtab(io, cmd.remote, ns, { json: cmd.json, ...message(cmd.values) });
  return NamectlExit.ok;
}
