/**
 * `namectl dtab …`: the dispatcher for every dtab command, and the two that work on files on
 * disk: `fmt` prints (or checks, or rewrites) a file's canonical form and `check` validates
 * files. Both report a syntax error as `FILE:LINE:COL: message`, the form editors and CI
 * annotators already understand, and exit 1 when any file is bad. The commands that talk to
 * namerd live in remote-dtab-commands.ts (namerctl's), history-commands.ts, diff-command.ts and
 * watch-command.ts.
 */
import { DtabSyntaxError } from '../index.js';
import { ExitCode, type Options } from './args.js';
import { writeFileAtomic } from './atomic-write.js';
import { diffCommand } from './diff-command.js';
import { describeSyntaxError, formatDtab } from './dtab-format.js';
import { historyCommand, rollbackCommand } from './history-commands.js';
import {
  type CliIo,
  describeIoError,
  displayName,
  isIoError,
  readSource,
  resolveFile,
  STDIN,
  writeErr,
  writeOut,
} from './io.js';
import { type OuterFlags, remoteFlags, remoteOptions } from './remote.js';
import { createCommand, deleteCommand, getCommand, listCommand, updateCommand } from './remote-dtab-commands.js';
import { UsageText } from './usage-text.js';
import { watchCommand } from './watch-command.js';

export const dtabHelp = new UsageText(
  'namectl dtab',
  `Work with delegation tables (dtabs).

Usage:
  namectl dtab <command> [flags]

Commands that talk to namerd:
  list        List the namespaces (alias: ls)
  get         Print a namespace's dtab (alias: cat)
  create      Create a namespace from a dtab file (alias: new)
  update      Replace a namespace's dtab, compare-and-set on its version (alias: up)
  delete      Delete a namespace (aliases: del, rm)
  history     List a namespace's stored versions
  rollback    Write an old version back as the new version
  diff        Diff two versions, or a file against the stored dtab
  watch       Print each new version as namerd streams it

Commands for dtab files:
  check       Check dtab files for syntax errors
  fmt         Print a dtab file in canonical form

Flags:
  -h, --help             help for dtab
      --json             print JSON (list, get, and the other commands that can)
      --base-url URL     namerd's address (default: $NAMECTL_BASE_URL, $NAMERCTL_BASE_URL,
                         or http://127.0.0.1:4180)
      --token TOKEN      bearer token for writes (default: $NAMECTL_TOKEN)

Use "namectl dtab <command> --help" for more information about a command.
`,
);

const fmtHelp = new UsageText(
  'namectl dtab fmt',
  `Print a dtab file in canonical form: one dentry per line, '=>' aligned, ' ;' at the end of
each line, exactly as 'namerctl dtab get' prints a dtab. Comments and blank lines between
dentries are kept. FILE '-' reads standard input.

Usage:
  namectl dtab fmt FILE|-
  namectl dtab fmt --check FILE|- [FILE...]
  namectl dtab fmt --write FILE [FILE...]

Flags:
  -c, --check   print nothing; exit 1 if a file is not in canonical form
  -w, --write   rewrite each file in place (atomically) if it parses
  -h, --help    help for fmt

Exit status: 0 ok, 1 a file did not parse or (--check) is not canonical, 2 usage error.
`,
);

const checkHelp = new UsageText(
  'namectl dtab check',
  `Check dtab files for syntax errors. Prints 'FILE: ok (N dentries)' for each good file and
'FILE:LINE:COL: message' on standard error for each bad one. FILE '-' reads standard input.

Usage:
  namectl dtab check FILE|- [FILE...]

Flags:
  -h, --help   help for check

Exit status: 0 all files are valid, 1 a file is not, 2 usage error.
`,
);

const helpOnly: Options = { help: { type: 'boolean', short: 'h' } };

const dtabOptions: Options = { ...helpOnly, json: { type: 'boolean' }, ...remoteOptions };

export async function dtabCommand(args: readonly string[], io: CliIo, outer: OuterFlags): Promise<number> {
  const { values, command, rest } = dtabHelp.split(args, dtabOptions);
  if (values.help === true || command === 'help') return dtabHelp.print(io);
  const flags: OuterFlags = { remote: remoteFlags(values, outer.remote), json: values.json === true || outer.json };
  switch (command) {
    case 'list':
    case 'ls':
      return listCommand(rest, io, flags);
    case 'get':
    case 'cat':
      return getCommand(rest, io, flags);
    case 'create':
    case 'new':
      return createCommand(rest, io, flags);
    case 'update':
    case 'up':
      return updateCommand(rest, io, flags);
    case 'delete':
    case 'del':
    case 'rm':
      return deleteCommand(rest, io, flags);
    case 'history':
      return historyCommand(rest, io, flags);
    case 'rollback':
      return rollbackCommand(rest, io, flags);
    case 'diff':
      return diffCommand(rest, io, flags);
    case 'watch':
      return watchCommand(rest, io, flags);
    case 'fmt':
      return fmtCommand(rest, io);
    case 'check':
      return checkCommand(rest, io);
    case undefined:
      throw dtabHelp.error('missing command');
    default:
      throw dtabHelp.error(`unknown command "${command}" for "namectl dtab"`);
  }
}

async function fmtCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options: Options = {
    ...helpOnly,
    check: { type: 'boolean', short: 'c' },
    write: { type: 'boolean', short: 'w' },
  };
  const { values, positionals: files } = fmtHelp.parse(args, options);
  if (values.help === true) return fmtHelp.print(io);
  const check = values.check === true;
  const write = values.write === true;
  if (check && write) throw fmtHelp.error('--check and --write cannot be used together');
  if (files.length === 0) throw fmtHelp.error('missing FILE');
  if (!check && !write && files.length > 1)
    throw fmtHelp.error('fmt prints one file; use --check or --write for several');
  if (write && files.includes(STDIN)) throw fmtHelp.error('--write cannot rewrite standard input');

  let failed = false;
  for (const file of files) {
    const formatted = await loadFormatted(io, file);
    if (formatted === undefined) {
      failed = true;
    } else if (check) {
      if (formatted.text !== formatted.source) {
        writeErr(io, `${displayName(file)}: not in canonical form (run: namectl dtab fmt --write ${file})\n`);
        failed = true;
      }
    } else if (write) {
      if (formatted.text !== formatted.source && !(await rewrite(io, file, formatted.text))) failed = true;
    } else {
      writeOut(io, formatted.text);
    }
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}

async function checkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals: files } = checkHelp.parse(args, helpOnly);
  if (values.help === true) return checkHelp.print(io);
  if (files.length === 0) throw checkHelp.error('missing FILE');
  let failed = false;
  for (const file of files) {
    const formatted = await loadFormatted(io, file);
    if (formatted === undefined) failed = true;
    else writeOut(io, `${displayName(file)}: ok (${plural(formatted.dtab.size, 'dentry', 'dentries')})\n`);
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}

interface Loaded extends ReturnType<typeof formatDtab> {
  readonly source: string;
}

/** Reads and formats one file, reporting a read or syntax error and returning undefined. */
async function loadFormatted(io: CliIo, file: string): Promise<Loaded | undefined> {
  let source: string;
  try {
    source = await readSource(io, file);
  } catch (error) {
    if (!isIoError(error)) throw error;
    writeErr(io, `${displayName(file)}: ${describeIoError(error)}\n`);
    return undefined;
  }
  try {
    return { ...formatDtab(source), source };
  } catch (error) {
    if (!(error instanceof DtabSyntaxError)) throw error;
    writeErr(io, `${displayName(file)}:${error.line}:${error.column}: ${describeSyntaxError(error)}\n`);
    return undefined;
  }
}

async function rewrite(io: CliIo, file: string, text: string): Promise<boolean> {
  try {
    await writeFileAtomic(resolveFile(io, file), text);
    return true;
  } catch (error) {
    if (!isIoError(error)) throw error;
    writeErr(io, `${displayName(file)}: cannot write: ${describeIoError(error)}\n`);
    return false;
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
